"""Operators' updates to live places: PATCH /api/shelters/{id} and PATCH /api/roads/{id}."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.api.deps import operator
from backend.db import get_session
from backend.errors import InvalidInput, NotFound
from backend.models import AppUser, Road, Shelter
from backend.services.auth import audit

router = APIRouter(tags=["places"])


class ShelterPatch(BaseModel):
    occupancy: int | None = Field(None, ge=0, description="people sheltered now")
    status: Literal["open", "closed", "full"] | None = None


class RoadPatch(BaseModel):
    closed: bool


def _shelter_json(s: Shelter) -> dict:
    return {
        "id": s.id,
        "code": s.code,
        "name": s.name,
        "capacity": s.capacity,
        "occupancy": s.occupancy,
        "status": s.status,
        "free": max(s.capacity - s.occupancy, 0),
    }


@router.patch("/api/shelters/{shelter_id}", summary="Update a shelter's occupancy or status (operators)")
def patch_shelter(
    body: ShelterPatch,
    shelter_id: int = Path(ge=1),
    user: AppUser = Depends(operator),
    session: Session = Depends(get_session),
) -> dict:
    s = session.get(Shelter, shelter_id, with_for_update=True)
    if s is None:
        raise NotFound(f"shelter {shelter_id} does not exist")
    if body.occupancy is None and body.status is None:
        raise InvalidInput("give occupancy and/or status")
    before = _shelter_json(s)
    if body.occupancy is not None:
        s.occupancy = body.occupancy
    if body.status is not None:
        s.status = body.status
    s.updated_at = sa.func.now()
    session.flush()
    session.refresh(s)
    audit(session, user.username, "shelter.update", "shelter", s.id, before, _shelter_json(s))
    session.commit()
    return _shelter_json(s)


@router.patch("/api/roads/{road_id}", summary="Close or reopen a road segment (operators)")
def patch_road(
    body: RoadPatch,
    road_id: int = Path(ge=1),
    user: AppUser = Depends(operator),
    session: Session = Depends(get_session),
) -> dict:
    r = session.get(Road, road_id, with_for_update=True)
    if r is None:
        raise NotFound(f"road {road_id} does not exist")
    before = {"id": r.id, "name": r.name, "closed": r.closed}
    r.closed = body.closed
    r.updated_at = sa.func.now()
    session.flush()
    after = {"id": r.id, "name": r.name, "closed": r.closed}
    audit(session, user.username, "road.update", "road", r.id, before, after)
    session.commit()
    return after
