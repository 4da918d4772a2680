"""Web-map offsets and coordinate systems: GCJ-02/BD-09 against published values, the inverse to
well under 0.5 m, and the Gauss-Krüger zones Chinese survey data comes in."""

from __future__ import annotations

import numpy as np
import pytest

from backend.imports import coords, crs
from tests.imports.formats import metres


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [
        # googollee/eviltransform's test cases (Shanghai, Shenzhen, Beijing)
        ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
        ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
        ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
    ],
)
def test_gcj02_forward_matches_published_values(wgs, gcj):
    lon, lat = coords.wgs84_to_gcj02(*wgs)
    assert float(lon) == pytest.approx(gcj[0], abs=1e-9)
    assert float(lat) == pytest.approx(gcj[1], abs=1e-9)


def test_bd09_forward_matches_the_published_formula():
    # wandergis/coordtransform: gcj02_to_bd09(116.404, 39.915)
    lon, lat = coords.gcj02_to_bd09(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-12)


def test_the_inverses_are_accurate_to_well_under_half_a_metre_across_china():
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(73.5, 134.5, 20_000), rng.uniform(18.5, 53.5, 20_000)
    for system in ("gcj02", "bd09"):
        back = coords.to_wgs84(system, *coords.from_wgs84(system, lon, lat))
        err = metres(np.column_stack([lon, lat]), np.column_stack(back))
        assert err.max() < 0.001, system  # a millimetre; the promise is 0.5 m
        shift = metres(np.column_stack([lon, lat]), np.column_stack(coords.from_wgs84(system, lon, lat)))
        assert shift.min() > 1 and shift.max() < 2000  # the offsets are real: tens of metres to ~1.5 km


def test_outside_china_gcj02_is_wgs84():
    lon, lat = coords.gcj02_to_wgs84(np.array([2.35, 151.2]), np.array([48.85, -33.87]))
    assert np.allclose(lon, [2.35, 151.2]) and np.allclose(lat, [48.85, -33.87])


def test_gauss_kruger_zone_prefixes_name_their_crs():
    assert crs.gk_zone_crs(np.array([38_512_345.6, 38_498_000.0])).to_epsg() == 4526  # 3° zone 38
    assert crs.gk_zone_crs(np.array([20_500_000.0])).to_epsg() == 4498  # 6° zone 20
    assert crs.gk_zone_crs(np.array([512_345.6])) is None  # no prefix: --crs must say
    with pytest.raises(crs.CRSProblem, match="several"):
        crs.gk_zone_crs(np.array([38_500_000.0, 39_500_000.0]))


def test_surveying_xy_order_is_recognised():
    northing, easting = np.array([2_853_000.0, 2_860_000.0]), np.array([38_500_000.0, 38_512_000.0])
    assert crs.northing_first(northing, easting)
    assert not crs.northing_first(easting, northing)
    assert crs.looks_geographic(np.array([115.0]), np.array([25.8]))


def test_the_metric_crs_is_the_local_cgcs2000_zone():
    assert crs.metric_epsg(115.0, 25.8) == 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
    assert crs.metric_epsg(121.5, 31.2) == 4549  # CM 120E
