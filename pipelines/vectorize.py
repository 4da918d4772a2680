"""Level rasters → dissolved polygons for the map, one set per zoom-friendly detail.

Each detail polygonises the level raster at its own resolution: the 100 m grid for the most
detailed zooms, a mode-aggregated 200 m and 400 m grid for lower ones (majority of the cells, the
usual way to generalise a categorical raster). Regions smaller than the detail's minimum are merged
into their neighbours (GDAL sieve). Polygons of one raster share their edges exactly, and only
collinear vertices are dropped, so neighbouring levels never overlap or leave gaps — and the work is
linear in the number of cells, which keeps province-sized runs cheap.
"""

from __future__ import annotations

import numpy as np
import shapely
from affine import Affine
from pyproj import Transformer
from rasterio import features

#: detail → (aggregation factor, smallest region kept, in cells of that detail)
DETAILS: dict[int, tuple[int, int]] = {0: (4, 4), 1: (2, 3), 2: (1, 2)}


def mode_aggregate(codes: np.ndarray, factor: int) -> np.ndarray:
    """Majority of each ``factor``×``factor`` block (ties → the larger code, i.e. the higher level)."""
    if factor == 1:
        return codes
    h, w = codes.shape
    ph, pw = -h % factor, -w % factor
    padded = np.pad(codes, ((0, ph), (0, pw)), mode="edge")
    blocks = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor)
    blocks = blocks.transpose(0, 2, 1, 3).reshape(blocks.shape[0], blocks.shape[2], factor * factor)
    n = int(codes.max()) + 1
    counts = np.zeros(blocks.shape[:2] + (n,), dtype=np.int16)
    for v in range(n):
        counts[..., v] = (blocks == v).sum(axis=-1)
    return (n - 1 - np.argmax(counts[..., ::-1], axis=-1)).astype(codes.dtype)


def polygons_by_value(
    codes: np.ndarray,
    transform: Affine,
    crs: str,
    details: dict[int, tuple[int, int]] = DETAILS,
    to_crs: str = "EPSG:4326",
) -> list[tuple[int, int, shapely.Geometry]]:
    """(value, detail, polygon in ``to_crs``) for every connected region of a non-zero value."""
    to_storage = Transformer.from_crs(crs, to_crs, always_xy=True)
    out: list[tuple[int, int, shapely.Geometry]] = []
    for detail, (factor, min_cells) in details.items():
        grid = mode_aggregate(codes.astype(np.int32), factor)
        if min_cells > 1:
            grid = features.sieve(grid, size=min_cells, connectivity=4)
        tr = transform * Affine.scale(factor)
        values, polys = [], []
        for geom, value in features.shapes(grid, mask=grid > 0, transform=tr, connectivity=4):
            values.append(int(value))
            polys.append(shapely.geometry.shape(geom))
        if not polys:
            continue
        arr = shapely.simplify(np.array(polys, dtype=object), 0.0)  # drops collinear vertices only
        arr = shapely.transform(arr, lambda xy: np.column_stack(to_storage.transform(xy[:, 0], xy[:, 1])))
        arr = shapely.make_valid(arr)
        for v, g in zip(values, arr, strict=True):
            for part in shapely.get_parts(g):
                if part.geom_type == "Polygon" and not part.is_empty and part.area > 0:
                    out.append((v, detail, part))
    return out
