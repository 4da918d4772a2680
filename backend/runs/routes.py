"""Risk runs: GET /api/runs, /api/runs/latest, /api/runs/{id}; per township: GET /api/townships/risk."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from backend.http import get_session, id_path, id_query, problems
from backend.models.runs import get_run as find_run
from backend.models.runs import latest_published, published_run
from backend.runs import service as runs

router = APIRouter(tags=["runs"])


@router.get("/api/runs", summary="Runs, newest first")
def list_runs(limit: int = Query(50, ge=1, le=500), session: Session = Depends(get_session)) -> list[dict]:
    return [runs.run_summary(r) for r in runs.list_runs(session, limit)]


@router.get("/api/runs/latest", summary="The latest published run", responses=problems(404))
def latest(session: Session = Depends(get_session)) -> dict:
    return runs.run_summary(latest_published(session))


@router.get(
    "/api/runs/{run_id}",
    summary="One run: status, validity window, counts by level",
    responses=problems(404),
)
def get_run(run_id: int = id_path("run id"), session: Session = Depends(get_session)) -> dict:
    return runs.run_summary(find_run(session, run_id))


@router.get(
    "/api/townships/risk",
    summary="Per township: level, colour, dominant hazard, exposed people",
    responses=problems(404),
)
def township_risk(
    run: int | None = id_query("run id; default the latest published"),
    session: Session = Depends(get_session),
) -> dict:
    r = published_run(session, run)
    return {
        "run_id": r.id,
        "valid_from": r.valid_from,
        "valid_to": r.valid_to,
        "townships": runs.township_risk(session, r.id),
    }
