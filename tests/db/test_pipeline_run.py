"""The sample scenario end to end: colours, dominance, determinism, atomic publication, bad input."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
import sqlalchemy as sa
import xarray as xr

from backend.errors import InvalidInput
from pipelines.levels import HAZARD_CODES
from pipelines.run import RunInputs, compute, load_places, publish, run_pipeline


def _count(engine, sql, **kw):
    with engine.connect() as c:
        return c.execute(sa.text(sql), kw).scalar()


def test_the_sample_run_has_all_four_colours_and_a_red_township(published, engine):
    layers = published.result.layers
    for hazard in ("onemap", "rain", "fire", "geohazard"):
        assert set(np.unique(layers[hazard].values)) == {0, 1, 2, 3, 4}, hazard
    assert (
        _count(
            engine,
            "SELECT count(*) FROM township_risk WHERE run_id = :r AND hazard = 'onemap' AND level = 4",
            r=published.run_id,
        )
        >= 1
    )
    assert _count(engine, "SELECT status FROM risk_run WHERE id = :r", r=published.run_id) == "published"


def test_each_hazard_is_dominant_somewhere(published):
    dominant = published.result.layers["dominant"].values
    for hazard, code in HAZARD_CODES.items():
        assert (dominant == code).sum() > 100, hazard
    # and the one-map is the max of the three
    layers = published.result.layers
    stacked = np.maximum(np.maximum(layers["rain"].values, layers["fire"].values), layers["geohazard"].values)
    assert (layers["onemap"].values == stacked).all()


def test_zones_and_statistics_are_published_with_the_run(published, engine, data_dir):
    r = published.run_id
    assert _count(engine, "SELECT count(DISTINCT hazard) FROM risk_zone WHERE run_id = :r", r=r) == 4
    assert (
        _count(engine, "SELECT count(*) FROM risk_zone WHERE run_id = :r AND NOT ST_IsValid(geom)", r=r) == 0
    )
    assert _count(engine, "SELECT count(*) FROM township_risk WHERE run_id = :r", r=r) == 19 * 4
    # area shares of a township add up to at most 1 and exposure never exceeds its population
    bad = _count(
        engine,
        """
        SELECT count(*) FROM township_risk tr JOIN township t ON t.id = tr.township_id
        WHERE run_id = :r AND (area_share_1 + area_share_2 + area_share_3 + area_share_4 > 1.000001
           OR exposed_1 + exposed_2 + exposed_3 + exposed_4 > t.population)""",
        r=r,
    )
    assert bad == 0
    # red zone area agrees with the raster's red cells (generalisation keeps area within 5 %)
    km2 = _count(
        engine,
        "SELECT sum(ST_Area(geom::geography)) / 1e6 FROM risk_zone WHERE run_id = :r "
        "AND hazard = 'onemap' AND level = 4 AND detail = 2",
        r=r,
    )
    cells = int((published.result.layers["onemap"].values == 4).sum()) * 0.01
    assert km2 == pytest.approx(cells, rel=0.05)
    rasters = sorted(p.name for p in (data_dir / "runs" / str(r)).iterdir())
    assert {"onemap.tif", "rain.tif", "fire.tif", "geohazard.tif"} <= set(rasters)
    import rasterio

    with rasterio.open(data_dir / "runs" / str(r) / "onemap.tif") as src:
        assert src.colormap(1)[4][:3] == (224, 32, 32)  # red
        assert src.profile["blockxsize"] == 512


def test_identical_inputs_reuse_the_run_and_give_identical_results(published, engine, loaded, data_dir):
    again = run_pipeline(engine, RunInputs.sample(loaded), data_dir)
    assert again.reused and again.run_id == published.run_id
    with engine.connect() as c:
        places = load_places(c)
    second = compute(RunInputs.sample(loaded), places)
    for name in ("onemap", "dominant", "rain", "fire", "geohazard"):
        assert (second.layers[name].values == published.result.layers[name].values).all(), name
    assert second.stats.equals(published.result.stats)


def test_a_crash_during_publication_leaves_no_run(published, engine, data_dir):
    runs_before = _count(engine, "SELECT count(*) FROM risk_run")
    zones_before = _count(engine, "SELECT count(*) FROM risk_zone")
    dirs_before = sorted((data_dir / "runs").iterdir())
    with pytest.raises(RuntimeError, match="simulated crash"):
        publish(engine, published.result, "crash-test", {}, data_dir, fail_after_zones=True)
    assert _count(engine, "SELECT count(*) FROM risk_run") == runs_before
    assert _count(engine, "SELECT count(*) FROM risk_zone") == zones_before
    assert sorted((data_dir / "runs").iterdir()) == dirs_before


def test_the_same_pipeline_runs_on_a_dask_distributed_cluster(published, loaded, engine, data_dir):
    from distributed import LocalCluster
    from distributed.diagnostics.plugin import SchedulerPlugin

    class Count(SchedulerPlugin):
        done = 0

        def transition(self, key, start, finish, *args, **kwargs):
            if finish == "memory":
                Count.done += 1

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cl:
        assert cl.scheduler_address.startswith("tcp://")
        cl.scheduler.add_plugin(Count())
        out = run_pipeline(
            engine, RunInputs.sample(loaded), data_dir, force=True, scheduler=cl.scheduler_address
        )
    assert Count.done > 0  # the work ran on the cluster's worker
    assert out.run_id != published.run_id
    for name in ("onemap", "dominant"):
        assert (out.result.layers[name].values == published.result.layers[name].values).all()


# ---- bad input: a clear message naming the file and the fault, and no published run ----------


def _bad_rain(tmp_path, loaded, mutate, name="rain.nc"):
    ds = xr.open_dataset(loaded / "rain.nc").load()
    ds = mutate(ds)
    path = tmp_path / name
    ds.to_netcdf(path)
    return path


def _expect_failure(engine, loaded, data_dir, rain, match):
    published_before = _count(engine, "SELECT count(*) FROM risk_run WHERE status = 'published'")
    with pytest.raises(InvalidInput, match=match) as err:
        run_pipeline(engine, RunInputs.sample(loaded, rain=rain), data_dir, force=True)
    assert str(rain.name) in err.value.detail
    assert _count(engine, "SELECT count(*) FROM risk_run WHERE status = 'published'") == published_before
    if rain.exists() and rain.suffix == ".nc" and match != "not a NetCDF":
        reason = _count(engine, "SELECT error FROM risk_run WHERE status = 'failed' ORDER BY id DESC LIMIT 1")
        assert reason and rain.name in reason


def test_a_file_that_is_not_netcdf(engine, loaded, data_dir, tmp_path, published):
    bad = tmp_path / "rain.nc"
    bad.write_text("date,rain\n2026-10-26,3\n")
    _expect_failure(engine, loaded, data_dir, bad, "not a NetCDF")


def test_a_truncated_netcdf(engine, loaded, data_dir, tmp_path, published):
    bad = tmp_path / "rain.nc"
    bad.write_bytes((loaded / "rain.nc").read_bytes()[:5000])
    _expect_failure(engine, loaded, data_dir, bad, "unreadable NetCDF")


def test_no_crs(engine, loaded, data_dir, tmp_path, published):
    def strip(ds):
        ds = ds.drop_vars("crs").rename(lat="y", lon="x")
        del ds["rain"].attrs["grid_mapping"]
        return ds

    _expect_failure(engine, loaded, data_dir, _bad_rain(tmp_path, loaded, strip), "no CRS")


def test_a_grid_far_from_the_county(engine, loaded, data_dir, tmp_path, published):
    def move(ds):
        return ds.assign_coords(lon=ds.lon + 10.0)

    _expect_failure(engine, loaded, data_dir, _bad_rain(tmp_path, loaded, move), "covers only 0%")


def test_negative_rain(engine, loaded, data_dir, tmp_path, published):
    def neg(ds):
        ds["rain"][5, 10, 10] = -1.0
        return ds

    _expect_failure(engine, loaded, data_dir, _bad_rain(tmp_path, loaded, neg), "negative")


def test_mostly_missing_rain(engine, loaded, data_dir, tmp_path, published):
    def holes(ds):
        ds["rain"][:40] = np.nan
        return ds

    _expect_failure(engine, loaded, data_dir, _bad_rain(tmp_path, loaded, holes), "missing")


def test_unsorted_time(engine, loaded, data_dir, tmp_path, published):
    def shuffle(ds):
        return ds.isel(time=[1, 0] + list(range(2, ds.sizes["time"])))

    _expect_failure(engine, loaded, data_dir, _bad_rain(tmp_path, loaded, shuffle), "not sorted")


def test_a_gap_in_time(engine, loaded, data_dir, tmp_path, published):
    def gap(ds):
        return ds.drop_isel(time=[30])

    _expect_failure(engine, loaded, data_dir, _bad_rain(tmp_path, loaded, gap), "gap")


def test_unknown_units(engine, loaded, data_dir, tmp_path, published):
    def inches(ds):
        ds["rain"].attrs["units"] = "inch"
        return ds

    _expect_failure(engine, loaded, data_dir, _bad_rain(tmp_path, loaded, inches), "units 'inch'")


def test_rain_rates_are_converted_with_a_note(engine, loaded, tmp_path, published):
    def si(ds):
        ds["rain"] = ds["rain"] / 3600.0
        ds["rain"].attrs.update(units="kg m-2 s-1", grid_mapping="crs")
        return ds

    path = _bad_rain(tmp_path, loaded, si)
    with engine.connect() as c:
        places = load_places(c)
    result = compute(RunInputs.sample(loaded, rain=path), places)
    assert any("kg m-2 s-1" in n for n in result.notes)
    assert (result.layers["rain"].values == published.result.layers["rain"].values).mean() > 0.999


def test_cli_fwi_writes_csv(tmp_path):
    from tests.unit.test_fire import REFERENCE

    p = tmp_path / "station.csv"
    REFERENCE.to_csv(p, index=False)
    r = subprocess.run(
        [sys.executable, "-m", "backend.cli", "fwi", str(p), "--lat", "46"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "date,ffmc,dmc,dc,isi,bui,fwi,level"
    assert lines[1] == "2026-04-13,87.7,8.5,19.0,10.9,8.5,10.1,1"
    bad = subprocess.run(
        [sys.executable, "-m", "backend.cli", "fwi", str(tmp_path / "no.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and "no.csv: file not found" in bad.stderr and "Traceback" not in bad.stderr


def test_geotiff_stacks_are_accepted(engine, loaded, tmp_path, published):
    import rasterio
    from rasterio.transform import from_origin

    ds = xr.open_dataset(loaded / "rain.nc")
    stack = tmp_path / "stack"
    stack.mkdir()
    lat, lon = ds.lat.values, ds.lon.values
    tr = from_origin(lon[0] - 0.005, lat[0] + 0.005, 0.01, 0.01)
    for i, t in enumerate(ds.time.values):
        stamp = np.datetime_as_string(t, unit="h").replace("-", "").replace("T", "")
        with rasterio.open(
            stack / f"rain_{stamp}.tif",
            "w",
            driver="GTiff",
            width=len(lon),
            height=len(lat),
            count=1,
            dtype="float32",
            crs="EPSG:4326",
            transform=tr,
        ) as dst:
            dst.write(ds.rain.values[i], 1)
    with engine.connect() as c:
        places = load_places(c)
    result = compute(RunInputs.sample(loaded, rain=stack), places)
    assert (result.layers["rain"].values == published.result.layers["rain"].values).all()
    shutil.rmtree(stack)
