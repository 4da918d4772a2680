"""Terrain from a DEM in any CRS and resolution, and land cover with a class mapping, on the county grid."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin

from backend.errors import InvalidInput
from pipelines import landcover, terrain

UTM = "EPSG:32650"
E0, N0 = 500_000.0, 2_853_000.0  # ≈ 115.0°E, 25.8°N
SLOPE = np.degrees(np.arctan(np.hypot(0.2, 0.1)))  # the plane z = 0.2 E + 0.1 N


@pytest.fixture(scope="module")
def county():
    square = shapely.box(E0, N0, E0 + 3000, N0 + 3000)
    towns = gpd.GeoDataFrame({"id": [1]}, geometry=[square], crs=UTM).to_crs("EPSG:4326")
    return towns


def _write(path, values, transform, crs, nodata=None):
    with rasterio.open(
        path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
        dtype=values.dtype, crs=crs, transform=transform, nodata=nodata,
    ) as dst:  # fmt: skip
        dst.write(values, 1)
    return path


def _plane_dem(path, crs, res, origin, shape):
    """The same tilted plane (in UTM metres) sampled on a grid of another CRS."""
    tr = from_origin(origin[0], origin[1], res, res)
    cols, rows = np.meshgrid(np.arange(shape[1]) + 0.5, np.arange(shape[0]) + 0.5)
    x, y = tr.c + cols * tr.a, tr.f + rows * tr.e
    e, n = Transformer.from_crs(crs, UTM, always_xy=True).transform(x, y)
    z = (0.2 * (e - E0) + 0.1 * (n - N0) + 500.0).astype(np.float32)
    return _write(path, z, tr, crs)


def _county_grid(dem, county):
    t = terrain.county_terrain(county, terrain.grid_crs(dem, county), 100.0)
    return t


def test_a_30m_dem_in_degrees_gives_the_slope_of_the_plane(tmp_path, county):
    lon0, lat0 = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True).transform(E0 - 600, N0 + 3600)
    dem = _plane_dem(tmp_path / "dem_4326.tif", "EPSG:4326", 1 / 3600, (lon0, lat0), (150, 150))
    t = _county_grid(dem, county)
    assert t.grid.crs == UTM  # the county's UTM zone for a DEM in degrees
    slope, meta = terrain.slope_on_grid(dem, t)
    inside = slope[t.county]
    assert inside.mean() == pytest.approx(SLOPE, abs=0.3) and inside.std() < 0.5
    assert meta["crs"] == "EPSG:4326" and 25 < meta["resampled_to_m"] < 31


@pytest.mark.parametrize("crs", ["EPSG:4547", UTM])  # CGCS2000 / 3-degree Gauss-Krüger CM 114E; UTM 50N
def test_a_dem_in_a_projected_crs_gives_the_slope_of_the_plane(tmp_path, county, crs):
    x0, y0 = Transformer.from_crs(UTM, crs, always_xy=True).transform(E0 - 900, N0 + 3900)
    dem = _plane_dem(tmp_path / "dem.tif", crs, 30.0, (x0, y0), (160, 160))
    t = _county_grid(dem, county)
    assert t.grid.crs == crs  # a metric DEM sets the grid's CRS
    slope, _ = terrain.slope_on_grid(dem, t)
    assert slope[t.county].mean() == pytest.approx(SLOPE, abs=0.3)


def test_a_dem_that_misses_the_county_is_refused(tmp_path, county):
    dem = _plane_dem(tmp_path / "far.tif", UTM, 30.0, (E0 + 50_000, N0), (50, 50))
    t = _county_grid(dem, county)
    with pytest.raises(InvalidInput, match="far.tif: the DEM covers only 0% of the county"):
        terrain.slope_on_grid(dem, t)


def test_worldcover_at_10m_in_degrees_is_mapped_and_resampled(tmp_path, county):
    lon0, lat0 = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True).transform(E0 - 300, N0 + 3300)
    n = 400  # 1/3 arc-second ≈ 10 m
    codes = np.full((n, n), 10, np.uint8)  # tree cover
    codes[:, n // 2 :] = 40  # cropland in the east
    lc = _write(
        tmp_path / "worldcover.tif", codes, from_origin(lon0, lat0, 1 / 10800, 1 / 10800), "EPSG:4326", 0
    )
    t = terrain.county_terrain(county, UTM, 100.0)
    classes, meta = terrain.landcover_on_grid(lc, landcover.WORLDCOVER, t, "worldcover")
    inside = classes[t.county]
    assert set(np.unique(inside)) == {landcover.FOREST, landcover.CROPLAND}
    assert meta["read_every"] == 2  # 10 m read at ~20 m for a 100 m grid
    # west half forest, east half cropland
    cols = np.nonzero(t.county.any(axis=0))[0]
    assert classes[t.county.any(axis=1)][:, cols[2]].tolist().count(landcover.FOREST) > 20


def test_the_wrong_class_mapping_is_refused_and_a_file_mapping_works(tmp_path, county):
    codes = np.full((120, 120), 3, np.uint8)  # riskmap's own cropland code
    lc = _write(tmp_path / "lc.tif", codes, from_origin(E0 - 300, N0 + 3300, 30, 30), UTM, 0)
    t = terrain.county_terrain(county, UTM, 100.0)
    with pytest.raises(InvalidInput, match="lc.tif: 100% of the land-cover cells .*--landcover-classes"):
        terrain.landcover_on_grid(lc, landcover.WORLDCOVER, t, "worldcover")
    mapping_file = tmp_path / "classes.csv"
    mapping_file.write_text("code,class\n3,cropland\n")
    classes, _ = terrain.landcover_on_grid(lc, landcover.read_mapping(mapping_file), t, "classes.csv")
    assert (classes[t.county] == landcover.CROPLAND).all()
    (tmp_path / "bad.toml").write_text('[classes]\n3 = "jungle"\n')
    with pytest.raises(InvalidInput, match="bad.toml: classes.3: unknown land-cover class 'jungle'"):
        landcover.read_mapping(tmp_path / "bad.toml")
