"""County outline and townships that tile it exactly, with organic boundaries along ridges.

``build_townships`` is the generator's stage that draws them, with their codes and names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from rasterio import features
from rasterio.transform import Affine
from scipy import ndimage, sparse
from scipy.sparse import csgraph

from sample_data.county import County
from sample_data.names import COUNTY_CODE


def county_outline(
    rng: np.random.Generator, centre: tuple[float, float], area_m2: float, n: int = 720
) -> shapely.Polygon:
    """A star-shaped, wiggly outline of exactly ``area_m2`` (polar curve r(θ) around ``centre``)."""
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = np.ones(n)
    for k in range(2, 24):
        amp = 0.16 / k**1.1
        r += amp * rng.uniform(0.3, 1.0) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    # polygon area of the unit-scaled curve (shoelace), then scale to the wanted area
    x, y = r * np.cos(theta), r * np.sin(theta)
    unit_area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    s = np.sqrt(area_m2 / unit_area)
    ring = np.column_stack([centre[0] + s * x, centre[1] + s * y])
    return shapely.Polygon(ring)


def grid_graph(cost: np.ndarray, inside: np.ndarray, cell_m: float) -> sparse.csr_matrix:
    """4-neighbour graph over ``inside`` cells; an edge costs the mean of its cells' costs."""
    ny, nx = cost.shape
    idx = np.arange(ny * nx).reshape(ny, nx)
    rows, cols, w = [], [], []
    for a, b, ca, cb in (
        (idx[:, :-1], idx[:, 1:], cost[:, :-1], cost[:, 1:]),
        (idx[:-1, :], idx[1:, :], cost[:-1, :], cost[1:, :]),
    ):
        ok = inside.ravel()[a.ravel()] & inside.ravel()[b.ravel()]
        rows.append(a.ravel()[ok])
        cols.append(b.ravel()[ok])
        w.append(((ca.ravel() + cb.ravel()) * 0.5 * cell_m)[ok])
    r, c, ww = np.concatenate(rows), np.concatenate(cols), np.concatenate(w)
    return sparse.coo_matrix((ww, (r, c)), shape=(ny * nx, ny * nx)).tocsr()


def spread_seeds(
    rng: np.random.Generator,
    inside: np.ndarray,
    n: int,
    first: tuple[int, int],
    candidates: int = 40,
) -> list[tuple[int, int]]:
    """Best-candidate sampling: ``n`` well-spread cells inside the mask, the first one given."""
    ys, xs = np.nonzero(inside)
    seeds = [first]
    for _ in range(n - 1):
        pick = rng.integers(0, len(ys), size=candidates)
        cy, cx = ys[pick], xs[pick]
        d = np.min([np.hypot(cy - sy, cx - sx) for sy, sx in seeds], axis=0)
        best = int(np.argmax(d))
        seeds.append((int(cy[best]), int(cx[best])))
    return seeds


def township_labels(
    cost: np.ndarray, inside: np.ndarray, seeds: list[tuple[int, int]], cell_m: float
) -> np.ndarray:
    """Label every inside cell with the seed nearest by travel cost (contiguous by construction)."""
    ny, nx = cost.shape
    g = grid_graph(cost, inside, cell_m)
    sources = [sy * nx + sx for sy, sx in seeds]
    _, _, owner = csgraph.dijkstra(
        g, directed=False, indices=sources, min_only=True, return_predecessors=True
    )
    seed_index = {s: i for i, s in enumerate(sources)}
    labels = np.full(ny * nx, -1, dtype=np.int32)
    valid = owner >= 0
    labels[valid] = np.vectorize(seed_index.__getitem__)(owner[valid])
    labels[np.array(sources)] = np.arange(len(sources))
    return labels.reshape(ny, nx)


def polygonize_labels(
    labels: np.ndarray, transform: Affine, n: int, tolerance_m: float
) -> list[shapely.Polygon]:
    """Township polygons from a label grid, simplified as a coverage (shared edges stay shared)."""
    parts: list[list[shapely.Geometry]] = [[] for _ in range(n)]
    for geom, value in features.shapes(labels, mask=labels >= 0, transform=transform, connectivity=4):
        parts[int(value)].append(shapely.geometry.shape(geom))
    polys = [shapely.union_all(p) for p in parts]
    for i, p in enumerate(polys):
        if p.geom_type != "Polygon":
            raise ValueError(f"township {i} is not contiguous")
    # GDAL writes a vertex only where a boundary turns, so two neighbours may split a shared edge
    # differently; put a vertex on every lattice point and snap, making the coverage exact
    # before it is simplified as a coverage
    cell = abs(transform.a)
    noded = shapely.set_precision(shapely.segmentize(np.array(polys, dtype=object), cell), cell / 100)
    if not shapely.coverage_is_valid(noded):
        raise ValueError("township polygons do not form a valid coverage")
    simplified = shapely.coverage_simplify(noded, tolerance_m)
    return list(simplified)


def build_townships(county: County) -> None:
    """The townships, the county seat's site, and the mask of which township covers each cell."""
    spec, rng = county.spec, county.rng
    acell = spec.admin_cell_m
    f = int(round(acell / spec.dem_cell_m))
    ny, nx = county.ny // f, county.nx // f
    dem_c = county.dem[: ny * f, : nx * f].reshape(ny, f, nx, f).mean(axis=(1, 3))
    atrans = county.transform * Affine.scale(f)
    inside = features.rasterize(
        [(county.outline, 1)], out_shape=(ny, nx), transform=atrans, dtype=np.uint8
    ).astype(bool)
    lab, n = ndimage.label(inside)
    if n > 1:  # keep the main body
        sizes = ndimage.sum(inside, lab, range(1, n + 1))
        inside = lab == (int(np.argmax(sizes)) + 1)
    inside = ndimage.binary_fill_holes(inside)
    # the county seat: on the main river, near the middle of the county
    main = county.rivers[0][1]
    mid = main[np.argmin(np.hypot(*(main - county.centre).T))]
    seat_xy = mid + np.array([rng.uniform(-2e3, 2e3), 900.0])
    sc, sr = ~atrans @ tuple(seat_xy)
    first = (int(sr), int(sc))
    seeds = spread_seeds(rng, inside, spec.townships, first)
    # crossing high ground is dear, so boundaries settle on ridges, as real ones do
    cost = 1.0 + 2.5 * (dem_c - dem_c.min()) / np.ptp(dem_c)
    labels = township_labels(cost, inside, seeds, acell)
    polys = polygonize_labels(labels, atrans, spec.townships, tolerance_m=acell * 1.2)
    county.seat_xy = seat_xy
    # codes: the seat first (…100000), then townships from north-west to south-east
    cent = np.array([[p.centroid.x, p.centroid.y] for p in polys])
    rest = sorted(range(1, len(polys)), key=lambda i: (-round(cent[i, 1] / 5000), cent[i, 0]))
    order = [0, *rest]
    county.township_polys = [polys[i] for i in order]
    rows = []
    n_xiang = max(1, len(order) // 4)
    for k, _ in enumerate(order):
        suffix = "乡" if k > len(order) - 1 - n_xiang else "镇"  # the last few are 乡
        rows.append({"code": f"{COUNTY_CODE}{100 + k:03d}000", "name": county.names.place(suffix)})
    county.townships = pd.DataFrame(rows)
    county.township_mask = features.rasterize(
        [(p, k + 1) for k, p in enumerate(county.township_polys)],
        out_shape=(county.ny, county.nx),
        transform=county.transform,
        dtype=np.int32,
    )
    # the county is what its townships cover
    county.inside = county.township_mask > 0
