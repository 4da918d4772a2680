"""Database engine, sessions and the set-up that makes a database usable.

One engine per process with a bounded pool; every connection carries a statement timeout
so a slow query is cancelled by PostgreSQL instead of piling up.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from backend.config import Settings, get_settings
from backend.errors import DatabaseUnavailable

REQUIRED_EXTENSIONS = ("postgis",)
OPTIONAL_EXTENSIONS = ("pgrouting",)


def parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(
            f"RISKMAP_DATABASE_URL={url!r} is not a database URL; expected e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/riskmap"
        ) from exc
    if not parsed.drivername.startswith("postgresql"):
        raise DatabaseUnavailable(
            f"RISKMAP_DATABASE_URL uses {parsed.drivername!r}; riskmap needs PostgreSQL with PostGIS "
            "(postgresql+psycopg://USER@HOST:PORT/DB)"
        )
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def connect_args(settings: Settings, **server: str) -> dict:
    """libpq connection arguments every riskmap connection carries: connect timeout, statement
    timeout, UTC session time zone, application name, and ``server`` settings (``-c name=value``)."""
    options = {"statement_timeout": settings.statement_timeout_ms, "TimeZone": "UTC", **server}
    return {
        "connect_timeout": settings.connect_timeout_s,
        "options": " ".join(f"-c {k}={v}" for k, v in options.items()),
        "application_name": "riskmap",
    }


def libpq_dsn(database_url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string (procrastinate's and the async pool's)."""
    return parse_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_async_pool(settings: Settings, max_size: int, name: str, **server: str):
    """An asyncio pool of autocommit psycopg connections for the hot endpoints that run on the
    event loop itself (叫应): no thread-pool hand-off, no GIL convoy under load. ``server`` are
    extra session settings. Its connections are opened at start and kept; open it inside the
    running loop (``await pool.open(wait=False)``: a database that is down does not stop the
    service from starting, requests then answer 503)."""
    from psycopg.rows import namedtuple_row
    from psycopg_pool import AsyncConnectionPool

    return AsyncConnectionPool(
        libpq_dsn(settings.database_url),
        min_size=max_size,  # all opened at start: a burst does not wait for connections
        max_size=max_size,
        timeout=settings.pool_timeout_s,
        name=name,
        open=False,
        kwargs={"autocommit": True, "row_factory": namedtuple_row, **connect_args(settings, **server)},
    )


def make_engine(settings: Settings | None = None, url: str | None = None, **kw) -> Engine:
    settings = settings or get_settings()
    parsed = parse_url(url or settings.database_url)
    if "poolclass" not in kw:
        kw.update(
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout=settings.pool_timeout_s,
            pool_pre_ping=True,
        )
    return sa.create_engine(
        parsed,
        connect_args=connect_args(settings),
        **kw,
    )


@lru_cache
def get_engine() -> Engine:
    return make_engine()


def explain_connection_error(url: URL, exc: Exception) -> str:
    """One line that tells a person what is wrong and what to do."""
    where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"
    reason = (
        str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    )
    if "does not exist" in reason:
        return f"PostgreSQL at {where}: {reason}; run `riskmap db upgrade` to create and migrate it"
    hint = (
        "start it (Debian: pg_ctlcluster --skip-systemctl-redirect 15 main start, or `make db`), "
        "or run `docker compose -f docker/compose.yaml up -d db`, or point RISKMAP_DATABASE_URL at a "
        "PostgreSQL with PostGIS"
    )
    return f"cannot connect to PostgreSQL at {where} ({reason}); {hint}"


@contextmanager
def connect_or_explain(engine: Engine):
    """Yield a connection, turning connection failures into :class:`DatabaseUnavailable`."""
    try:
        conn = engine.connect()
    except OperationalError as exc:
        raise DatabaseUnavailable(explain_connection_error(engine.url, exc)) from exc
    with conn:
        yield conn


def ensure_database(url: str | None = None) -> list[str]:
    """Create the database if missing and enable the extensions; return what was done."""
    settings = get_settings()
    target = parse_url(url or settings.database_url)
    done: list[str] = []
    admin = make_engine(
        settings,
        url=target.set(database="postgres").render_as_string(False),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )
    try:
        with connect_or_explain(admin) as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": target.database}
            ).scalar()
            if not exists:
                # identifiers cannot be bound parameters; quote through the dialect's preparer
                name = admin.dialect.identifier_preparer.quote(target.database)
                conn.execute(sa.text(f"CREATE DATABASE {name}"))
                done.append(f"created database {target.database}")
    finally:
        admin.dispose()
    eng = make_engine(
        settings,
        url=target.render_as_string(False),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )
    try:
        with connect_or_explain(eng) as conn:
            available = set(conn.execute(sa.text("SELECT name FROM pg_available_extensions")).scalars())
            for ext in REQUIRED_EXTENSIONS:
                if ext not in available:
                    raise DatabaseUnavailable(
                        f"PostgreSQL at {target.host}:{target.port or 5432} has no {ext} extension; "
                        "install it (Debian: apt-get install postgresql-15-postgis-3, or `make db`) "
                        "or use `docker compose -f docker/compose.yaml up -d db`"
                    )
            for ext in REQUIRED_EXTENSIONS + OPTIONAL_EXTENSIONS:
                if ext in available:
                    conn.execute(sa.text(f"CREATE EXTENSION IF NOT EXISTS {ext}"))
    finally:
        eng.dispose()
    return done


def refused_value(exc: Exception) -> str | None:
    """What was wrong when the database (or its driver) refused a value the input brought — a NUL
    character in a text, a number out of a column's range — as a sentence (HTTP answers it as 422,
    the CLI as one line); None for any other error. The edges validate what they can (ids are
    bounded to their column type); this is the backstop."""
    import psycopg
    from sqlalchemy.exc import DataError

    orig = exc.orig if isinstance(exc, DataError) else exc
    if not isinstance(orig, psycopg.DataError):
        return None
    message = (orig.diag.message_primary if orig.diag else None) or str(orig).split("\n")[0]
    if "NUL" in message:
        return "a text contains a NUL (0x00) character, which cannot be stored; remove it"
    return f"a value cannot be stored: {message}"
