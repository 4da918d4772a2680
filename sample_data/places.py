"""Where the sample county's places are: villages and the county seat's communities, shelters
and geological hazard sites (townships are in ``admin``, roads in ``roads``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import rasterio.transform
import shapely
from scipy.spatial import cKDTree

from sample_data import people
from sample_data.county import County, sample_raster, split_total
from sample_data.names import COUNTY_CODE

SHELTER_PERSON_AREA_M2 = {  # GB 21734-2008 minimum 1.5 m²; Sphere 3.5 m² for longer stays
    "emergency": 1.5,
    "short": 2.0,
    "medium": 3.0,
    "long": 3.5,
    "central": 3.5,
}
SHELTER_AREA_RANGE_M2 = {
    "emergency": (200, 1500),
    "short": (600, 2500),
    "medium": (1200, 4000),
    "long": (2500, 7000),
    "central": (8000, 25000),
}


def _pick_spaced(rng: np.random.Generator, xs: np.ndarray, ys: np.ndarray, weights: np.ndarray,
                 n: int, min_dist: float, avoid: np.ndarray | None = None) -> np.ndarray:
    """Indices of ``n`` weighted picks at least ``min_dist`` apart (and from ``avoid`` points).

    Candidates are drawn in weighted random order and accepted when no accepted point lies
    within ``min_dist``; a hash grid of cell size ``min_dist`` keeps each check O(1).
    """
    p = weights / weights.sum()
    order = rng.choice(len(xs), size=min(len(xs), n * 30), replace=False, p=p)
    cells: dict[tuple[int, int], list[tuple[float, float]]] = {}

    def key(x, y):
        return int(np.floor(x / min_dist)), int(np.floor(y / min_dist))

    def free(x, y) -> bool:
        kx, ky = key(x, y)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for qx, qy in cells.get((kx + dx, ky + dy), ()):
                    if (qx - x) ** 2 + (qy - y) ** 2 < min_dist**2:
                        return False
        return True

    for ax, ay in ([] if avoid is None else avoid):
        cells.setdefault(key(ax, ay), []).append((float(ax), float(ay)))
    chosen: list[int] = []
    for i in order:
        x, y = float(xs[i]), float(ys[i])
        if not free(x, y):
            continue
        chosen.append(int(i))
        cells.setdefault(key(x, y), []).append((x, y))
        if len(chosen) == n:
            break
    return np.array(chosen, dtype=np.int64)


def build_villages(county: County) -> None:
    """Villages, township centres and the county seat's communities, with their codes and names."""
    spec, rng = county.spec, county.rng
    cell = spec.dem_cell_m
    # candidate sites on a coarse lattice: flat, low, near water, inside the county
    step = max(int(300 // cell), 1)
    rr, cc = np.mgrid[step // 2 : county.ny : step, step // 2 : county.nx : step]
    rr, cc = rr.ravel(), cc.ravel()
    ok = county.inside[rr, cc] & (county.river_dist[rr, cc] > 120)
    rr, cc = rr[ok], cc[ok]
    xs, ys = rasterio.transform.xy(county.transform, rr, cc)
    xs, ys = np.asarray(xs), np.asarray(ys)
    suit = (
        np.exp(-county.slope[rr, cc] / 9.0)
        * np.exp(-(county.dem[rr, cc] - 100) / 300.0)
        * (0.3 + np.exp(-county.river_dist[rr, cc] / 2500.0))
    )
    town_of = _township_of(county, xs, ys)
    areas = np.array([p.area for p in county.township_polys])
    per_town = np.maximum(split_total(rng, areas, spec.villages), 6)
    # seat communities: a compact town on the river
    seat_pts = []
    for _ in range(spec.communities):
        r = 2600 * np.sqrt(rng.uniform(0.02, 1))
        a = rng.uniform(0, 2 * np.pi)
        p = county.seat_xy + r * np.array([np.cos(a), np.sin(a)])
        while _township_of(county, p[:1], p[1:])[0] != 0:  # keep the seat in its township
            p = county.seat_xy + (p - county.seat_xy) * 0.5
        seat_pts.append(p)
    seat_pts = np.array(seat_pts)
    pts, town, kind = [], [], []
    for t in range(len(county.township_polys)):
        sel = np.nonzero(town_of == t)[0]
        n_t = int(per_town[t])
        avoid = seat_pts if t == 0 else None
        pick = _pick_spaced(
            rng,
            xs[sel],
            ys[sel],
            suit[sel] + 1e-6,
            n_t,
            min_dist=np.sqrt(areas[t] / max(n_t, 1)) * 0.55,
            avoid=avoid,
        )
        # the township's centre village (镇区) is its most suitable site
        best = pick[np.argsort(-suit[sel][pick], kind="stable")]
        for j, i in enumerate(best):
            pts.append((xs[sel][i], ys[sel][i]))
            town.append(t)
            kind.append("centre" if j == 0 else "village")
    for p in seat_pts:
        pts.append(tuple(p))
        town.append(0)
        kind.append("community")
    pts = np.array(pts)
    town = np.array(town)
    kind = np.array(kind)
    n = len(pts)
    pop, elderly, households = people.village_population(county, pts, kind)
    codes, names = [], []
    seq: dict[tuple[int, str], int] = {}
    for i in range(n):
        t = int(town[i])
        urban = kind[i] == "community"
        key = (t, "c" if urban else "v")
        seq[key] = seq.get(key, 0) + 1
        num = seq[key] + (0 if urban else 199)  # GB/T 10114: 001–199 居委会, 200–399 村委会
        codes.append(county.townships.code[t][:9] + f"{num:03d}")
        names.append(county.names.place("社区" if urban else "村"))
    county.villages = pd.DataFrame(
        {
            "code": codes,
            "township_code": county.townships.code.values[town],
            "name": names,
            "population": pop,
            "elderly": elderly,
            "households": households,
            "kind": kind,
            "x": pts[:, 0],
            "y": pts[:, 1],
            "town": town,
        }
    )


def build_shelters(county: County) -> None:
    """Shelters of every GB 21734 class near their host places, some on flood-prone valley floors."""
    rng, v = county.rng, county.villages
    rows = []
    vx, vy = v.x.values, v.y.values
    villages = np.nonzero((v.kind == "village").values)[0]
    near_river = _river_dist_at(county, vx, vy) < 900
    n_classes = county.spec.shelters
    hosts: list[tuple[str, int, bool]] = []  # (class, host village, on the flood plain)
    # central shelters in the seat, fixed (short/medium/long) ones in township centres,
    # emergency ones in villages
    comm = np.nonzero((v.kind == "community").values)[0]
    for i in range(n_classes["central"]):
        hosts.append(("central", int(comm[i % len(comm)]), False))
    fixed = [c for k in ("long", "medium", "short") for c in [k] * n_classes[k]]
    cen = np.nonzero((v.kind == "centre").values)[0]
    for i, cls in enumerate(fixed):
        host = (
            int(cen[i % len(cen)])
            if i < 2 * len(cen)
            else int(rng.choice(np.concatenate([cen, villages])))
        )
        hosts.append((cls, host, False))
    # emergency points: villages, with a share deliberately on valley floors that flood
    flood_prone = villages[near_river[villages]]
    others = villages[~near_river[villages]]
    n_em = n_classes["emergency"]
    n_flood = min(len(flood_prone), int(round(0.2 * n_em)))
    hosts += [("emergency", int(i), True) for i in rng.choice(flood_prone, n_flood, replace=False)]
    hosts += [("emergency", int(i), False) for i in rng.choice(others, n_em - n_flood, replace=False)]
    kinds = {
        "central": ["县体育中心", "县第一中学", "县人民广场", "县会展中心", "县职业中学"],
        "long": ["镇中心小学", "镇敬老院"],
        "medium": ["镇中学", "镇文化站"],
        "short": ["镇政府大院", "镇卫生院广场"],
        "emergency": ["村委会", "村小学", "村文化广场"],
    }
    for k, (cls, host, flood) in enumerate(hosts):
        hx, hy = vx[host], vy[host]
        if flood:  # toward the river: on the floodplain
            gy, gx = _river_grad_at(county, hx, hy)
            dist = max(_river_dist_at(county, np.array([hx]), np.array([hy]))[0] - 80, 0)
            px, py = hx - gx * dist * 0.85, hy - gy * dist * 0.85
        else:
            a, r = rng.uniform(0, 2 * np.pi), rng.uniform(80, 450)
            px, py = hx + r * np.cos(a), hy + r * np.sin(a)
        if _township_at(county, px, py) != int(v.town[host]):
            px, py = hx + 30.0, hy
        lo, hi = SHELTER_AREA_RANGE_M2[cls]
        area = float(np.round(rng.uniform(lo, hi), -1))
        label = kinds[cls][k % len(kinds[cls])]
        name = (v.name[host].removesuffix("社区") if cls == "central" else "") + label
        if cls in ("long", "medium", "short"):
            name = county.townships.name[int(v.town[host])] + label.removeprefix("镇")
        elif cls == "emergency":
            name = v.name[host] + label.removeprefix("村") + "避灾安置点"
        rows.append(
            {
                "code": f"SH{k + 1:05d}",
                "name": name,
                "class": cls,
                "area_m2": area,
                "capacity": int(area // SHELTER_PERSON_AREA_M2[cls]),
                "occupancy": 0,
                "status": "open",
                "township_code": county.townships.code[int(v.town[host])],
                "host": host,
                "x": px,
                "y": py,
                "flood_prone": bool(flood),
            }
        )
    county.shelters = pd.DataFrame(rows)


def _river_dist_at(county: County, xs, ys) -> np.ndarray:
    return sample_raster(county.river_dist, county.transform, np.asarray(xs), np.asarray(ys))


def _river_grad_at(county: County, x, y) -> tuple[float, float]:
    c, r = ~county.transform @ (x, y)
    r, c = int(np.clip(r, 1, county.ny - 2)), int(np.clip(c, 1, county.nx - 2))
    d = county.river_dist
    gx = (d[r, c + 1] - d[r, c - 1]) / 2
    gy = -(d[r + 1, c] - d[r - 1, c]) / 2  # rows grow southward
    norm = np.hypot(gx, gy) or 1.0
    return gy / norm, gx / norm


def _township_of(county: County, xs, ys) -> np.ndarray:
    """Index of the township polygon containing each point (-1 outside the county)."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    out = np.full(xs.shape, -1, dtype=np.int64)
    for k, poly in enumerate(county.township_polys):
        out[shapely.contains_xy(poly, xs, ys)] = k
    return out


def _township_at(county: County, x, y) -> int:
    return int(_township_of(county, np.array([x]), np.array([y]))[0])


def build_hazard_sites(county: County) -> None:
    """Geological hazard sites on steep slopes near villages, and flood points by rivers."""
    rng, v = county.rng, county.villages
    spec = county.spec
    rural = np.nonzero((v.kind != "community").values)[0]
    tree = cKDTree(v[["x", "y"]].to_numpy()[rural])
    step = max(int(90 // spec.dem_cell_m), 1)
    rr, cc = np.mgrid[0 : county.ny : step, 0 : county.nx : step]
    rr, cc = rr.ravel(), cc.ravel()
    xs, ys = rasterio.transform.xy(county.transform, rr, cc)
    xs, ys = np.asarray(xs), np.asarray(ys)
    d, nearest = tree.query(np.column_stack([xs, ys]))
    slope = county.slope[rr, cc]
    n_flood = int(round(0.08 * spec.hazard_sites))
    n_slope = spec.hazard_sites - n_flood
    steep = county.inside[rr, cc] & (slope > 25) & (d < 1500) & (d > 150)
    sel = np.nonzero(steep)[0]
    pick = sel[_pick_spaced(rng, xs[sel], ys[sel], (slope[sel] - 20.0) ** 2, n_slope, 250.0)]
    wet = (
        county.inside[rr, cc]
        & (county.river_dist[rr, cc] < 250)
        & (d < 1200)
        & (county.river_dist[rr, cc] > 50)
    )
    selw = np.nonzero(wet)[0]
    pickw = selw[_pick_spaced(rng, xs[selw], ys[selw], np.ones(len(selw)), n_flood, 800.0)]
    rows = []
    for k, i in enumerate(np.concatenate([pick, pickw])):
        if k < len(pick):
            kind = rng.choice(["landslide", "collapse", "debris_flow"], p=[0.6, 0.27, 0.13])
        else:
            kind = "flood_point"
        vi = rural[nearest[i]]
        people = int(min(np.ceil(rng.lognormal(3.2, 0.7)), v.population[vi] // 3))
        kind_zh = {
            "landslide": "滑坡",
            "collapse": "崩塌",
            "debris_flow": "泥石流",
            "flood_point": "易涝点",
        }[kind]
        rows.append(
            {
                "code": f"DZ{COUNTY_CODE}{k + 1:05d}",
                "kind": kind,
                "name": f"{v.name[vi]}{int(rng.integers(1, 12))}组{kind_zh}",
                "township_code": v.township_code[vi],
                "village_code": v.code[vi],
                "threatened_people": max(people, 3),
                "threat_radius_m": float(np.round(rng.uniform(150, 500), -1)),
                "x": xs[i],
                "y": ys[i],
            }
        )
    county.hazard_sites = pd.DataFrame(rows)
