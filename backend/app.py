"""The FastAPI application: routers, the static one-map page, errors, logging."""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import sessionmaker

from backend.api import basemap, health, runs, shelters, tiles, townships
from backend.config import Settings, get_settings
from backend.db import make_engine
from backend.errors import install_handlers
from backend.logs import configure_logging
from backend.services.tiles import TileService

log = logging.getLogger("riskmap.http")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.engine.dispose()

    app = FastAPI(
        title="riskmap",
        summary="County risk one-map, graded warnings and evacuation transfer planning",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    app.state.sessionmaker = sessionmaker(app.state.engine, expire_on_commit=False)
    app.state.tiles = TileService(app.state.engine, settings.tile_cache_mb * 1024 * 1024)
    install_handlers(app)

    @app.middleware("http")
    async def access_log(request: Request, call_next):
        start = time.perf_counter()
        response = await call_next(request)
        log.info(
            "%s %s",
            request.method,
            request.url.path,
            extra={
                "status": response.status_code,
                "ms": round((time.perf_counter() - start) * 1000, 1),
            },
        )
        return response

    app.include_router(health.router)
    app.include_router(runs.router)
    app.include_router(townships.router)
    app.include_router(tiles.router)
    app.include_router(basemap.router)
    app.include_router(shelters.router)
    if settings.frontend_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="frontend")
    return app


def build() -> FastAPI:
    """uvicorn factory: ``uvicorn backend.app:build --factory``."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
