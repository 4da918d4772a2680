"""Geohazard: slope, susceptibility classes, effective rainfall and the level table."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from pipelines.geohazard import (
    distance_to_points,
    effective_rainfall,
    geohazard_level,
    slope_deg,
    susceptibility,
)


def test_slope_of_a_30_degree_plane():
    x = np.arange(20) * 30.0
    dem = np.tile(x * np.tan(np.radians(30)), (10, 1))
    s = slope_deg(dem, 30.0)
    assert s[1:-1, 1:-1] == pytest.approx(30.0, abs=1e-4)


def test_flat_ground_has_no_slope():
    assert slope_deg(np.full((5, 5), 120.0), 30.0).max() == 0.0


def test_susceptibility_classes_from_the_documented_points():
    slope = np.array([5.0, 25.0, 35.0, 45.0, 45.0, 45.0])
    lc = np.array([1, 1, 2, 1, 2, 5], dtype=np.uint8)
    dist = np.array([9e9, 9e9, 9e9, 9e9, 100.0, 100.0])
    # scores: 0, 2, 3.5, 4, 4+0.5+1.5=6 → classes 1, 3, 4, 5, 5; water is always class 1
    assert list(susceptibility(slope, lc, dist)) == [1, 3, 4, 5, 5, 1]


def test_effective_rainfall_decays_by_0_8_per_day():
    daily = xr.DataArray(np.array([100.0, 0.0, 0.0])[:, None], dims=("time", "x"))
    r = effective_rainfall(daily).values[:, 0]
    assert r == pytest.approx([100.0, 80.0, 64.0])


@pytest.mark.parametrize(
    ("r_eff", "cls", "level"),
    [
        (49.9, 4, 0),
        (50.0, 4, 1),
        (70.0, 4, 2),
        (110.0, 4, 3),
        (160.0, 4, 4),
        (85.0, 5, 3),
        (120.0, 5, 4),
        (199.9, 3, 3),
        (500.0, 1, 0),
    ],
)
def test_level_table_edges(r_eff, cls, level):
    assert geohazard_level(np.array([r_eff]), np.array([cls], dtype=np.uint8))[0] == level


def test_distance_to_hazard_sites_in_metres():
    d = distance_to_points((3, 4), (np.array([0]), np.array([0])), 100.0)
    assert d[0, 0] == 0 and d[0, 3] == 300.0 and d[2, 0] == 200.0
