"""Processes killed with SIGKILL (the OOM killer, a power cut of the process, `kill -9`): the
dispatch worker mid-dispatch — restarted, nothing is lost; a pipeline mid-publication — no partial
run is ever published, the map keeps the previous run, and the next run succeeds."""

from __future__ import annotations

import time
from collections import Counter

import httpx
import pytest
import sqlalchemy as sa

from tests.faults.test_database_outage import draft, township_codes
from tests.harness import Service, Sinks, login, wait_for

pytestmark = pytest.mark.faults


@pytest.fixture(scope="module")
def sinks():
    s = Sinks()
    yield s
    s.close()


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    return tmp_path_factory.mktemp("crashes")


@pytest.fixture(scope="module")
def api(deployment, sinks, logs):
    deployment.clean_slate()
    srv = deployment.serve(logs, sinks, "--no-worker")
    yield srv
    srv.stop()


def test_the_worker_killed_mid_dispatch_loses_nothing(api, deployment, sinks, logs):
    worker = deployment.worker(logs, sinks, "worker-1")
    op = login(api.url, deployment.users["operator"])
    wid = draft(api.url, op, township_codes(api.url)[6:10])
    r = httpx.post(f"{api.url}/api/warnings/{wid}/issue", headers=op, timeout=60)
    assert r.status_code == 200, r.text
    n = r.json()["dissemination"]["messages"]
    wait_for(lambda: len(sinks.of_warning(wid)) >= 40, 30, "the worker sending")
    worker.kill()
    killed_at = time.monotonic()
    with deployment.engine.connect() as c:
        doing = c.execute(sa.text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")).scalar()
        pending = c.execute(
            sa.text("SELECT count(*) FROM outbox WHERE warning_id = :w AND status = 'pending'"), {"w": wid}
        ).scalar()
    assert pending > 0, "the worker was killed too late to matter"
    before = len(sinks.of_warning(wid))

    again = deployment.worker(logs, sinks, "worker-2")
    try:
        wait_for(
            lambda: len({m.key for m in sinks.of_warning(wid)}) >= n,
            60,
            f"all {n} messages sent by the restarted worker",
            interval=0.25,
        )
        done_s = time.monotonic() - killed_at
        time.sleep(0.5)
        keys = Counter(m.key for m in sinks.of_warning(wid))
        assert len(keys) == n
        dups = {k: c for k, c in keys.items() if c > 1}
        # only a send in flight when the worker died can go twice, with the same idempotency key
        assert sum(dups.values()) - len(dups) <= doing, dups
        with deployment.engine.connect() as c:
            left = dict(
                c.execute(
                    sa.text("SELECT status, count(*) FROM outbox WHERE warning_id = :w GROUP BY status"),
                    {"w": wid},
                ).all()
            )
            stuck = c.execute(
                sa.text("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('doing', 'todo') "
                        "AND queue_name = 'dispatch'")
            ).scalar()  # fmt: skip
        assert left == {"sent": n} and stuck == 0
    finally:
        again.stop()
    print(
        f"\nworker SIGKILL: {n} messages, {before} sent before the kill with {doing} jobs in flight and "
        f"{pending} pending; all sent {done_s:.1f} s after the kill (restarted at once, the dead "
        f"worker's jobs taken over after its {deployment.settings['worker_stalled_s']} s stall time); "
        f"duplicates (same key): {sum(dups.values()) - len(dups)}"
    )


def latest(api: Service) -> int:
    r = httpx.get(f"{api.url}/api/runs/latest")
    assert r.status_code == 200, r.text
    return r.json()["id"]


def onemap_tile(api: Service) -> httpx.Response:
    r = httpx.get(f"{api.url}/tiles/onemap/11/1678/872.pbf")
    assert r.status_code in (200, 204), r.text
    return r


def test_a_pipeline_killed_mid_publication_publishes_nothing(api, deployment, logs):
    before, tile = latest(api), onemap_tile(api)
    with deployment.engine.connect() as c:
        published = c.execute(sa.text("SELECT count(*) FROM risk_run WHERE status = 'published'")).scalar()
    run = Service(["pipeline", "run", "--sample", "--force"], deployment.env(), logs / "pipeline-1.log")
    run.start()

    def publishing() -> bool:  # its one transaction is writing the run's zones
        with deployment.engine.connect() as c:
            return bool(
                c.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                        "AND xact_start IS NOT NULL AND query ILIKE 'INSERT INTO risk_%'"
                    )
                ).scalar()
            )

    run.wait_until(publishing, 120, "publishing")
    abandoned = [p.name for p in (deployment.data_dir / "runs").glob(f".run-{run.proc.pid}-*")]
    run.kill()
    with deployment.engine.connect() as c:
        wait_for(  # the server notices the dead client and rolls its transaction back
            lambda: not publishing(), 10, "the killed transaction rolled back"
        )
        runs = c.execute(sa.text("SELECT id, status FROM risk_run ORDER BY id")).all()
        zones = c.execute(
            sa.text(
                "SELECT count(*) FROM risk_zone z "
                "WHERE NOT EXISTS (SELECT 1 FROM risk_run r WHERE r.id = z.run_id)"
            )
        ).scalar()
    assert sum(s == "published" for _, s in runs) == published and zones == 0
    assert latest(api) == before
    assert onemap_tile(api).headers.get("etag") == tile.headers.get("etag")

    deployment.cli("pipeline", "run", "--sample", "--force", timeout=300)
    after = latest(api)
    assert after > before
    with deployment.engine.connect() as c:
        status = c.execute(sa.text("SELECT status FROM risk_run WHERE id = :r"), {"r": after}).scalar()
    assert status == "published" and (deployment.data_dir / "runs" / str(after) / "onemap.tif").exists()
    leftovers = sorted(p.name for p in (deployment.data_dir / "runs").iterdir() if p.name.startswith("."))
    assert abandoned and not leftovers  # the killed run's rasters were swept by the next run
    print(
        f"\npipeline SIGKILL mid-publication: runs {[tuple(r) for r in runs]}, latest stayed {before}; "
        f"the next run {after} published and removed the killed one's rasters {abandoned}"
    )
