"""The county boundary (县界): one row per county, imported or loaded with the sample

Revision ID: 0006
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import geoalchemy2  # noqa: F401
import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "county",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry("MULTIPOLYGON", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.CheckConstraint("code ~ '^[0-9]{12}$'", name="ck_county_code_12_digits"),
        sa.CheckConstraint("population IS NULL OR population >= 0", name="ck_county_population_nonneg"),
        sa.CheckConstraint("ST_IsValid(geom)", name="ck_county_geom_valid"),
        sa.UniqueConstraint("code", name="uq_county_code"),
    )
    op.create_index("ix_county_geom_gist", "county", ["geom"], postgresql_using="gist")
    # the same change counter as every other place table (migration 0002)
    op.execute(
        "CREATE TRIGGER county_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON county FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
    )


def downgrade() -> None:
    op.drop_table("county")
