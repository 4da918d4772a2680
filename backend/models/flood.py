"""Village flash-flood indicators (山洪灾害预警指标) and what each run found for them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, level_check


class FloodIndicator(Base):
    """A village's critical rainfall (临界雨量) over ``hours`` for 准备转移 (prepare) and 立即转移 (move)."""

    __tablename__ = "flood_indicator"
    __table_args__ = (
        sa.UniqueConstraint("village_id", "hours"),
        sa.CheckConstraint("hours BETWEEN 1 AND 72", name="hours_range"),
        sa.CheckConstraint("prepare_mm IS NULL OR prepare_mm > 0", name="prepare_positive"),
        sa.CheckConstraint("move_mm IS NULL OR move_mm > 0", name="move_positive"),
        sa.CheckConstraint("prepare_mm IS NOT NULL OR move_mm IS NOT NULL", name="one_threshold"),
        sa.CheckConstraint(
            "prepare_mm IS NULL OR move_mm IS NULL OR prepare_mm <= move_mm", name="prepare_before_move"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id", ondelete="CASCADE"), index=True)
    hours: Mapped[int] = mapped_column(sa.SmallInteger)
    prepare_mm: Mapped[float | None] = mapped_column(sa.Float)
    move_mm: Mapped[float | None] = mapped_column(sa.Float)
    source: Mapped[str | None] = mapped_column(sa.Text)
    updated_at = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class VillageFloodRisk(Base):
    """One indicator of one village in one run: the worst rain over its window and when (end of the
    hour) the rain reaches 准备转移 and 立即转移, observed or forecast; ``level`` is the one it gives."""

    __tablename__ = "village_flood_risk"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "village_id", "hours"),
        level_check(),
        sa.Index("ix_village_flood_risk_run_level", "run_id", "level"),
    )
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_run.id", ondelete="CASCADE"))
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id", ondelete="CASCADE"), index=True)
    hours: Mapped[int] = mapped_column(sa.SmallInteger)
    prepare_mm: Mapped[float | None] = mapped_column(sa.Float)
    move_mm: Mapped[float | None] = mapped_column(sa.Float)
    max_rain_mm: Mapped[float] = mapped_column(sa.Float)
    prepare_at = mapped_column(sa.DateTime(timezone=True))
    move_at = mapped_column(sa.DateTime(timezone=True))
    level: Mapped[int] = mapped_column(sa.SmallInteger)
