"""Compute a run with no database: read the inputs, put every layer on one analysis grid, apply
the rain, fire and geohazard rules, overlay them into the one-map, and derive its zones and
township statistics.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr

from backend.errors import InvalidInput
from backend.progress import NULL, Stages
from pipelines import fire, flood, landcover, rainfall, terrain, zonal
from pipelines.carry import Carried, carried_layers
from pipelines.grid import Grid
from pipelines.hazards import fire_stage, geohazard_stage, rain_stage
from pipelines.inputs import NOTHING_NEW, Places, RunInputs, RunParams
from pipelines.levels import HAZARD_CODES, HAZARDS
from pipelines.overlay import overlay
from pipelines.rules import load_rules
from pipelines.terrain import Terrain
from pipelines.vectorize import polygons_by_value

HOUR = np.timedelta64(1, "h")
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
    hazards: dict[str, dict] = field(default_factory=dict)  # per hazard: source new/carried/none, as_of …
    flood: pd.DataFrame | None = None  # per village and indicator: pipelines.flood.RESULT_COLUMNS
    meta: dict = field(default_factory=dict)  # rules applied, terrain read (kept in the run's params)


def _terrain(inputs: RunInputs, places: Places, params: RunParams, new: set[str]) -> Terrain:
    crs = terrain.grid_crs(inputs.dem, places.townships, params.grid_crs)
    t = terrain.county_terrain(places.townships, crs, params.cell_m)
    t.meta["grid"] = {"crs": crs, "cell_m": params.cell_m, "shape": list(t.grid.shape)}
    if {"fire", "geohazard"} & new and inputs.landcover is not None:
        mapping = landcover.read_mapping(inputs.landcover_classes)
        name = Path(inputs.landcover_classes).name
        t.landcover, t.meta["landcover"] = terrain.landcover_on_grid(inputs.landcover, mapping, t, name)
    if "geohazard" in new:
        if inputs.dem is None:
            raise InvalidInput("the geohazard levels need a DEM: give --terrain DEM.tif (or a directory)")
        t.slope, t.meta["dem"] = terrain.slope_on_grid(inputs.dem, t)
    return t


def _window(times: np.ndarray, step: np.timedelta64) -> tuple[datetime, datetime]:
    t0 = pd.Timestamp(times[0]).tz_localize("UTC").to_pydatetime()
    t1 = (pd.Timestamp(times[-1]) + pd.Timedelta(step)).tz_localize("UTC").to_pydatetime()
    return t0, t1


def compute(
    inputs: RunInputs,
    places: Places,
    params: RunParams = RunParams(),
    progress: Stages = NULL,
    carried: dict[str, Carried] | None = None,
    now: datetime | None = None,
) -> RunResult:
    """Compute the hazards with new input, carry the others (``carried``, from an earlier run),
    overlay them and summarise per township. Rules come from ``inputs.rules`` (or the default)."""
    timings: dict[str, float] = {}
    notes: list[str] = []
    carried = carried or {}
    now = now or datetime.now(UTC)
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        t = time.perf_counter()
        timings[name] = round(t - clock, 3)
        clock = t

    rules = load_rules(inputs.rules)
    new = inputs.new_hazards()
    if not new:
        raise InvalidInput(NOTHING_NEW)
    progress.stage("terrain", 1)
    t = _terrain(inputs, places, params, new)
    grid, county = t.grid, t.county
    notes += t.notes
    progress.advance()
    lap("terrain")

    levels: dict[str, np.ndarray] = {}
    extras: dict[str, np.ndarray] = {}
    hazards: dict[str, dict] = {}
    as_of = now.isoformat(timespec="seconds")
    flood_results = None
    window = None
    if "rain" in new:
        progress.stage("rainfall", 1)
        rain = rain_stage(inputs, params, rules, t, places)
        notes += rain.notes
        levels["rain"] = rain.level
        extras.update(rain_total=rain.total, rain_max_3h=rain.max3, **rain.first)
        extras.update({f"rain_max_{hours}h": worst for hours, worst in rain.worst.items()})
        flood_results = rain.flood
        window = _window(rain.times, HOUR)
        hazards["rain"] = {"source": "new", "as_of": as_of, **_iso(window), "input": rain.meta}
        progress.advance()
        lap("rainfall")
    if "fire" in new:
        progress.stage("fire danger (FWI)", 1)
        fire_out = fire_stage(inputs, params, rules, t, notes)
        levels["fire"] = fire_out.level
        extras["fwi"] = fire_out.fwi
        extras.update(fire_out.codes)
        fire_window = _window(fire_out.weather.times[-1:], np.timedelta64(1, "D"))
        window = window or fire_window
        hazards["fire"] = {
            "source": "new", "as_of": as_of, **_iso(fire_window), "input": {"file": str(inputs.weather)},
        }  # fmt: skip
        progress.advance()
        lap("fire")
    if "geohazard" in new:
        progress.stage("geohazard", 1)
        r_eff, classes, geo_lv = geohazard_stage(fire_out.weather, rain.daily, rules, t, places, notes)
        levels["geohazard"] = geo_lv
        extras.update(r_eff=r_eff, susceptibility=classes)
        hazards["geohazard"] = {"source": "new", "as_of": as_of, **_iso(window), "input": t.meta.get("dem")}
        progress.advance()
        lap("geohazard")

    for hazard in HAZARDS:
        if hazard in levels:
            continue
        c = carried.get(hazard)
        if c is None:
            levels[hazard] = np.zeros(grid.shape, np.uint8)
            hazards[hazard] = {"source": "none", "as_of": None}
            notes.append(f"{hazard}: no input and no earlier run to carry it from: no levels")
            continue
        levels[hazard], carried_extras = carried_layers(c, grid)
        extras.update(carried_extras)
        hazards[hazard] = c.meta()
        if hazard == "rain" and c.flood is not None:
            flood_results = c.flood
    lap("carried")

    progress.stage("overlay", 1)
    template = grid.empty("level")
    layers = overlay(
        {h: template.copy(data=np.where(county, levels[h], 0).astype(np.uint8)) for h in HAZARDS}
    )
    progress.advance()
    lap("overlay")
    nan = np.full(grid.shape, np.nan, np.float32)
    rain_extra = [f"rain_max_{hours}h" for hours in rainfall.EXTRA_MAX_H]
    fire_extra = [code for code in fire.CODES if code != "fwi"]
    for name in ("rain_total", "rain_max_3h", "fwi", "r_eff", *rain_extra, *fire_extra):
        extras[name] = np.where(county, extras.get(name, nan), np.nan).astype(np.float32)
    extras["susceptibility"] = np.where(county, extras.get("susceptibility", 0), 0).astype(np.uint8)
    for i in range(1, 5):
        extras.setdefault(f"first_{i}", np.full(grid.shape, np.datetime64("NaT"), "datetime64[ns]"))
    window = window or (now, now)
    result = RunResult(grid, layers, extras, window[0], window[1], notes, timings)
    result.hazards = hazards
    if flood_results is None:
        flood_results = pd.DataFrame(columns=list(flood.RESULT_COLUMNS))
    result.flood = flood_results
    result.meta = {"rules": rules.to_json(), "terrain": t.meta}

    progress.stage("zones and statistics", 2)
    result.zones = _zones(layers, grid)
    progress.advance()
    lap("zones")
    result.stats = _township_stats(layers, grid, places, flood.village_levels(result.flood))
    progress.advance()
    lap("statistics")
    return result


def _iso(window: tuple[datetime, datetime]) -> dict:
    return {"valid_from": window[0].isoformat(), "valid_to": window[1].isoformat()}


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


def _village_levels(
    layers: xr.Dataset, grid: Grid, villages: gpd.GeoDataFrame, rain_override: pd.Series
) -> dict[str, np.ndarray]:
    """Each village's level per hazard at its cell; where it has flash-flood indicators its rain
    level comes from them (pipelines.flood), and its one-map level is the max with that."""
    pts = villages.to_crs(grid.crs)
    r, c = flood.village_cells(pts.geometry.x.values, pts.geometry.y.values, grid.transform, grid.shape)
    out = {h: layers[h].values[r, c] for h in HAZARDS}
    if len(rain_override):
        own = villages["id"].map(rain_override)
        has = own.notna().to_numpy()
        out["rain"] = np.where(has, own.fillna(0).to_numpy(), out["rain"]).astype(np.uint8)
    out["onemap"] = np.max(np.stack([out[h] for h in HAZARDS]), axis=0)
    return out


def _township_stats(
    layers: xr.Dataset, grid: Grid, places: Places, rain_override: pd.Series | None = None
) -> pd.DataFrame:
    rows = []
    towns = places.townships
    if rain_override is None:
        rain_override = pd.Series(dtype=int)
    at_villages = _village_levels(layers, grid, places.villages, rain_override)
    for hazard in LAYERS:
        lv = layers[hazard].values
        shares = zonal.level_shares(lv, grid, towns, "id")
        exposed = zonal.exposed_people(
            lv, grid, places.villages, "township_id", point_levels=at_villages[hazard]
        )
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
