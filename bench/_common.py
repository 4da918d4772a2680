"""Shared helpers for benchmarks: a throw-away database per benchmark, never the user's."""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

from backend.config import DEFAULT_DATABASE_URL


def use_bench_database(name: str) -> str:
    """Point RISKMAP_DATABASE_URL at database ``name`` on the configured server; migrate it."""
    base = make_url(os.environ.get("RISKMAP_DATABASE_URL", DEFAULT_DATABASE_URL))
    url = base.set(database=name).render_as_string(False)
    os.environ["RISKMAP_DATABASE_URL"] = url
    from backend import db
    from backend.config import get_settings
    from backend.migrate import upgrade

    get_settings.cache_clear()
    db.get_engine.cache_clear()
    upgrade()
    return url


def sample_run(sample) -> int:
    """Load a sample directory into the bench database and return its latest published run,
    computing one if there is none."""
    import tempfile
    from pathlib import Path

    import sqlalchemy as sa

    from backend.db import get_engine
    from pipelines.run import RunInputs, run_pipeline
    from sample_data.load import load

    engine = get_engine()
    load(Path(sample))
    with engine.connect() as c:
        run = c.execute(
            sa.text("SELECT id FROM risk_run WHERE status = 'published' ORDER BY id DESC LIMIT 1")
        ).scalar()
    if run is None:
        with tempfile.TemporaryDirectory() as d:
            run = run_pipeline(engine, RunInputs.sample(Path(sample)), Path(d)).run_id
    return run
