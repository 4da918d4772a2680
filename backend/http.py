"""The HTTP edge every router shares: the per-request session, and problem+json for every error.

Every error leaves the service as RFC 9457 ``application/problem+json`` (:func:`install_handlers`):
our own domain errors with their status, FastAPI's validation errors as 422, a database that is
down or busy as 503, anything else as a logged 500 without a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.errors import RiskmapError

log = logging.getLogger("riskmap.errors")

PROBLEM_JSON = "application/problem+json"


def get_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: one session per request from the app's engine, closed afterwards."""
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

    async def _database(request: Request, exc: Exception):
        response = database_problem(request, exc)
        return response if response is not None else await _unexpected(request, exc)

    # registered by class, not under Exception: Starlette hands an Exception handler's answer out
    # and then re-raises (uvicorn logs a traceback and drops the keep-alive connection)
    for cls in database_faults():
        app.add_exception_handler(cls, _database)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        response = database_problem(request, exc)
        if response is not None:
            return response
        log.exception("unhandled error on %s", request.url.path)
        return problem(
            500,
            "Internal Server Error",
            "an unexpected error occurred; it has been logged",
            str(request.url.path),
        )


def database_faults() -> tuple[type[Exception], ...]:
    """The exceptions that mean "the database is down, busy or too slow", not a bug."""
    import psycopg
    from sqlalchemy.exc import InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    return (OperationalError, InterfaceError, PoolTimeout, psycopg.OperationalError, psycopg.InterfaceError)


def database_problem(request: Request, exc: Exception) -> JSONResponse | None:
    """503 problem+json for a database that is down, busy or too slow; None for anything else."""
    import psycopg
    from psycopg.errors import QueryCanceled
    from psycopg_pool import PoolTimeout as AsyncPoolTimeout
    from sqlalchemy.exc import InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    # the same faults reach here wrapped by SQLAlchemy or straight from psycopg (async pool)
    orig = exc.orig if isinstance(exc, (OperationalError, InterfaceError)) else exc
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
    if isinstance(orig, (psycopg.OperationalError, psycopg.InterfaceError)):
        log.warning("database unavailable on %s: %s", request.url.path, str(orig).strip())
        return problem(
            503,
            "Database unavailable",
            "the database is unreachable; try again shortly",
            str(request.url.path),
        )
    return None
