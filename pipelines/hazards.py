"""The three hazard stages of a run, each from its own new input onto the county grid: rain (a rain
grid and/or station observations, and the villages' flash-flood indicators), fire danger (daily
weather) and geohazard (rain, antecedent weather and terrain). Rules come from the run's rules file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dask
import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr
from pyproj import Transformer
from rasterio.warp import Resampling, transform_bounds

from backend.errors import InvalidInput
from pipelines import fire, flood, geohazard, io, rain_input, rainfall, stations
from pipelines.grid import Grid, regrid
from pipelines.inputs import Places, RunInputs, RunParams
from pipelines.rules import Rules
from pipelines.terrain import Terrain

HOUR = np.timedelta64(1, "h")


def check_coverage(g: io.Gridded, grid: Grid, county_bounds) -> None:
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


@dataclass
class RainStage:
    level: np.ndarray  # uint8 (y, x): highest rainstorm level over the window
    first: dict[str, np.ndarray]  # first_1..first_4: the hour each level is first reached
    total: np.ndarray
    max3: np.ndarray
    daily: np.ndarray  # (days, y, x) rain of each 24 h of the window
    times: np.ndarray  # hour starts, UTC
    flood: pd.DataFrame  # the villages' indicator crossings (pipelines.flood)
    notes: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    #: worst 1/6/12/24 h accumulations (rainfall.EXTRA_MAX_H): why a place has its rain level
    worst: dict[int, np.ndarray] = field(default_factory=dict)


def _pad(arr: da.Array, before: int, after: int) -> da.Array:
    parts = []
    for n in (before, after):
        parts.append(da.full((n, *arr.shape[1:]), np.nan, dtype=np.float32, chunks=(n, *arr.chunks[1:])))
    return da.concatenate([p for p in (parts[0], arr, parts[1]) if p.shape[0]], axis=0)


def _combine(sources: list[tuple[str, Path, np.ndarray, da.Array]]) -> tuple[np.ndarray, da.Array]:
    """One hourly stack from a rain grid and station rain: stations win where they reach a cell."""
    if len(sources) == 1:
        return sources[0][2], sources[0][3]
    (_, gpath, gt, garr), (_, spath, st, sarr) = sources
    t0, t1 = min(gt[0], st[0]), max(gt[-1], st[-1])
    if gt[0] > st[-1] + HOUR or st[0] > gt[-1] + HOUR:
        raise InvalidInput(
            f"{gpath} ({gt[0]}..{gt[-1]}) and {spath} ({st[0]}..{st[-1]}): the rain grid and the "
            "stations leave hours between them without rain"
        )
    times = np.arange(t0, t1 + HOUR, HOUR).astype("datetime64[ns]")

    def on_axis(t, arr):
        return _pad(arr, int((t[0] - t0) / HOUR), int((t1 - t[-1]) / HOUR))

    g, s = on_axis(gt, garr), on_axis(st, sarr)
    combined = da.where(da.isnan(s), g, s).rechunk({0: -1})
    return times, combined


def rain_stage(inputs: RunInputs, params: RunParams, rules: Rules, t: Terrain, places: Places) -> RainStage:
    grid = t.grid
    sources, notes, meta = [], [], {}
    if inputs.rain is not None:
        if Path(inputs.rain).is_dir():
            g = io.read_geotiff_stack(inputs.rain)
            g.meta.update(file=str(inputs.rain), format="GeoTIFF stack", hours=len(g.times))
        else:
            g = rain_input.read_rain(inputs.rain, params.rain_var, params.accumulated)
        check_coverage(g, grid, t.county_bounds)
        notes += g.notes
        meta["grid"] = g.meta
        arr = regrid(g.values["rain"], g.transform, g.crs, grid, Resampling.bilinear, block=params.chunk)
        sources.append(("grid", Path(inputs.rain), g.times, arr))
    station_arr = None
    if inputs.rain_stations is not None:
        sr = stations.read_station_rain(inputs.rain_stations, params.stations_tz)
        notes += sr.notes
        settings = stations.IdwSettings(params.idw_power, params.idw_radius_km, params.idw_max_stations)
        station_arr = stations.idw_stack(
            stations.station_xy(sr.stations, grid.crs), sr.values, grid, settings, block=params.chunk
        )
        meta["stations"] = {
            **sr.meta,
            "method": "inverse distance weighting",
            "power": settings.power,
            "radius_km": settings.radius_km,
            "max_stations": settings.max_stations,
        }
        sources.append(("stations", Path(inputs.rain_stations), sr.times, station_arr))
    times, rain = _combine(sources)
    n_hours = len(times)
    n_days = int(np.ceil(n_hours / 24))
    products = rainfall.lazy_products(rain, n_days, rules.rain)

    fi = places.flood_indicators
    vil = (
        places.villages[places.villages["id"].isin(fi["village_id"])] if len(fi) else places.villages.iloc[:0]
    )
    pts = vil.to_crs(grid.crs)
    rows, cols = flood.village_cells(pts.geometry.x.values, pts.geometry.y.values, grid.transform, grid.shape)
    lazy = {"products": products}
    if len(vil):
        lazy["villages"] = rain.vindex[:, rows, cols].T  # (hours, villages)
    if station_arr is not None:
        lazy["uncovered"] = da.isnan(station_arr).sum(axis=0)
    got = dask.compute(lazy)[0]
    products = got["products"]
    missing = int(products[-1][t.county].sum())
    missing_share = missing / (int(t.county.sum()) * n_hours)
    if station_arr is None and missing_share > io.MAX_MISSING_SHARE:
        raise InvalidInput(
            f"{inputs.rain}: {missing_share:.1%} of the county's cell-hours are missing "
            f"(NaN); at most {io.MAX_MISSING_SHARE:.0%} is accepted"
        )
    if missing:
        notes.append(f"rain: {missing} missing cell-hours counted as 0 mm")
    if station_arr is not None:
        uncovered = got["uncovered"][t.county]
        reach = float((uncovered < station_arr.shape[0]).mean())
        meta["stations"]["coverage"] = round(reach, 4)
        meta["stations"]["coverage_hours"] = round(1.0 - float(uncovered.mean()) / station_arr.shape[0], 4)
        if reach < 1:
            notes.append(
                f"stations: {1 - reach:.1%} of the county is farther than {params.idw_radius_km:g} km from "
                "every station"
                + (" (the rain grid fills it)" if inputs.rain is not None else " (no rain level there)")
            )
    results = flood.crossings(
        got["villages"] if len(vil) else np.zeros((n_hours, 0)),
        times,
        vil["id"].to_numpy(),
        fi,
        rules.flood_prepare,
        rules.flood_move,
    )
    first = {
        f"first_{lv}": np.where(
            products[lv] >= 0, times[np.maximum(products[lv], 0).astype(int)], np.datetime64("NaT")
        )
        for lv in range(1, 5)
    }
    meta.update(hours=n_hours, first_hour_utc=str(np.datetime64(times[0], "s")))
    return RainStage(
        products[0].astype(np.uint8),
        first,
        products[5],
        products[6],
        products[7 : 7 + n_days],
        times,
        results,
        notes,
        meta,
        {hours: products[7 + n_days + i] for i, hours in enumerate(rainfall.EXTRA_MAX_H)},
    )


@dataclass
class FireStage:
    fwi: np.ndarray
    level: np.ndarray
    weather: io.Gridded
    #: the other FWI codes of the last day on the analysis grid (fire.CODES but fwi): why a place
    #: has its fire level
    codes: dict[str, np.ndarray] = field(default_factory=dict)


def fire_stage(inputs: RunInputs, params: RunParams, rules: Rules, t: Terrain, notes: list[str]) -> FireStage:
    grid = t.grid
    weather = io.read_grid_stack(
        inputs.weather,
        {"tas": "tas", "hurs": "hurs", "wind": "sfcWind", "pr": "pr"},
        np.timedelta64(1, "D"),
        rain_vars=("pr",),
    )
    check_coverage(weather, grid, t.county_bounds)
    h, w = weather.values["tas"].shape[1:]
    cols, rows = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    xs, ys = weather.transform * (cols, rows)
    _, lat = Transformer.from_crs(weather.crs, "EPSG:4326", always_xy=True).transform(xs, ys)

    def wx(name):
        return xr.DataArray(weather.values[name], dims=("time", "row", "col"), coords={"time": weather.times})

    codes = fire.fwi_codes(
        wx("tas"), wx("hurs"), wx("wind"), wx("pr"), xr.DataArray(lat, dims=("row", "col")),
        params.ffmc0, params.dmc0, params.dc0,
    )  # fmt: skip
    fwi_last = codes["fwi"].isel(time=-1).values.astype(np.float32)
    fwi = regrid(fwi_last, weather.transform, weather.crs, grid, Resampling.bilinear).compute()[0]
    if t.landcover is None:
        burnable = np.ones(grid.shape, dtype=bool)
        notes.append("fire: no land cover: every cell counts as burnable")
    else:
        burnable = np.isin(t.landcover, rules.burnable)
    others = [c for c in fire.CODES if c != "fwi"]
    last = np.stack([codes[c].isel(time=-1).values.astype(np.float32) for c in others])
    regridded = regrid(last, weather.transform, weather.crs, grid, Resampling.bilinear).compute()
    return FireStage(
        fwi, fire.fire_level(fwi, burnable, rules.fire), weather, dict(zip(others, regridded, strict=True))
    )


def geohazard_stage(
    weather: io.Gridded, daily_event: np.ndarray, rules: Rules, t: Terrain, places: Places, notes: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R_eff (worst day of the window), susceptibility classes and levels."""
    grid = t.grid
    trigger = rules.trigger
    antecedent_days = trigger.days - 1
    if antecedent_days:
        pr_grid = regrid(
            weather.values["pr"][-antecedent_days:], weather.transform, weather.crs, grid, Resampling.bilinear
        ).compute()
        daily = np.concatenate([np.nan_to_num(pr_grid), daily_event])
    else:
        daily = daily_event
    r_eff_days = geohazard.effective_rainfall(xr.DataArray(daily, dims=("time", "y", "x")), trigger)
    offset = daily.shape[0] - daily_event.shape[0]
    r_eff = r_eff_days.isel(time=slice(offset, None)).max("time").values
    site_pts = places.sites.to_crs(grid.crs)
    sc, sr = ~grid.transform * (site_pts.geometry.x.values, site_pts.geometry.y.values)
    dist = geohazard.distance_to_points(
        grid.shape, (np.floor(sr).astype(int), np.floor(sc).astype(int)), grid.cell_m
    )
    if t.landcover is None:
        notes.append("geohazard: no land cover: no land-cover points, no water")
        lc = np.zeros(grid.shape, dtype=np.uint8)
    else:
        lc = t.landcover
    classes = geohazard.susceptibility(t.slope, lc, dist, rules.susceptibility)
    return r_eff, classes, geohazard.geohazard_level(r_eff, classes, trigger)
