"""Generate the synthetic sample county: ``riskmap sample generate --out DIR --seed N``.

A hilly county of southern Jiangxi (around 115°E, 25.8°N, ≈3,000 km²): a DEM with ridges and
river valleys, ~70 % forest, 19 townships tiling the county exactly, ~300 villages with a county
seat of ≈150,000 people, a connected road network, ≈145 shelters (some in flood-prone valleys),
≈300 geological hazard sites, ≈1,500 responsible persons, a 72-hour typhoon-remnant rainfall
scenario and 60 days of autumn dry-spell weather.

The same seed gives byte-identical files: every random draw comes from one seeded generator in
a fixed order, files carry no timestamps, and GeoPackages are written with a fixed
``OGR_CURRENT_DATE``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import rasterio.shutil
import shapely
import xarray as xr
from pyproj import Transformer
from rasterio import features
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

from backend.progress import NULL, Stages
from sample_data import admin, terrain
from sample_data.names import COUNTY_CODE, COUNTY_NAME, NameMaker

METRIC_CRS = "EPSG:32650"  # WGS 84 / UTM 50N: metres, for all geometry work
STORAGE_CRS = "EPSG:4326"
CENTRE_LONLAT = (115.0, 25.8)
FIXED_DATE = "2026-01-01T00:00:00Z"  # stamped into GeoPackages instead of "now"
RAIN_START = np.datetime64("2026-10-25T16:00")  # 2026-10-26 00:00 Beijing time, in UTC
WEATHER_DAYS = 60
RAIN_HOURS = 72
GRID_DEG = 0.01  # ~1 km lat/lon grid of the weather files

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
ROAD_SPEED_KMH = {"county": 60.0, "township": 40.0, "village": 25.0}


@dataclass(frozen=True)
class SizeSpec:
    area_km2: float
    townships: int
    villages: int  # rural villages (行政村), besides the seat's communities
    communities: int  # urban communities (社区) of the county seat
    population: int
    seat_population: int
    shelters: dict[str, int] = field(default_factory=dict)
    hazard_sites: int = 300
    dem_cell_m: float = 30.0
    admin_cell_m: float = 150.0
    segment_m: float = 650.0


SIZES: dict[str, SizeSpec] = {
    "county": SizeSpec(
        3000,
        19,
        288,
        12,
        600_000,
        150_000,
        {"emergency": 85, "short": 30, "medium": 18, "long": 8, "central": 4},
        300,
        30.0,
        150.0,
        450.0,
    ),
    "province": SizeSpec(
        60000,
        380,
        5760,
        60,
        12_000_000,
        1_500_000,
        {"emergency": 1700, "short": 600, "medium": 360, "long": 160, "central": 80},
        6000,
        90.0,
        400.0,
        1500.0,
    ),
}


# --------------------------------------------------------------------------------------------
# helpers


def _to_storage(geoms: np.ndarray) -> np.ndarray:
    t = Transformer.from_crs(METRIC_CRS, STORAGE_CRS, always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _sample_raster(arr: np.ndarray, transform, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    cols, rows = ~transform @ (xs, ys)
    r = np.clip(np.floor(rows).astype(int), 0, arr.shape[0] - 1)
    c = np.clip(np.floor(cols).astype(int), 0, arr.shape[1] - 1)
    return arr[r, c]


def _split_total(rng: np.random.Generator, weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total`` (largest remainder)."""
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(np.int64)
    rest = total - int(out.sum())
    order = np.argsort(-(raw - out), kind="stable")
    out[order[:rest]] += 1
    return out


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


# --------------------------------------------------------------------------------------------
# the generator


class CountyGenerator:
    def __init__(self, seed: int, spec: SizeSpec, progress: Stages = NULL):
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.spec = spec
        self.progress = progress
        self.names = NameMaker(self.rng)
        t = Transformer.from_crs(STORAGE_CRS, METRIC_CRS, always_xy=True)
        self.centre = np.array(t.transform(*CENTRE_LONLAT))

    # ---- terrain ------------------------------------------------------------------------
    def build_terrain(self) -> None:
        spec, rng = self.spec, self.rng
        area_m2 = spec.area_km2 * 1e6
        self.outline = admin.county_outline(rng, tuple(self.centre), area_m2)
        minx, miny, maxx, maxy = self.outline.buffer(3000).bounds
        cell = spec.dem_cell_m
        minx, miny = np.floor(minx / cell) * cell, np.floor(miny / cell) * cell
        self.nx = int(np.ceil((maxx - minx) / cell))
        self.ny = int(np.ceil((maxy - miny) / cell))
        self.transform = from_origin(minx, miny + self.ny * cell, cell, cell)
        self.bounds = (minx, miny, minx + self.nx * cell, miny + self.ny * cell)
        shape = (self.ny, self.nx)
        self.progress.advance(1)

        # rivers: a main river across the county and tributaries joining it
        w, e = self.bounds[0], self.bounds[2]
        cy = self.centre[1] + rng.uniform(-0.08, 0.08) * (self.bounds[3] - self.bounds[1])
        main = terrain.meander(
            rng,
            np.array([w, cy + rng.uniform(-4e3, 4e3)]),
            np.array([e, cy + rng.uniform(-4e3, 4e3)]),
            300.0,
            0.06,
        )
        rivers = [("main", main)]
        n_trib = max(6, int(round(6 * np.sqrt(spec.area_km2 / 3000))))
        height = self.bounds[3] - self.bounds[1]
        for k in range(n_trib):
            j = int(rng.integers(len(main) // 8, len(main) * 7 // 8))
            start = main[j]
            side = 1 if k % 2 == 0 else -1
            length = rng.uniform(0.25, 0.45) * height
            end = start + np.array([rng.uniform(-0.4, 0.4) * length, side * length])
            rivers.append(("tributary", terrain.meander(rng, end, start, 300.0, 0.08)))
        self.rivers = rivers
        river_lines = [shapely.LineString(r) for _, r in rivers]
        # distance to the nearest river, through a rasterised river mask
        burn = features.rasterize(
            [(ln.buffer(cell), 1) for ln in river_lines],
            out_shape=shape,
            transform=self.transform,
            dtype=np.uint8,
        )
        self.river_dist = (ndimage.distance_transform_edt(burn == 0) * cell).astype(np.float32)
        self.progress.advance(1)

        noise = terrain.fractal_noise(rng, shape, 2.4, cell)
        ridges = terrain.fractal_noise(rng, shape, 2.0, cell, min_wavelength_m=600)
        self.dem = terrain.dem_from(noise, ridges, self.river_dist)
        self.slope = terrain.slope_deg(self.dem, cell)
        self.inside = features.rasterize(
            [(self.outline, 1)], out_shape=shape, transform=self.transform, dtype=np.uint8
        ).astype(bool)
        self.patch_noise = terrain.fractal_noise(rng, shape, 2.6, cell)
        self.progress.advance(1)

    # ---- townships ----------------------------------------------------------------------
    def build_townships(self) -> None:
        spec, rng = self.spec, self.rng
        acell = spec.admin_cell_m
        f = int(round(acell / spec.dem_cell_m))
        ny, nx = self.ny // f, self.nx // f
        dem_c = self.dem[: ny * f, : nx * f].reshape(ny, f, nx, f).mean(axis=(1, 3))
        atrans = self.transform * rasterio.Affine.scale(f)
        inside = features.rasterize(
            [(self.outline, 1)], out_shape=(ny, nx), transform=atrans, dtype=np.uint8
        ).astype(bool)
        lab, n = ndimage.label(inside)
        if n > 1:  # keep the main body
            sizes = ndimage.sum(inside, lab, range(1, n + 1))
            inside = lab == (int(np.argmax(sizes)) + 1)
        inside = ndimage.binary_fill_holes(inside)
        # the county seat: on the main river, near the middle of the county
        main = self.rivers[0][1]
        mid = main[np.argmin(np.hypot(*(main - self.centre).T))]
        seat_xy = mid + np.array([rng.uniform(-2e3, 2e3), 900.0])
        sc, sr = ~atrans @ tuple(seat_xy)
        first = (int(sr), int(sc))
        seeds = admin.spread_seeds(rng, inside, spec.townships, first)
        # crossing high ground is dear, so boundaries settle on ridges, as real ones do
        cost = 1.0 + 2.5 * (dem_c - dem_c.min()) / np.ptp(dem_c)
        labels = admin.township_labels(cost, inside, seeds, acell)
        polys = admin.polygonize_labels(labels, atrans, spec.townships, tolerance_m=acell * 1.2)
        self.seat_xy = seat_xy
        # codes: the seat first (…100000), then townships from north-west to south-east
        cent = np.array([[p.centroid.x, p.centroid.y] for p in polys])
        rest = sorted(range(1, len(polys)), key=lambda i: (-round(cent[i, 1] / 5000), cent[i, 0]))
        order = [0, *rest]
        self.township_polys = [polys[i] for i in order]
        rows = []
        n_xiang = max(1, len(order) // 4)
        for k, _ in enumerate(order):
            suffix = "乡" if k > len(order) - 1 - n_xiang else "镇"  # the last few are 乡
            rows.append({"code": f"{COUNTY_CODE}{100 + k:03d}000", "name": self.names.place(suffix)})
        self.townships = pd.DataFrame(rows)
        self.township_mask = features.rasterize(
            [(p, k + 1) for k, p in enumerate(self.township_polys)],
            out_shape=(self.ny, self.nx),
            transform=self.transform,
            dtype=np.int32,
        )
        # the county is what its townships cover
        self.inside = self.township_mask > 0
        self.progress.advance(1)

    # ---- villages and the county seat ----------------------------------------------------
    def build_villages(self) -> None:
        spec, rng = self.spec, self.rng
        cell = spec.dem_cell_m
        # candidate sites on a coarse lattice: flat, low, near water, inside the county
        step = max(int(300 // cell), 1)
        rr, cc = np.mgrid[step // 2 : self.ny : step, step // 2 : self.nx : step]
        rr, cc = rr.ravel(), cc.ravel()
        ok = self.inside[rr, cc] & (self.river_dist[rr, cc] > 120)
        rr, cc = rr[ok], cc[ok]
        xs, ys = rasterio.transform.xy(self.transform, rr, cc)
        xs, ys = np.asarray(xs), np.asarray(ys)
        suit = (
            np.exp(-self.slope[rr, cc] / 9.0)
            * np.exp(-(self.dem[rr, cc] - 100) / 300.0)
            * (0.3 + np.exp(-self.river_dist[rr, cc] / 2500.0))
        )
        town_of = self.township_of(xs, ys)
        areas = np.array([p.area for p in self.township_polys])
        per_town = np.maximum(_split_total(rng, areas, spec.villages), 6)
        # seat communities: a compact town on the river
        seat_pts = []
        for _ in range(spec.communities):
            r = 2600 * np.sqrt(rng.uniform(0.02, 1))
            a = rng.uniform(0, 2 * np.pi)
            p = self.seat_xy + r * np.array([np.cos(a), np.sin(a)])
            while self.township_of(p[:1], p[1:])[0] != 0:  # keep the seat in its township
                p = self.seat_xy + (p - self.seat_xy) * 0.5
            seat_pts.append(p)
        seat_pts = np.array(seat_pts)
        pts, town, kind = [], [], []
        for t in range(len(self.township_polys)):
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
        # population: the seat's communities share the seat population; villages lognormal
        pop = np.zeros(n, dtype=np.int64)
        is_comm = kind == "community"
        pop[is_comm] = _split_total(rng, rng.uniform(0.6, 1.4, is_comm.sum()), spec.seat_population)
        w = rng.lognormal(0.0, 0.45, (~is_comm).sum())
        w[kind[~is_comm] == "centre"] *= 3.0  # township seats are larger
        pop[~is_comm] = _split_total(rng, w, spec.population - spec.seat_population)
        remote = np.clip(_sample_raster(self.dem, self.transform, pts[:, 0], pts[:, 1]) / 800, 0, 1)
        elderly_share = np.where(
            is_comm,
            rng.uniform(0.11, 0.15, n),
            np.clip(rng.normal(0.17, 0.03, n) + 0.08 * remote, 0.08, 0.35),
        )
        elderly = np.floor(pop * elderly_share).astype(np.int64)
        households = np.ceil(pop / rng.uniform(2.9, 3.6, n)).astype(np.int64)
        codes, names = [], []
        seq: dict[tuple[int, str], int] = {}
        for i in range(n):
            t = int(town[i])
            urban = kind[i] == "community"
            key = (t, "c" if urban else "v")
            seq[key] = seq.get(key, 0) + 1
            num = seq[key] + (0 if urban else 199)  # GB/T 10114: 001–199 居委会, 200–399 村委会
            codes.append(self.townships.code[t][:9] + f"{num:03d}")
            names.append(self.names.place("社区" if urban else "村"))
        self.villages = pd.DataFrame(
            {
                "code": codes,
                "township_code": self.townships.code.values[town],
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
        self.townships["population"] = (
            self.villages.groupby("town")
            .population.sum()
            .reindex(range(len(self.townships)), fill_value=0)
            .values
        )
        built = np.zeros((self.ny, self.nx), dtype=bool)
        shapes = [
            (shapely.Point(x, y).buffer(60 + 4.0 * np.sqrt(p)), 1)
            for x, y, p in zip(pts[:, 0], pts[:, 1], pop, strict=True)
        ]
        shapes.append((shapely.Point(*self.seat_xy).buffer(2900), 1))
        built = (
            features.rasterize(
                shapes, out_shape=built.shape, transform=self.transform, dtype=np.uint8
            ).astype(bool)
            & self.inside
        )
        self.landcover = terrain.landcover_from(
            self.dem, self.slope, self.river_dist, built, self.inside, self.patch_noise
        )
        self.progress.advance(1)

    # ---- shelters -----------------------------------------------------------------------
    def build_shelters(self) -> None:
        rng, v = self.rng, self.villages
        rows = []
        vx, vy = v.x.values, v.y.values
        villages = np.nonzero((v.kind == "village").values)[0]
        near_river = self.river_dist_at(vx, vy) < 900
        n_classes = self.spec.shelters
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
                gy, gx = self.river_grad_at(hx, hy)
                dist = max(self.river_dist_at(np.array([hx]), np.array([hy]))[0] - 80, 0)
                px, py = hx - gx * dist * 0.85, hy - gy * dist * 0.85
            else:
                a, r = rng.uniform(0, 2 * np.pi), rng.uniform(80, 450)
                px, py = hx + r * np.cos(a), hy + r * np.sin(a)
            if self.township_at(px, py) != int(v.town[host]):
                px, py = hx + 30.0, hy
            lo, hi = SHELTER_AREA_RANGE_M2[cls]
            area = float(np.round(rng.uniform(lo, hi), -1))
            label = kinds[cls][k % len(kinds[cls])]
            name = (v.name[host].removesuffix("社区") if cls == "central" else "") + label
            if cls in ("long", "medium", "short"):
                name = self.townships.name[int(v.town[host])] + label.removeprefix("镇")
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
                    "township_code": self.townships.code[int(v.town[host])],
                    "host": host,
                    "x": px,
                    "y": py,
                    "flood_prone": bool(flood),
                }
            )
        self.shelters = pd.DataFrame(rows)
        self.progress.advance(1)

    def river_dist_at(self, xs, ys) -> np.ndarray:
        return _sample_raster(self.river_dist, self.transform, np.asarray(xs), np.asarray(ys))

    def river_grad_at(self, x, y) -> tuple[float, float]:
        c, r = ~self.transform @ (x, y)
        r, c = int(np.clip(r, 1, self.ny - 2)), int(np.clip(c, 1, self.nx - 2))
        d = self.river_dist
        gx = (d[r, c + 1] - d[r, c - 1]) / 2
        gy = -(d[r + 1, c] - d[r - 1, c]) / 2  # rows grow southward
        norm = np.hypot(gx, gy) or 1.0
        return gy / norm, gx / norm

    def township_of(self, xs, ys) -> np.ndarray:
        """Index of the township polygon containing each point (-1 outside the county)."""
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        out = np.full(xs.shape, -1, dtype=np.int64)
        for k, poly in enumerate(self.township_polys):
            out[shapely.contains_xy(poly, xs, ys)] = k
        return out

    def township_at(self, x, y) -> int:
        return int(self.township_of(np.array([x]), np.array([y]))[0])

    # ---- roads --------------------------------------------------------------------------
    def build_roads(self) -> None:
        rng, v, s = self.rng, self.villages, self.shelters
        vxy = v[["x", "y"]].to_numpy()
        edges: list[tuple[int, int, str]] = []  # node indices into vxy / shelters

        def mst_with_loops(idx: np.ndarray, loops: float) -> list[tuple[int, int]]:
            if len(idx) < 2:
                return []
            if len(idx) == 2:
                return [(int(idx[0]), int(idx[1]))]
            tri = Delaunay(vxy[idx])
            pairs = set()
            for simplex in tri.simplices:
                for a, b in ((0, 1), (1, 2), (0, 2)):
                    i, j = sorted((simplex[a], simplex[b]))
                    pairs.add((int(i), int(j)))
            pairs = sorted(pairs)
            pa = np.array(pairs)
            d = np.hypot(*(vxy[idx[pa[:, 0]]] - vxy[idx[pa[:, 1]]]).T)
            g = coo_matrix((d, (pa[:, 0], pa[:, 1])), shape=(len(idx), len(idx)))
            tree = minimum_spanning_tree(g).tocoo()
            chosen = {(int(min(a, b)), int(max(a, b))) for a, b in zip(tree.row, tree.col, strict=True)}
            extra = [
                p for p, dd in sorted(zip(pairs, d, strict=True), key=lambda t: t[1]) if p not in chosen
            ][: int(len(chosen) * loops)]
            # loops only where they are short: no long detours across ridges
            chosen |= set(extra)
            return [(int(idx[a]), int(idx[b])) for a, b in sorted(chosen)]

        hubs = np.nonzero((v.kind == "centre").values)[0]
        seat_hub = int(np.nonzero((v.kind == "community").values)[0][0])
        hubs = np.concatenate([[seat_hub], hubs])
        edges += [(a, b, "county") for a, b in mst_with_loops(hubs, 0.35)]
        for t in range(len(self.township_polys)):
            idx = np.nonzero(v.town.values == t)[0]
            for a, b in mst_with_loops(idx, 0.15):
                urban = v.kind[a] == "community" and v.kind[b] == "community"
                both_hubs = a in hubs and b in hubs
                if not both_hubs:
                    edges.append(
                        (
                            a,
                            b,
                            "township"
                            if urban or v.kind[a] != "village" or v.kind[b] != "village"
                            else "village",
                        )
                    )
        # the seat's communities join the seat hub's street network
        # shelters: a short village road to the host village
        n_v = len(v)
        for k, host in enumerate(s.host.values):
            edges.append((int(host), n_v + k, "village"))
        node_xy = np.vstack([vxy, s[["x", "y"]].to_numpy()])
        # densify each road into segments between junction nodes, with a gentle meander
        seg_rows = []
        next_node = len(node_xy) + 1  # node ids: 1..N for places, then junctions
        rid = 0
        road_no = {"county": 0, "township": 0, "village": 0}
        prefix = {"county": "X", "township": "Y", "village": "C"}
        seen = set()
        for a, b, cls in edges:
            key = (min(a, b), max(a, b))
            if key in seen or a == b:
                continue
            seen.add(key)
            road_no[cls] += 1
            pa, pb = node_xy[a], node_xy[b]
            length = float(np.hypot(*(pb - pa)))
            line = terrain.meander(rng, pa, pb, 120.0, 0.035) if length > 300 else np.array([pa, pb])
            n_seg = max(1, int(round(length / self.spec.segment_m)))
            cuts = np.linspace(0, len(line) - 1, n_seg + 1).round().astype(int)
            ids = [a + 1] + [0] * (n_seg - 1) + [b + 1]
            for j in range(1, n_seg):
                ids[j] = next_node
                next_node += 1
            for j in range(n_seg):
                part = line[cuts[j] : cuts[j + 1] + 1]
                if len(part) < 2:
                    continue
                geom = shapely.LineString(part)
                if not geom.is_valid or geom.length < 1.0:  # a degenerate bit of meander
                    geom = shapely.LineString([part[0], part[-1]])
                    if geom.length < 1.0:
                        continue
                rid += 1
                seg_rows.append(
                    {
                        "id": rid,
                        "source": ids[j],
                        "target": ids[j + 1],
                        "name": f"{prefix[cls]}{road_no[cls]:03d}",
                        "class": cls,
                        "speed_kmh": ROAD_SPEED_KMH[cls],
                        "length_m": round(geom.length, 1),
                        "closed": False,
                        "geometry": geom,
                    }
                )
        self.roads = pd.DataFrame(seg_rows)
        # each village and shelter is a node of the road graph
        self.villages["road_node"] = np.arange(n_v) + 1
        self.shelters["road_node"] = n_v + np.arange(len(s)) + 1
        self.progress.advance(1)

    # ---- hazard sites -------------------------------------------------------------------
    def build_hazard_sites(self) -> None:
        rng, v = self.rng, self.villages
        spec = self.spec
        rural = np.nonzero((v.kind != "community").values)[0]
        tree = cKDTree(v[["x", "y"]].to_numpy()[rural])
        step = max(int(90 // spec.dem_cell_m), 1)
        rr, cc = np.mgrid[0 : self.ny : step, 0 : self.nx : step]
        rr, cc = rr.ravel(), cc.ravel()
        xs, ys = rasterio.transform.xy(self.transform, rr, cc)
        xs, ys = np.asarray(xs), np.asarray(ys)
        d, nearest = tree.query(np.column_stack([xs, ys]))
        slope = self.slope[rr, cc]
        n_flood = int(round(0.08 * spec.hazard_sites))
        n_slope = spec.hazard_sites - n_flood
        steep = self.inside[rr, cc] & (slope > 25) & (d < 1500) & (d > 150)
        sel = np.nonzero(steep)[0]
        pick = sel[_pick_spaced(rng, xs[sel], ys[sel], (slope[sel] - 20.0) ** 2, n_slope, 250.0)]
        wet = (
            self.inside[rr, cc]
            & (self.river_dist[rr, cc] < 250)
            & (d < 1200)
            & (self.river_dist[rr, cc] > 50)
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
        self.hazard_sites = pd.DataFrame(rows)
        self.progress.advance(1)

    # ---- recipients ---------------------------------------------------------------------
    def build_recipients(self) -> None:
        rng, v = self.rng, self.villages
        rows = []
        phones = set()

        def phone() -> str:
            while True:
                p = f"1{rng.choice([3, 5, 7, 8, 9])}{int(rng.integers(0, 10**9)):09d}"
                if p not in phones:
                    phones.add(p)
                    return p

        def add(role, title, town_code, village_code, with_email):
            k = len(rows) + 1
            rows.append(
                {
                    "code": f"R{k:06d}",
                    "name": self.names.person(),
                    "role": role,
                    "title": title,
                    "township_code": town_code,
                    "village_code": village_code,
                    "phone": phone(),
                    "email": f"r{k:06d}@yunling-county.example" if with_email else None,
                }
            )

        for title in ("县应急管理局值班员", "县应急管理局值班员", "县应急管理局带班领导"):
            add("county_duty", title, None, None, True)
        for code in self.townships.code:
            for title in ("党委书记", "镇长", "分管应急副镇长", "应急办主任"):
                add("township_leader", title, code, None, True)
        sites_per_village = self.hazard_sites.groupby("village_code").size()
        for i in range(len(v)):
            code, town = v.code[i], v.township_code[i]
            urban = v.kind[i] == "community"
            add("village_head", "社区书记" if urban else "村党支部书记", town, code, True)
            add(
                "village_head",
                "社区主任" if urban else "村委会主任",
                town,
                code,
                rng.random() < 0.6,
            )
            for _ in range(int(rng.integers(1, 3)) + int(urban or rng.random() < 0.35)):
                add("grid_worker", "网格员", town, code, rng.random() < 0.3)
            for _ in range(min(int(sites_per_village.get(code, 0)), 2)):
                add("monitor", "地灾群测群防监测员", town, code, False)
        self.recipients = pd.DataFrame(rows)
        self.progress.advance(1)

    # ---- weather ------------------------------------------------------------------------
    def weather_grid(self):
        t = Transformer.from_crs(METRIC_CRS, STORAGE_CRS, always_xy=True)
        lon0, lat0 = t.transform(self.bounds[0], self.bounds[1])
        lon1, lat1 = t.transform(self.bounds[2], self.bounds[3])
        lons = np.round(np.arange(np.floor(lon0 / GRID_DEG) - 2, np.ceil(lon1 / GRID_DEG) + 3) * GRID_DEG, 4)
        lats = np.round(
            np.arange(np.ceil(lat1 / GRID_DEG) + 2, np.floor(lat0 / GRID_DEG) - 3, -1) * GRID_DEG, 4
        )
        lon2, lat2 = np.meshgrid(lons, lats)
        back = Transformer.from_crs(STORAGE_CRS, METRIC_CRS, always_xy=True)
        gx, gy = back.transform(lon2, lat2)
        return lons, lats, gx, gy

    def build_rain(self) -> xr.Dataset:
        """A typhoon remnant drifting SE → N across the eastern county, with convective bursts."""
        rng = np.random.default_rng([self.seed, 1])  # its own stream: robust to other changes
        lons, lats, gx, gy = self.weather_grid()
        elev = _sample_raster(self.dem, self.transform, gx, gy)
        orog = 0.75 + 0.5 * np.clip((elev - 100) / 900, 0, 1)
        size = np.sqrt(self.spec.area_km2 / 3000.0)
        c0 = self.centre + size * np.array([45e3, -60e3])
        c1 = self.centre + size * np.array([0e3, 65e3])
        hours = np.arange(RAIN_HOURS)
        env = np.sin(np.pi * (hours + 0.5) / RAIN_HOURS) ** 1.4
        bursts = []
        n_bursts = int(round(14 * size**2))
        for k in range(n_bursts):
            t0 = int(rng.integers(24, 44)) if k < 3 else int(rng.integers(10, 58))
            base = c0 + (c1 - c0) * (t0 / RAIN_HOURS)
            # the first bursts are the storm's core: intense, on the track, over the county
            off = rng.normal(0, 3e3 * size, 2) if k < 3 else rng.normal(0, 11e3 * size, 2)
            bursts.append(
                (
                    t0,
                    3 if k < 3 else int(rng.integers(2, 5)),
                    base + off,
                    rng.uniform(4e3, 6e3),
                    rng.uniform(90, 105) if k < 3 else rng.uniform(50, 75),
                )
            )
        wobble = terrain.fractal_noise(rng, gx.shape, 2.2, 1000.0)
        rain = np.empty((RAIN_HOURS,) + gx.shape, dtype=np.float32)
        for h in hours:
            c = c0 + (c1 - c0) * (h / (RAIN_HOURS - 1))
            d = np.hypot(gx - c[0], gy - c[1])
            r = 6.0 * env[h] * np.exp(-0.5 * (d / (13e3 * size)) ** 2)
            r += 4.0 * env[h] * np.exp(-0.5 * ((d - 40e3 * size) / (9e3 * size)) ** 2)
            for t0, dur, bc, sig, peak in bursts:
                if t0 <= h < t0 + dur:
                    shape = np.sin(np.pi * (h - t0 + 0.5) / dur)
                    r += peak * shape * np.exp(-0.5 * (np.hypot(gx - bc[0], gy - bc[1]) / sig) ** 2)
            r = r * orog * (0.7 + 0.6 * wobble)
            rain[h] = np.where(r < 0.1, 0.0, np.round(r, 1))
        total = rain.sum(axis=0)
        rain *= np.float32(min(1.0, 249.0 / float(total.max())))
        rain = np.round(rain, 1)
        times = RAIN_START + hours.astype("timedelta64[h]")
        return self._grid_dataset(
            {
                "rain": (
                    rain,
                    {
                        "long_name": "hourly accumulated precipitation",
                        "standard_name": "precipitation_amount",
                        "units": "mm",
                        "cell_methods": "time: sum (interval: 1 hour)",
                    },
                )
            },
            times,
            lats,
            lons,
            "72 h typhoon-remnant rainfall scenario (synthetic)",
        )

    def build_weather(self) -> xr.Dataset:
        """60 days of autumn noon weather ending the day before the rain; driest in the north-west."""
        rng = np.random.default_rng([self.seed, 2])
        lons, lats, gx, gy = self.weather_grid()
        elev = _sample_raster(self.dem, self.transform, gx, gy)
        # 0 in the south-east .. 1 in the north-west
        u = np.array([-1.0, 1.0]) / np.sqrt(2)
        proj = (gx - self.centre[0]) * u[0] + (gy - self.centre[1]) * u[1]
        radius = np.sqrt(self.spec.area_km2 * 1e6 / np.pi)
        nw = np.clip(0.5 + proj / (2 * radius), 0, 1)
        days = np.arange(WEATHER_DAYS)
        season = 1 - days / WEATHER_DAYS  # warm early September → cooler late October
        front = np.clip((days - (WEATHER_DAYS - 6)) / 3.0, 0, 1)  # a dry, windy front at the end
        events = {3: 25.0, 11: 12.0, 20: 18.0, 29: 9.0, 38: 14.0}
        shape = (WEATHER_DAYS,) + gx.shape
        tas = np.empty(shape, np.float32)
        hurs = np.empty(shape, np.float32)
        wind = np.empty(shape, np.float32)
        pr = np.zeros(shape, np.float32)
        for d in days:
            jitter = rng.normal(0, 1, 3)
            tas[d] = 22.0 + 5.0 * season[d] + 2.5 * nw - 6.5 * (elev - 200) / 1000 + 1.0 * jitter[0]
            hurs[d] = 68 - 10 * (d / WEATHER_DAYS) - 16 * nw - 10 * front[d] * nw + 3 * jitter[1]
            wind[d] = 5 + 6 * nw + 4 * (elev - 100) / 1000 + 22 * front[d] * nw**2 + 1.5 * abs(jitter[2])
            if d in events:
                pr[d] = events[d] * (1.3 - nw) * rng.uniform(0.8, 1.2)
        tas = np.round(tas, 1)
        hurs = np.round(np.clip(hurs, 12, 100), 0)
        wind = np.round(np.clip(wind, 0, None), 1)
        pr = np.round(pr, 1)
        start = RAIN_START + np.timedelta64(8, "h") - np.timedelta64(WEATHER_DAYS, "D")
        times = (start.astype("datetime64[D]") + days.astype("timedelta64[D]")).astype(
            "datetime64[ns]"
        ) + np.timedelta64(4, "h")  # local noon (12:00+08:00) in UTC
        return self._grid_dataset(
            {
                "tas": (
                    tas,
                    {
                        "long_name": "noon air temperature",
                        "standard_name": "air_temperature",
                        "units": "degC",
                    },
                ),
                "hurs": (
                    hurs,
                    {
                        "long_name": "noon relative humidity",
                        "standard_name": "relative_humidity",
                        "units": "%",
                    },
                ),
                "sfcWind": (
                    wind,
                    {
                        "long_name": "noon 10 m wind speed",
                        "standard_name": "wind_speed",
                        "units": "km/h",
                    },
                ),
                "pr": (
                    pr,
                    {
                        "long_name": "24 h precipitation to noon",
                        "standard_name": "precipitation_amount",
                        "units": "mm",
                        "cell_methods": "time: sum (interval: 24 hours)",
                    },
                ),
            },
            times,
            lats,
            lons,
            "60 days of autumn noon weather (synthetic dry spell)",
        )

    @staticmethod
    def _grid_dataset(variables: dict, times, lats, lons, title: str) -> xr.Dataset:
        ds = xr.Dataset(
            {
                name: (("time", "lat", "lon"), arr, {**attrs, "grid_mapping": "crs"})
                for name, (arr, attrs) in variables.items()
            },
            coords={
                "time": (
                    "time",
                    np.asarray(times, dtype="datetime64[ns]"),
                    {"standard_name": "time", "axis": "T"},
                ),
                "lat": (
                    "lat",
                    lats,
                    {"standard_name": "latitude", "units": "degrees_north", "axis": "Y"},
                ),
                "lon": (
                    "lon",
                    lons,
                    {"standard_name": "longitude", "units": "degrees_east", "axis": "X"},
                ),
            },
            attrs={
                "Conventions": "CF-1.8",
                "title": title,
                "institution": "riskmap sample generator",
                "source": "synthetic",
                "references": "riskmap sample_data/generate.py",
            },
        )
        ds["crs"] = xr.DataArray(
            np.int32(0),
            attrs={
                "grid_mapping_name": "latitude_longitude",
                "longitude_of_prime_meridian": 0.0,
                "semi_major_axis": 6378137.0,
                "inverse_flattening": 298.257223563,
                "crs_wkt": 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
                'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]',
                "spatial_ref": "EPSG:4326",
            },
        )
        ds.time.encoding.update(
            {"units": "hours since 2026-01-01 00:00:00", "calendar": "standard", "dtype": "int32"}
        )
        return ds

    # ---- writing ------------------------------------------------------------------------
    def write(self, out: Path) -> dict:
        out.mkdir(parents=True, exist_ok=True)
        files: list[str] = []
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})

        def gpkg(name: str, df: pd.DataFrame, geoms: np.ndarray) -> None:
            gdf = gpd.GeoDataFrame(df.reset_index(drop=True), geometry=_to_storage(geoms), crs=STORAGE_CRS)
            path = out / f"{name}.gpkg"
            path.unlink(missing_ok=True)
            gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
            files.append(path.name)

        county_poly = shapely.union_all(self.township_polys)
        gpkg(
            "county",
            pd.DataFrame(
                {
                    "code": [COUNTY_CODE + "000000"],
                    "name": [COUNTY_NAME],
                    "population": [int(self.villages.population.sum())],
                }
            ),
            np.array(
                [shapely.MultiPolygon([county_poly]) if county_poly.geom_type == "Polygon" else county_poly]
            ),
        )
        gpkg(
            "townships",
            self.townships,
            np.array([shapely.MultiPolygon([p]) for p in self.township_polys]),
        )
        v = self.villages
        gpkg("villages", v.drop(columns=["x", "y", "town"]), shapely.points(v.x, v.y))
        s = self.shelters
        gpkg("shelters", s.drop(columns=["x", "y", "host"]), shapely.points(s.x, s.y))
        r = self.roads
        gpkg("roads", r.drop(columns=["geometry"]), r.geometry.values)
        h = self.hazard_sites
        gpkg("hazard_sites", h.drop(columns=["x", "y"]), shapely.points(h.x, h.y))
        gpkg(
            "rivers",
            pd.DataFrame({"kind": [k for k, _ in self.rivers]}),
            np.array(
                [shapely.LineString(r).intersection(county_poly.buffer(2000)) for _, r in self.rivers],
                dtype=object,
            ),
        )
        rec = out / "recipients.csv"
        self.recipients.to_csv(rec, index=False, lineterminator="\n")
        files.append(rec.name)

        self.progress.advance(1)
        profile = {
            "driver": "COG",
            "crs": METRIC_CRS,
            "transform": self.transform,
            "width": self.nx,
            "height": self.ny,
            "count": 1,
            "compress": "DEFLATE",
            "BLOCKSIZE": 512,
        }
        dem = np.where(self.inside, self.dem, np.float32(-9999))
        with rasterio.open(
            out / "dem.tif", "w", dtype="float32", nodata=-9999, PREDICTOR=3, **profile
        ) as dst:
            dst.write(dem, 1)
            dst.update_tags(1, units="m", long_name="elevation above sea level")
        files.append("dem.tif")
        # COG is written through a copy, so the colour table goes on a GTiff first
        tmp = out / ".landcover.tif"
        with rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            dtype="uint8",
            nodata=0,
            crs=METRIC_CRS,
            transform=self.transform,
            width=self.nx,
            height=self.ny,
            count=1,
        ) as dst:
            dst.write(self.landcover, 1)
            dst.write_colormap(1, {k: terrain.LANDCOVER_COLOURS.get(k, (0, 0, 0, 0)) for k in range(6)})
            dst.colorinterp = [ColorInterp.palette]
            dst.update_tags(1, **{f"class_{k}": n for k, n in terrain.LANDCOVER_NAMES.items()})
        with rasterio.open(tmp) as src:
            rasterio.shutil.copy(src, out / "landcover.tif", driver="COG", compress="DEFLATE", blocksize=512)
        tmp.unlink()
        files.append("landcover.tif")
        self.progress.advance(1)

        for name, ds in (("rain.nc", self.build_rain()), ("weather.nc", self.build_weather())):
            enc = {k: {"zlib": True, "complevel": 4, "dtype": "float32"} for k in ds.data_vars if k != "crs"}
            ds.to_netcdf(out / name, engine="netcdf4", encoding=enc)
            files.append(name)
            self.progress.advance(1)

        counts = {
            "townships": len(self.townships),
            "villages": len(v),
            "population": int(v.population.sum()),
            "elderly": int(v.elderly.sum()),
            "seat_population": int(v.population[v.kind == "community"].sum()),
            "shelters": len(s),
            "shelter_capacity": int(s.capacity.sum()),
            "roads": len(r),
            "road_km": int(round(r.length_m.sum() / 1000)),
            "hazard_sites": len(h),
            "recipients": len(self.recipients),
            "area_km2": int(round(county_poly.area / 1e6)),
            "forest_share_pct": int(
                round(100 * float((self.landcover == terrain.FOREST).sum() / self.inside.sum()))
            ),
        }
        manifest = {
            "name": COUNTY_NAME,
            "county_code": COUNTY_CODE,
            "metric_crs": METRIC_CRS,
            "counts": counts,
            "files": {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in sorted(files)},
        }
        return manifest


def generate(out: Path, seed: int = 20260701, size: str = "county", progress: Stages = NULL) -> dict:
    """Write the sample into ``out`` and return its manifest (also written as manifest.json)."""
    spec = SIZES[size]
    gen = CountyGenerator(seed, spec, progress)
    progress.stage("terrain and rivers", 3)
    gen.build_terrain()
    progress.stage("townships", 1)
    gen.build_townships()
    progress.stage("villages and land cover", 1)
    gen.build_villages()
    progress.stage("shelters, roads, hazards", 4)
    gen.build_shelters()
    gen.build_roads()
    gen.build_hazard_sites()
    gen.build_recipients()
    progress.stage("writing files", 4)
    manifest = gen.write(Path(out))
    manifest.update({"seed": seed, "size": size})
    (Path(out) / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest
