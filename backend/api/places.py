"""Operators' updates to live places: PATCH /api/shelters/{id} and PATCH /api/roads/{id}."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.api.deps import operator
from backend.db import get_session
from backend.models import AppUser
from backend.services import places

router = APIRouter(tags=["places"])


class ShelterPatch(BaseModel):
    occupancy: int | None = Field(None, ge=0, description="people sheltered now")
    status: Literal["open", "closed", "full"] | None = None


class RoadPatch(BaseModel):
    closed: bool


@router.patch("/api/shelters/{shelter_id}", summary="Update a shelter's occupancy or status (operators)")
def patch_shelter(
    body: ShelterPatch,
    shelter_id: int = Path(ge=1),
    user: AppUser = Depends(operator),
    session: Session = Depends(get_session),
) -> dict:
    out = places.update_shelter(session, user.username, shelter_id, body.occupancy, body.status)
    session.commit()
    return out


@router.patch("/api/roads/{road_id}", summary="Close or reopen a road segment (operators)")
def patch_road(
    body: RoadPatch,
    road_id: int = Path(ge=1),
    user: AppUser = Depends(operator),
    session: Session = Depends(get_session),
) -> dict:
    out = places.update_road(session, user.username, road_id, body.closed)
    session.commit()
    return out
