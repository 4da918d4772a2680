"""The schema: migrations, spatial indexes and the constraints that keep data sane."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend.migrate import current_revision, head_revision, upgrade

GEOM_TABLES = (
    "township",
    "village",
    "shelter",
    "road",
    "hazard_site",
    "risk_zone",
    "evacuation_assignment",
)
ALL_TABLES = {
    "township",
    "village",
    "shelter",
    "road",
    "hazard_site",
    "recipient",
    "app_user",
    "risk_run",
    "risk_zone",
    "township_risk",
    "warning",
    "warning_township",
    "delivery",
    "outbox",
    "evacuation_plan",
    "evacuation_assignment",
    "audit_log",
}


def test_upgrade_migrates_to_head_and_is_a_no_op_when_migrated(database_url):
    assert current_revision() == head_revision()
    actions, before, after = upgrade()
    assert actions == [] and before == after == head_revision()


def test_every_table_of_the_data_model_exists(conn):
    names = set(sa.inspect(conn).get_table_names())
    assert names >= ALL_TABLES


@pytest.mark.parametrize("table", GEOM_TABLES)
def test_geometry_columns_have_gist_indexes_and_srid_4326(conn, table):
    idx = (
        conn.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE tablename = :t"), {"t": table})
        .scalars()
        .all()
    )
    assert any("USING gist (geom)" in d for d in idx)
    srid = conn.execute(sa.text("SELECT Find_SRID('public', :t, 'geom')"), {"t": table}).scalar()
    assert srid == 4326


def _fails(conn, sql: str, **params) -> bool:
    nested = conn.begin_nested()
    try:
        conn.execute(sa.text(sql), params)
    except IntegrityError:
        nested.rollback()
        return True
    nested.rollback()
    return False


SQUARE = "ST_GeomFromText('MULTIPOLYGON(((115 25,115.1 25,115.1 25.1,115 25.1,115 25)))', 4326)"
BOWTIE = "ST_GeomFromText('MULTIPOLYGON(((115 25,115.1 25.1,115.1 25,115 25.1,115 25)))', 4326)"


def test_constraints_reject_insane_rows(conn):
    conn.execute(
        sa.text(
            f"INSERT INTO township (id, code, name, population, geom) VALUES "
            f"(9001, '360799900000', '测试镇', 10, {SQUARE})"
        )
    )
    assert _fails(
        conn,
        f"INSERT INTO township (code, name, population, geom) VALUES ('360799900000', '重复', 1, {SQUARE})",
    ), "duplicate code"
    assert _fails(
        conn,
        f"INSERT INTO township (code, name, population, geom) VALUES ('3607', '短码', 1, {SQUARE})",
    ), "code not 12 digits"
    assert _fails(
        conn,
        f"INSERT INTO township (code, name, population, geom) VALUES ('360799901000', '蝴蝶', 1, {BOWTIE})",
    ), "invalid geometry"
    pt = "ST_SetSRID(ST_MakePoint(115.05, 25.05), 4326)"
    assert _fails(
        conn,
        f"INSERT INTO shelter (code, name, class, area_m2, capacity, occupancy, "
        f"status, geom) VALUES ('X1', 'x', 'emergency', 100, -1, 0, 'open', {pt})",
    )
    assert _fails(
        conn,
        f"INSERT INTO shelter (code, name, class, area_m2, capacity, occupancy, "
        f"status, geom) VALUES ('X2', 'x', 'emergency', 100, 10, -3, 'open', {pt})",
    )
    assert _fails(
        conn,
        f"INSERT INTO shelter (code, name, class, area_m2, capacity, occupancy, "
        f"status, geom) VALUES ('X3', 'x', 'hotel', 100, 10, 0, 'open', {pt})",
    )
    assert _fails(
        conn,
        f"INSERT INTO village (code, township_id, name, population, elderly, "
        f"households, geom) VALUES ('360799900201', 9001, 'v', 10, 11, 3, {pt})",
    )
    run = conn.execute(
        sa.text(
            "INSERT INTO risk_run (status, inputs_checksum, params) VALUES "
            "('running', 'x', '{}') RETURNING id"
        )
    ).scalar()
    for level in (-1, 5):
        assert _fails(
            conn,
            "INSERT INTO township_risk (run_id, township_id, hazard, level, "
            "area_share_1, area_share_2, area_share_3, area_share_4, exposed_1, "
            "exposed_2, exposed_3, exposed_4) VALUES (:r, 9001, 'rain', :l, "
            "0, 0, 0, 0, 0, 0, 0, 0)",
            r=run,
            l=level,
        ), f"level {level}"
    assert not _fails(
        conn,
        "INSERT INTO township_risk (run_id, township_id, hazard, level, "
        "area_share_1, area_share_2, area_share_3, area_share_4, exposed_1, "
        "exposed_2, exposed_3, exposed_4) VALUES (:r, 9001, 'rain', 4, "
        "0, 0, 0, 1, 0, 0, 0, 10)",
        r=run,
    )
    assert _fails(
        conn,
        f"INSERT INTO risk_zone (run_id, hazard, level, detail, geom) VALUES (:r, 'rain', 0, 2, {SQUARE})",
        r=run,
    ), "zones have levels 1..4"
    assert _fails(
        conn,
        "INSERT INTO warning (identifier, hazard, level, status, msg_type, headline, "
        "onset, expires) VALUES ('w1', 'rain', 2, 'draft', 'Alert', 'h', "
        "'2026-10-26T00:00+08', '2026-10-25T00:00+08')",
    ), "expires before onset"


def test_models_and_migrations_agree(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from backend.migrate import include_object
    from backend.models import Base

    with engine.connect() as c:
        ctx = MigrationContext.configure(c, opts={"include_object": include_object, "compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []
