"""Compute a run with no database: read the inputs, put every layer on one analysis grid, apply
the rain, fire and geohazard rules, overlay them into the one-map, and derive its zones and
township statistics.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr
from pyproj import CRS, Transformer
from rasterio import features
from rasterio.warp import Resampling, transform_bounds

from backend.errors import InvalidInput
from backend.progress import NULL, Stages
from pipelines import fire, geohazard, io, rainfall, zonal
from pipelines.grid import Grid, regrid
from pipelines.inputs import Places, RunInputs, RunParams
from pipelines.levels import HAZARD_CODES, HAZARDS
from pipelines.overlay import overlay
from pipelines.vectorize import polygons_by_value

CODE_HAZARD = {v: k for k, v in HAZARD_CODES.items()}
LAYERS = ("onemap", *HAZARDS)


@dataclass
class RunResult:
    grid: Grid
    layers: xr.Dataset  # onemap, dominant, rain, fire, geohazard (uint8 levels)
    extras: dict[str, np.ndarray]  # rain_total, fwi, r_eff, susceptibility, first_* …
    valid_from: datetime
    valid_to: datetime
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    stats: pd.DataFrame | None = None
    zones: list[tuple[str, int, int, int, shapely.Geometry]] | None = None  # hazard, lvl, dom, detail


def _analysis_grid(dem_crs: str, townships: gpd.GeoDataFrame, cell_m: float, dem_path: Path) -> Grid:
    crs = CRS.from_user_input(dem_crs)
    if not crs.is_projected:
        raise InvalidInput(f"{dem_path}: the DEM must be in a projected (metric) CRS, not {dem_crs}")
    left, bottom, right, top = townships.to_crs(dem_crs).total_bounds
    pad = 2 * cell_m
    return Grid.covering((left - pad, bottom - pad, right + pad, top + pad), dem_crs, cell_m)


def _check_coverage(g: io.Gridded, grid: Grid, county_bounds) -> None:
    """Reject inputs that miss the county (a wrong or missing CRS usually shows up here)."""
    src_left = g.transform.c
    src_top = g.transform.f
    h, w = next(iter(g.values.values())).shape[1:]
    src_right, src_bottom = src_left + w * g.transform.a, src_top + h * g.transform.e
    try:
        left, bottom, right, top = transform_bounds(grid.crs, g.crs, *county_bounds)
    except Exception as exc:  # noqa: BLE001 - any projection failure means the CRS is unusable
        raise InvalidInput(f"{g.path}: its CRS {g.crs} cannot be related to the county") from exc
    ix = max(0.0, min(right, src_right) - max(left, src_left))
    iy = max(0.0, min(top, src_top) - max(bottom, src_bottom))
    share = ix * iy / ((right - left) * (top - bottom))
    if share < 0.95:
        raise InvalidInput(
            f"{g.path}: the grid covers only {share:.0%} of the county (its CRS is "
            f"{g.crs}; is the CRS wrong or the file for another region?)"
        )


def compute(
    inputs: RunInputs, places: Places, params: RunParams = RunParams(), progress: Stages = NULL
) -> RunResult:
    timings: dict[str, float] = {}
    notes: list[str] = []
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    progress.stage("terrain", 4)
    dem, dem_tr, dem_crs, dem_nodata = io.read_raster(inputs.dem)
    grid = _analysis_grid(dem_crs, places.townships, params.cell_m, inputs.dem)
    dem = dem.astype(np.float32)
    if dem_nodata is not None:
        dem[dem == dem_nodata] = np.nan
    native_cell = abs(dem_tr.a)
    slope_native = geohazard.slope_deg(np.nan_to_num(dem, nan=float(np.nanmin(dem))), native_cell)
    progress.advance()
    slope = regrid(slope_native, dem_tr, dem_crs, grid, Resampling.average).compute()[0]
    progress.advance()
    lc, lc_tr, lc_crs, _ = io.read_raster(inputs.landcover)
    landcover = regrid(lc.astype(np.uint8), lc_tr, lc_crs, grid, Resampling.mode, nodata=0).compute()[0]
    burnable = np.isin(landcover, fire.BURNABLE_CLASSES)
    county = features.rasterize(
        ((g, 1) for g in places.townships.to_crs(grid.crs).geometry),
        out_shape=grid.shape,
        transform=grid.transform,
        all_touched=True,
        dtype=np.uint8,
    ).astype(bool)
    county_bounds = tuple(places.townships.to_crs(grid.crs).total_bounds)
    progress.advance(2)
    lap("terrain")

    # ---- rain -------------------------------------------------------------------------------
    progress.stage("rainfall", 3)
    if Path(inputs.rain).is_dir():
        rain_in = io.read_geotiff_stack(inputs.rain)
    else:
        rain_in = io.read_grid_stack(
            inputs.rain, {"rain": params.rain_var}, np.timedelta64(1, "h"), rain_vars=("rain",)
        )
    _check_coverage(rain_in, grid, county_bounds)
    notes += rain_in.notes
    progress.advance()
    rain_grid = regrid(
        rain_in.values["rain"], rain_in.transform, rain_in.crs, grid, Resampling.bilinear, block=params.chunk
    )
    n_hours = len(rain_in.times)
    n_days = int(np.ceil(n_hours / 24))
    products = rainfall.lazy_products(rain_grid, n_days)
    progress.advance()
    products = products.compute()
    rain_level = products[0].astype(np.uint8)
    first = {
        f"first_{lv}": np.where(
            products[lv] >= 0, rain_in.times[np.maximum(products[lv], 0).astype(int)], np.datetime64("NaT")
        )
        for lv in range(1, 5)
    }
    total, max3 = products[5], products[6]
    daily_event = products[7 : 7 + n_days]
    worst = {3: max3} | {h: products[7 + n_days + i] for i, h in enumerate(rainfall.EXTRA_MAX_H)}
    missing = int(products[-1][county].sum())
    county_cells = int(county.sum()) * n_hours
    missing_share = float(missing) / county_cells
    if missing_share > io.MAX_MISSING_SHARE:
        raise InvalidInput(
            f"{inputs.rain}: {missing_share:.1%} of the county's cell-hours are missing "
            f"(NaN); at most {io.MAX_MISSING_SHARE:.0%} is accepted"
        )
    if missing:
        notes.append(f"rain: {int(missing)} missing cell-hours counted as 0 mm")
    progress.advance()
    lap("rainfall")

    # ---- fire -------------------------------------------------------------------------------
    progress.stage("fire danger (FWI)", 3)
    weather = io.read_grid_stack(
        inputs.weather,
        {"tas": "tas", "hurs": "hurs", "wind": "sfcWind", "pr": "pr"},
        np.timedelta64(1, "D"),
        rain_vars=("pr",),
    )
    _check_coverage(weather, grid, county_bounds)
    progress.advance()
    h, w = weather.values["tas"].shape[1:]
    cols, rows = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    xs, ys = weather.transform * (cols, rows)
    _, lat = Transformer.from_crs(weather.crs, "EPSG:4326", always_xy=True).transform(xs, ys)

    def wx(name):
        return xr.DataArray(weather.values[name], dims=("time", "row", "col"), coords={"time": weather.times})

    codes = fire.fwi_codes(
        wx("tas"),
        wx("hurs"),
        wx("wind"),
        wx("pr"),
        xr.DataArray(lat, dims=("row", "col")),
        params.ffmc0,
        params.dmc0,
        params.dc0,
    )
    progress.advance()
    fwi_last = codes["fwi"].isel(time=-1).values.astype(np.float32)
    fwi = regrid(fwi_last, weather.transform, weather.crs, grid, Resampling.bilinear).compute()[0]
    # the other codes of the last day, on the analysis grid: why a place has its fire level
    last_codes = np.stack(
        [codes[c].isel(time=-1).values.astype(np.float32) for c in fire.CODES if c != "fwi"]
    )
    other_codes = regrid(last_codes, weather.transform, weather.crs, grid, Resampling.bilinear).compute()
    fire_lv = fire.fire_level(fwi, burnable)
    progress.advance()
    lap("fire")

    # ---- geohazard --------------------------------------------------------------------------
    progress.stage("geohazard", 3)
    trigger = geohazard.TriggerThresholds()
    antecedent_days = trigger.days - 1
    pr_grid = regrid(
        weather.values["pr"][-antecedent_days:], weather.transform, weather.crs, grid, Resampling.bilinear
    ).compute()
    daily = np.concatenate([np.nan_to_num(pr_grid), daily_event])
    r_eff_days = geohazard.effective_rainfall(xr.DataArray(daily, dims=("time", "y", "x")), trigger)
    r_eff = r_eff_days.isel(time=slice(antecedent_days, None)).max("time").values
    progress.advance()
    site_pts = places.sites.to_crs(grid.crs)
    sc, sr = ~grid.transform * (site_pts.geometry.x.values, site_pts.geometry.y.values)
    dist = geohazard.distance_to_points(
        grid.shape, (np.floor(sr).astype(int), np.floor(sc).astype(int)), grid.cell_m
    )
    classes = geohazard.susceptibility(slope, landcover, dist)
    geo_lv = geohazard.geohazard_level(r_eff, classes, trigger)
    progress.advance(2)
    lap("geohazard")

    # ---- overlay ----------------------------------------------------------------------------
    progress.stage("overlay", 1)
    template = grid.empty("level")
    layers = overlay(
        {
            "rain": template.copy(data=np.where(county, rain_level, 0).astype(np.uint8)),
            "fire": template.copy(data=np.where(county, fire_lv, 0).astype(np.uint8)),
            "geohazard": template.copy(data=np.where(county, geo_lv, 0).astype(np.uint8)),
        }
    )
    progress.advance()
    lap("overlay")
    extras = {
        "rain_total": np.where(county, total, np.nan).astype(np.float32),
        "rain_max_3h": np.where(county, max3, np.nan).astype(np.float32),
        "fwi": np.where(county, fwi, np.nan).astype(np.float32),
        "r_eff": np.where(county, r_eff, np.nan).astype(np.float32),
        "susceptibility": np.where(county, classes, 0).astype(np.uint8),
    }
    for h in (1, 6, 12, 24):
        extras[f"rain_max_{h}h"] = np.where(county, worst[h], np.nan).astype(np.float32)
    for i, c in enumerate(c for c in fire.CODES if c != "fwi"):
        extras[c] = np.where(county, other_codes[i], np.nan).astype(np.float32)
    for i in range(1, 5):
        extras[f"first_{i}"] = first[f"first_{i}"]
    t0 = pd.Timestamp(rain_in.times[0]).tz_localize("UTC").to_pydatetime()
    t1 = (pd.Timestamp(rain_in.times[-1]) + pd.Timedelta(hours=1)).tz_localize("UTC").to_pydatetime()
    result = RunResult(grid, layers, extras, t0, t1, notes, timings)

    progress.stage("zones and statistics", 2)
    result.zones = _zones(layers, grid)
    progress.advance()
    lap("zones")
    result.stats = _township_stats(layers, grid, places)
    progress.advance()
    lap("statistics")
    return result


def _zones(layers: xr.Dataset, grid: Grid) -> list[tuple[str, int, int, int, shapely.Geometry]]:
    out = []
    for hazard in LAYERS:
        lv = layers[hazard].values.astype(np.int32)
        # the one-map's zones carry level and dominant hazard in one code: level * 8 + dominant
        dominant = layers["dominant"].values if hazard == "onemap" else 0
        code = np.where(lv > 0, lv * 8 + dominant, 0)
        for value, detail, geom in polygons_by_value(code, grid.transform, grid.crs):
            out.append((hazard, value // 8, value % 8, detail, geom))
    return out


def _township_stats(layers: xr.Dataset, grid: Grid, places: Places) -> pd.DataFrame:
    rows = []
    towns = places.townships
    for hazard in LAYERS:
        lv = layers[hazard].values
        shares = zonal.level_shares(lv, grid, towns, "id")
        exposed = zonal.exposed_people(lv, grid, places.villages, "township_id")
        exposed = exposed.reindex(towns.id.values, fill_value=0)
        if hazard == "onemap":  # shares of each (level, dominant hazard) code: level * 8 + code
            by_code = zonal.level_shares(
                np.where(lv > 0, lv * 8 + layers["dominant"].values, 0), grid, towns, "id"
            )
        for tid in towns.id.values:
            s, e = shares.loc[tid], exposed.loc[tid]
            level = zonal.township_level(s, e)
            dominant = None
            if hazard != "onemap":
                dominant = hazard if level else None
            elif level:
                # the hazard giving most of the township's area at its level
                row = by_code.loc[tid]
                dominant = max(
                    CODE_HAZARD.items(), key=lambda item: row.get(f"share_{level * 8 + item[0]}", 0.0)
                )[1]
            rows.append(
                {
                    "township_id": int(tid),
                    "hazard": hazard,
                    "level": level,
                    "dominant_hazard": dominant,
                    **{f"area_share_{i}": round(float(s[f"share_{i}"]), 6) for i in range(1, 5)},
                    **{f"exposed_{i}": int(e[f"exposed_{i}"]) for i in range(1, 5)},
                }
            )
    return pd.DataFrame(rows)
