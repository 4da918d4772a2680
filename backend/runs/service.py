"""Risk runs as the rest of the service sees them: listing, lookup, per-township risk."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import RiskRun
from backend.sql import query
from pipelines.levels import LEVELS


def level_info(level: int) -> dict:
    lv = LEVELS[int(level)]
    return {"level": lv.value, "colour": lv.colour, "hex": lv.hex, "roman": lv.roman, "zh": lv.zh}


def run_summary(run: RiskRun) -> dict:
    out = {
        "id": run.id,
        "status": run.status,
        "valid_from": run.valid_from,
        "valid_to": run.valid_to,
        "created_at": run.created_at,
        "published_at": run.published_at,
        "inputs_checksum": run.inputs_checksum,
    }
    if run.status == "failed":
        out["error"] = run.error
    if run.status == "published":
        out["hazards"] = hazard_sources(run)
    if run.summary:
        km2 = run.summary.get("cell_km2", 0.01)
        out["counts_by_level"] = {
            hazard: {
                LEVELS[int(k)].colour: {"cells": v, "area_km2": round(v * km2, 2)}
                for k, v in per_level.items()
            }
            for hazard, per_level in run.summary["cells"].items()
        }
        out["dominant_area_km2"] = {
            h: round(c * km2, 2) for h, c in run.summary.get("dominant_cells", {}).items()
        }
    return out


def hazard_sources(run: RiskRun) -> dict[str, dict]:
    """Where each hazard's levels come from: ``new`` input of this run (as of its start), ``carried``
    from an earlier run (``from_run``, with that run's as-of time), or ``none``."""
    params = run.params or {}
    recorded = params.get("hazards") or {}
    out = {}
    for hazard in ("rain", "fire", "geohazard"):
        h = recorded.get(hazard) or {"source": "new", "as_of": params.get("started_at")}
        out[hazard] = {"source": h.get("source", "new"), "as_of": h.get("as_of")}
        out[hazard].update({k: h[k] for k in ("from_run", "valid_from", "valid_to") if k in h})
    return out


def _stage(first: dict | None, at, hours: int, mm) -> dict | None:
    if at is None or (first is not None and first["at"] <= at):
        return first
    return {"at": at, "hours": hours, "mm": mm}


def township_flood_villages(session: Session, run_id: int) -> dict[str, list[dict]]:
    """Per township code: the villages whose rain reaches their flash-flood indicators in the run,
    each with the first time (end of the hour) it reaches 准备转移 and 立即转移, and over which window."""
    by_village: dict[str, dict] = {}
    for r in session.execute(query("township_flood_villages"), {"run_id": run_id}).mappings():
        v = by_village.setdefault(
            r["code"],
            {
                "code": r["code"],
                "name": r["name"],
                "township_code": r["township_code"],
                "township": r["township"],
                "level": 0,
                "prepare": None,
                "move": None,
            },
        )
        v["level"] = max(v["level"], r["level"])
        v["prepare"] = _stage(v["prepare"], r["prepare_at"], r["hours"], r["prepare_mm"])
        v["move"] = _stage(v["move"], r["move_at"], r["hours"], r["move_mm"])
    out: dict[str, list[dict]] = {}
    for v in by_village.values():
        v.update(level_info(v["level"]))
        out.setdefault(v["township_code"], []).append(v)
    for vs in out.values():
        vs.sort(key=lambda v: (-v["level"], (v["move"] or v["prepare"])["at"]))
    return out


def list_runs(session: Session, limit: int = 50) -> list[RiskRun]:
    return list(session.scalars(select(RiskRun).order_by(RiskRun.id.desc()).limit(limit)))


def township_risk(session: Session, run_id: int) -> list[dict]:
    rows = session.execute(query("township_risk"), {"run_id": run_id}).mappings().all()
    flood_villages = township_flood_villages(session, run_id)
    out = []
    for r in rows:
        out.append(
            {
                "code": r["code"],
                "name": r["name"],
                "population": r["population"],
                "label": [round(r["label_lon"], 5), round(r["label_lat"], 5)],
                **level_info(r["level"]),
                "dominant_hazard": r["dominant_hazard"],
                "exposed": {LEVELS[i].colour: r[f"exposed_{i}"] for i in range(1, 5)},
                "area_share": {LEVELS[i].colour: round(r[f"area_share_{i}"], 4) for i in range(1, 5)},
                "hazards": {
                    "rain": r["rain_level"],
                    "fire": r["fire_level"],
                    "geohazard": r["geohazard_level"],
                },
                "flood_villages": flood_villages.get(r["code"], []),
            }
        )
    return out
