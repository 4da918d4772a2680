"""`riskmap serve --port P` exactly as the README runs it — default settings, the dispatch worker
in the same process — walked over HTTP: warnings from the run to the receivers and back (叫应),
the worker's own chase (reminders, escalation), evacuation planning, and the page in Chromium.

Only the acknowledgement deadline of red warnings (6 s instead of 15 min) and the chase period
(every 2 s instead of every minute) are shortened, through their documented settings.
"""

from __future__ import annotations

import httpx
import pytest

from tests.serve import flows
from tests.serve.conftest import start_serve

pytestmark = pytest.mark.serve

RED_DEADLINE_MIN = 0.1  # 6 s
CHASE_EVERY_S = 2


@pytest.fixture(scope="module")
def served(tmp_path_factory, service_env, sinks):
    srv = start_serve(
        tmp_path_factory,
        lambda port: service_env(
            port, ack_deadlines_min={4: RED_DEADLINE_MIN, 3: 30, 2: 60, 1: 120}, chase_every_s=CHASE_EVERY_S
        ),
    )
    sinks.logs.append(srv)
    yield srv
    flows.stopped_cleanly(srv)


@pytest.fixture(scope="module")
def red(served, sinks, users):
    """Issued first, so that its deadlines pass while the other flows run."""
    towns = httpx.get(f"{served.url}/api/townships/risk").json()["townships"]
    return flows.start_red(served.url, sinks, users, towns[-1]["code"])


def test_the_readme_serve_is_ready_and_runs_the_worker(served):
    r = served.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"
    log = served.log()
    assert "Starting worker on all queues" in log
    assert "riskmap:chase" in log and f"* * * * * */{CHASE_EVERY_S}" in log  # the periodic chase


def test_a_red_warning_is_issued_to_every_receiver(red):
    assert red.counts["recipients"] > 10 and len(red.acked) == 3


def test_the_operator_flow_from_proposal_to_cancel(served, sinks, users, published, data_dir):
    from backend.config import Settings
    from backend.dispatch.queue import configure

    numbers = flows.warning_flow(served.url, sinks, users, published.run_id)
    secret = configure(Settings(data_dir=data_dir)).channels.webhook_secret
    assert flows.check_signatures(sinks, secret) > 0
    print("\nserve (worker in-process):", numbers)


def test_the_evacuation_flow(served, users, published, engine):
    print("\nevacuation:", flows.evacuation_flow(served.url, users, published.run_id, engine))


def test_the_page_against_the_same_server(served, browser, users, red):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors, foreign = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on(
        "request",
        lambda r: None if r.url.startswith((served.url, "data:", "blob:")) else foreign.append(r.url),
    )
    page.goto(served.url)
    page.wait_for_function("() => document.body.dataset.mapReady === '1'", timeout=60_000)
    page.wait_for_function(
        "() => window.riskmap.map.loaded() && window.riskmap.map.areTilesLoaded()", timeout=60_000
    )
    headline = httpx.get(f"{served.url}/api/warnings/{red.id}").json()["headline"]
    page.wait_for_function(
        f"() => document.getElementById('active-warnings').textContent.includes({headline!r})", timeout=15_000
    )
    page.fill("#login-user", users["operator"])
    page.fill("#login-pass", "correct horse")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#operator-tools", state="visible")
    bar = page.locator(f'#active-warnings .progress[data-warning="{red.id}"]')
    bar.wait_for(timeout=15_000)
    assert bar.get_attribute("data-acknowledged") == "3"
    assert int(bar.get_attribute("data-recipients")) == red.counts["recipients"]
    assert errors == [] and foreign == []


def test_the_workers_own_chase_resends_and_escalates(served, sinks, users, red):
    numbers = flows.finish_red(served.url, sinks, users, red, RED_DEADLINE_MIN * 60 * 2)
    assert "TypeError" not in served.log() and "Traceback" not in served.log()
    print("\nchase (worker in-process):", numbers)
