"""Zones for the map: regions become polygons that keep area and share their edges."""

from __future__ import annotations

import numpy as np
import shapely
from rasterio.transform import from_origin

from pipelines.vectorize import mode_aggregate, polygons_by_value


def test_mode_aggregation_takes_the_majority_and_breaks_ties_upward():
    codes = np.array([[1, 1, 2, 2], [1, 3, 2, 4], [0, 0, 3, 3], [0, 1, 4, 4]])
    assert mode_aggregate(codes, 2).tolist() == [[1, 2], [0, 4]]


def test_polygons_cover_each_region_exactly_at_full_detail():
    codes = np.zeros((6, 6), dtype=np.int32)
    codes[1:3, 1:4] = 16  # level 2
    codes[3:5, 1:4] = 32  # level 4, touching the first
    tr = from_origin(300000, 2860000, 100, 100)
    polys = polygons_by_value(codes, tr, "EPSG:32650", details={2: (1, 1)}, to_crs="EPSG:32650")
    by_value = {v: g for v, d, g in polys}
    assert by_value[16].area == 6 * 100 * 100
    assert by_value[32].area == 6 * 100 * 100
    assert by_value[16].intersection(by_value[32]).area == 0
    assert by_value[16].touches(by_value[32])
    assert len(shapely.get_coordinates(by_value[16])) == 5  # a rectangle: collinear points dropped
