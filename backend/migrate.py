"""Run Alembic migrations from code (used by the CLI and the tests)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from backend.db import connect_or_explain, ensure_database, make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Leave alone what PostGIS and pgRouting own (spatial_ref_sys, topology …)."""
    return not (type_ == "table" and reflected and compare_to is None)


def alembic_config() -> Config:
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current_revision(url: str | None = None) -> str | None:
    engine = make_engine(url=url)
    try:
        with connect_or_explain(engine) as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(url: str | None = None) -> tuple[list[str], str | None, str]:
    """Create the database if needed, enable extensions and migrate to head.

    Returns (actions, revision before, revision after). A migrated database is left alone.
    """
    actions = ensure_database(url)
    before = current_revision(url)
    head = head_revision()
    if before != head:
        engine = make_engine(url=url)
        try:
            with connect_or_explain(engine) as conn:
                # migrations may rewrite large tables: no statement timeout for them
                conn.execute(sa.text("SET statement_timeout = 0"))
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
        finally:
            engine.dispose()
        actions.append(f"migrated {before or 'empty database'} → {head}")
    return actions, before, head
