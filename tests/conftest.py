"""Shared fixtures: a fresh PostGIS database per test session, and one generated sample county.

The database named by RISKMAP_DATABASE_URL (default: local PostgreSQL) is not touched; tests run in
``riskmap_test_<pid>``, created and migrated here and dropped at the end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from backend.config import DEFAULT_DATABASE_URL

_base = make_url(os.environ.get("RISKMAP_DATABASE_URL", DEFAULT_DATABASE_URL))
TEST_DB = f"riskmap_test_{os.getpid()}"
os.environ["RISKMAP_DATABASE_URL"] = _base.set(database=TEST_DB).render_as_string(False)
SEED = 20260701


@pytest.fixture(scope="session")
def database_url() -> str:
    """A migrated, empty test database; dropped after the session."""
    from backend import db
    from backend.config import get_settings
    from backend.migrate import upgrade

    get_settings.cache_clear()
    db.get_engine.cache_clear()
    upgrade()
    yield os.environ["RISKMAP_DATABASE_URL"]
    db.get_engine().dispose()
    import sqlalchemy as sa

    admin = sa.create_engine(
        _base.set(database="postgres", drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url):
    from backend.db import get_engine

    return get_engine()


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    from sample_data.generate import generate

    out = tmp_path_factory.mktemp("sample")
    generate(out, seed=SEED)
    return out


@pytest.fixture(scope="session")
def loaded(database_url, sample_dir) -> Path:
    """The sample county loaded into the test database."""
    from sample_data.load import load

    load(sample_dir)
    return sample_dir


@pytest.fixture()
def conn(engine):
    """A connection whose work is rolled back after the test."""
    with engine.connect() as c:
        trans = c.begin()
        yield c
        trans.rollback()


@pytest.fixture()
def client(database_url):
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.config import get_settings

    with TestClient(create_app(get_settings())) as c:
        yield c


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def published(loaded, engine, data_dir):
    """The sample scenario computed and published once for the session."""
    from pipelines.run import RunInputs, run_pipeline

    return run_pipeline(engine, RunInputs.sample(loaded), data_dir, force=True)


@pytest.fixture(scope="session")
def users(database_url):
    """A viewer, an operator and an admin (password 'correct horse')."""
    from sqlalchemy.orm import Session

    from backend.db import get_engine
    from backend.services.auth import add_user

    with Session(get_engine()) as s, s.begin():
        for name in ("viewer", "operator", "admin"):
            add_user(s, f"t-{name}", "correct horse", name)
    return {name: f"t-{name}" for name in ("viewer", "operator", "admin")}


@pytest.fixture()
def auth(client, users):
    """Authorization headers for a role."""

    def headers(role: str) -> dict:
        r = client.post("/api/auth/token", data={"username": users[role], "password": "correct horse"})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return headers
