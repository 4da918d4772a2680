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
from typing import Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles

from backend.db import refused_value
from backend.errors import RiskmapError
from backend.i18n import LANG_COOKIE, pick_language, translate_problem
from backend.models.base import INT_MAX
from backend.security.redact import redact_path

log = logging.getLogger("riskmap.errors")

PROBLEM_JSON = "application/problem+json"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class ValidationItem(BaseModel):
    loc: list[str | int] = Field(description="where: body/query/path, then the field")
    msg: str


class Problem(BaseModel):
    """RFC 9457 problem details: the body of every error the service answers."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"description": __doc__})

    type: str = "about:blank"
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="what was wrong, in a sentence a person can act on")
    instance: str | None = Field(None, description="the request path")
    errors: list[ValidationItem] | None = Field(None, description="422 only: each invalid field")


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status answered as problem+json (documented in OpenAPI)."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def id_path(description: str | None = None, le: int = INT_MAX) -> Any:
    """A path id: a positive number in the range of its ``integer`` column (422 beyond it)."""
    return Path(ge=1, le=le, description=description)


def id_query(description: str | None = None, le: int = INT_MAX) -> Any:
    """An optional query id, bounded like :func:`id_path`."""
    return Query(None, ge=1, le=le, description=description)


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


def _scope(request: Request, method: str) -> dict:
    return {"type": "http", "path": request.url.path, "root_path": "", "method": method, "headers": []}


def _leaf_routes(routes):
    """The routes themselves, through included routers (FastAPI keeps those as one entry each)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _leaf_routes(inner.routes)
        elif not isinstance(route, Mount):
            yield route


def allowed_methods(request: Request) -> list[str]:
    """Every method an API route answers at this path (a 405's ``Allow``). The page's static files,
    mounted last at ``/``, would otherwise answer for the API's paths with their own GET, HEAD."""
    routes = list(_leaf_routes(request.app.router.routes))
    by_method: dict[str, list[bool]] = {}  # method → for each route that takes it: path parameters?
    for method in METHODS:
        scope = _scope(request, method)
        for route in routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                by_method.setdefault(method, []).append(bool(child.get("path_params")))
    # a resource named by a fixed path (``/api/import/kinds``) is its own: the methods of a route
    # that would only take that path's last segment as a parameter (``POST /api/import/{kind}``)
    # are not its methods
    fixed = any(not p for params in by_method.values() for p in params)
    return [m for m in METHODS if m in by_method and (not fixed or not all(by_method[m]))]


def is_page_file(request: Request) -> bool:
    """Whether the static page (mounted at ``/``) has a file or directory at this path."""
    scope = _scope(request, "GET")
    for route in request.app.router.routes:
        if isinstance(route, Mount) and isinstance(route.app, StaticFiles):
            match, child = route.matches(scope)
            if match is Match.FULL:
                return route.app.lookup_path(route.app.get_path({**scope, **child}))[1] is not None
    return False


def install_handlers(app: FastAPI) -> None:
    """Every error leaves the service as problem+json; nothing leaves as a traceback."""

    @app.exception_handler(RiskmapError)
    async def _domain(request: Request, exc: RiskmapError):
        response = problem(int(exc.status), exc.title, exc.detail, redact_path(request.url.path))
        if int(exc.status) == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        if getattr(exc, "retry_after_s", None):
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
        path = str(request.url.path)
        headers = dict(exc.headers or {})
        status = exc.status_code
        if status in (404, 405) and detail is None:
            # routing: the page's static files (mounted last at /) answer every path no route took,
            # so a path the API has, asked with another method, arrives here as their 404 or 405
            allowed = allowed_methods(request)
            if request.method not in allowed and (allowed or (status == 405 and is_page_file(request))):
                status, title = 405, HTTPStatus(405).phrase
                headers = {k: v for k, v in headers.items() if k.lower() != "allow"}
                headers["Allow"] = ", ".join(allowed or ("GET", "HEAD"))
                detail = f"{request.method} is not allowed on {path}; use {headers['Allow']}"
            else:
                status, title = 404, HTTPStatus(404).phrase
                detail = f"nothing at {path}; the API is described at /docs"
        elif exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "the request body could not be read: send UTF-8 JSON (or the form the operation takes)"
        response = problem(status, title, detail or title, path)
        response.headers.update(headers)  # e.g. Allow on a 405
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        parts = []
        for e in errors:
            if e.get("type") == "json_invalid":  # loc is ("body", character offset)
                at = e.get("loc", ("body", 0))[-1]
                parts.append(
                    f"the body is not valid JSON ({(e.get('ctx') or {}).get('error', '?')} at character {at})"
                )
                continue
            loc = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path"))
            parts.append(f"{loc}: {e.get('msg')}" if loc else str(e.get("msg")))
        return problem(
            422,
            "Invalid input",
            "; ".join(parts) or "invalid request",
            str(request.url.path),
            errors=[{"loc": e.get("loc"), "msg": e.get("msg")} for e in errors],
        )

    app.openapi = lambda: _openapi(app)

    async def _refused(request: Request, exc: Exception):
        """A value the database cannot hold (a NUL in a text, a number past a column's range): 422.
        Registered by class, so it is answered like any 4xx (not logged as a crash)."""
        refused = refused_value(exc)
        if refused is None:  # another data fault: not the input's
            log.error("database data error on %s: %s", request.url.path, exc)
            return problem(500, "Internal Server Error", "an unexpected error occurred; it has been logged")
        log.warning("the database refused a value on %s: %s", request.url.path, refused)
        return problem(422, "Invalid input", refused, str(request.url.path))

    import psycopg
    from sqlalchemy.exc import DataError

    app.add_exception_handler(DataError, _refused)
    app.add_exception_handler(psycopg.DataError, _refused)

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
        log.exception("unhandled error on %s", redact_path(request.url.path))
        return problem(
            500,
            "Internal Server Error",
            "an unexpected error occurred; it has been logged",
            str(request.url.path),
        )

    localise_problems(app)


def localise_problems(app: FastAPI) -> None:
    """Every handler's problem+json in the asker's language (``Accept-Language`` or the page's
    language cookie; translations in :mod:`backend.i18n`). Wraps the handlers installed so far."""
    import json

    def localised(handler):
        async def wrapper(request: Request, exc: Exception):
            response = await handler(request, exc)
            if response.media_type != PROBLEM_JSON:
                return response
            lang = pick_language(request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE))
            if lang == "en":
                return response
            body = translate_problem(json.loads(response.body), lang)
            out = JSONResponse(body, status_code=response.status_code, media_type=PROBLEM_JSON)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "content-type"):
                    out.headers[name] = value
            out.headers["Content-Language"] = "zh-CN"
            out.headers["Vary"] = "Accept-Language"
            return out

        return wrapper

    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = localised(handler)

def _openapi(app: FastAPI) -> dict:
    """The OpenAPI document, saying what the handlers above answer: every 422 is a :class:`Problem`
    (not FastAPI's default ``HTTPValidationError``), and the Problem schema is in the components."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = FastAPI.openapi(app)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem_schema.pop("$defs", {}))
    schemas["Problem"] = problem_schema
    invalid, unreadable = problems(422)[422], problems(400)[400]
    for operation in (op for item in doc.get("paths", {}).values() for op in item.values()):
        responses = operation.get("responses", {})
        if "422" in responses:
            responses["422"] = invalid
        if "requestBody" in operation:  # a body that is not even text (FastAPI answers 400)
            responses.setdefault("400", unreadable)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    app.openapi_schema = doc
    return doc


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
        log.warning("query cancelled on %s: %s", redact_path(request.url.path), orig)
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
        log.warning("database unavailable on %s: %s", redact_path(request.url.path), str(orig).strip())
        return problem(
            503,
            "Database unavailable",
            "the database is unreachable; try again shortly",
            str(request.url.path),
        )
    return None
