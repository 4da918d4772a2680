"""Plan an evacuation transfer for a run and store it: demand, network, allocation, vehicles."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree
from sqlalchemy.orm import Session

from backend.errors import InvalidInput, NotFound
from backend.evacuation import core
from backend.models import EvacuationAssignment, EvacuationPlan, RiskRun
from backend.progress import NULL, Stages
from backend.sql import query

METRIC = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)


def parse_options(raw: dict | None) -> core.Options:
    """Options from JSON, with clear errors: each fault named (an unknown option, a word where a number
    belongs, a negative fleet, an unknown policy …), never a Python exception."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInput('options must be a JSON object, e.g. {"walk_km": 1.5, "fleet": {"buses": 12}}')
    known = {f.name: f.type for f in fields(core.Options)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise InvalidInput(f"options: unknown option(s) {', '.join(unknown)}; known: {', '.join(known)}")
    values = dict(raw)
    policy = _policy(values.pop("policy", None))
    fleet = _fleet("options.fleet", values.pop("fleet", {}))
    fleets = values.pop("fleets", {})
    if not isinstance(fleets, dict):
        raise InvalidInput(
            'options.fleets must map township codes to fleets, e.g. {"360799100000": {"buses": 4}}'
        )
    fleets = {str(code): _fleet(f"options.fleets.{code}", f) for code, f in fleets.items()}
    numbers = {name: _number(f"options.{name}", v, whole=known[name] == "int") for name, v in values.items()}
    opts = core.Options(policy=policy, fleet=fleet, fleets=fleets, **numbers)
    for name in ("slow_factor", "walk_km", "access_kmh", "max_access_m", "load_minutes"):
        if getattr(opts, name) < 0 or (name in ("slow_factor", "access_kmh") and getattr(opts, name) == 0):
            raise InvalidInput(f"options.{name} must be positive")
    for name in ("site_level", "flood_level", "slow_level"):
        if not 1 <= getattr(opts, name) <= 4:
            raise InvalidInput(f"options.{name} must be a level 1..4; got {getattr(opts, name)}")
    if not 1 <= opts.candidates <= MAX_CANDIDATES:
        raise InvalidInput(f"options.candidates must be 1..{MAX_CANDIDATES}; got {opts.candidates}")
    return opts


MAX_CANDIDATES = 10_000


def _number(name: str, value, whole: bool) -> float | int:
    """A finite JSON number (a whole one where ``whole``), or a clear error."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a {'whole ' if whole else ''}number; got {value!r}")
    if whole and value != int(value):
        raise InvalidInput(f"{name} must be a whole number; got {value!r}")
    return int(value) if whole else float(value)


def _policy(raw) -> dict[int, str]:
    if raw is None:
        return {4: "all", 3: "vulnerable"}
    if not isinstance(raw, dict):
        raise InvalidInput('options.policy must map levels to rules, e.g. {"4": "all", "3": "vulnerable"}')
    policy = {}
    for lv, rule in raw.items():
        level = int(lv) if str(lv).strip().isdigit() else None
        if level not in (1, 2, 3, 4) or rule not in ("all", "vulnerable"):
            raise InvalidInput(f"policy: level {lv} → {rule!r}; levels 1..4, rules 'all' or 'vulnerable'")
        policy[level] = rule
    return policy


def _fleet(name: str, raw) -> core.Fleet:
    if not isinstance(raw, dict):
        raise InvalidInput(f'{name} must be an object like {{"buses": 10, "seats": 45}}; got {raw!r}')
    unknown = sorted(set(raw) - {"buses", "seats"})
    if unknown:
        raise InvalidInput(f"{name}: unknown field(s) {', '.join(unknown)}; a fleet has buses and seats")
    fleet = {k: _number(f"{name}.{k}", v, whole=True) for k, v in raw.items()}
    try:
        return core.Fleet(**fleet)
    except ValueError as exc:  # buses < 0 or seats ≤ 0
        raise InvalidInput(f"{name}: {exc}") from exc


def options_json(opts: core.Options) -> dict:
    out = asdict(opts)
    out["policy"] = {str(k): v for k, v in opts.policy.items()}
    return out


@dataclass
class PlanResult:
    plan_id: int
    totals: dict
    timings: dict = field(default_factory=dict)


def _xy(lon, lat):
    x, y = METRIC.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([x, y])


def build(session: Session, run_id: int, opts: core.Options, progress: Stages = NULL):
    """Everything the allocation needs, read from PostGIS for one run."""
    run = session.get(RiskRun, run_id)
    if run is None:
        raise NotFound(f"run {run_id} does not exist")
    if run.status != "published":
        raise InvalidInput(f"run {run_id} is not published (status {run.status})")
    timings = {}
    t = time.perf_counter()
    progress.stage("demand", 1)
    villages = (
        session.execute(query("evac_villages"), {"run": run_id, "site_level": opts.site_level})
        .mappings()
        .all()
    )
    demand, rows = [], []
    for v in villages:
        persons, elderly = core.people_to_move(
            v["population"], v["elderly"], v["level"], v["threatened"], opts
        )
        if persons > 0:
            demand.append(core.Demand(v["id"], persons, elderly))
            rows.append(v)
    shelters = [
        s
        for s in session.execute(query("evac_shelters"), {"run": run_id}).mappings().all()
        if s["status"] == "open" and not s["in_danger"]
    ]
    timings["demand"] = time.perf_counter() - t
    progress.advance()

    t = time.perf_counter()
    progress.stage("road network and routes", 1)
    roads = session.execute(query("evac_roads"), {"run": run_id}).mappings().all()
    roads = [r for r in roads if not r["closed"]]
    node_ids = sorted({r["source"] for r in roads} | {r["target"] for r in roads})
    index = {n: i for i, n in enumerate(node_ids)}
    coords = np.zeros((len(node_ids), 2))
    for r in roads:
        coords[index[r["source"]]] = (r["x0"], r["y0"])
        coords[index[r["target"]]] = (r["x1"], r["y1"])
    xy = _xy(coords[:, 0], coords[:, 1]) if len(node_ids) else np.zeros((0, 2))
    speed = np.array([r["speed_kmh"] for r in roads], dtype=float)
    slowed = np.array([r["level"] >= opts.slow_level for r in roads])
    speed = np.where(slowed, speed * opts.slow_factor, speed)
    length = np.array([r["length_m"] for r in roads], dtype=float)
    net = core.Network(
        n=len(node_ids),
        u=np.array([index[r["source"]] for r in roads], dtype=np.int64),
        v=np.array([index[r["target"]] for r in roads], dtype=np.int64),
        minutes=length / (speed * 1000 / 60),
        length_m=length,
        forbidden=np.array([r["rain_level"] >= opts.flood_level for r in roads]),
    )
    tree = cKDTree(xy) if len(xy) else None

    def snap(points):
        if tree is None or not len(points):
            return np.full(len(points), -1), np.full(len(points), np.inf)
        d, k = tree.query(points)
        node = np.where(d <= opts.max_access_m, k, -1)
        return node, d / (opts.access_kmh * 1000 / 60)

    vnode, vacc = (
        snap(_xy([r["lon"] for r in rows], [r["lat"] for r in rows]))
        if rows
        else (np.zeros(0, int), np.zeros(0))
    )
    snode, sacc = (
        snap(_xy([s["lon"] for s in shelters], [s["lat"] for s in shelters]))
        if shelters
        else (np.zeros(0, int), np.zeros(0))
    )
    if len(shelters) and len(rows):
        minutes, route = core.travel_matrix(net, vnode, snode, vacc, sacc)
    else:
        minutes, route = np.full((len(rows), len(shelters)), np.inf), None
    timings["routing"] = time.perf_counter() - t
    progress.advance()
    return dict(
        run=run,
        rows=rows,
        demand=demand,
        shelters=shelters,
        roads=roads,
        minutes=minutes,
        route=route,
        vnode=vnode,
        timings=timings,
    )


def plan_evacuation(
    session: Session,
    run_id: int,
    raw_options: dict | None = None,
    created_by: int | None = None,
    progress: Stages = NULL,
) -> PlanResult:
    """Plan, store and return the plan id and totals (in the caller's transaction)."""
    opts = parse_options(raw_options)
    b = build(session, run_id, opts, progress)
    rows, demand, shelters, minutes = b["rows"], b["demand"], b["shelters"], b["minutes"]
    timings = b["timings"]

    t = time.perf_counter()
    progress.stage("allocation", 1)
    remaining = np.array([s["remaining"] for s in shelters], dtype=np.int64)
    alloc = core.allocate(demand, remaining, minutes, opts.candidates)
    timings["allocation"] = time.perf_counter() - t
    progress.advance()

    t = time.perf_counter()
    progress.stage("routes and vehicles", 1)
    plan = EvacuationPlan(run_id=run_id, params=options_json(opts), totals={}, created_by=created_by)
    session.add(plan)
    session.flush()
    legs_by_town: dict[str, list[tuple[int, float]]] = {}
    assignments = []
    trips_total = walkers = 0
    road_geoms = None
    for i, j, persons, elderly in alloc.flows:
        r = b["route"](i, j)
        walk = r.metres / 1000 <= opts.walk_km
        town = rows[i]["township_code"]
        fleet = opts.fleet_of(town)
        trips = 0 if walk else core.trips_for(persons, fleet)
        walkers += persons if walk else 0
        trips_total += trips
        if trips:
            legs_by_town.setdefault(town, []).append((trips, r.minutes))
        if road_geoms is None:
            road_geoms = shapely.from_wkb([bytes(rd["wkb"]) for rd in b["roads"]])
        geom = shapely.MultiLineString([road_geoms[e] for e in r.edges]) if r.edges else None
        assignments.append(
            EvacuationAssignment(
                plan_id=plan.id,
                village_id=rows[i]["id"],
                shelter_id=shelters[j]["id"],
                persons=persons,
                elderly=elderly,
                trips=trips,
                minutes=round(r.minutes, 2),
                reason="walk" if walk else "bus",
                geom=f"SRID=4326;{geom.wkt}" if geom is not None else None,
            )
        )
    unreachable = 0
    for i, (persons, elderly) in sorted(alloc.unserved.items()):
        no_route = not np.isfinite(minutes[i]).any()
        unreachable += no_route
        assignments.append(
            EvacuationAssignment(
                plan_id=plan.id,
                village_id=rows[i]["id"],
                shelter_id=None,
                persons=persons,
                elderly=elderly,
                trips=0,
                minutes=None,
                reason="unreachable" if no_route else "no shelter capacity",
            )
        )
    session.add_all(assignments)
    finish = {
        town: core.finish_minutes(legs, opts.fleet_of(town), opts.load_minutes)
        for town, legs in legs_by_town.items()
    }
    unserved = sum(p for p, _ in alloc.unserved.values())
    to_move = sum(d.persons for d in demand)
    totals = {
        "people_to_move": to_move,
        "elderly_to_move": sum(d.elderly for d in demand),
        "villages": len(demand),
        "assigned": to_move - unserved,
        "unserved": unserved,
        "unserved_elderly": sum(e for _, e in alloc.unserved.values()),
        "unreachable_villages": int(unreachable),
        "walkers": walkers,
        "trips": trips_total,
        "person_minutes": round(alloc.person_minutes, 1),
        "finish_minutes": round(max(finish.values()), 1) if finish else 0.0,
        "finish_minutes_by_township": {k: round(v, 1) for k, v in sorted(finish.items())},
        "shelters_used": len({j for _, j, _, _ in alloc.flows}),
        "shelters_available": len(shelters),
        "capacity_available": int(remaining.sum()),
    }
    timings["routes_vehicles"] = time.perf_counter() - t
    plan.totals = totals
    session.flush()
    progress.advance()
    return PlanResult(plan.id, totals, {k: round(v, 3) for k, v in timings.items()})


def get_plan(session: Session, plan_id: int) -> EvacuationPlan:
    plan = session.get(EvacuationPlan, plan_id)
    if plan is None:
        raise NotFound(f"evacuation plan {plan_id} does not exist")
    return plan


def plan_rows(session: Session, plan_id: int) -> list[dict]:
    return [dict(r) for r in session.execute(query("evac_plan_rows"), {"p": plan_id}).mappings().all()]
