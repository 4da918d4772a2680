"""Operators' updates to live places (shelter occupancy and status, road closures), audited."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.errors import InvalidInput, NotFound
from backend.models import Road, Shelter
from backend.models.audit import audit
from backend.sql import query


def shelter_json(s: Shelter) -> dict:
    return {
        "id": s.id,
        "code": s.code,
        "name": s.name,
        "capacity": s.capacity,
        "occupancy": s.occupancy,
        "status": s.status,
        "free": max(s.capacity - s.occupancy, 0),
    }


def update_shelter(
    session: Session, actor: str, shelter_id: int, occupancy: int | None, status: str | None
) -> dict:
    s = session.get(Shelter, shelter_id, with_for_update=True)
    if s is None:
        raise NotFound(f"shelter {shelter_id} does not exist")
    if occupancy is None and status is None:
        raise InvalidInput("give occupancy and/or status")
    before = shelter_json(s)
    if occupancy is not None:
        s.occupancy = occupancy
    if status is not None:
        s.status = status
    s.updated_at = sa.func.now()
    session.flush()
    session.refresh(s)
    after = shelter_json(s)
    audit(session, actor, "shelter.update", "shelter", s.id, before, after)
    return after


def update_road(session: Session, actor: str, road_id: int, closed: bool) -> dict:
    r = session.get(Road, road_id, with_for_update=True)
    if r is None:
        raise NotFound(f"road {road_id} does not exist")
    before = {"id": r.id, "name": r.name, "closed": r.closed}
    r.closed = closed
    r.updated_at = sa.func.now()
    session.flush()
    after = {"id": r.id, "name": r.name, "closed": r.closed}
    audit(session, actor, "road.update", "road", r.id, before, after)
    return after


def township_villages(session: Session, run_id: int, code: str) -> dict:
    """A township's villages, worst level first, and how many people live at each level."""
    from backend.models import Township

    name = session.scalar(sa.select(Township.name).where(Township.code == code))
    if name is None:
        raise NotFound(f"no township {code}")
    rows = [
        dict(r)
        for r in session.execute(query("township_villages"), {"run": run_id, "township": code}).mappings()
    ]
    by_level = {str(lv): {"villages": 0, "population": 0, "elderly": 0} for lv in range(5)}
    for r in rows:
        b = by_level[str(r["level"])]
        b["villages"] += 1
        b["population"] += r["population"]
        b["elderly"] += r["elderly"]
    return {"run_id": run_id, "code": code, "name": name, "by_level": by_level, "villages": rows}
