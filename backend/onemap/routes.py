"""The one-map over HTTP: vector tiles (GET /tiles/{layer}/{z}/{x}/{y}.pbf, TileJSON at
GET /tiles/{layer}.json) and the offline base map (GET /api/basemap/relief.json and .png)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from backend.errors import NotFound
from backend.http import id_query, problems
from backend.onemap.basemap import relief
from backend.onemap.tiles import LAYERS, MAX_ZOOM, TileService

router = APIRouter(tags=["onemap"])
MVT = "application/vnd.mapbox-vector-tile"


def _service(request: Request) -> TileService:
    return request.app.state.tiles


@router.get("/tiles/{layer}.json", summary="TileJSON 3.0.0 of a layer", responses=problems(404))
def tilejson(
    request: Request,
    layer: str,
    run: int | None = id_query("run id; default the latest published"),
    plan: int | None = id_query("evacuation plan id (routes layer)"),
) -> dict:
    spec = LAYERS.get(layer)
    if spec is None:
        raise NotFound(f"no layer {layer!r}; layers: {', '.join(LAYERS)}")
    params = "&".join(f"{k}={v}" for k, v in (("run", run), ("plan", plan)) if v is not None)
    base = str(request.base_url).rstrip("/")
    bounds = _service(request).bounds()
    return {
        "tilejson": "3.0.0",
        "name": layer,
        "description": spec.description,
        "scheme": "xyz",
        "tiles": [f"{base}/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf" + (f"?{params}" if params else "")],
        "minzoom": spec.minzoom,
        "maxzoom": spec.maxzoom,
        "bounds": bounds,
        "center": [round((bounds[0] + bounds[2]) / 2, 5), round((bounds[1] + bounds[3]) / 2, 5), 9],
        "vector_layers": [
            {
                "id": layer,
                "description": spec.description,
                "fields": spec.fields,
                "minzoom": spec.minzoom,
                "maxzoom": spec.maxzoom,
            }
        ],
    }


@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.pbf",
    summary="A Mapbox Vector Tile",
    responses={
        200: {"content": {MVT: {}}},
        204: {"description": "empty tile"},
        304: {"description": "not modified"},
        **problems(400, 404),
    },
)
async def tile(
    request: Request,
    layer: str,
    z: int,
    x: int,
    y: int,
    run: int | None = id_query("run id; default the latest published"),
    plan: int | None = id_query("evacuation plan id (routes layer)"),
):
    service = _service(request)
    # hot path: a cached tile is answered on the event loop without a database connection
    found = service.cached(layer, z, x, y, run, plan)
    if found is None:
        found = await run_in_threadpool(service.tile, layer, z, x, y, run, plan)
    t, cache_control = found
    headers = {"ETag": t.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") in (t.etag, f"W/{t.etag}"):
        return Response(status_code=304, headers=headers)
    if t.gz is None:
        return Response(status_code=204, headers=headers)
    gz = "gzip" in request.headers.get("accept-encoding", "")
    if gz:
        headers["Content-Encoding"] = "gzip"
    return Response(t.body(gz), media_type=MVT, headers=headers)


__all__ = ["router", "MAX_ZOOM"]


@router.get(
    "/api/basemap/relief.json",
    summary="Corner coordinates of the shaded-relief image",
    responses=problems(404),
)
def relief_meta(request: Request) -> dict:
    settings = request.app.state.settings
    _, meta = relief(settings.data_dir, settings.dem_path)
    return {**meta, "url": "/api/basemap/relief.png"}


@router.get(
    "/api/basemap/relief.png",
    summary="Shaded relief with an elevation tint (Web Mercator PNG)",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}}, **problems(404)},
)
def relief_png(request: Request):
    settings = request.app.state.settings
    png, _ = relief(settings.data_dir, settings.dem_path)
    return FileResponse(png, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})
