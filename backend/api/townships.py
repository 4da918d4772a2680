"""Townships: GET /api/townships/risk?run=ID."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from backend.db import get_session
from backend.services import runs

router = APIRouter(prefix="/api/townships", tags=["townships"])


@router.get("/risk", summary="Per township: level, colour, dominant hazard, exposed people")
def township_risk(
    run: int | None = Query(None, ge=1, description="run id; default the latest published"),
    session: Session = Depends(get_session),
) -> dict:
    r = runs.published_run(session, run)
    return {
        "run_id": r.id,
        "valid_from": r.valid_from,
        "valid_to": r.valid_to,
        "townships": runs.township_risk(session, r.id),
    }
