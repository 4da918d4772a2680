"""Shelters (避灾安置场所) as the map and the planners see them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.sql import query


def shelters_geojson(session: Session, run_id: int | None, township: str | None = None) -> dict:
    rows = session.execute(query("shelters"), {"run": run_id, "township": township}).mappings().all()
    features = []
    for r in rows:
        props = {
            k: r[k]
            for k in (
                "id",
                "code",
                "name",
                "class",
                "area_m2",
                "capacity",
                "occupancy",
                "free",
                "status",
                "township_code",
                "township",
                "safe",
            )
        }
        props["occupancy_share"] = round(r["occupancy"] / r["capacity"], 4) if r["capacity"] else None
        features.append(
            {
                "type": "Feature",
                "id": r["id"],
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [round(r["lon"], 6), round(r["lat"], 6)]},
            }
        )
    totals = {
        "shelters": len(rows),
        "capacity": sum(r["capacity"] for r in rows),
        "occupancy": sum(r["occupancy"] for r in rows),
        "free": sum(r["free"] for r in rows),
    }
    return {"type": "FeatureCollection", "run_id": run_id, "totals": totals, "features": features}
