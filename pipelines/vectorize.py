"""Level rasters → dissolved, generalised polygons for the map (one set per zoom-friendly detail)."""

from __future__ import annotations

import numpy as np
import shapely
from affine import Affine
from pyproj import Transformer
from rasterio import features

#: detail → (smallest region kept in cells, coverage-simplification tolerance in cells)
DETAILS: dict[int, tuple[int, float]] = {0: (40, 4.0), 1: (8, 1.5), 2: (2, 0.6)}


def polygons_by_value(
    codes: np.ndarray,
    transform: Affine,
    crs: str,
    details: dict[int, tuple[int, float]] = DETAILS,
    to_crs: str = "EPSG:4326",
) -> list[tuple[int, int, shapely.Geometry]]:
    """(value, detail, polygon in ``to_crs``) for every connected region of a non-zero value.

    Regions smaller than the detail's minimum are merged into their neighbours (GDAL sieve), then
    all polygons of one detail are simplified together as a coverage, so neighbouring levels keep
    sharing their edges — no slivers, no gaps between colours.
    """
    cell = abs(transform.a)
    to_storage = Transformer.from_crs(crs, to_crs, always_xy=True)
    out: list[tuple[int, int, shapely.Geometry]] = []
    for detail, (min_cells, tol_cells) in details.items():
        sieved = (
            features.sieve(codes.astype(np.int32), size=min_cells, connectivity=4)
            if min_cells > 1
            else codes.astype(np.int32)
        )
        values, polys = [], []
        for geom, value in features.shapes(sieved, mask=sieved > 0, transform=transform, connectivity=4):
            values.append(int(value))
            polys.append(shapely.geometry.shape(geom))
        if not polys:
            continue
        arr = shapely.set_precision(shapely.segmentize(np.array(polys, dtype=object), cell), cell / 100)
        arr = shapely.coverage_simplify(arr, tol_cells * cell)
        arr = shapely.make_valid(arr)
        arr = shapely.transform(arr, lambda xy: np.column_stack(to_storage.transform(xy[:, 0], xy[:, 1])))
        for v, g in zip(values, arr, strict=True):
            for part in shapely.get_parts(g):
                if part.geom_type == "Polygon" and not part.is_empty and part.area > 0:
                    out.append((v, detail, part))
    return out
