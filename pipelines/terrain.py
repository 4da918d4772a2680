"""Terrain on the county grid: the analysis grid itself, the county mask, slope and land cover.

The analysis grid is a projected (metric) grid of ``cell_m`` cells covering the townships: in
``--grid-crs`` if given, else the DEM's CRS when it is projected in metres, else the WGS 84 / UTM
zone of the county's centre (a DEM in degrees, or no DEM at all).

DEM (any CRS and resolution, GeoTIFF): only the window around the county is read. In a metric CRS
slope is computed on the DEM's own cells (Horn 1981) and averaged onto the grid; a DEM in degrees
(e.g. a 1″ ≈ 30 m global DEM in EPSG:4326) is first resampled (bilinear) to a metric grid of about
its own resolution in the grid's CRS, then treated the same. The DEM must cover ≥ 95 % of the county.

Land cover (GeoTIFF, any CRS): codes are mapped to riskmap's classes (:mod:`pipelines.landcover`)
and resampled by majority (mode) onto the grid; a raster much finer than the grid (10 m WorldCover
for a 100 m grid) is read at about a quarter of the grid's cell by majority. If more than half of the
county's land-cover cells carry codes the mapping does not name, the mapping is wrong: an error says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from pyproj import CRS
from rasterio import features
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds

from backend.errors import InvalidInput
from pipelines import geohazard, landcover
from pipelines.grid import Grid, regrid

MIN_COVER = 0.95
MAX_UNMAPPED = 0.5


@dataclass
class Terrain:
    grid: Grid
    county: np.ndarray  # bool (y, x): cells touching a township
    county_bounds: tuple[float, float, float, float]  # in the grid's CRS
    slope: np.ndarray | None = None  # degrees
    landcover: np.ndarray | None = None  # riskmap classes (uint8)
    notes: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


def _is_metric(crs: CRS) -> bool:
    return crs.is_projected and all(a.unit_name in ("metre", "meter") for a in crs.axis_info[:2])


def grid_crs(dem: Path | None, townships: gpd.GeoDataFrame, override: str | None = None) -> str:
    """The analysis grid's CRS (see the module docstring)."""
    if override:
        try:
            crs = CRS.from_user_input(override)
        except Exception as exc:  # noqa: BLE001 - pyproj raises CRSError and others
            raise InvalidInput(f"--grid-crs {override!r}: unknown CRS") from exc
        if not _is_metric(crs):
            raise InvalidInput(f"--grid-crs {override!r}: the analysis grid needs a projected CRS in metres")
        return crs.to_string()
    if dem is not None:
        with _open(dem) as src:
            if src.crs is None:
                raise InvalidInput(f"{dem}: raster has no CRS")
            crs = CRS.from_user_input(src.crs.to_wkt())
            if _is_metric(crs):
                return src.crs.to_string()
            if crs.is_projected:
                raise InvalidInput(f"{dem}: the DEM's CRS is projected but not in metres; reproject it")
    centre = townships.to_crs("EPSG:4326").geometry.union_all().centroid
    zone = int((centre.x + 180) // 6) % 60 + 1
    return f"EPSG:{(32600 if centre.y >= 0 else 32700) + zone}"


def _open(path: Path):
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: file not found")
    try:
        return rasterio.open(path)
    except RasterioIOError as exc:
        raise InvalidInput(f"{path}: unreadable raster ({str(exc).splitlines()[0]})") from exc


def county_terrain(townships: gpd.GeoDataFrame, crs: str, cell_m: float) -> Terrain:
    """The grid covering the townships (two cells of margin) and the county mask on it."""
    towns = townships.to_crs(crs)
    left, bottom, right, top = towns.total_bounds
    pad = 2 * cell_m
    grid = Grid.covering((left - pad, bottom - pad, right + pad, top + pad), crs, cell_m)
    county = features.rasterize(
        ((g, 1) for g in towns.geometry),
        out_shape=grid.shape,
        transform=grid.transform,
        all_touched=True,
        dtype=np.uint8,
    ).astype(bool)
    return Terrain(grid, county, tuple(towns.total_bounds))


def _window(src, grid: Grid, bounds, path: Path, what: str, margin: int = 3):
    """The window of ``src`` around ``grid`` and a check that the raster covers the county."""
    try:
        left, bottom, right, top = transform_bounds(grid.crs, src.crs, *grid.bounds, densify_pts=21)
        cl, cb, cr, ct = transform_bounds(grid.crs, src.crs, *bounds, densify_pts=21)
    except Exception as exc:  # noqa: BLE001 - any projection failure means the CRS is unusable
        raise InvalidInput(f"{path}: its CRS {src.crs} cannot be related to the county") from exc
    sl, sb, sr, st = src.bounds
    ix = max(0.0, min(cr, sr) - max(cl, sl))
    iy = max(0.0, min(ct, st) - max(cb, sb))
    share = ix * iy / max((cr - cl) * (ct - cb), 1e-12)
    if share < MIN_COVER:
        raise InvalidInput(
            f"{path}: the {what} covers only {share:.0%} of the county (its CRS is {src.crs}; "
            "is the CRS wrong or the file for another region?)"
        )
    w = from_bounds(left, bottom, right, top, src.transform)
    w = Window(
        int(np.floor(w.col_off)) - margin,
        int(np.floor(w.row_off)) - margin,
        int(np.ceil(w.width)) + 2 * margin + 1,
        int(np.ceil(w.height)) + 2 * margin + 1,
    )
    return w.intersection(Window(0, 0, src.width, src.height))


def slope_on_grid(dem_path: Path, t: Terrain) -> tuple[np.ndarray, dict]:
    """Slope (degrees) averaged onto the grid, from a DEM in any CRS (see the module docstring)."""
    with _open(dem_path) as src:
        if src.crs is None:
            raise InvalidInput(f"{dem_path}: raster has no CRS")
        win = _window(src, t.grid, t.county_bounds, dem_path, "DEM")
        dem = src.read(1, window=win).astype(np.float32)
        tr = src.window_transform(win)
        crs = src.crs.to_string()
        nodata = src.nodata
        res = src.res
        metric = _is_metric(CRS.from_user_input(src.crs.to_wkt()))
    if nodata is not None:
        dem[dem == np.float32(nodata)] = np.nan
    if not np.isfinite(dem).any():
        raise InvalidInput(f"{dem_path}: the DEM has no elevation values over the county")
    meta = {"file": str(dem_path), "crs": crs, "resolution": [abs(res[0]), abs(res[1])]}
    if metric:
        cell = abs(tr.a)
    else:
        lat = np.radians(np.mean(transform_bounds(t.grid.crs, crs, *t.county_bounds)[1::2]))
        cell = float(min(abs(res[0]) * 111_320 * np.cos(lat), abs(res[1]) * 110_574))
        cell = max(min(cell, t.grid.cell_m), 1.0)
        fine = Grid.covering(
            (t.grid.bounds[0] - 3 * cell, t.grid.bounds[1] - 3 * cell, t.grid.bounds[2] + 3 * cell,
             t.grid.bounds[3] + 3 * cell),
            t.grid.crs,
            cell,
        )  # fmt: skip
        dem = regrid(dem, tr, crs, fine, Resampling.bilinear).compute()[0]
        tr, crs = fine.transform, fine.crs
        meta["resampled_to_m"] = round(cell, 2)
    fill = float(np.nanmin(dem))
    slope = geohazard.slope_deg(np.nan_to_num(dem, nan=fill), cell)
    return regrid(slope, tr, crs, t.grid, Resampling.average).compute()[0], meta


def landcover_on_grid(
    path: Path, mapping: dict[int, int], t: Terrain, mapping_name: str
) -> tuple[np.ndarray, dict]:
    """riskmap land-cover classes on the grid (majority), from a raster in any CRS and code list."""
    with _open(path) as src:
        if src.crs is None:
            raise InvalidInput(f"{path}: raster has no CRS")
        win = _window(src, t.grid, t.county_bounds, path, "land cover")
        native = abs(src.res[0])
        metric = _is_metric(CRS.from_user_input(src.crs.to_wkt()))
        native_m = native if metric else native * 111_320
        factor = max(1, int(t.grid.cell_m / 4 // native_m))
        out_shape = (max(1, int(win.height) // factor), max(1, int(win.width) // factor))
        codes = src.read(1, window=win, out_shape=out_shape, resampling=Resampling.mode)
        tr = src.window_transform(win) * rasterio.Affine.scale(
            win.width / out_shape[1], win.height / out_shape[0]
        )
        crs = src.crs.to_string()
        nodata = src.nodata
    classes, unmapped = landcover.apply_mapping(codes, mapping, nodata)
    if unmapped > MAX_UNMAPPED:
        found = ", ".join(str(v) for v in np.unique(codes)[:12])
        raise InvalidInput(
            f"{path}: {unmapped:.0%} of the land-cover cells have codes the {mapping_name} class mapping "
            f"does not name (codes found: {found}); give --landcover-classes FILE"
        )
    on_grid = regrid(classes, tr, crs, t.grid, Resampling.mode, nodata=0).compute()[0]
    meta = {
        "file": str(path),
        "crs": crs,
        "classes": mapping_name,
        "unmapped_share": round(unmapped, 4),
        "read_every": factor,
    }
    return on_grid.astype(np.uint8), meta
