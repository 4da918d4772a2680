"""A deployment of its own for the fault tests: a PostgreSQL cluster they can stop and start, set
up with the README's commands (`riskmap db upgrade`, `sample load`, `pipeline run --sample`,
`user add`), and helpers that hammer the service while things break."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.faults.cluster import BIN, Cluster
from tests.harness import RISKMAP, ROOT, Service, Sinks, base_env, free_port

DATABASE = "riskmap_faults"
STATEMENT_TIMEOUT_MS = 5000
POOL_TIMEOUT_S = 2


@dataclass
class Deployment:
    cluster: Cluster
    data_dir: Path
    engine: sa.Engine
    run_id: int
    users: dict
    settings: dict = field(default_factory=dict)

    def env(self, **extra) -> dict:
        return base_env(**(self.settings | extra))

    def cli(self, *args: str, stdin: str | None = None, timeout: float = 120, **extra) -> str:
        p = subprocess.run(
            [RISKMAP, *args], env=self.env(**extra), cwd=ROOT, input=stdin, capture_output=True,
            text=True, timeout=timeout,
        )  # fmt: skip
        assert p.returncode == 0, f"riskmap {' '.join(args)}: {p.stderr[-2000:]}"
        return p.stdout

    def clean_slate(self) -> None:
        with self.engine.begin() as c:
            c.execute(sa.text("TRUNCATE outbox, delivery, warning_township, warning CASCADE"))
            c.execute(sa.text("DELETE FROM procrastinate_jobs"))
            c.execute(sa.text("DELETE FROM procrastinate_workers"))

    def serve(self, tmp: Path, sinks: Sinks, *args: str, **extra) -> Service:
        port = free_port()
        env = self.env(public_url=f"http://127.0.0.1:{port}", **sinks.settings(), **extra)
        srv = Service(["serve", "--port", str(port), *args], env, tmp / "serve.log", port).start()
        sinks.logs.append(srv)
        return srv

    def worker(self, tmp: Path, sinks: Sinks, name: str = "worker", **extra) -> Service:
        env = self.env(**sinks.settings(), **extra)
        w = Service(["worker"], env, tmp / f"{name}.log").start()
        sinks.logs.append(w)
        return w


@pytest.fixture(scope="package")
def cluster():
    c = Cluster().init()
    c.start()
    yield c
    c.destroy()


#: rows of other tests that the fault deployment does not need
SKIPPED_DATA = (
    "outbox", "delivery", "warning_township", "warning", "evacuation_assignment", "evacuation_plan",
    "procrastinate_jobs", "procrastinate_events", "procrastinate_workers", "audit_log",
)  # fmt: skip


@pytest.fixture(scope="package")
def deployment(cluster, published, users, data_dir, sample_dir, tmp_path_factory):
    """The session's county (sample loaded, a run published: the shared fixtures) copied into the
    fault cluster — a dump restored, and the run's rasters — then checked with `riskmap db
    upgrade` as an operator would after a restore."""
    data = tmp_path_factory.mktemp("faults-data")
    (data / "sample").symlink_to(sample_dir)
    shutil.copytree(data_dir / "runs", data / "runs")
    source = sa.engine.make_url(os.environ["RISKMAP_DATABASE_URL"])
    dump = data / "county.dump"
    skip = [f"--exclude-table-data={t}" for t in SKIPPED_DATA]
    subprocess.run(
        [str(BIN / "pg_dump"), "-Fc", "-h", source.host, "-p", str(source.port or 5432), "-U",
         source.username, *skip, "-f", str(dump), source.database],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    target = cluster.url(DATABASE)
    admin = sa.create_engine(
        cluster.url("postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
    admin.dispose()
    subprocess.run(
        [str(BIN / "pg_restore"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
         "--no-owner", "-d", DATABASE, str(dump)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    dep = Deployment(
        cluster=cluster,
        data_dir=data,
        engine=sa.create_engine(target, poolclass=sa.pool.NullPool),
        run_id=published.run_id,
        users={"operator": users["operator"], "viewer": users["viewer"]},
        settings={
            "database_url": target,
            "data_dir": data,
            "log_format": "console",
            "statement_timeout_ms": STATEMENT_TIMEOUT_MS,
            "connect_timeout_s": 2,
            # a request waits this long for a connection (the 叫应 pool waits out short outages)
            "pool_timeout_s": POOL_TIMEOUT_S,
            # retries come quickly in a test (the defaults are 10 s doubling up to 15 min)
            "dispatch_backoff_s": 0.5,
            "dispatch_backoff_cap_s": 2,
            "dispatch_max_attempts": 40,
            # a dead worker's jobs are taken over after 3 s (default 30 s)
            "worker_stalled_s": 3,
        },
    )
    dep.cli("db", "upgrade")  # at head already: a no-op that checks the restored schema
    yield dep
    dep.engine.dispose()


@dataclass
class Answer:
    at: float  # time.monotonic() when the request was sent
    url: str
    status: int  # 0: no answer (connection error, timeout)
    ctype: str
    elapsed: float
    body: str = ""


class Probe:
    """``threads`` loops sending requests (``request(i)`` → (method, url)) until stopped; every
    answer is recorded, with how long it took."""

    def __init__(self, request, threads: int = 4, timeout: float = 30.0):
        self.request = request
        self.threads = threads
        self.timeout = timeout
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._n = 0
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []

    def _next(self) -> int:
        with self._lock:
            self._n += 1
            return self._n

    def _loop(self):
        with httpx.Client(timeout=self.timeout) as client:
            while not self._stop.is_set():
                method, url = self.request(self._next())
                t = time.monotonic()
                try:
                    r = client.request(method, url)
                    body = r.text[:300] if r.status_code >= 300 else ""
                    ctype = r.headers.get("content-type", "")
                    a = Answer(t, url, r.status_code, ctype, time.monotonic() - t, body)
                except httpx.HTTPError as exc:
                    a = Answer(t, url, 0, "", time.monotonic() - t, repr(exc))
                self.answers.append(a)
                time.sleep(0.01)

    def __enter__(self) -> Probe:
        for _ in range(self.threads):
            th = threading.Thread(target=self._loop, daemon=True)
            th.start()
            self._workers.append(th)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for th in self._workers:
            th.join(self.timeout + 5)

    def statuses(self) -> Counter:
        return Counter(a.status for a in self.answers)

    def during(self, start: float, end: float) -> list[Answer]:
        return [a for a in self.answers if start <= a.at <= end]


def assert_only_503_problems(answers: list[Answer], allowed=(200, 204, 304)) -> None:
    """Each answer is a success or a 503 problem+json; never a 500, never no answer."""
    bad = [a for a in answers if a.status not in (*allowed, 503)]
    assert not bad, bad[:5]
    wrong = [a for a in answers if a.status == 503 and a.ctype != "application/problem+json"]
    assert not wrong, wrong[:5]


def recovery_s(answers: list[Answer], since: float) -> float | None:
    """Seconds from ``since`` (the database is back) until every answer sent after it succeeds."""
    after = sorted((a for a in answers if a.at >= since), key=lambda a: a.at)
    last_bad = max((a.at + a.elapsed for a in after if a.status >= 500 or a.status == 0), default=since)
    return round(last_bad - since, 2)
