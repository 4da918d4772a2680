"""Risk runs: GET /api/runs, /api/runs/latest, /api/runs/{id}."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from backend.db import get_session
from backend.services import runs

router = APIRouter(prefix="/api/runs", tags=["runs"])


@router.get("", summary="Runs, newest first")
def list_runs(limit: int = Query(50, ge=1, le=500), session: Session = Depends(get_session)) -> list[dict]:
    return [runs.run_summary(r) for r in runs.list_runs(session, limit)]


@router.get("/latest", summary="The latest published run")
def latest(session: Session = Depends(get_session)) -> dict:
    return runs.run_summary(runs.latest_published(session))


@router.get("/{run_id}", summary="One run: status, validity window, counts by level")
def get_run(run_id: int = Path(ge=1), session: Session = Depends(get_session)) -> dict:
    return runs.run_summary(runs.get_run(session, run_id))
