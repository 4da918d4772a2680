"""The HTTP edge every router shares: the per-request session, and problem+json for every error.

Every error leaves the service as RFC 9457 ``application/problem+json`` (:func:`install_handlers`):
our own domain errors with their status, FastAPI's validation errors as 422, a database that is
down or busy as 503, anything else as a logged 500 without a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from http import HTTPStatus

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.errors import RiskmapError

log = logging.getLogger("riskmap.errors")

PROBLEM_JSON = "application/problem+json"


def session_slots(pool_size: int, max_overflow: int) -> asyncio.Semaphore:
    """The gate of :func:`db_slot`: ``pool_size`` requests hold a session at once, and at least
    one pooled connection stays for the tile renderer and health checks (which connect in a
    thread of their own, then let go)."""
    return asyncio.Semaphore(max(1, min(pool_size, pool_size + max_overflow - 1)))


async def db_slot(request: Request) -> AsyncIterator[None]:
    """A place among the requests that hold a database session, waited for on the event loop.

    Without it, a typhoon night's 500 users deadlock the service for ``pool_timeout_s``: a
    request's session keeps its pooled connection while the request waits for a thread of the
    threadpool (for the endpoint after a sync dependency, or for FastAPI's response validation
    of a sync endpoint), and those threads are all taken by requests waiting for a connection —
    until the pool times out and they answer 503. With fewer sessions than pooled connections
    (``app.state.db_slots``: :func:`session_slots`) a request that has a session
    always gets a connection, so no thread waits for one while holding a slot of the threadpool.
    A request that finds no place within ``pool_timeout_s`` answers 503 as a pool timeout does.
    """
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    slots: asyncio.Semaphore = request.app.state.db_slots
    if not slots.locked():
        await slots.acquire()  # at once (no timer, no task)
    else:
        try:
            await asyncio.wait_for(slots.acquire(), request.app.state.settings.pool_timeout_s)
        except TimeoutError:
            raise PoolTimeout("no database session became free in time") from None
    try:
        yield
    finally:
        slots.release()


def get_session(request: Request, _slot: None = Depends(db_slot)) -> Iterator[Session]:
    """FastAPI dependency: one session per request from the app's engine, closed afterwards
    (within a place among the requests that hold one: :func:`db_slot`)."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        yield session


def problem(status: int, title: str, detail: str, instance: str | None = None, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def install_handlers(app: FastAPI) -> None:
    """Every error leaves the service as problem+json; nothing leaves as a traceback."""

    @app.exception_handler(RiskmapError)
    async def _domain(request: Request, exc: RiskmapError):
        response = problem(int(exc.status), exc.title, exc.detail, str(request.url.path))
        if int(exc.status) == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem(exc.status_code, title, detail, str(request.url.path))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        parts = []
        for e in errors:
            loc = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path"))
            parts.append(f"{loc}: {e.get('msg')}" if loc else str(e.get("msg")))
        return problem(
            422,
            "Invalid input",
            "; ".join(parts) or "invalid request",
            str(request.url.path),
            errors=[{"loc": e.get("loc"), "msg": e.get("msg")} for e in errors],
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        import psycopg
        from psycopg.errors import QueryCanceled
        from psycopg_pool import PoolTimeout as AsyncPoolTimeout
        from sqlalchemy.exc import OperationalError
        from sqlalchemy.exc import TimeoutError as PoolTimeout

        # the same faults reach here wrapped by SQLAlchemy or straight from psycopg (async pool)
        orig = exc.orig if isinstance(exc, OperationalError) else exc
        if isinstance(orig, QueryCanceled):
            log.warning("query cancelled on %s: %s", request.url.path, orig)
            return problem(
                503,
                "Query cancelled",
                "the query took too long and was cancelled; try again or zoom in",
                str(request.url.path),
            )
        if isinstance(exc, (PoolTimeout, AsyncPoolTimeout)):
            return problem(
                503,
                "Service busy",
                "no database connection became free in time (busy or unreachable); try again shortly",
                str(request.url.path),
            )
        if isinstance(orig, psycopg.OperationalError):
            log.warning("database unavailable: %s", orig)
            return problem(
                503,
                "Database unavailable",
                "the database is unreachable; try again shortly",
                str(request.url.path),
            )
        log.exception("unhandled error on %s", request.url.path)
        return problem(
            500,
            "Internal Server Error",
            "an unexpected error occurred; it has been logged",
            str(request.url.path),
        )
