"""The offline base map: GET /api/basemap/relief.json (corners) and /api/basemap/relief.png."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from backend.services.basemap import relief

router = APIRouter(prefix="/api/basemap", tags=["basemap"])


@router.get("/relief.json", summary="Corner coordinates of the shaded-relief image")
def relief_meta(request: Request) -> dict:
    settings = request.app.state.settings
    _, meta = relief(settings.data_dir, settings.dem_path)
    return {**meta, "url": "/api/basemap/relief.png"}


@router.get(
    "/relief.png",
    summary="Shaded relief with an elevation tint (Web Mercator PNG)",
    response_class=FileResponse,
)
def relief_png(request: Request):
    settings = request.app.state.settings
    png, _ = relief(settings.data_dir, settings.dem_path)
    return FileResponse(png, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})
