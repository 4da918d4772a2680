"""Evacuation transfer plans and their village → shelter assignments."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, geometry, gist, mercator


class EvacuationPlan(Base):
    __tablename__ = "evacuation_plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_run.id"), index=True)
    params = mapped_column(JSONB, default=dict)
    totals = mapped_column(JSONB, default=dict)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class EvacuationAssignment(Base):
    """People of one village sent to one shelter; ``shelter_id`` NULL means unserved."""

    __tablename__ = "evacuation_assignment"
    __table_args__ = (
        sa.CheckConstraint("persons >= 0", name="persons_nonneg"),
        sa.CheckConstraint("elderly >= 0 AND elderly <= persons", name="elderly_within_persons"),
        sa.CheckConstraint("trips >= 0", name="trips_nonneg"),
        gist("evacuation_assignment"),
        gist("evacuation_assignment", "geom_3857"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("evacuation_plan.id", ondelete="CASCADE"), index=True)
    village_id: Mapped[int] = mapped_column(sa.ForeignKey("village.id"))
    shelter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shelter.id"))
    persons: Mapped[int] = mapped_column(sa.Integer)
    elderly: Mapped[int] = mapped_column(sa.Integer, default=0)
    trips: Mapped[int] = mapped_column(sa.Integer, default=0)
    minutes: Mapped[float | None] = mapped_column(sa.Float)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    geom = mapped_column(geometry("MULTILINESTRING"))
    geom_3857 = mapped_column(
        mercator("MULTILINESTRING"), sa.Computed("ST_Transform(geom, 3857)", persisted=True)
    )
