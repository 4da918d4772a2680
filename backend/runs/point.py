"""Why is this place red: each hazard's level at a point and what it comes from.

The answer reads the run's own rasters under ``data/runs/ID/`` (written once at publication, so
the answer for a run never changes): the level of the one-map and of each hazard, and their
inputs — the worst rain accumulation over 1/3/6/12/24 h beside the CMA rainstorm thresholds, the
FWI codes of the last day beside the EFFIS classes, the susceptibility class and the effective
rainfall beside that class's thresholds — plus the township and nearest village, from PostGIS.
A run published before its input rasters were written answers levels (from its zones) and
``null`` inputs, with a note.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import rasterio
from pyproj import Transformer
from sqlalchemy.orm import Session

from backend.errors import InvalidInput
from backend.models import RiskRun
from backend.sql import query
from pipelines.fire import EFFIS
from pipelines.geohazard import TriggerThresholds
from pipelines.levels import HAZARDS
from pipelines.rainfall import CMA

RAIN_WINDOWS_H = (1, 3, 6, 12, 24)
FIRE_CODES = ("ffmc", "dmc", "dc", "isi", "bui", "fwi")


@lru_cache(maxsize=8)
def _to_raster(crs_wkt: str) -> Transformer:
    return Transformer.from_crs("EPSG:4326", crs_wkt, always_xy=True)


def sample(path: Path, lon: float, lat: float) -> float | None:
    """The raster's value at a WGS 84 point; None outside it, at nodata or without the file."""
    if not path.is_file():
        return None
    with rasterio.open(path) as src:
        x, y = _to_raster(src.crs.to_wkt()).transform(lon, lat)
        row, col = src.index(x, y)
        if not (0 <= row < src.height and 0 <= col < src.width):
            return None
        value = float(src.read(1, window=((row, row + 1), (col, col + 1)))[0, 0])
        if src.nodata is not None and (value == src.nodata or (math.isnan(src.nodata) and math.isnan(value))):
            return None
        return None if math.isnan(value) else value


def _r(v: float | None, nd: int = 1) -> float | None:
    return None if v is None else round(v, nd)


def rain_answer(level: int, acc: dict[int, float | None]) -> dict:
    """Rain: the worst accumulation per window beside each CMA rule (暴雨预警信号)."""
    return {
        "level": level,
        "accumulations_mm": {f"{h}h": _r(acc.get(h)) for h in RAIN_WINDOWS_H},
        "thresholds": [
            {
                "level": rule.level,
                "hours": rule.hours,
                "mm": rule.mm,
                "reached": None if acc.get(rule.hours) is None else acc[rule.hours] >= rule.mm,
            }
            for rule in CMA.rules
        ],
        "rule": "CMA 暴雨预警信号: blue 12 h ≥ 50 mm, yellow 6 h ≥ 50, orange 3 h ≥ 50, red 3 h ≥ 100",
    }


def fire_answer(level: int, codes: dict[str, float | None]) -> dict:
    """Fire: the FWI system codes of the last day, the EFFIS class of FWI and our level."""
    fwi = codes.get("fwi")
    klass = None if fwi is None else EFFIS.names[int(np.digitize(fwi, EFFIS.bounds))]
    out = {
        "level": level,
        "codes": {c: _r(codes.get(c)) for c in FIRE_CODES},
        "fwi_class": klass,
        "thresholds": [
            {"level": lv, "fwi": bound, "class": name, "reached": None if fwi is None else fwi >= bound}
            for bound, name, lv in zip(EFFIS.bounds, EFFIS.names[1:], EFFIS.level[1:], strict=True)
            if lv > 0
        ],
        "rule": "Canadian FWI (Van Wagner 1987), EFFIS classes; only on burnable land cover",
    }
    if fwi is not None and level == 0 and fwi >= EFFIS.bounds[1]:
        out["note"] = "no burnable land cover here: no fire danger level"
    return out


def geohazard_answer(level: int, susceptibility: float | None, r_eff: float | None) -> dict:
    """Geohazard: the susceptibility class and the effective rainfall beside the class's table."""
    trigger = TriggerThresholds()
    klass = None if susceptibility is None or susceptibility < 1 else int(susceptibility)
    limits = trigger.by_class.get(klass) if klass else None
    return {
        "level": level,
        "susceptibility_class": klass,
        "effective_rain_mm": _r(r_eff),
        "thresholds": [
            {"level": i + 1, "mm": mm, "reached": None if r_eff is None else r_eff >= mm}
            for i, mm in enumerate(limits or ())
            if math.isfinite(mm)
        ],
        "rule": f"effective rainfall Σ {trigger.decay}^k · R(d−k) over {trigger.days} days, "
        "thresholds by susceptibility class",
    }


def explain_point(session: Session, run: RiskRun, data_dir: Path, lon: float, lat: float) -> dict:
    """Everything :mod:`backend.runs.point` answers for one point of one run."""
    place = session.execute(query("point_place"), {"lon": lon, "lat": lat}).mappings().first()
    if place is None:
        raise InvalidInput(f"lon/lat {lon:.5f}, {lat:.5f} is outside the county")
    folder = Path(data_dir) / "runs" / str(run.id)
    value = {name: sample(folder / f"{name}.tif", lon, lat) for name in ("onemap", *HAZARDS)}
    notes = []
    if any(v is None for v in value.values()):
        zones = dict(session.execute(query("point_levels"), {"run": run.id, "lon": lon, "lat": lat}).all())
        value = {k: (v if v is not None else zones.get(k, 0)) for k, v in value.items()}
        notes.append("this run's rasters are not on this server: levels from its zones, no inputs")
    levels = {k: int(v or 0) for k, v in value.items()}
    acc = {h: sample(folder / f"rain_max_{h}h.tif", lon, lat) for h in RAIN_WINDOWS_H}
    if all(acc[h] is None for h in (1, 6, 12, 24)) and acc[3] is not None:
        notes.append("this run was published before the 1/6/12/24 h accumulations were kept")
    codes = {c: sample(folder / f"{c}.tif", lon, lat) for c in FIRE_CODES}
    hazards = {
        "rain": rain_answer(levels["rain"], acc),
        "fire": fire_answer(levels["fire"], codes),
        "geohazard": geohazard_answer(
            levels["geohazard"],
            sample(folder / "susceptibility.tif", lon, lat),
            sample(folder / "r_eff.tif", lon, lat),
        ),
    }
    top = max(levels[h] for h in HAZARDS)
    dominant = next((h for h in HAZARDS if levels[h] == top), None) if top else None
    return {
        "lon": lon,
        "lat": lat,
        "run": {
            "id": run.id,
            "valid_from": run.valid_from,
            "valid_to": run.valid_to,
            "published_at": run.published_at,
        },
        "township": {"code": place["township_code"], "name": place["township"]},
        "village": None
        if place["village_code"] is None
        else {
            "code": place["village_code"],
            "name": place["village"],
            "distance_m": round(place["village_m"]),
        },
        "level": levels["onemap"],
        "dominant_hazard": dominant,
        "hazards": hazards,
        "notes": notes,
    }
