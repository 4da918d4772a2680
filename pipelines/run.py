"""Orchestrate the pipelines and publish one immutable run to PostGIS.

``compute`` reads the inputs, puts every layer on one analysis grid and applies the rules (no
database); ``publish`` writes COG rasters and, in one transaction, the run row, its zones and its
township statistics — the run becomes ``published`` only with the commit. A failure before that
records a ``failed`` run with the reason and leaves no partial data.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
import xarray as xr
from pyproj import CRS, Transformer
from rasterio import features
from rasterio.warp import Resampling, transform_bounds

from backend.errors import InvalidInput, NotFound
from backend.progress import NULL, Stages
from pipelines import fire, geohazard, io, rainfall, zonal
from pipelines.grid import Grid, regrid
from pipelines.levels import HAZARD_CODES, HAZARDS
from pipelines.overlay import overlay
from pipelines.vectorize import polygons_by_value

CODE_HAZARD = {v: k for k, v in HAZARD_CODES.items()}
LAYERS = ("onemap", *HAZARDS)


@dataclass(frozen=True)
class RunInputs:
    rain: Path
    weather: Path
    dem: Path
    landcover: Path

    @classmethod
    def sample(cls, directory: Path, rain: Path | None = None, weather: Path | None = None) -> RunInputs:
        d = Path(directory)
        return cls(
            Path(rain) if rain else d / "rain.nc",
            Path(weather) if weather else d / "weather.nc",
            d / "dem.tif",
            d / "landcover.tif",
        )

    def files(self) -> dict[str, Path]:
        return {k: Path(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class RunParams:
    cell_m: float = 100.0
    ffmc0: float = 85.0
    dmc0: float = 6.0
    dc0: float = 15.0
    rain_var: str = "rain"
    chunk: int = 256

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Places:
    townships: gpd.GeoDataFrame  # id, code, name, geometry
    villages: gpd.GeoDataFrame  # id, township_id, population, elderly, geometry
    sites: gpd.GeoDataFrame  # geometry

    def digest(self) -> str:
        h = hashlib.sha256()
        for df, cols in (
            (self.townships, ["code"]),
            (self.villages, ["township_id", "population"]),
            (self.sites, []),
        ):
            h.update(pd.util.hash_pandas_object(df[cols], index=False).values.tobytes() if cols else b"")
            h.update(b"".join(shapely.to_wkb(df.geometry.values, output_dimension=2)))
        return h.hexdigest()


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


def inputs_checksum(inputs: RunInputs, params: RunParams, places: Places) -> str:
    h = hashlib.sha256()
    for name, path in sorted(inputs.files().items()):
        h.update(name.encode())
        if path.is_dir():
            for f in sorted(path.glob("*.tif")):
                h.update(f.read_bytes())
        elif path.is_file():
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
        else:
            raise InvalidInput(f"{path}: file not found")
    h.update(json.dumps(params.to_json(), sort_keys=True).encode())
    h.update(places.digest().encode())
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# compute (no database)


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


# ---------------------------------------------------------------------------------------------
# database edges


def load_places(conn) -> Places:
    towns = gpd.read_postgis("SELECT id, code, name, geom FROM township ORDER BY id", conn, geom_col="geom")
    if towns.empty:
        raise NotFound("no townships in the database; run `riskmap sample load DIR` first")
    villages = gpd.read_postgis(
        "SELECT id, township_id, population, elderly, geom FROM village ORDER BY id", conn, geom_col="geom"
    )
    sites = gpd.read_postgis("SELECT id, geom FROM hazard_site ORDER BY id", conn, geom_col="geom")
    return Places(
        towns.rename_geometry("geometry"),
        villages.rename_geometry("geometry"),
        sites.rename_geometry("geometry"),
    )


def find_published(conn, checksum: str) -> int | None:
    return conn.execute(
        sa.text(
            "SELECT id FROM risk_run WHERE inputs_checksum = :c AND status = "
            "'published' ORDER BY id DESC LIMIT 1"
        ),
        {"c": checksum},
    ).scalar()


def _summary(result: RunResult) -> dict:
    counts = {}
    for hazard in LAYERS:
        bc = np.bincount(result.layers[hazard].values.ravel(), minlength=5)
        counts[hazard] = {str(i): int(bc[i]) for i in range(1, 5)}
    dom = np.bincount(result.layers["dominant"].values.ravel(), minlength=len(HAZARDS) + 1)
    return {
        "cells": counts,
        "cell_km2": result.grid.cell_m**2 / 1e6,
        "dominant_cells": {CODE_HAZARD[i]: int(dom[i]) for i in CODE_HAZARD},
    }


def write_rasters(result: RunResult, out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    g = result.grid
    for name in LAYERS:
        io.write_level_cog(out / f"{name}.tif", result.layers[name].values, g.transform, g.crs, name)
    for name, units in (("rain_total", "mm"), ("rain_max_3h", "mm"), ("fwi", "1"), ("r_eff", "mm")):
        io.write_float_cog(out / f"{name}.tif", result.extras[name], g.transform, g.crs, name, units)
    return sorted(p.name for p in out.iterdir())


def publish(
    engine, result: RunResult, checksum: str, params: dict, data_dir: Path, fail_after_zones: bool = False
) -> int:
    """Write rasters and, in one transaction, the run, its zones and statistics."""
    runs_dir = Path(data_dir) / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".run-", dir=runs_dir))
    final: Path | None = None
    try:
        files = write_rasters(result, tmp)
        with engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL statement_timeout = 0"))  # a batch job, not a request
            run_id = conn.execute(
                sa.text(
                    "INSERT INTO risk_run (status, inputs_checksum, valid_from, valid_to, params, "
                    "summary, published_at) VALUES ('published', :c, :f, :t, CAST(:p AS jsonb), "
                    "CAST(:s AS jsonb), now()) RETURNING id"
                ),
                {
                    "c": checksum,
                    "f": result.valid_from,
                    "t": result.valid_to,
                    "p": json.dumps({**params, "rasters": files, "notes": result.notes}),
                    "s": json.dumps(_summary(result)),
                },
            ).scalar()
            zone_rows = [
                {
                    "r": run_id,
                    "h": hz,
                    "l": lv,
                    "d": CODE_HAZARD.get(dom) if hz == "onemap" else hz,
                    "detail": det,
                    "wkb": shapely.to_wkb(g, hex=True),
                }
                for hz, lv, dom, det, g in result.zones
            ]
            if zone_rows:
                conn.execute(
                    sa.text(
                        "INSERT INTO risk_zone (run_id, hazard, level, dominant_hazard, detail, geom) "
                        "VALUES (:r, :h, :l, :d, :detail, "
                        "ST_Multi(ST_GeomFromWKB(decode(:wkb, 'hex'), 4326)))"
                    ),
                    zone_rows,
                )
            if fail_after_zones:  # for tests: a crash in the middle of publication
                raise RuntimeError("simulated crash during publication")
            conn.execute(
                sa.text(
                    "INSERT INTO risk_zone_part (run_id, hazard, level, geom) SELECT run_id, hazard, level, "
                    "ST_Subdivide(geom, 64) FROM risk_zone WHERE run_id = :r AND detail = 2"
                ),
                {"r": run_id},
            )
            stats = result.stats.assign(run_id=run_id).to_dict("records")
            conn.execute(
                sa.text(
                    "INSERT INTO township_risk (run_id, township_id, hazard, level, dominant_hazard, "
                    "area_share_1, area_share_2, area_share_3, area_share_4, exposed_1, exposed_2, "
                    "exposed_3, exposed_4) VALUES (:run_id, :township_id, :hazard, :level, "
                    ":dominant_hazard, :area_share_1, :area_share_2, :area_share_3, :area_share_4, "
                    ":exposed_1, :exposed_2, :exposed_3, :exposed_4)"
                ),
                stats,
            )
            final = runs_dir / str(run_id)
            if final.exists():
                shutil.rmtree(final)
            tmp.rename(final)
        return run_id
    except BaseException:
        if final is not None and final.exists():
            shutil.rmtree(final, ignore_errors=True)
        raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def record_failure(engine, checksum: str, params: dict, reason: str) -> int:
    with engine.begin() as conn:
        return conn.execute(
            sa.text(
                "INSERT INTO risk_run (status, inputs_checksum, params, error) VALUES "
                "('failed', :c, CAST(:p AS jsonb), :e) RETURNING id"
            ),
            {"c": checksum, "p": json.dumps(params), "e": reason[:2000]},
        ).scalar()


@dataclass
class RunOutcome:
    run_id: int
    reused: bool
    result: RunResult | None
    seconds: float


def run_pipeline(
    engine,
    inputs: RunInputs,
    data_dir: Path,
    params: RunParams = RunParams(),
    force: bool = False,
    scheduler: str | None = None,
    progress: Stages = NULL,
) -> RunOutcome:
    """Compute and publish a run (or reuse the published run of identical inputs)."""
    start = time.perf_counter()
    for name, path in inputs.files().items():
        if not Path(path).exists():
            raise InvalidInput(f"{path}: file not found ({name})")
    with engine.connect() as conn:
        places = load_places(conn)
        checksum = inputs_checksum(inputs, params, places)
        existing = None if force else find_published(conn, checksum)
    if existing:
        return RunOutcome(existing, True, None, time.perf_counter() - start)
    run_params = {
        **params.to_json(),
        "inputs": {k: str(v) for k, v in inputs.files().items()},
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    client_ctx = nullcontext()
    if scheduler:
        from distributed import Client

        client_ctx = Client(scheduler, timeout="10s")
    try:
        with client_ctx:
            result = compute(inputs, places, params, progress)
    except InvalidInput as exc:
        record_failure(engine, checksum, run_params, exc.detail)
        raise
    progress.stage("publishing", 1)
    t = time.perf_counter()
    run_id = publish(engine, result, checksum, {**run_params, "timings_s": result.timings}, data_dir)
    result.timings["publish"] = round(time.perf_counter() - t, 3)
    progress.advance()
    return RunOutcome(run_id, False, result, time.perf_counter() - start)
