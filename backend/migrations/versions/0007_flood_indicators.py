"""Village flash-flood indicators (山洪灾害预警指标) and each run's results for them

``flood_indicator``: a village's critical rainfall over a window of hours for 准备转移 (prepare)
and 立即转移 (move now), imported by ``riskmap import flood-indicators``. ``village_flood_risk``:
per run, village and window, the worst rain and when each threshold is reached.

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flood_indicator",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "village_id",
            sa.Integer(),
            sa.ForeignKey("village.id", ondelete="CASCADE", name="fk_flood_indicator_village_id_village"),
            nullable=False,
        ),
        sa.Column("hours", sa.SmallInteger(), nullable=False),
        sa.Column("prepare_mm", sa.Float(), nullable=True),
        sa.Column("move_mm", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_flood_indicator"),
        sa.UniqueConstraint("village_id", "hours", name="uq_flood_indicator_village_id_hours"),
        sa.CheckConstraint("hours BETWEEN 1 AND 72", name="ck_flood_indicator_hours_range"),
        sa.CheckConstraint(
            "prepare_mm IS NULL OR prepare_mm > 0", name="ck_flood_indicator_prepare_positive"
        ),
        sa.CheckConstraint("move_mm IS NULL OR move_mm > 0", name="ck_flood_indicator_move_positive"),
        sa.CheckConstraint(
            "prepare_mm IS NOT NULL OR move_mm IS NOT NULL", name="ck_flood_indicator_one_threshold"
        ),
        sa.CheckConstraint(
            "prepare_mm IS NULL OR move_mm IS NULL OR prepare_mm <= move_mm",
            name="ck_flood_indicator_prepare_before_move",
        ),
    )
    op.create_index("ix_flood_indicator_village_id", "flood_indicator", ["village_id"])
    op.create_table(
        "village_flood_risk",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("risk_run.id", ondelete="CASCADE", name="fk_village_flood_risk_run_id_risk_run"),
            nullable=False,
        ),
        sa.Column(
            "village_id",
            sa.Integer(),
            sa.ForeignKey("village.id", ondelete="CASCADE", name="fk_village_flood_risk_village_id_village"),
            nullable=False,
        ),
        sa.Column("hours", sa.SmallInteger(), nullable=False),
        sa.Column("prepare_mm", sa.Float(), nullable=True),
        sa.Column("move_mm", sa.Float(), nullable=True),
        sa.Column("max_rain_mm", sa.Float(), nullable=False),
        sa.Column("prepare_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("move_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_village_flood_risk"),
        sa.UniqueConstraint(
            "run_id", "village_id", "hours", name="uq_village_flood_risk_run_id_village_id_hours"
        ),
        sa.CheckConstraint("level BETWEEN 0 AND 4", name="ck_village_flood_risk_level_range"),
    )
    op.create_index("ix_village_flood_risk_village_id", "village_flood_risk", ["village_id"])
    op.create_index("ix_village_flood_risk_run_level", "village_flood_risk", ["run_id", "level"])


def downgrade() -> None:
    op.drop_table("village_flood_risk")
    op.drop_table("flood_indicator")
