"""Overlay (max and dominance) and fractional zonal statistics on hand-computed cases."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
import xarray as xr

from pipelines.grid import Grid
from pipelines.levels import HAZARD_CODES
from pipelines.overlay import overlay
from pipelines.zonal import exposed_people, level_shares, township_level


def da(a):
    return xr.DataArray(np.array(a, dtype=np.uint8), dims=("y", "x"))


def test_onemap_is_the_max_and_names_the_dominant_hazard():
    out = overlay({"rain": da([[0, 3, 2, 1]]), "fire": da([[0, 1, 4, 1]]), "geohazard": da([[0, 2, 0, 1]])})
    assert out["onemap"].values.tolist() == [[0, 3, 4, 1]]
    assert out["dominant"].values.tolist() == [
        [0, HAZARD_CODES["rain"], HAZARD_CODES["fire"], HAZARD_CODES["rain"]]
    ]  # tie → rain first
    assert out["fire"].values.tolist() == [[0, 1, 4, 1]]  # each hazard kept


def test_geohazard_wins_a_tie_with_fire():
    out = overlay({"rain": da([[1]]), "fire": da([[3]]), "geohazard": da([[3]])})
    assert out["dominant"].item() == HAZARD_CODES["geohazard"]


def test_layers_must_share_a_grid():
    with pytest.raises(ValueError, match="one grid"):
        overlay({"rain": da([[1, 2]]), "fire": da([[1]])})


GRID = Grid.covering((0, 0, 4, 4), "EPSG:32650", 1.0)
LEVELS = np.array(
    [[0, 1, 1, 2], [0, 1, 1, 2], [3, 3, 4, 4], [3, 3, 4, 4]], dtype=np.uint8
)  # row 0 is the north (y 3..4)


def test_area_shares_are_exact_for_partial_cells():
    zones = gpd.GeoDataFrame(
        {"id": [7, 9]}, crs="EPSG:32650", geometry=[shapely.box(0, 0, 2, 2), shapely.box(1.5, 1.5, 4, 4)]
    )
    s = level_shares(LEVELS, GRID, zones, "id")
    assert s.loc[7].to_dict() == pytest.approx(
        {"share_0": 0, "share_1": 0, "share_2": 0, "share_3": 1.0, "share_4": 0}
    )
    # box(1.5,1.5,4,4) = 6.25 m²: level 4 0.5×0.5... worked by hand:
    # cells y 1..2: x 1.5–2 is level 3 (0.25), x 2–4 level 4 (1.0) → 0.25 m² of 3, 1.0 of 4
    # cells y 2..4: x 1.5–2 level 1 (1.0), x 2–3 level 1 (2.0), x 3–4 level 2 (2.0)
    expected = {
        "share_0": 0,
        "share_1": 3.0 / 6.25,
        "share_2": 2.0 / 6.25,
        "share_3": 0.25 / 6.25,
        "share_4": 1.0 / 6.25,
    }
    assert s.loc[9].to_dict() == pytest.approx(expected, abs=1e-9)


def test_exposed_people_by_level_and_the_township_level():
    villages = gpd.GeoDataFrame(
        {"town": [1, 1, 2], "population": [100, 50, 7]},
        crs="EPSG:32650",
        geometry=[shapely.Point(2.5, 0.5), shapely.Point(0.5, 3.5), shapely.Point(3.5, 3.5)],
    )
    e = exposed_people(LEVELS, GRID, villages, "town")
    assert e.loc[1].to_dict() == {
        "exposed_0": 50,
        "exposed_1": 0,
        "exposed_2": 0,
        "exposed_3": 0,
        "exposed_4": 100,
    }
    assert e.loc[2, "exposed_2"] == 7
    # a sliver of red with nobody in it does not make a township red; people in it do
    shares = {"share_4": 0.001, "share_2": 0.5}
    assert township_level(shares, {"exposed_4": 0}) == 2
    assert township_level(shares, {"exposed_4": 3}) == 4
