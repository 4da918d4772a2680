"""Places over HTTP: shelters (GeoJSON; operators update occupancy and status), roads (closed or
not), and responsible persons (operators read, admins change)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.auth.deps import admin, operator
from backend.auth.privacy import contacts_for
from backend.errors import NotFound
from backend.http import get_session, id_path, id_query, problems
from backend.models import AppUser
from backend.models.base import BIGINT_MAX, INT_MAX
from backend.models.runs import published_run
from backend.places import people
from backend.places import search as place_search
from backend.places import service as places
from backend.places.shelters import shelters_geojson

router = APIRouter(tags=["places"])


RecipientRole = Literal["county_duty", "township_leader", "village_head", "grid_worker", "monitor"]


class ShelterPatch(BaseModel):
    occupancy: int | None = Field(None, ge=0, le=INT_MAX, description="people sheltered now")
    status: Literal["open", "closed", "full"] | None = None


class RoadPatch(BaseModel):
    closed: bool


@router.patch(
    "/api/shelters/{shelter_id}",
    summary="Update a shelter's occupancy or status (operators)",
    responses=problems(401, 403, 404),
)
def patch_shelter(
    body: ShelterPatch,
    shelter_id: int = id_path("shelter id"),
    user: AppUser = Depends(operator),
    session: Session = Depends(get_session),
) -> dict:
    out = places.update_shelter(session, user.username, shelter_id, body.occupancy, body.status)
    session.commit()
    return out


@router.patch(
    "/api/roads/{road_id}",
    summary="Close or reopen a road segment (operators)",
    responses=problems(401, 403, 404),
)
def patch_road(
    body: RoadPatch,
    road_id: int = id_path("road segment id", le=BIGINT_MAX),
    user: AppUser = Depends(operator),
    session: Session = Depends(get_session),
) -> dict:
    out = places.update_road(session, user.username, road_id, body.closed)
    session.commit()
    return out


@router.get(
    "/api/shelters",
    summary="Shelters as GeoJSON, with capacity, occupancy and safety in a run",
    responses=problems(404),
)
def list_shelters(
    run: int | None = id_query("run for the safety flag; default latest"),
    township: str | None = Query(None, pattern=r"^\d{12}$", description="township code"),
    session: Session = Depends(get_session),
) -> dict:
    try:
        run_id = published_run(session, run).id
    except NotFound:
        if run is not None:
            raise
        run_id = None  # no run yet: shelters without a safety flag
    return shelters_geojson(session, run_id, township)


class RecipientFields(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    role: RecipientRole | None = None
    title: str | None = Field(None, max_length=100)
    township_code: str | None = Field(None, pattern=r"^\d{12}$")
    village_code: str | None = Field(None, pattern=r"^\d{12}$")
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=200)
    active: bool | None = None


class NewRecipient(RecipientFields):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    role: RecipientRole


@router.get(
    "/api/recipients",
    summary="Responsible persons (operators; e-mail addresses masked but for admins)",
    responses=problems(401, 403, 404),
)
def list_recipients(
    township: str | None = Query(None, pattern=r"^\d{12}$"),
    role: RecipientRole | None = None,
    user: AppUser = Depends(operator),
    session: Session = Depends(get_session),
) -> list[dict]:
    # phones for operators, e-mail addresses for admins (backend.auth.privacy)
    return [contacts_for(user, r) for r in people.list_recipients(session, township, role)]


@router.post(
    "/api/recipients",
    status_code=201,
    summary="Add a responsible person (admins)",
    responses=problems(401, 403, 409),
)
def create_recipient(
    body: NewRecipient, user: AppUser = Depends(admin), session: Session = Depends(get_session)
) -> dict:
    values = body.model_dump(exclude_none=True)
    view = people.add_recipient(session, values.pop("code"), values, user.username)
    session.commit()
    return view


@router.patch(
    "/api/recipients/{code}",
    summary="Change or retire (active=false) a responsible person (admins)",
    responses=problems(401, 403, 404),
)
def change_recipient(
    body: RecipientFields,
    code: str = Path(max_length=32),
    user: AppUser = Depends(admin),
    session: Session = Depends(get_session),
) -> dict:
    view = people.update_recipient(session, code, body.model_dump(exclude_unset=True), user.username)
    session.commit()
    return view


_index = place_search.PlaceIndex()
SearchKind = Literal["township", "village", "shelter", "hazard_site", "road"]


@router.get("/api/search", summary="Find townships, villages, shelters, hazard sites and roads")
def search_places(
    q: str = Query(min_length=1, max_length=64, description="name, code or pinyin initials (ylx)"),
    kind: list[SearchKind] | None = Query(None, description="only these kinds"),
    limit: int = Query(20, ge=1, le=100),
    session: Session = Depends(get_session),
) -> dict:
    hits = place_search.search(_index, session, q, limit, set(kind) if kind else None)
    return {"q": q, "results": hits}


@router.get(
    "/api/townships/{code}/villages",
    summary="A township's villages with their level in a run",
    responses=problems(404),
)
def township_villages(
    code: str = Path(pattern=r"^\d{12}$"),
    run: int | None = Query(None, ge=1, description="run id; default the latest published"),
    session: Session = Depends(get_session),
) -> dict:
    r = published_run(session, run)
    return places.township_villages(session, r.id, code)
