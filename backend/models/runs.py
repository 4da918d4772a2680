"""Risk runs: one immutable, published result of the pipelines, with zones and statistics."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.errors import NotFound
from backend.models.base import HAZARDS, Base, geometry, gist, in_list, level_check, mercator, valid_geom

RUN_STATUSES = ("running", "published", "failed")
SOURCE_HAZARDS = tuple(h for h in HAZARDS if h != "onemap")


class RiskRun(Base):
    __tablename__ = "risk_run"
    __table_args__ = (
        in_list("status", RUN_STATUSES),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
            name="validity_ordered",
        ),
        sa.Index("ix_risk_run_checksum", "inputs_checksum"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="running")
    inputs_checksum: Mapped[str] = mapped_column(sa.String(64))
    valid_from = mapped_column(sa.DateTime(timezone=True))
    valid_to = mapped_column(sa.DateTime(timezone=True))
    created_at = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    published_at = mapped_column(sa.DateTime(timezone=True))
    params = mapped_column(JSONB, default=dict)
    #: cells per level per hazard, written at publication
    summary = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(sa.Text)


class RiskZone(Base):
    """Dissolved polygons of one level of one hazard of a run (for tiles)."""

    __tablename__ = "risk_zone"
    __table_args__ = (
        in_list("hazard", HAZARDS),
        level_check(low=1),
        valid_geom(),
        gist("risk_zone"),
        gist("risk_zone", "geom_3857"),
        sa.Index("ix_risk_zone_run_hazard", "run_id", "hazard", "detail"),
        sa.Index("ix_risk_zone_run_hazard_detail_level", "run_id", "hazard", "detail", "level"),
    )
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_run.id", ondelete="CASCADE"))
    hazard: Mapped[str] = mapped_column(sa.String(16))
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    dominant_hazard: Mapped[str | None] = mapped_column(sa.String(16))
    #: generalisation: 0 coarse (low zooms) .. 2 full detail
    detail: Mapped[int] = mapped_column(sa.SmallInteger, default=2)
    geom = mapped_column(geometry("MULTIPOLYGON"), nullable=False)
    geom_3857 = mapped_column(
        mercator("MULTIPOLYGON"), sa.Computed("ST_Transform(geom, 3857)", persisted=True)
    )


class TownshipRisk(Base):
    """Per-township statistics of one hazard (or the one-map) of a run."""

    __tablename__ = "township_risk"
    __table_args__ = (
        in_list("hazard", HAZARDS),
        level_check(),
        sa.UniqueConstraint("run_id", "township_id", "hazard"),
        *[
            sa.CheckConstraint(f"area_share_{i} BETWEEN 0 AND 1", name=f"share_{i}_range")
            for i in range(1, 5)
        ],
        *[sa.CheckConstraint(f"exposed_{i} >= 0", name=f"exposed_{i}_nonneg") for i in range(1, 5)],
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_run.id", ondelete="CASCADE"), index=True)
    township_id: Mapped[int] = mapped_column(sa.ForeignKey("township.id"), index=True)
    hazard: Mapped[str] = mapped_column(sa.String(16))
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    dominant_hazard: Mapped[str | None] = mapped_column(sa.String(16))
    area_share_1: Mapped[float] = mapped_column(sa.Float, default=0)
    area_share_2: Mapped[float] = mapped_column(sa.Float, default=0)
    area_share_3: Mapped[float] = mapped_column(sa.Float, default=0)
    area_share_4: Mapped[float] = mapped_column(sa.Float, default=0)
    exposed_1: Mapped[int] = mapped_column(sa.Integer, default=0)
    exposed_2: Mapped[int] = mapped_column(sa.Integer, default=0)
    exposed_3: Mapped[int] = mapped_column(sa.Integer, default=0)
    exposed_4: Mapped[int] = mapped_column(sa.Integer, default=0)


class RiskZonePart(Base):
    """Full-detail zones cut into small polygons (ST_Subdivide) for fast point/line lookups."""

    __tablename__ = "risk_zone_part"
    __table_args__ = (
        level_check(low=1),
        gist("risk_zone_part"),
        sa.Index("ix_risk_zone_part_run_hazard", "run_id", "hazard"),
    )
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_run.id", ondelete="CASCADE"))
    hazard: Mapped[str] = mapped_column(sa.String(16))
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    geom = mapped_column(geometry("POLYGON"), nullable=False)


def latest_published(session: Session) -> RiskRun:
    run = session.scalars(
        sa.select(RiskRun)
        .where(RiskRun.status == "published")
        .order_by(RiskRun.published_at.desc(), RiskRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        raise NotFound("no published run yet; run `riskmap pipeline run --sample`")
    return run


def get_run(session: Session, run_id: int) -> RiskRun:
    run = session.get(RiskRun, run_id)
    if run is None:
        raise NotFound(f"run {run_id} does not exist")
    return run


def published_run(session: Session, run_id: int | None) -> RiskRun:
    """The given run if published, or the latest published run when ``run_id`` is None."""
    if run_id is None:
        return latest_published(session)
    run = get_run(session, run_id)
    if run.status != "published":
        raise NotFound(f"run {run_id} is not published (status {run.status})")
    return run
