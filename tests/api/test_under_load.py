"""What keeps the service answering under a typhoon night's load (bench/bench_load.py measures it):
request sessions gated below the connection pool (no threadpool/pool deadlock), the start-up heap
frozen out of garbage collection, and cached tiles the collector does not track."""

from __future__ import annotations

import gc
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pytest


def test_sessions_never_deadlock_the_threadpool(database_url):
    """Sync endpoints hold their session's connection while they wait for a thread (FastAPI
    validates a sync endpoint's answer in the threadpool). With 2 threads, 2 pooled connections
    and 16 requests at once, the threads used to be all taken by requests waiting for a
    connection held by requests waiting for a thread, until the pool timed out (503)."""
    import anyio.to_thread
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.config import get_settings

    settings = get_settings().model_copy(update={"pool_size": 2, "max_overflow": 0, "pool_timeout_s": 3.0})
    with TestClient(create_app(settings)) as client:
        limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)
        client.portal.call(setattr, limiter, "total_tokens", 2)
        t0 = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(lambda _: client.get("/api/runs?limit=5").status_code, range(48)))
        took = time.monotonic() - t0
    assert codes == [200] * 48
    assert took < settings.pool_timeout_s  # nobody waited for a pool timeout


def test_no_session_place_in_time_is_503(database_url):
    """A request that finds every session place taken for pool_timeout_s answers 503 problem+json."""
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.config import get_settings

    settings = get_settings().model_copy(update={"pool_timeout_s": 0.2})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        slots = client.app.state.db_slots
        taken = 0
        while not slots.locked():
            client.portal.call(slots.acquire)
            taken += 1
        r = client.get("/api/runs")
        for _ in range(taken):
            slots.release()
        assert client.get("/api/runs").status_code == 200
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Service busy"


def test_the_app_freezes_its_start_up_objects(database_url):
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.config import get_settings
    from backend.heap import YOUNG_THRESHOLD

    before = gc.get_threshold()
    gc.unfreeze()
    try:
        with TestClient(create_app(get_settings(), tune_gc=True)) as client:
            frozen, threshold = gc.get_freeze_count(), gc.get_threshold()
            assert client.get("/healthz").status_code == 200
        assert frozen > 10_000  # the modules of FastAPI, SQLAlchemy, pydantic … and the app
        assert threshold == (YOUNG_THRESHOLD, *before[1:])
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual
        gc.set_threshold(*before)


def test_the_app_leaves_the_collector_alone_unless_asked(database_url):
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.config import get_settings

    before = gc.get_threshold()
    gc.unfreeze()
    with TestClient(create_app(get_settings())):
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == before


def test_serve_tunes_the_collector_unless_configured_off(monkeypatch):
    """`riskmap serve`'s factories pass RISKMAP_GC_TUNING on (default true)."""
    import backend.app
    from backend.config import Settings

    seen = []
    monkeypatch.setattr(backend.app, "create_app", lambda settings, **kw: seen.append(kw))
    monkeypatch.setattr(backend.app, "configure_logging", lambda *a: None)
    for tuning in (True, False):
        monkeypatch.setattr(backend.app, "get_settings", lambda t=tuning: Settings(gc_tuning=t))
        backend.app.build()
        backend.app.build_with_worker()
    assert seen == [
        {"tune_gc": True},
        {"worker": True, "tune_gc": True},
        {"tune_gc": False},
        {"worker": True, "tune_gc": False},
    ]


def test_slow_collections_are_logged(caplog):
    from backend.heap import SlowCollections

    watch = SlowCollections(threshold_ms=0).install()
    try:
        with caplog.at_level(logging.WARNING, logger="riskmap.gc"):
            gc.collect()
    finally:
        watch.remove()
    assert watch not in gc.callbacks
    assert watch.collections >= 1
    record = next(r for r in caplog.records if r.name == "riskmap.gc")
    assert "generation 2" in record.getMessage()
    assert record.ms >= record.cpu_ms >= 0 and record.oldest > 0


@pytest.mark.parametrize("gz", [b"\x1f\x8b tile", None])
def test_cached_tiles_are_not_tracked_by_the_collector(gz):
    from backend.onemap.tiles import _LRU, Tile

    cache = _LRU(1024 * 1024)
    key = ("onemap", 12, 3300, 1700, 1, None, "")
    cache.put(key, Tile(gz, '"etag"'))
    gc.collect()
    assert not gc.is_tracked(cache.items[key])
    got = cache.get(key)
    assert isinstance(got, Tile) and got.gz == gz and got.etag == '"etag"'
    assert got.body(True) == (gz or b"")
