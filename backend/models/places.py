"""Places: townships, villages, shelters, the road graph and hazard sites."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, geometry, gist, in_list, mercator, valid_geom

SHELTER_CLASSES = ("emergency", "short", "medium", "long", "central")
SHELTER_STATUSES = ("open", "closed", "full")
ROAD_CLASSES = ("county", "township", "village")
HAZARD_SITE_KINDS = ("landslide", "collapse", "debris_flow", "flood_point")
CODE12 = "^[0-9]{12}$"


class Township(Base):
    __tablename__ = "township"
    __table_args__ = (
        sa.CheckConstraint(f"code ~ '{CODE12}'", name="code_12_digits"),
        sa.CheckConstraint("population >= 0", name="population_nonneg"),
        valid_geom(),
        gist("township"),
        gist("township", "geom_3857"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.Text)
    population: Mapped[int] = mapped_column(sa.Integer, default=0)
    geom = mapped_column(geometry("MULTIPOLYGON"), nullable=False)
    geom_3857 = mapped_column(
        mercator("MULTIPOLYGON"), sa.Computed("ST_Transform(geom, 3857)", persisted=True)
    )


class Village(Base):
    __tablename__ = "village"
    __table_args__ = (
        sa.CheckConstraint(f"code ~ '{CODE12}'", name="code_12_digits"),
        sa.CheckConstraint("population >= 0", name="population_nonneg"),
        sa.CheckConstraint("elderly >= 0 AND elderly <= population", name="elderly_within_population"),
        sa.CheckConstraint("households >= 0", name="households_nonneg"),
        gist("village"),
        gist("village", "geom_3857"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    township_id: Mapped[int] = mapped_column(sa.ForeignKey("township.id"), index=True)
    name: Mapped[str] = mapped_column(sa.Text)
    population: Mapped[int] = mapped_column(sa.Integer)
    elderly: Mapped[int] = mapped_column(sa.Integer)
    households: Mapped[int] = mapped_column(sa.Integer)
    geom = mapped_column(geometry("POINT"), nullable=False)
    geom_3857 = mapped_column(mercator("POINT"), sa.Computed("ST_Transform(geom, 3857)", persisted=True))


class Shelter(Base):
    """避灾安置场所 (GB 51143-2015 classes); capacity in persons, area in m²."""

    __tablename__ = "shelter"
    __table_args__ = (
        in_list("class", SHELTER_CLASSES),
        in_list("status", SHELTER_STATUSES),
        sa.CheckConstraint("area_m2 >= 0", name="area_nonneg"),
        sa.CheckConstraint("capacity >= 0", name="capacity_nonneg"),
        sa.CheckConstraint("occupancy >= 0", name="occupancy_nonneg"),
        gist("shelter"),
        gist("shelter", "geom_3857"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    township_id: Mapped[int | None] = mapped_column(sa.ForeignKey("township.id"), index=True)
    name: Mapped[str] = mapped_column(sa.Text)
    shelter_class: Mapped[str] = mapped_column("class", sa.String(16))
    area_m2: Mapped[float] = mapped_column(sa.Float)
    capacity: Mapped[int] = mapped_column(sa.Integer)
    occupancy: Mapped[int] = mapped_column(sa.Integer, default=0)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    updated_at = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    geom = mapped_column(geometry("POINT"), nullable=False)
    geom_3857 = mapped_column(mercator("POINT"), sa.Computed("ST_Transform(geom, 3857)", persisted=True))


class Road(Base):
    """One edge of the routing graph (pgRouting-compatible: id, source, target)."""

    __tablename__ = "road"
    __table_args__ = (
        in_list("class", ROAD_CLASSES),
        sa.CheckConstraint("length_m > 0", name="length_positive"),
        sa.CheckConstraint("speed_kmh > 0", name="speed_positive"),
        sa.CheckConstraint("source <> target", name="no_self_loop"),
        sa.UniqueConstraint(
            "source", "target", name="uq_road_source_target", deferrable=True, initially="DEFERRED"
        ),
        gist("road"),
        gist("road", "geom_3857"),
    )
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    source: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    target: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    name: Mapped[str | None] = mapped_column(sa.Text)
    length_m: Mapped[float] = mapped_column(sa.Float)
    speed_kmh: Mapped[float] = mapped_column(sa.Float)
    road_class: Mapped[str] = mapped_column("class", sa.String(16))
    closed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    updated_at = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    geom = mapped_column(geometry("LINESTRING"), nullable=False)
    geom_3857 = mapped_column(mercator("LINESTRING"), sa.Computed("ST_Transform(geom, 3857)", persisted=True))


class HazardSite(Base):
    """地质灾害隐患点: a known hazard site and the people it threatens."""

    __tablename__ = "hazard_site"
    __table_args__ = (
        in_list("kind", HAZARD_SITE_KINDS),
        sa.CheckConstraint("threatened_people >= 0", name="threatened_nonneg"),
        sa.CheckConstraint("threat_radius_m > 0", name="radius_positive"),
        gist("hazard_site"),
        gist("hazard_site", "geom_3857"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.Text)
    township_id: Mapped[int | None] = mapped_column(sa.ForeignKey("township.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(sa.ForeignKey("village.id"), index=True)
    threatened_people: Mapped[int] = mapped_column(sa.Integer)
    threat_radius_m: Mapped[float] = mapped_column(sa.Float, default=300.0)
    geom = mapped_column(geometry("POINT"), nullable=False)
    geom_3857 = mapped_column(mercator("POINT"), sa.Computed("ST_Transform(geom, 3857)", persisted=True))
