"""Web-Mercator copies of geometries for vector tiles, rivers, and the county outline

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


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_risk_zone_run_hazard_detail_level")
    op.execute("DROP MATERIALIZED VIEW IF EXISTS county_outline")
    op.drop_table("river")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN geom_3857")
