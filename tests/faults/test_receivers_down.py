"""The mail relay and the messaging gateway down (connection refused), then the gateway answering
503, then both well again: every send is retried with growing waits and nothing is lost; each
message reaches its receiver once. (Minutes in a county; seconds here, with a 0.5 s back-off base
doubling up to 2 s instead of 10 s doubling up to 15 min.)"""

from __future__ import annotations

import time
from collections import Counter

import httpx
import pytest
import sqlalchemy as sa

from tests.faults.test_database_outage import draft, township_codes
from tests.harness import Sinks, login, wait_for

pytestmark = pytest.mark.faults

DOWN_S = 3.0  # refused connections
FAILING_S = 2.0  # then the gateway answers 503


@pytest.fixture(scope="module")
def sinks():
    s = Sinks()
    yield s
    s.close()


@pytest.fixture(scope="module")
def served(deployment, sinks, tmp_path_factory):
    deployment.clean_slate()
    srv = deployment.serve(tmp_path_factory.mktemp("receivers"), sinks)
    yield srv
    srv.stop()


def test_receivers_down_then_up_lose_nothing(served, deployment, sinks):
    sinks.mailbox.stop()
    sinks.hook.down()
    op = login(served.url, deployment.users["operator"])
    wid = draft(served.url, op, township_codes(served.url)[10:11])
    r = httpx.post(f"{served.url}/api/warnings/{wid}/issue", headers=op, timeout=30)
    assert r.status_code == 200, r.text
    counts = r.json()["dissemination"]
    persons = counts["messages"] - counts["broadcast_villages"]
    down = time.monotonic()

    def tries():
        with deployment.engine.connect() as c:
            return c.execute(
                sa.text(
                    "SELECT attempts, last_error FROM outbox WHERE warning_id = :w "
                    "AND payload->>'channel' <> 'broadcast'"
                ),
                {"w": wid},
            ).all()

    # down for a while: every message tried at least twice (and failed) before they come back
    def retried():
        rows = tries()
        return rows if all(t.attempts >= 2 for t in rows) else None

    failed = wait_for(retried, 30, "every send tried twice")
    time.sleep(max(0.0, DOWN_S - (time.monotonic() - down)))
    assert [m for m in sinks.of_warning(wid) if m.channel != "broadcast"] == []
    assert len(failed) == persons and all("unreachable" in t.last_error for t in failed)

    sinks.hook.status = 503
    sinks.mailbox.start()
    sinks.hook.up()
    time.sleep(FAILING_S)
    sinks.hook.status = 200
    well = time.monotonic()
    wait_for(
        lambda: len({m.key for m in sinks.of_warning(wid)}) >= counts["messages"],
        30,
        f"all {counts['messages']} messages delivered once the receivers are well",
        interval=0.2,
    )
    delivered_s = time.monotonic() - well
    time.sleep(0.5)
    got = sinks.of_warning(wid)
    keys = Counter(m.key for m in got)
    assert len(keys) == counts["messages"] and max(keys.values()) == 1  # each once
    with deployment.engine.connect() as c:
        outbox = c.execute(
            sa.text(
                "SELECT count(*), min(attempts), max(attempts) FROM outbox WHERE warning_id = :w "
                "AND status = 'sent' AND payload->>'channel' <> 'broadcast'"
            ),
            {"w": wid},
        ).one()
        # the waits between one job's tries grow (0.5 s, 1 s, 2 s, 2 s … with these settings)
        job = c.execute(
            sa.text("SELECT job_id FROM outbox WHERE warning_id = :w ORDER BY attempts DESC LIMIT 1"),
            {"w": wid},
        ).scalar()
        starts = list(
            c.execute(
                sa.text(
                    "SELECT extract(epoch FROM at) FROM procrastinate_events "
                    "WHERE job_id = :j AND type = 'started' ORDER BY at"
                ),
                {"j": job},
            ).scalars()
        )
    assert outbox[0] == persons
    gaps = [float(b - a) for a, b in zip(starts, starts[1:], strict=False)]
    base = deployment.settings["dispatch_backoff_s"]
    cap = deployment.settings["dispatch_backoff_cap_s"]
    assert len(gaps) >= 3
    for k, gap in enumerate(gaps):
        assert gap >= min(cap, base * 2**k) * 0.9, gaps  # never sooner than the back-off says
    print(
        f"\nreceivers down {well - down - FAILING_S:.1f} s, gateway failing {FAILING_S} s: "
        f"{counts['messages']} messages, "
        f"{persons} to persons tried {outbox[1]}–{outbox[2]} times; one job's waits between tries "
        f"{[round(g, 1) for g in gaps]} s; all delivered {delivered_s:.1f} s after the receivers were "
        "well, each once"
    )
