"""The sample county generator: determinism, exact tiling, realistic totals, connectivity."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import xarray as xr
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from sample_data.generate import METRIC_CRS, generate
from tests.conftest import SEED


def _metric(path):
    return gpd.read_file(path).to_crs(METRIC_CRS)


def test_same_seed_gives_byte_identical_files(sample_dir, tmp_path):
    again = generate(tmp_path / "again", seed=SEED)
    first = json.loads((sample_dir / "manifest.json").read_text())
    assert again["files"] == first["files"]
    for name in first["files"]:
        assert (tmp_path / "again" / name).read_bytes() == (sample_dir / name).read_bytes(), name


def test_another_seed_gives_another_county(sample_dir, tmp_path):
    other = generate(tmp_path / "other", seed=SEED + 1)
    first = json.loads((sample_dir / "manifest.json").read_text())
    assert other["files"]["townships.gpkg"] != first["files"]["townships.gpkg"]
    assert other["counts"]["population"] == first["counts"]["population"] == 600_000


def test_townships_tile_the_county_exactly(sample_dir):
    towns = _metric(sample_dir / "townships.gpkg")
    county = _metric(sample_dir / "county.gpkg").geometry.iloc[0]
    geoms = towns.geometry.values
    assert len(geoms) == 19
    assert shapely.coverage_is_valid(geoms)  # no overlaps, no gaps between neighbours
    union = shapely.union_all(geoms)
    assert sum(g.area for g in geoms) == pytest.approx(union.area, rel=1e-9)
    assert union.symmetric_difference(county).area < 1.0  # m²
    assert len(shapely.get_parts(union)) == 1 and len(union.interiors) == 0
    assert all(g.geom_type == "MultiPolygon" and len(g.geoms) == 1 for g in geoms)


def test_codes_are_12_digit_and_unique(sample_dir):
    towns = gpd.read_file(sample_dir / "townships.gpkg")
    villages = gpd.read_file(sample_dir / "villages.gpkg")
    for codes in (towns.code, villages.code):
        assert codes.str.fullmatch(r"360799\d{6}").all()
        assert codes.is_unique
    assert villages.code.str[:9].isin(towns.code.str[:9]).all()
    assert (villages.code.str[:9] == villages.township_code.str[:9]).all()


def test_population_totals_match_a_county_of_600_000(sample_dir):
    v = gpd.read_file(sample_dir / "villages.gpkg")
    towns = gpd.read_file(sample_dir / "townships.gpkg")
    assert 280 <= len(v) <= 320
    assert v.population.sum() == 600_000
    seat = towns.iloc[0]
    assert seat.population == v[v.township_code == seat.code].population.sum()
    assert seat.population >= 150_000
    assert v[v.kind == "community"].population.sum() == 150_000
    assert 0.15 <= v.elderly.sum() / v.population.sum() <= 0.21
    assert (v.elderly <= v.population).all() and (v.households > 0).all()
    assert towns.population.sum() == 600_000
    assert v.name.is_unique and v.name.str.endswith(("村", "社区")).all()


def test_terrain_is_hilly_with_valleys_and_mostly_forest(sample_dir):
    with rasterio.open(sample_dir / "dem.tif") as src:
        assert src.res == (30.0, 30.0)
        assert src.profile["blockxsize"] == 512  # tiled (COG)
        assert src.overviews(1)  # with overviews (COG)
        dem = src.read(1, masked=True).compressed()
    p1, p99 = np.percentile(dem, [1, 99])
    assert dem.min() >= 80 and dem.max() <= 1250
    assert p1 < 130 and p99 > 900
    with rasterio.open(sample_dir / "landcover.tif") as src:
        lc = src.read(1)
        assert src.colormap(1)[1][:3] == (34, 110, 52)
    land = lc[lc > 0]
    assert 0.67 <= (land == 1).mean() <= 0.73
    assert set(np.unique(land)) == {1, 2, 3, 4, 5}


def test_every_village_and_shelter_is_reachable_by_road(sample_dir):
    roads = gpd.read_file(sample_dir / "roads.gpkg")
    n = int(max(roads.source.max(), roads.target.max())) + 1
    g = coo_matrix((np.ones(len(roads)), (roads.source, roads.target)), shape=(n, n))
    _, label = connected_components(g, directed=False)
    nodes = pd.concat(
        [
            gpd.read_file(sample_dir / "villages.gpkg").road_node,
            gpd.read_file(sample_dir / "shelters.gpkg").road_node,
        ]
    )
    assert len(set(label[nodes])) == 1
    assert 2000 <= len(roads) <= 5000
    assert set(roads["class"]) == {"county", "township", "village"}
    assert roads.groupby("class").speed_kmh.first().to_dict() == {
        "county": 60.0,
        "township": 40.0,
        "village": 25.0,
    }
    assert not roads[["source", "target"]].duplicated().any()


def test_shelters_meet_gb21734_and_some_sit_on_flood_plains(sample_dir):
    s = gpd.read_file(sample_dir / "shelters.gpkg")
    assert len(s) == 145
    assert set(s["class"]) == {"emergency", "short", "medium", "long", "central"}
    assert (s.area_m2 / s.capacity >= 1.5).all()  # GB 21734-2008: ≥ 1.5 m² per person
    assert s.code.is_unique
    flood = s[s.flood_prone]
    assert len(flood) >= 10
    rivers = _metric(sample_dir / "rivers.gpkg").geometry.union_all()
    d = flood.to_crs(METRIC_CRS).distance(rivers)
    assert (d < 400).all()


def test_hazard_sites_sit_near_villages(sample_dir):
    h = gpd.read_file(sample_dir / "hazard_sites.gpkg")
    assert 290 <= len(h) <= 310
    assert set(h.kind) == {"landslide", "collapse", "debris_flow", "flood_point"}
    assert (h.threatened_people > 0).all()
    v = _metric(sample_dir / "villages.gpkg").set_index("code")
    d = shapely.distance(h.to_crs(METRIC_CRS).geometry.values, v.geometry.reindex(h.village_code).values)
    assert (d < 1600).all()


def test_recipients_cover_every_township_and_village(sample_dir):
    r = pd.read_csv(sample_dir / "recipients.csv", dtype=str)
    v = gpd.read_file(sample_dir / "villages.gpkg")
    assert 1400 <= len(r) <= 1600
    assert r.code.is_unique and r.phone.is_unique
    assert r.phone.str.fullmatch(r"1[3-9]\d{9}").all()
    assert set(v.code) <= set(r.village_code.dropna())
    leaders = r[r.role == "township_leader"].groupby("township_code").size()
    assert len(leaders) == 19 and (leaders >= 4).all()
    assert (r.role == "county_duty").sum() >= 1


def test_rain_scenario_is_cf_hourly_and_reaches_red_and_blue(sample_dir):
    ds = xr.open_dataset(sample_dir / "rain.nc")
    assert ds.attrs["Conventions"].startswith("CF-")
    assert ds.rain.attrs["units"] == "mm" and ds.sizes["time"] == 72
    steps = np.diff(ds.time.values).astype("timedelta64[m]").astype(int)
    assert (steps == 60).all()
    rain = ds.rain.values
    total = rain.sum(axis=0)
    assert 200 <= total.max() <= 250.01
    c = np.concatenate([np.zeros((1,) + rain.shape[1:]), np.cumsum(rain, axis=0)])
    worst = {h: (c[h:] - c[:-h]).max(axis=0) for h in (3, 12)}
    assert (worst[3] >= 100).sum() >= 3  # red somewhere
    assert (worst[12] >= 50).sum() >= 300  # blue over a wide area


def test_weather_covers_60_dry_autumn_days(sample_dir):
    ds = xr.open_dataset(sample_dir / "weather.nc")
    assert ds.sizes["time"] == 60
    assert {"tas", "hurs", "sfcWind", "pr"} <= set(ds.data_vars)
    assert ds.hurs.isel(time=-1).min() < 35  # dry at the end
    assert float(ds.pr.isel(time=slice(-20, None)).sum()) == 0.0
