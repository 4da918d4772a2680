"""Fixtures of the import tests: two more throw-away databases — one loaded by the sample loader
(the reference), one filled only by `riskmap import` from the sample rewritten in real formats."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.imports import formats


def _database(database_url: str, suffix: str):
    from backend.db import make_engine
    from backend.migrate import upgrade

    url = make_url(database_url)
    own = url.set(database=f"{url.database}_{suffix}").render_as_string(False)
    upgrade(own)
    engine = make_engine(url=own)
    return own, engine


def _drop(database_url: str, url: str, engine) -> None:
    engine.dispose()
    admin = sa.create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def reference_db(database_url, sample_dir):
    """The sample county loaded by `riskmap sample load` into a database of its own."""
    from sample_data.load import load

    url, engine = _database(database_url, "ref")
    load(sample_dir, engine=engine)
    yield engine
    _drop(database_url, url, engine)


@pytest.fixture(scope="session")
def own_db(database_url):
    url, engine = _database(database_url, "own")
    yield engine
    _drop(database_url, url, engine)


@pytest.fixture(scope="session")
def county_files(sample_dir, tmp_path_factory) -> SimpleNamespace:
    out = tmp_path_factory.mktemp("own-county")
    s = formats.sample(sample_dir)
    return SimpleNamespace(
        dir=out,
        sample=s,
        county=formats.county_geojson(s, out),
        townships=formats.townships_zip(s, out),
        villages=formats.villages_xlsx(s, out),
        shelters=formats.shelters_csv(s, out),
        hazard_sites=formats.hazard_sites_gpkg(s, out),
        recipients=formats.recipients_xlsx(s, out),
        roads=formats.roads_pbf(s, out),
    )


#: (kind, attribute of county_files, options) in the order a county is built
STEPS = (
    ("county", "county", {}),
    ("townships", "townships", {}),
    ("villages", "villages", {}),
    ("shelters", "shelters", {"coords": "gcj02"}),
    ("hazard-sites", "hazard_sites", {"mapping": formats.HAZARD_MAP}),
    ("recipients", "recipients", {}),
    ("roads", "roads", {}),
)


def import_all(engine, files, **extra) -> dict:
    from backend.imports.service import run_import
    from backend.imports.spec import Options, parse_mapping

    reports = {}
    for kind, attr, opts in STEPS:
        options = Options(**{**opts, "mapping": parse_mapping(opts.get("mapping"))}, **extra)
        reports[kind] = run_import(engine, kind, getattr(files, attr), options, "test:own-county")
    return reports


@pytest.fixture(scope="session")
def own_county(own_db, county_files):
    """The sample county imported from the real-format files into the empty own database."""
    reports = import_all(own_db, county_files)
    return SimpleNamespace(engine=own_db, files=county_files, reports=reports)


@pytest.fixture(scope="session")
def own_data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("own-data")
