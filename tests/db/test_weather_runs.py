"""Runs from the files counties have: a CF rain file alone (fire and geohazard carried), GRIB2 written
by ecCodes, station observations, a county rules file, and village flash-flood indicators crossed
at known hours. Runs published here are removed at the end (later tests see the sample's runs)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import sqlalchemy as sa
import xarray as xr
from typer.testing import CliRunner

from backend.cli import app
from pipelines import terrain
from pipelines.grib import write_regular_ll as write_grib2
from pipelines.hazards import rain_stage
from pipelines.rules import load_rules
from pipelines.run import RunInputs, RunParams, compute, load_places, run_pipeline

UTM = "EPSG:32650"


def _scalar(engine, sql, **kw):
    with engine.connect() as c:
        return c.execute(sa.text(sql), kw).scalar()


@pytest.fixture(scope="module")
def fresh(engine, published, data_dir):
    """Runs and indicators of this module are removed afterwards."""
    before = _scalar(engine, "SELECT max(id) FROM risk_run")
    yield before
    with engine.begin() as c:
        c.execute(sa.text("TRUNCATE outbox, delivery, warning_township, warning CASCADE"))
        ids = c.execute(sa.text("SELECT id FROM risk_run WHERE id > :b"), {"b": before}).scalars().all()
        c.execute(sa.text("DELETE FROM risk_run WHERE id > :b"), {"b": before})
        c.execute(sa.text("DELETE FROM flood_indicator"))
    for i in ids:
        shutil.rmtree(data_dir / "runs" / str(i), ignore_errors=True)


@pytest.fixture()
def cli_env(monkeypatch, data_dir):
    from backend.config import get_settings

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    yield CliRunner()
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def places(engine, loaded):
    with engine.connect() as c:
        return load_places(c)


def test_a_cf_precipitation_file_alone_is_a_rain_only_run_carrying_fire_and_geohazard(
    fresh, cli_env, engine, loaded, published, data_dir, tmp_path, client
):
    ds = xr.open_dataset(loaded / "rain.nc").load().rename(rain="precipitation")
    ds["precipitation"].attrs.update(standard_name="precipitation_amount", units="kg m-2")
    ds.to_netcdf(tmp_path / "precip.nc")
    last = _scalar(
        engine, "SELECT id FROM risk_run WHERE status = 'published' ORDER BY published_at DESC LIMIT 1"
    )
    r = cli_env.invoke(app, ["pipeline", "run", "--rain", str(tmp_path / "precip.nc")])
    assert r.exit_code == 0, r.output
    run_id = int(r.stdout.strip().splitlines()[-1])
    body = client.get(f"/api/runs/{run_id}").json()
    hz = body["hazards"]
    assert hz["rain"]["source"] == "new" and hz["rain"]["as_of"]
    for hazard in ("fire", "geohazard"):
        assert hz[hazard]["source"] == "carried" and hz[hazard]["from_run"] == last, hz
        assert hz[hazard]["as_of"] == _scalar(
            engine, "SELECT params->>'started_at' FROM risk_run WHERE id = :r", r=last
        )
    # the levels: rain computed again from the same numbers, fire and geohazard copied cell for cell
    import rasterio

    for hazard in ("rain", "fire", "geohazard", "onemap"):
        with rasterio.open(data_dir / "runs" / str(run_id) / f"{hazard}.tif") as src:
            assert (src.read(1) == published.result.layers[hazard].values).all(), hazard
    params = _scalar(engine, "SELECT params FROM risk_run WHERE id = :r", r=run_id)
    assert params["rules"]["source"] == "default" and params["hazards"]["rain"]["input"]["grid"][
        "variable"
    ] == ("precipitation")
    assert "weather" not in params["inputs"]


def _uniform_rain(loaded, path, hourly_mm):
    src = xr.open_dataset(loaded / "rain.nc")
    lat, lon = src.lat.values[::5], src.lon.values[::5]
    times = src.time.values[: len(hourly_mm)]
    values = np.broadcast_to(
        np.asarray(hourly_mm, np.float32)[:, None, None], (len(times), len(lat), len(lon))
    )
    xr.Dataset(
        {
            "rain": (
                ("time", "lat", "lon"),
                values.copy(),
                {"standard_name": "precipitation_amount", "units": "mm"},
            )
        },
        coords={
            "time": times,
            "lat": ("lat", lat, {"units": "degrees_north"}),
            "lon": ("lon", lon, {"units": "degrees_east"}),
        },
    ).to_netcdf(path)
    return times[0].astype("datetime64[s]")


def test_flood_indicators_are_crossed_at_known_hours_and_named(
    fresh, cli_env, engine, loaded, data_dir, tmp_path, client, auth
):
    with engine.connect() as c:
        a, b = c.execute(
            sa.text(
                "SELECT v.code, v.name, t.code FROM village v JOIN township t ON t.id = v.township_id "
                "ORDER BY v.id LIMIT 2"
            )
        ).all()
    table = tmp_path / "指标.csv"
    table.write_text(
        f"村代码,时段(h),准备转移(mm),立即转移(mm)\n{a[0]},1,8,20\n{a[0]},3小时,25,30\n{b[0]},24,500,600\n",
        encoding="gb18030",
    )
    r = cli_env.invoke(app, ["import", "flood-indicators", str(table)])
    assert r.exit_code == 0, r.output
    assert "3 new" in r.output
    again = cli_env.invoke(app, ["import", "flood-indicators", str(table)])
    assert again.exit_code == 0 and "0 new, 0 changed, 3 unchanged" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text(f"村代码,时段,准备转移,立即转移\n{a[0]},1,30,20\n999999999999,3,1,2\n{a[0]},6,x,40\n")
    r = cli_env.invoke(app, ["import", "flood-indicators", str(bad)])
    assert r.exit_code == 1
    assert "line 2: 准备转移 '30': 准备转移 30 mm is above 立即转移 20 mm" in r.output
    assert "line 3: 村代码 '999999999999': no village with this code" in r.output
    assert "line 4: 准备转移 'x': not a number" in r.output
    assert _scalar(engine, "SELECT count(*) FROM flood_indicator") == 3  # nothing written

    t0 = _uniform_rain(loaded, tmp_path / "rain.nc", [10, 10, 10, 0, 0, 0, 0, 0])
    h = np.timedelta64(1, "h")
    out = run_pipeline(engine, RunInputs(rain=tmp_path / "rain.nc", dem=loaded / "dem.tif"), data_dir)
    rows = {
        (code, hours): (prepare_at, move_at, level)
        for code, hours, prepare_at, move_at, level in engine.connect().execute(
            sa.text(
                "SELECT v.code, f.hours, f.prepare_at, f.move_at, f.level FROM village_flood_risk f "
                "JOIN village v ON v.id = f.village_id WHERE f.run_id = :r"
            ),
            {"r": out.run_id},
        )
    }

    def utc(x):
        return None if x is None else np.datetime64(x.replace(tzinfo=None), "s")

    # 1 h: 10 mm ≥ 8 by the end of the first hour; never 20 mm. 3 h: 30 mm by the end of the third
    assert [utc(x) for x in rows[(a[0], 1)][:2]] == [t0 + h, None] and rows[(a[0], 1)][2] == 3
    assert [utc(x) for x in rows[(a[0], 3)][:2]] == [t0 + 3 * h, t0 + 3 * h] and rows[(a[0], 3)][2] == 4
    assert rows[(b[0], 24)] == (None, None, 0)
    # 30 mm in 3 h is no CMA rainstorm signal anywhere; the township is red through its village
    assert (out.result.layers["rain"].values == 0).all()
    town = client.get(f"/api/townships/risk?run={out.run_id}").json()["townships"]
    mine = next(tw for tw in town if tw["code"] == a[2])
    assert mine["hazards"]["rain"] == 4
    assert [v["code"] for v in mine["flood_villages"]] == [a[0]]
    v = mine["flood_villages"][0]
    assert v["colour"] == "red" and v["move"]["hours"] == 3 and v["move"]["mm"] == 30
    assert v["prepare"]["hours"] == 1 and v["prepare"]["at"].startswith(str(t0 + h).replace("T", "T")[:13])
    # evacuation and the map take the village's level from its indicators too
    from backend.sql import query

    with engine.connect() as c:
        rows = c.execute(query("evac_villages"), {"run": out.run_id, "site_level": 3})
        levels = {r.code: r.level for r in rows}
    assert levels[a[0]] == 4 and levels[b[0]] == 0
    # fire and geohazard still carried from the computing run, through the rain-only run before
    hz = client.get(f"/api/runs/{out.run_id}").json()["hazards"]
    assert hz["fire"]["source"] == "carried" and hz["fire"]["from_run"] <= fresh
    # the warning text names the village and when it reaches 立即转移
    with engine.begin() as c:
        c.execute(sa.text("TRUNCATE outbox, delivery, warning_township, warning CASCADE"))
    r = client.post(f"/api/warnings?from_run={out.run_id}&min_level=red", headers=auth("operator"))
    assert r.status_code == 201, r.text
    rain = [d for d in r.json()["created"] if d["hazard"] == "rain"]
    assert len(rain) == 1 and rain[0]["townships"][0]["code"] == a[2]
    assert (
        f"{a[1]}已于" in rain[0]["description"]
        and "达立即转移指标（3小时雨量30毫米）" in rain[0]["description"]
    )
    assert b[1] not in rain[0]["description"]


def test_grib2_written_by_eccodes_gives_the_sample_rain(loaded, tmp_path):
    from pipelines.rain_input import read_rain

    ds = xr.open_dataset(loaded / "rain.nc").load()
    totals = np.cumsum(np.nan_to_num(ds.rain.values.astype(np.float64)), axis=0) / 1000.0  # m since t0
    t0 = ds.time.values[0].astype("datetime64[h]").item()
    path = write_grib2(
        tmp_path / "tp.grib2", totals, ds.lat.values, ds.lon.values, [(0, s + 1) for s in range(len(totals))],
        date=int(t0.strftime("%Y%m%d")), hour=t0.hour,
    )  # fmt: skip
    g = read_rain(path)  # the rest of a run is the same as for the NetCDF (bench/bench_weather.py runs it)
    assert g.meta["format"] == "GRIB" and g.meta["accumulated"] is True and g.crs == "EPSG:4326"
    assert (g.times == ds.time.values).all()
    np.testing.assert_allclose(g.values["rain"], np.nan_to_num(ds.rain.values), atol=2e-3)


def test_station_observations_with_chinese_headers_are_gridded(loaded, places, published, tmp_path):
    ds = xr.open_dataset(loaded / "rain.nc").load()
    rng = np.random.default_rng(7)
    n = 120  # about one automatic station per 40 km², as Chinese counties have
    iy, ix = rng.integers(3, ds.sizes["lat"] - 3, n), rng.integers(3, ds.sizes["lon"] - 3, n)
    beijing = (ds.time.values + np.timedelta64(9, "h")).astype("datetime64[m]")  # end of hour, UTC+8
    lines = ["站号,经度,纬度,时间,雨量(mm)"]
    for k in range(n):
        for i, when in enumerate(beijing):
            v = ds.rain.values[i, iy[k], ix[k]]
            lon, lat = ds.lon.values[ix[k]], ds.lat.values[iy[k]]
            lines.append(f"S{k:03d},{lon:.4f},{lat:.4f},{when.item():%Y-%m-%d %H:%M},{v:.1f}")
    csv = tmp_path / "stations.csv"
    csv.write_text("\n".join(lines), encoding="utf-8")
    t = terrain.county_terrain(places.townships, UTM, 100.0)
    rain = rain_stage(RunInputs(rain_stations=csv), RunParams(), load_rules(), t, places)
    meta = rain.meta["stations"]
    assert meta["stations"] == n and meta["radius_km"] == 20.0 and meta["power"] == 2.0
    assert meta["coverage"] > 0.9
    assert rain.times[0] == ds.time.values[0] and len(rain.times) == 72
    # IDW smooths the storm's cores, but it stays where it was: within one level almost everywhere
    grid_levels = published.result.layers["rain"].values.astype(int)
    assert (np.abs(rain.level.astype(int) - grid_levels)[t.county] <= 1).mean() > 0.95
    assert (rain.level[grid_levels >= 3] >= 2).mean() > 0.8


def test_a_rules_file_changing_a_threshold_changes_levels(loaded, places, published, tmp_path):
    rules = tmp_path / "county.toml"
    rules.write_text(
        "[rain]\nrules = [\n  { level = 'blue', hours = 12, mm = 50 },\n"
        "  { level = 'red', hours = 3, mm = 60 },\n]\n"
    )
    r = compute(RunInputs(rain=loaded / "rain.nc", dem=loaded / "dem.tif", rules=rules), places)
    before, after = published.result.layers["rain"].values, r.layers["rain"].values
    assert (after == 4).sum() > (before == 4).sum() and (after[before == 4] == 4).all()
    assert not ((after == 2) | (after == 3)).any()  # no yellow or orange rule any more
    assert r.meta["rules"]["source"] == str(rules)
    assert r.meta["rules"]["rules"]["rain"]["rules"][1]["mm"] == 60


def test_a_bad_rules_file_fails_the_run_naming_the_key(engine, loaded, data_dir, tmp_path, fresh):
    from backend.errors import InvalidInput

    rules = tmp_path / "county.toml"
    rules.write_text("[fire]\nbounds = [5.2, 11.2, 21.3, 38.0]\n")
    with pytest.raises(InvalidInput, match="county.toml: fire.bounds: must list 5 numbers"):
        run_pipeline(
            engine, RunInputs(rain=loaded / "rain.nc", dem=loaded / "dem.tif", rules=rules), data_dir
        )
    reason = _scalar(engine, "SELECT error FROM risk_run WHERE status = 'failed' ORDER BY id DESC LIMIT 1")
    assert "fire.bounds" in reason
