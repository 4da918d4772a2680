"""Zone parts: each full-detail zone of a run cut into small pieces for fast point/line tests

Evacuation demand, shelter safety and road flooding ask "which level is here?" thousands of times;
ST_Intersects against a few small pieces (ST_Subdivide) is far cheaper than against one large
multipolygon.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import geoalchemy2  # noqa: F401
import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_zone_part",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("risk_run.id", ondelete="CASCADE", name="fk_risk_zone_part_run_id_risk_run"),
            nullable=False,
        ),
        sa.Column("hazard", sa.String(16), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column(
            "geom", geoalchemy2.types.Geometry("POLYGON", srid=4326, spatial_index=False), nullable=False
        ),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name="ck_risk_zone_part_level_range"),
    )
    op.create_index("ix_risk_zone_part_geom_gist", "risk_zone_part", ["geom"], postgresql_using="gist")
    op.create_index("ix_risk_zone_part_run_hazard", "risk_zone_part", ["run_id", "hazard"])
    op.execute(
        "INSERT INTO risk_zone_part (run_id, hazard, level, geom) "
        "SELECT run_id, hazard, level, ST_Subdivide(geom, 64) FROM risk_zone WHERE detail = 2"
    )


def downgrade() -> None:
    op.drop_table("risk_zone_part")
