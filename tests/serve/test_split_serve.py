"""The README's split form: `riskmap serve --no-worker` for the API and page, `riskmap worker` on its
own for sending and chasing — the same flows as with the worker in-process."""

from __future__ import annotations

import httpx
import pytest

from tests.harness import Service, free_port
from tests.serve import flows

pytestmark = pytest.mark.serve

RED_DEADLINE_MIN = 0.1
CHASE_EVERY_S = 2


@pytest.fixture(scope="module")
def split(tmp_path_factory, service_env, sinks):
    port = free_port()
    env = service_env(
        port, ack_deadlines_min={4: RED_DEADLINE_MIN, 3: 30, 2: 60, 1: 120}, chase_every_s=CHASE_EVERY_S
    )
    logs = tmp_path_factory.mktemp("split")
    api = Service(["serve", "--port", str(port), "--no-worker"], env, logs / "serve.log", port).start()
    worker = Service(["worker"], env, logs / "worker.log").start()
    sinks.logs += [api, worker]
    yield api, worker
    flows.stopped_cleanly(worker)
    flows.stopped_cleanly(api)


@pytest.fixture(scope="module")
def red(split, sinks, users):
    api, _ = split
    towns = httpx.get(f"{api.url}/api/townships/risk").json()["townships"]
    return flows.start_red(api.url, sinks, users, towns[0]["code"])


def test_only_the_worker_process_runs_the_queue(split, red):
    api, worker = split
    assert "Starting worker" not in api.log()
    assert "Starting worker on all queues" in worker.log()
    assert "broadcast to village" in worker.log() and "broadcast to village" not in api.log()


def test_the_operator_flow_from_proposal_to_cancel(split, sinks, users, published):
    api, _ = split
    print("\nserve --no-worker + worker:", flows.warning_flow(api.url, sinks, users, published.run_id))


def test_the_workers_own_chase_resends_and_escalates(split, sinks, users, red):
    api, worker = split
    numbers = flows.finish_red(api.url, sinks, users, red, RED_DEADLINE_MIN * 60 * 2)
    assert "Traceback" not in worker.log()
    print("\nchase (riskmap worker):", numbers)
