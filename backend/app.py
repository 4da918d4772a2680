"""The FastAPI application: routers, the static one-map page, errors, logging."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import sessionmaker

from backend.audit import routes as audit
from backend.auth import routes as auth
from backend.auth.gate import BearerGate
from backend.config import Settings, get_settings
from backend.db import make_async_pool, make_engine
from backend.evacuation import routes as evacuation
from backend.health import routes as health
from backend.heap import SlowCollections, tune
from backend.http import install_handlers, session_slots
from backend.imports import routes as imports
from backend.logs import configure_logging
from backend.onemap import routes as onemap
from backend.onemap.tiles import TileService
from backend.places import routes as places
from backend.runs import routes as runs
from backend.security.asgi import BodyLimit, SecurityHeaders
from backend.security.redact import redact_path
from backend.security.throttle import LoginThrottle, Throttle
from backend.warnings import ack_routes as acks
from backend.warnings import routes as warnings
from backend.warnings.acks import Acknowledger

log = logging.getLogger("riskmap.http")


class AccessLog:
    """One structured line per request (pure ASGI: no per-request task or body copy)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {}

        async def capture(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            log.info(
                "%s %s",
                scope["method"],
                redact_path(scope["path"]),  # acknowledgement links carry their token
                extra={
                    "status": status.get("code", 500),
                    "ms": round((time.perf_counter() - start) * 1000, 1),
                },
            )


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None,
    clock: Callable[[], datetime] = utc_now,
    worker: bool = False,
    tune_gc: bool = False,
) -> FastAPI:
    """The service. ``clock`` answers "now" for warnings and acks (tests inject one);
    ``worker`` runs the dispatch worker (procrastinate) in the same event loop; ``tune_gc``
    freezes the objects of start-up out of garbage collection and collects less often
    (backend.heap says why; the uvicorn factories below, i.e. `riskmap serve`, do unless
    RISKMAP_GC_TUNING=false)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await app.state.acks.pool.open(wait=False)
        app.state.db_slots = session_slots(settings.pool_size, settings.max_overflow)  # this loop's
        task = None
        if worker:
            from backend.worker import run_worker_async

            task = asyncio.create_task(run_worker_async(settings))
        slow_gc = SlowCollections().install()
        if tune_gc:
            frozen = tune()
            logging.getLogger("riskmap.gc").info("start-up objects frozen", extra={"objects": frozen})
        yield
        slow_gc.remove()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app.state.acks.pool.close()
        app.state.engine.dispose()

    app = FastAPI(
        title="riskmap",
        summary="County risk one-map, graded warnings and evacuation transfer planning",
        version="0.1.0",
        lifespan=lifespan,
        # FastAPI's native OpenTelemetry looks up the global providers on every request (≈7% of
        # a small request's time); on only where the operator asks for it
        telemetry=None if settings.telemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.engine = make_engine(settings)
    app.state.sessionmaker = sessionmaker(app.state.engine, expire_on_commit=False)
    # fewer request sessions than pooled connections: backend.http.db_slot says why
    app.state.db_slots = session_slots(settings.pool_size, settings.max_overflow)
    # 叫应 runs on the event loop with group commit, over its own small pool; its commits are
    # durable (a person told "acknowledged" is recorded, even if the database crashes right after)
    app.state.acks = Acknowledger(make_async_pool(settings, settings.ack_pool_size, "riskmap-ack"))
    app.state.tiles = TileService(app.state.engine, settings.tile_cache_mb * 1024 * 1024)
    install_handlers(app)

    secure(app, settings)
    app.add_middleware(AccessLog)

    # routes are matched in order: the hot ones first (叫应 bursts, map tiles); no paths overlap
    app.include_router(acks.router)
    app.include_router(onemap.router)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(runs.router)
    app.include_router(places.router)
    app.include_router(evacuation.router)
    app.include_router(warnings.router)
    app.include_router(audit.router)
    app.include_router(imports.router)
    if settings.frontend_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="frontend")
    return app


def secure(app: FastAPI, settings: Settings) -> None:
    """The door (docs/security.md), outermost first: security headers; CORS only for the origins
    configured; authentication of requests with a body before it is read; the body limits."""
    app.state.login_throttle = LoginThrottle(
        settings.login_max_failures,
        settings.login_max_failures_per_address,
        settings.login_window_s,
        settings.login_lockout_s,
    )
    app.state.ack_throttle = Throttle(
        settings.ack_max_failures_per_address, settings.ack_window_s, settings.ack_lockout_s
    )
    upload_routes = [("/api/import/", settings.max_upload_bytes)]
    app.add_middleware(BodyLimit, default_bytes=settings.max_json_bytes, routes=upload_routes)
    app.add_middleware(BearerGate, settings=settings)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)


def build() -> FastAPI:
    """uvicorn factory: ``uvicorn backend.app:build --factory``."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings, tune_gc=settings.gc_tuning)


def build_with_worker() -> FastAPI:
    """The service with the dispatch worker in the same process (``riskmap serve``'s default)."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings, worker=True, tune_gc=settings.gc_tuning)
