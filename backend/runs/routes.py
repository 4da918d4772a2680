"""Risk runs: GET /api/runs, /api/runs/latest, /api/runs/{id}; per township: GET /api/townships/risk."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from backend.http import get_session, id_path, id_query, problems
from backend.models.runs import get_run as find_run
from backend.models.runs import latest_published, published_run
from backend.runs import service as runs
from backend.runs.point import explain_point

router = APIRouter(tags=["runs"])

Colour = Literal["blue", "yellow", "orange", "red"]


class Documented(BaseModel):
    """A response whose known fields are typed in the OpenAPI document; others pass through."""

    model_config = ConfigDict(extra="allow")


class RunSummary(Documented):
    id: int
    status: Literal["running", "published", "failed"]
    valid_from: datetime | None
    valid_to: datetime | None
    created_at: datetime
    published_at: datetime | None
    inputs_checksum: str | None
    error: str | None = None
    #: hazard → colour → cells and km²
    counts_by_level: dict[str, dict[Colour, dict[str, float]]] | None = None
    dominant_area_km2: dict[str, float] | None = None


class TownshipRisk(Documented):
    code: str
    name: str
    population: int | None
    label: list[float]
    level: int
    colour: str
    hex: str
    roman: str
    zh: str
    dominant_hazard: str | None
    exposed: dict[Colour, int | None]
    area_share: dict[Colour, float]
    hazards: dict[Literal["rain", "fire", "geohazard"], int | None]


class RiskByTownship(Documented):
    run_id: int
    valid_from: datetime | None
    valid_to: datetime | None
    townships: list[TownshipRisk]


@router.get("/api/runs", summary="Runs, newest first")
def list_runs(
    limit: int = Query(50, ge=1, le=500), session: Session = Depends(get_session)
) -> list[RunSummary]:
    return [runs.run_summary(r) for r in runs.list_runs(session, limit)]


@router.get("/api/runs/latest", summary="The latest published run", responses=problems(404))
def latest(session: Session = Depends(get_session)) -> RunSummary:
    return runs.run_summary(latest_published(session))


@router.get(
    "/api/runs/{run_id}",
    summary="One run: status, validity window, counts by level",
    responses=problems(404),
)
def get_run(run_id: int = id_path("run id"), session: Session = Depends(get_session)) -> RunSummary:
    return runs.run_summary(find_run(session, run_id))


@router.get(
    "/api/townships/risk",
    summary="Per township: level, colour, dominant hazard, exposed people",
    responses=problems(404),
)
def township_risk(
    run: int | None = id_query("run id; default the latest published"),
    session: Session = Depends(get_session),
) -> RiskByTownship:
    r = published_run(session, run)
    return {
        "run_id": r.id,
        "valid_from": r.valid_from,
        "valid_to": r.valid_to,
        "townships": runs.township_risk(session, r.id),
    }


@router.get(
    "/api/point",
    summary="Why a place has its level: each hazard's level and inputs at a point",
    responses=problems(404),
)
def point(
    request: Request,
    lon: float = Query(ge=-180, le=180),
    lat: float = Query(ge=-90, le=90),
    run: int | None = Query(None, ge=1, description="run id; default the latest published"),
    session: Session = Depends(get_session),
) -> dict:
    r = published_run(session, run)
    return explain_point(session, r, request.app.state.settings.data_dir, lon, lat)
