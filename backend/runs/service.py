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


def list_runs(session: Session, limit: int = 50) -> list[RiskRun]:
    return list(session.scalars(select(RiskRun).order_by(RiskRun.id.desc()).limit(limit)))


def township_risk(session: Session, run_id: int) -> list[dict]:
    rows = session.execute(query("township_risk"), {"run_id": run_id}).mappings().all()
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
            }
        )
    return out
