"""Shelters: GET /api/shelters (GeoJSON with capacity, occupancy, free places and safety)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from backend.db import get_session
from backend.errors import NotFound
from backend.services import runs
from backend.services.shelters import shelters_geojson

router = APIRouter(prefix="/api/shelters", tags=["shelters"])


@router.get("", summary="Shelters as GeoJSON, with capacity, occupancy and safety in a run")
def list_shelters(
    run: int | None = Query(None, ge=1, description="run for the safety flag; default latest"),
    township: str | None = Query(None, pattern=r"^\d{12}$", description="township code"),
    session: Session = Depends(get_session),
) -> dict:
    try:
        run_id = runs.published_run(session, run).id
    except NotFound:
        if run is not None:
            raise
        run_id = None  # no run yet: shelters without a safety flag
    return shelters_geojson(session, run_id, township)
