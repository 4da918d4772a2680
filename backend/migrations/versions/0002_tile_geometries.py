"""Web-Mercator copies of geometries for vector tiles, rivers, the county outline, data versions

Tiles are cut in EPSG:3857; storing a generated, indexed 3857 copy spares every tile query a
transformation of every candidate row.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import geoalchemy2  # noqa: F401
import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {
    "township": "MULTIPOLYGON",
    "village": "POINT",
    "shelter": "POINT",
    "road": "LINESTRING",
    "hazard_site": "POINT",
    "risk_zone": "MULTIPOLYGON",
    "evacuation_assignment": "MULTILINESTRING",
}


VERSIONED = ("township", "village", "shelter", "road", "hazard_site", "river", "warning", "warning_township")


def upgrade() -> None:
    for table, kind in TABLES.items():
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN geom_3857 geometry({kind}, 3857) "
            "GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED"
        )
        op.execute(f"CREATE INDEX ix_{table}_geom_3857_gist ON {table} USING gist (geom_3857)")
    op.create_table(
        "river",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry("MULTILINESTRING", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('main', 'tributary')", name="ck_river_kind_known"),
    )
    op.execute(
        "ALTER TABLE river ADD COLUMN geom_3857 geometry(MULTILINESTRING, 3857) "
        "GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED"
    )
    op.execute("CREATE INDEX ix_river_geom_3857_gist ON river USING gist (geom_3857)")
    op.execute(
        "CREATE MATERIALIZED VIEW county_outline AS "
        "SELECT 1 AS id, ST_Multi(ST_Union(geom))::geometry(MultiPolygon, 4326) AS geom, "
        "ST_Multi(ST_Transform(ST_Union(geom), 3857))::geometry(MultiPolygon, 3857) AS geom_3857 "
        "FROM township"
    )
    op.execute("CREATE UNIQUE INDEX ix_county_outline_id ON county_outline (id)")
    op.execute(
        "CREATE INDEX ix_risk_zone_run_hazard_detail_level ON risk_zone (run_id, hazard, detail, level)"
    )
    # a change counter per table, bumped by every writing statement: tile caches key on it
    op.create_table(
        "data_version",
        sa.Column("table_name", sa.Text(), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.execute("""
        CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO data_version (table_name, version, changed_at) VALUES (TG_TABLE_NAME, 1, now())
          ON CONFLICT (table_name) DO UPDATE
            SET version = data_version.version + 1, changed_at = now();
          RETURN NULL;
        END $$""")
    for table in VERSIONED:
        op.execute(
            f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
        )


def downgrade() -> None:
    for table in VERSIONED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_data_version()")
    op.drop_table("data_version")
    op.execute("DROP INDEX IF EXISTS ix_risk_zone_run_hazard_detail_level")
    op.execute("DROP MATERIALIZED VIEW IF EXISTS county_outline")
    op.drop_table("river")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN geom_3857")
