"""Publish a run to PostGIS, and the run's other database edges (its places, an earlier run of the
same inputs, a failed run's record).

``publish`` writes COG rasters and, in one transaction, the run row, its zones and its township
statistics: the run becomes ``published`` only with the commit, and a failure leaves no partial
data (no rows, no raster directory). A process killed mid-publication (SIGKILL) cannot clean up:
its temporary raster directory (``.run-<pid>-…``) is removed by the next publication.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from backend.errors import InvalidInput, NotFound
from pipelines import io
from pipelines.carry import Carried
from pipelines.compute import CODE_HAZARD, LAYERS, RunResult
from pipelines.inputs import Places
from pipelines.levels import HAZARDS


def load_places(conn) -> Places:
    towns = gpd.read_postgis("SELECT id, code, name, geom FROM township ORDER BY id", conn, geom_col="geom")
    if towns.empty:
        raise NotFound("no townships in the database; run `riskmap sample load DIR` first")
    villages = gpd.read_postgis(
        "SELECT id, township_id, population, elderly, geom FROM village ORDER BY id", conn, geom_col="geom"
    )
    sites = gpd.read_postgis("SELECT id, geom FROM hazard_site ORDER BY id", conn, geom_col="geom")
    indicators = pd.read_sql(
        "SELECT village_id, hours, prepare_mm, move_mm FROM flood_indicator ORDER BY village_id, hours", conn
    )
    return Places(
        towns.rename_geometry("geometry"),
        villages.rename_geometry("geometry"),
        sites.rename_geometry("geometry"),
        indicators,
    )


def latest_published(conn) -> dict | None:
    row = conn.execute(
        sa.text(
            "SELECT id, params, valid_from, valid_to FROM risk_run WHERE status = 'published' "
            "ORDER BY published_at DESC, id DESC LIMIT 1"
        )
    ).mappings().first()
    return dict(row) if row else None


def find_carried(conn, data_dir: Path, new: set[str]) -> dict[str, Carried]:
    """For each hazard without new input, what to copy from the latest published run (if any)."""
    last = latest_published(conn)
    if last is None:
        return {}
    params = last["params"] or {}
    meta = params.get("hazards", {})
    directory = Path(data_dir) / "runs" / str(last["id"])
    out = {}
    for hazard in HAZARDS:
        if hazard in new:
            continue
        h = meta.get(hazard, {})
        if h.get("source") == "none":
            continue
        if not (directory / f"{hazard}.tif").exists():
            raise InvalidInput(
                f"{directory / f'{hazard}.tif'}: missing, so {hazard} cannot be carried from run "
                f"{last['id']}; give new input for it"
            )
        flood_rows = None
        if hazard == "rain":
            flood_rows = pd.read_sql(
                sa.text(
                    "SELECT village_id, hours, prepare_mm, move_mm, max_rain_mm, prepare_at, move_at, level "
                    "FROM village_flood_risk WHERE run_id = :r ORDER BY village_id, hours"
                ),
                conn,
                params={"r": last["id"]},
            )
        carried_from = h.get("from_run", last["id"]) if h.get("source") == "carried" else last["id"]
        out[hazard] = Carried(
            hazard=hazard,
            run_id=last["id"],
            from_run=carried_from,
            as_of=h.get("as_of") or params.get("started_at"),
            valid_from=h.get("valid_from") or _iso(last["valid_from"]),
            valid_to=h.get("valid_to") or _iso(last["valid_to"]),
            directory=directory,
            flood=flood_rows,
        )
    return out


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


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
    # what a place's levels come from (GET /api/point): the worst accumulation per window, the
    # other FWI codes of the last day, and the geohazard susceptibility class
    for name, units in EXPLAIN_RASTERS:
        if name in result.extras:
            io.write_float_cog(out / f"{name}.tif", result.extras[name], g.transform, g.crs, name, units)
    if "susceptibility" in result.extras:  # classes 1 (very low) .. 5 (very high), 0 outside
        sus = result.extras["susceptibility"].astype(np.float32)
        io.write_float_cog(out / "susceptibility.tif", sus, g.transform, g.crs, "susceptibility", "class")
    return sorted(p.name for p in out.iterdir())


EXPLAIN_RASTERS = (
    ("rain_max_1h", "mm"),
    ("rain_max_6h", "mm"),
    ("rain_max_12h", "mm"),
    ("rain_max_24h", "mm"),
    ("ffmc", "1"),
    ("dmc", "1"),
    ("dc", "1"),
    ("isi", "1"),
    ("bui", "1"),
)


def sweep_abandoned(runs_dir: Path) -> list[str]:
    """Remove the temporary directories of publications whose process is gone (killed mid-run);
    those of running processes, this one's included, are left alone."""
    removed = []
    for path in runs_dir.glob(".run-*-*"):
        try:
            pid = int(path.name.split("-")[1])
        except ValueError:
            continue
        try:
            os.kill(pid, 0)  # signal 0: is it alive?
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
        except PermissionError:  # alive, another user's
            pass
    return removed


def publish(
    engine, result: RunResult, checksum: str, params: dict, data_dir: Path, fail_after_zones: bool = False
) -> int:
    """Write rasters and, in one transaction, the run, its zones and statistics."""
    runs_dir = Path(data_dir) / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    sweep_abandoned(runs_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".run-{os.getpid()}-", dir=runs_dir))
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
            _insert_flood(conn, run_id, result.flood)
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


def _when(value):
    if pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts).to_pydatetime()


def _insert_flood(conn, run_id: int, flood: pd.DataFrame | None) -> None:
    if flood is None or flood.empty:
        return
    rows = [
        {
            "r": run_id,
            "v": int(f.village_id),
            "h": int(f.hours),
            "p": None if pd.isna(f.prepare_mm) else float(f.prepare_mm),
            "m": None if pd.isna(f.move_mm) else float(f.move_mm),
            "x": float(f.max_rain_mm),
            "pa": _when(f.prepare_at),
            "ma": _when(f.move_at),
            "l": int(f.level),
        }
        for f in flood.itertuples(index=False)
    ]
    conn.execute(
        sa.text(
            "INSERT INTO village_flood_risk (run_id, village_id, hours, prepare_mm, move_mm, max_rain_mm, "
            "prepare_at, move_at, level) VALUES (:r, :v, :h, :p, :m, :x, :pa, :ma, :l)"
        ),
        rows,
    )


def record_failure(engine, checksum: str, params: dict, reason: str) -> int:
    with engine.begin() as conn:
        return conn.execute(
            sa.text(
                "INSERT INTO risk_run (status, inputs_checksum, params, error) VALUES "
                "('failed', :c, CAST(:p AS jsonb), :e) RETURNING id"
            ),
            {"c": checksum, "p": json.dumps(params), "e": reason[:2000]},
        ).scalar()
