"""Loading the sample county into PostGIS: counts, idempotence, atomicity, clear errors."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pytest
import sqlalchemy as sa

from backend.errors import InvalidInput
from sample_data.load import load


def _counts(engine):
    with engine.connect() as c:
        return {
            t: c.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("township", "village", "shelter", "road", "hazard_site", "recipient")
        }


def _versions(engine):
    """xmin of every row: it changes whenever a row is rewritten."""
    with engine.connect() as c:
        return {
            t: c.execute(sa.text(f"SELECT md5(string_agg(xmin::text, ',' ORDER BY id)) FROM {t}")).scalar()
            for t in ("township", "village", "shelter", "road", "recipient")
        }


def test_load_brings_every_record(loaded, engine):
    m = json.loads((loaded / "manifest.json").read_text())["counts"]
    assert _counts(engine) == {
        "township": m["townships"],
        "village": m["villages"],
        "shelter": m["shelters"],
        "road": m["roads"],
        "hazard_site": m["hazard_sites"],
        "recipient": m["recipients"],
    }
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT sum(population) FROM village")).scalar() == 600_000
        # every village lies in the township it names
        misplaced = c.execute(
            sa.text(
                "SELECT count(*) FROM village v JOIN township t ON t.id = v.township_id "
                "WHERE NOT ST_Covers(t.geom, v.geom)"
            )
        ).scalar()
        assert misplaced == 0
        area = c.execute(sa.text("SELECT sum(ST_Area(geom::geography)) / 1e6 FROM township")).scalar()
        assert 2900 < area < 3100


def test_loading_twice_changes_nothing(loaded, engine):
    counts, versions = _counts(engine), _versions(engine)
    result = load(loaded)
    assert all(before == after for before, after in result.values())
    assert _counts(engine) == counts
    assert _versions(engine) == versions  # not a single row rewritten


def test_spatial_index_is_used_for_a_bbox_query(loaded, engine):
    with engine.connect() as c:
        c.execute(sa.text("SET enable_seqscan = off"))
        plan = "\n".join(
            c.execute(
                sa.text(
                    "EXPLAIN SELECT id FROM road "
                    "WHERE geom && ST_MakeEnvelope(115, 25.8, 115.05, 25.85, 4326)"
                )
            ).scalars()
        )
        assert "ix_road_geom_gist" in plan


def test_missing_file_is_named_and_nothing_loads(loaded, engine, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(loaded, bad)
    (bad / "shelters.gpkg").unlink()
    before = _versions(engine)
    with pytest.raises(InvalidInput, match=r"shelters\.gpkg: file is missing"):
        load(bad)
    assert _versions(engine) == before


def test_corrupt_file_is_named_and_nothing_loads(loaded, engine, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(loaded, bad)
    (bad / "roads.gpkg").write_bytes(b"this is not a geopackage" * 100)
    before = _versions(engine)
    with pytest.raises(InvalidInput, match=r"roads\.gpkg: not a readable GeoPackage"):
        load(bad)
    assert _versions(engine) == before


def test_a_fault_midway_rolls_everything_back(loaded, engine, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(loaded, bad)
    towns = gpd.read_file(bad / "townships.gpkg")
    towns.loc[0, "name"] = "改名镇"
    towns.to_file(bad / "townships.gpkg", driver="GPKG")
    villages = gpd.read_file(bad / "villages.gpkg")
    villages.loc[5, "township_code"] = "999999999999"
    villages.to_file(bad / "villages.gpkg", driver="GPKG")
    with pytest.raises(InvalidInput, match="unknown township code"):
        load(bad)
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM township WHERE name = '改名镇'")).scalar() == 0
