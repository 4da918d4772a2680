"""PostgreSQL stopped under a running `riskmap serve` (worker in-process): while tiles are served,
while a warning is issued, while the worker dispatches, during a burst of acknowledgements. The
service answers 503 problem+json meanwhile — never a 500, never slower than the statement timeout —
and recovers by itself once the database is back; nothing is sent twice that the receiver could
not recognise, nothing is lost, and every acknowledgement that was answered 2xx is recorded."""

from __future__ import annotations

import math
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa

from backend.warnings.acks import token_hash
from tests.faults.conftest import (
    POOL_TIMEOUT_S,
    STATEMENT_TIMEOUT_MS,
    Probe,
    assert_only_503_problems,
    recovery_s,
)
from tests.harness import Sinks, login, wait_for
from tests.serve.flows import expect_all_sent

pytestmark = pytest.mark.faults

OUTAGE_S = 3.0
SLOWEST_S = STATEMENT_TIMEOUT_MS / 1000 + 1.0


@pytest.fixture(scope="module")
def sinks():
    s = Sinks()
    yield s
    s.close()


@pytest.fixture(scope="module")
def served(deployment, sinks, tmp_path_factory):
    deployment.clean_slate()
    srv = deployment.serve(tmp_path_factory.mktemp("outage"), sinks)
    yield srv
    srv.stop()
    assert "Exception in ASGI application" not in srv.log()  # every fault was answered, none escaped


def tile_urls(base: str, run_id: int) -> list[str]:
    """Distinct tiles over the county (none cached yet), several layers and zooms."""
    out = []
    lon0, lat0 = 115.0, 25.8
    for z in (11, 12, 13, 14):
        n = 2**z
        x0 = int((lon0 + 180) / 360 * n)
        y0 = int((1 - math.asinh(math.tan(math.radians(lat0))) / math.pi) / 2 * n)
        r = 2 ** (z - 10)
        for layer in ("onemap", "rain", "townships", "villages", "roads", "shelters"):
            for dx in range(-r, r + 1):
                for dy in range(-r, r + 1):
                    q = f"?run={run_id}" if layer in ("onemap", "rain") else ""
                    out.append(f"{base}/tiles/{layer}/{z}/{x0 + dx}/{y0 + dy}.pbf{q}")
    return out


def outage(cluster, seconds: float = OUTAGE_S, mode: str = "fast") -> tuple[float, float]:
    cluster.stop(mode)
    down = time.monotonic()
    time.sleep(seconds)
    cluster.start()
    return down, time.monotonic()


def test_tiles_while_the_database_is_down(served, deployment):
    urls = tile_urls(served.url, deployment.run_id)
    ready = Probe(lambda i: ("GET", served.url + "/readyz"), threads=1)
    with Probe(lambda i: ("GET", urls[i % len(urls)]), threads=4) as tiles, ready:
        time.sleep(1.0)
        down, up = outage(deployment.cluster)
        time.sleep(4.0)
    answers = tiles.answers + ready.answers
    assert_only_503_problems(answers)
    during = tiles.during(down + 0.2, up - 0.2)
    assert any(a.status == 503 for a in during), "no tile needed the database?"
    assert any(a.status == 503 for a in ready.during(down + 0.2, up - 0.2))
    slowest = max(a.elapsed for a in answers)
    assert slowest < SLOWEST_S
    rec = recovery_s(answers, up)
    assert rec < 5, rec
    print(
        f"\ntiles: {len(tiles.answers)} requests, {tiles.statuses()} "
        f"(during the outage {sum(a.status == 200 for a in during)} cached 200s, "
        f"{sum(a.status == 503 for a in during)} 503s); slowest {slowest:.2f} s; recovered {rec} s after "
        "the database was back"
    )


def draft(base: str, op: dict, codes: list[str], level: int = 2) -> int:
    r = httpx.post(
        f"{base}/api/warnings", json={"hazard": "rain", "level": level, "township_codes": codes}, headers=op
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def township_codes(base: str) -> list[str]:
    return [t["code"] for t in httpx.get(f"{base}/api/townships/risk").json()["townships"]]


def is_problem_503(r: httpx.Response) -> bool:
    return r.status_code == 503 and r.headers["content-type"] == "application/problem+json"


def test_issuing_while_the_database_is_down(served, deployment, sinks):
    op = login(served.url, deployment.users["operator"])
    codes = township_codes(served.url)
    first, second = draft(served.url, op, codes[:1]), draft(served.url, op, codes[1:2])

    deployment.cluster.stop()
    try:
        t = time.monotonic()
        r = httpx.post(f"{served.url}/api/warnings/{first}/issue", headers=op, timeout=30)
        assert is_problem_503(r), (r.status_code, r.text)
        assert time.monotonic() - t < SLOWEST_S
        for path in ("/api/warnings", f"/api/warnings/{first}/deliveries", "/api/runs/latest"):
            r = httpx.get(served.url + path, headers=op, timeout=30)
            assert is_problem_503(r), (path, r.status_code, r.text)
        r = httpx.post(
            f"{served.url}/api/auth/token",
            data={"username": deployment.users["operator"], "password": "correct horse"},
        )
        assert is_problem_503(r), (r.status_code, r.text)
    finally:
        deployment.cluster.start()
    r = httpx.post(f"{served.url}/api/warnings/{first}/issue", headers=op, timeout=30)
    assert r.status_code == 200, r.text  # the same request, once the database is back
    expect_all_sent(sinks, first, r.json()["dissemination"])

    # the database goes away while the issue request is at work: all or nothing
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(httpx.post, f"{served.url}/api/warnings/{second}/issue", headers=op, timeout=30)
        time.sleep(0.03)
        deployment.cluster.stop("immediate")
        r = pending.result()
    deployment.cluster.start()
    assert r.status_code == 200 or is_problem_503(r), (r.status_code, r.text)
    status = wait_for(
        lambda: (x := httpx.get(f"{served.url}/api/warnings/{second}", headers=op)).status_code == 200 and x,
        10,
        "the service answering again",
    ).json()["status"]
    if r.status_code == 503:
        assert status == "draft"  # rolled back entirely: issued again below
        r = httpx.post(f"{served.url}/api/warnings/{second}/issue", headers=op, timeout=30)
        assert r.status_code == 200, r.text
    expect_all_sent(sinks, second, r.json()["dissemination"])
    print(f"\nissue while the database stopped: the racing request answered {r.status_code}")


@pytest.fixture(scope="module")
def county_wide(served, deployment, sinks):
    """A yellow warning to four townships (≈350 messages: persons and village broadcasts), with
    the database stopped for a while once the worker is busy sending it."""
    op = login(served.url, deployment.users["operator"])
    wid = draft(served.url, op, township_codes(served.url)[2:6])
    r = httpx.post(f"{served.url}/api/warnings/{wid}/issue", headers=op, timeout=60)
    assert r.status_code == 200, r.text
    counts = r.json()["dissemination"]
    wait_for(lambda: len(sinks.of_warning(wid)) >= 40, 30, "the worker sending")
    down, up = outage(deployment.cluster)
    sent_before = len(sinks.of_warning(wid))
    t = time.monotonic()
    wait_for(
        lambda: len({m.key for m in sinks.of_warning(wid)}) >= counts["messages"],
        90,
        f"all {counts['messages']} messages sent after the outage",
        interval=0.25,
    )
    return {
        "id": wid,
        "counts": counts,
        "sent_before_outage": sent_before,
        "finished_after_s": round(time.monotonic() - t, 1),
        "up": up,
        "down": down,
    }


def test_the_worker_dispatching_through_an_outage(served, deployment, sinks, county_wide):
    wid, counts = county_wide["id"], county_wide["counts"]
    time.sleep(0.5)
    got = sinks.of_warning(wid)
    keys = Counter(m.key for m in got)
    assert len(keys) == counts["messages"]  # nothing lost
    dups = {k: n for k, n in keys.items() if n > 1}
    # a duplicate carries the same idempotency key (Message-ID / Idempotency-Key / reference):
    # the receiver can drop it; count them
    assert sum(dups.values()) - len(dups) <= 2 * 8, dups  # at most the sends in flight at the stop
    with deployment.engine.connect() as c:
        left = c.execute(
            sa.text("SELECT status, count(*) FROM outbox WHERE warning_id = :w GROUP BY status"), {"w": wid}
        ).all()
    assert dict(left) == {"sent": counts["messages"]}
    print(
        f"\ndispatch through an outage: {counts['messages']} messages, "
        f"{county_wide['sent_before_outage']} before the stop, all sent {county_wide['finished_after_s']} s "
        f"after the database was back; received {len(got)} for {len(keys)} keys "
        f"({sum(dups.values()) - len(dups)} duplicates, same key: {sorted(dups)})"
    )


def test_acknowledgements_answered_200_survive_a_database_crash(served, deployment, sinks, county_wide):
    """叫应 answered 200 are durable: a crash of the database right after does not lose them."""
    with deployment.engine.connect() as c:
        open_ = c.execute(
            sa.text("SELECT ack_token_hash FROM delivery WHERE warning_id = :w AND acked_at IS NULL "
                    "AND channel <> 'broadcast'"),
            {"w": county_wide["id"]},
        ).scalars().all()  # fmt: skip
    tokens = [m.ack_token for m in sinks.of_warning(county_wide["id"], "alert")
              if m.ack_token and token_hash(m.ack_token) in set(open_)][:20]  # fmt: skip
    assert len(tokens) == 20
    for token in tokens:
        r = httpx.post(f"{served.url}/api/ack/{token}")
        assert r.status_code == 200 and r.json()["first_time"], r.text
    deployment.cluster.stop("immediate")
    deployment.cluster.start()
    with deployment.engine.connect() as c:
        recorded = c.execute(
            sa.text("SELECT count(*) FROM delivery WHERE ack_token_hash = ANY(:h) AND acked_at IS NOT NULL"),
            {"h": [token_hash(t) for t in tokens]},
        ).scalar()
    assert recorded == len(tokens), f"{len(tokens) - recorded} of {len(tokens)} acknowledgements lost"


def test_an_acknowledgement_burst_through_an_outage(served, deployment, sinks, county_wide):
    tokens = [m.ack_token for m in sinks.of_warning(county_wide["id"], "alert") if m.ack_token]
    tokens = list(dict.fromkeys(tokens))
    assert len(tokens) > 200
    with Probe(
        lambda i: ("POST", f"{served.url}/api/ack/{tokens[(i - 1) % len(tokens)]}"), threads=8
    ) as acks:
        time.sleep(0.7)
        down, up = outage(deployment.cluster)
        time.sleep(1.5)
    answers = acks.answers
    assert_only_503_problems(answers)
    assert max(a.elapsed for a in answers) < SLOWEST_S
    ok = {a.url.rsplit("/", 1)[1] for a in answers if a.status == 200}
    failed = {a.url.rsplit("/", 1)[1] for a in answers if a.status == 503} - ok  # never 200
    assert acks.statuses()[503] > 0, "no acknowledgement met the outage?"
    # a 叫应 waits for a connection at most the pool timeout, then hears 503 (it never queues
    # behind another's wait)
    assert max(a.elapsed for a in acks.during(down, up)) < POOL_TIMEOUT_S + 1.0
    with deployment.engine.connect() as c:
        recorded = set(
            c.execute(
                sa.text("SELECT ack_token_hash FROM delivery WHERE warning_id = :w AND acked_at IS NOT NULL"),
                {"w": county_wide["id"]},
            ).scalars()
        )
    lost = [t for t in ok if token_hash(t) not in recorded]
    assert not lost, f"{len(lost)} acknowledgements answered 200 are not recorded"
    for token in failed:  # the person presses again: it works now
        r = httpx.post(f"{served.url}/api/ack/{token}")
        assert r.status_code == 200, r.text
    rec = recovery_s(answers, up)
    print(
        f"\nack burst: {len(answers)} requests {acks.statuses()}, {len(ok)} distinct acknowledged and "
        f"all recorded; {len(failed)} only ever answered 503 (then pressed again: 200); "
        f"slowest {max(a.elapsed for a in answers):.2f} s; recovered {rec} s after the database was back"
    )
