"""What of the county is loaded and what is missing (``riskmap county show``): counts per table,
and the gaps that make warnings or evacuation plans fall short — townships without a leader to
warn, villages without anyone responsible, shelters without a capacity, places no road reaches,
road segments cut off from the network — with the next command to run."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from backend.imports import graph
from backend.sql import query

#: a village or shelter farther than this from every road cannot be planned for
FAR_FROM_ROAD_M = 2000.0
LISTED = 10


def county_summary(conn) -> dict:
    conn.execute(sa.text("SET LOCAL jit = off"))  # see backend.models.loading.bulk_settings
    row = (
        conn.execute(query("county_summary"), {"far_m": FAR_FROM_ROAD_M, "far_deg": FAR_FROM_ROAD_M / 90_000})
        .mappings()
        .one()
    )
    s = dict(row)
    edges = conn.execute(sa.text("SELECT source, target FROM road")).all()
    if edges:
        e = np.asarray(edges, dtype=np.int64)
        info = graph.components(e[:, 0], e[:, 1])
        s["road_components"] = info["components"]
        s["roads_not_connected"] = len(info.pop("outside"))
    else:
        s["road_components"] = 0
        s["roads_not_connected"] = 0
    loaded = {
        "county": s["counties"],
        "townships": s["townships"],
        "villages": s["villages"],
        "shelters": s["shelters"],
        "roads": s["roads"],
        "hazard_sites": s["hazard_sites"],
        "recipients": s["recipients"],
        "rivers": s["rivers"],
        "published_runs": s["published_runs"],
    }
    missing = {
        "townships_without_leader": _names(s["townships_without_leader"]),
        "villages_without_recipient": _names(s["villages_without_recipient"]),
        "shelters_without_capacity": _names(s["shelters_without_capacity"]),
        "shelters_without_township": s["shelters_without_township"],
        "hazard_sites_without_village": s["hazard_sites_without_village"],
        "recipients_unreachable": s["recipients_unreachable"],
        "villages_outside_their_township": s["villages_outside_their_township"],
        "villages_far_from_roads": s["villages_far_from_roads"],
        "shelters_far_from_roads": s["shelters_far_from_roads"],
        "roads_not_connected": s["roads_not_connected"],
    }
    covered = s["county_covered_share"]
    return {
        "county": {"name": s["county_name"], "code": s["county_code"]},
        "loaded": loaded,
        "totals": {
            "population": int(s["population"]),
            "elderly": int(s["elderly"]),
            "shelter_capacity": int(s["shelter_capacity"]),
            "road_km": int(s["road_km"]),
            "roads_closed": s["roads_closed"],
            "threatened_people": int(s["threatened_people"]),
            "road_components": s["road_components"],
            "latest_run": s["latest_run"],
            "county_covered_by_townships": None if covered is None else round(float(covered), 4),
        },
        "missing": missing,
        "next": next_steps(loaded, missing),
    }


def _names(values) -> dict:
    values = list(values or [])
    return {"count": len(values), "first": values[:LISTED]}


def next_steps(loaded: dict, missing: dict) -> list[str]:
    """The commands that would fill what is missing, in the order a county is built."""
    steps = []
    order = (
        ("county", "riskmap import county 县界.shp"),
        ("townships", "riskmap import townships 乡镇界.shp"),
        ("villages", "riskmap import villages 行政村.xlsx"),
        ("shelters", "riskmap import shelters 避灾安置场所.xlsx"),
        ("hazard_sites", "riskmap import hazard-sites 隐患点.xlsx"),
        ("recipients", "riskmap import recipients 责任人.xlsx"),
        ("roads", "riskmap import roads county.osm.pbf"),
    )
    for table, command in order:
        if not loaded[table]:
            steps.append(command)
    if missing["townships_without_leader"]["count"] or missing["villages_without_recipient"]["count"]:
        steps.append(
            "add the missing responsible persons to the roster: riskmap import recipients 责任人.xlsx"
        )
    if missing["shelters_without_capacity"]["count"]:
        steps.append(
            "give the shelters a capacity (可容纳人数) or area (有效面积): riskmap import shelters …"
        )
    if loaded["townships"] and not loaded["published_runs"]:
        steps.append("riskmap pipeline run --rain RAIN.nc --weather WEATHER.nc --terrain DIR")
    return steps
