"""Every bad input file names the file and the fault: rain and weather NetCDF (cut short, damaged,
empty, not NetCDF at all), GeoTIFF terrain, a GeoTIFF rain stack, station CSVs for `riskmap fwi`,
damaged sample directories for `riskmap sample load`, evacuation options."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from backend.errors import InvalidInput
from pipelines import io

HOUR, DAY = np.timedelta64(1, "h"), np.timedelta64(1, "D")


def damaged(src: Path, dst: Path, how: str) -> Path:
    data = bytearray(src.read_bytes())
    if how == "cut short":
        data = data[: len(data) // 2]
    elif how == "bytes flipped":
        for i in range(len(data) // 3, len(data) // 3 + 4096):
            data[i] ^= 0xFF
    elif how == "header only":
        data = data[:8]
    elif how == "empty":
        data = bytearray()
    elif how == "text":
        data = bytearray(b"date,rain\n2026-10-26,12\n")
    dst.write_bytes(bytes(data))
    return dst


def read_rain(path):
    return io.read_grid_stack(path, {"rain": "rain"}, HOUR, rain_vars=("rain",))


def read_weather(path):
    names = {"tas": "tas", "hurs": "hurs", "wind": "sfcWind", "pr": "pr"}
    return io.read_grid_stack(path, names, DAY, rain_vars=("pr",))


@pytest.mark.parametrize("how", ["cut short", "bytes flipped", "header only", "empty", "text"])
@pytest.mark.parametrize("name, read", [("rain.nc", read_rain), ("weather.nc", read_weather)])
def test_a_damaged_netcdf_names_the_file_and_the_fault(sample_dir, tmp_path, name, read, how):
    bad = damaged(sample_dir / name, tmp_path / f"bad-{name}", how)
    with pytest.raises(InvalidInput) as e:
        read(bad)
    assert e.value.detail.startswith(f"{bad}: ")
    assert "NetCDF" in e.value.detail  # "unreadable NetCDF (…)" or "not a NetCDF file"


def test_the_other_file_as_weather_says_what_is_missing(sample_dir):
    with pytest.raises(InvalidInput, match=r"rain\.nc: no variable 'tas' \(for tas\); has rain"):
        read_weather(sample_dir / "rain.nc")


@pytest.mark.parametrize(
    "how, fault",
    [
        ("cut short", "the pixel data is damaged or cut short"),
        ("text", "not recognized as being in a supported file format"),
        ("empty", "unreadable raster"),
    ],
)
def test_a_damaged_geotiff_names_the_file_and_the_fault(sample_dir, tmp_path, how, fault):
    bad = damaged(sample_dir / "dem.tif", tmp_path / "dem.tif", how)
    with pytest.raises(InvalidInput) as e:
        io.read_raster(bad)
    assert e.value.detail.startswith(f"{bad}: unreadable raster (") and fault in e.value.detail
    assert "See previous exception" not in e.value.detail


def test_a_damaged_tif_in_a_rain_stack_is_named(sample_dir, tmp_path):
    stack = tmp_path / "stack"
    stack.mkdir()
    bad = damaged(sample_dir / "dem.tif", stack / "rain_2026102600.tif", "cut short")
    with pytest.raises(InvalidInput) as e:
        io.read_geotiff_stack(stack)
    assert e.value.detail.startswith(f"{bad}: unreadable GeoTIFF (the pixel data is damaged")


HEADER = "date,temp,rh,wind,rain\n"


@pytest.mark.parametrize(
    "text, fault",
    [
        ("", "not a readable CSV"),
        (HEADER, "no rows"),
        ("day,t\n1,2\n", "missing column(s) date, temp, rh, wind, rain"),
        (HEADER + "01/10/2026,25,60,10,0\n", "dates must be YYYY-MM-DD; row 2 has '01/10/2026'"),
        (HEADER + "2026-10-01,hot,60,10,0\n", "column temp has a missing or non-numeric value at row 2"),
        (HEADER + "2026-10-01,25,60,10,0\n2026-10-05,25,60,10,0\n", "consecutive days; row 3"),
        (HEADER + "2026-10-01,25,160,10,0\n", "column rh out of range [0, 100] at row 2"),
        (HEADER + "2026-10-01,25,60,10,0,9,9\n2026-10-02,1\n", "row 2 has 7 fields; the header has 5"),
        (HEADER + '"2026-10-01,25,60,10,0\n', "not a readable CSV"),
    ],
)
def test_a_bad_station_csv_names_the_file_and_the_fault(tmp_path, text, fault):
    from pipelines.fire import read_station_csv

    p = tmp_path / "station.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as e:
        read_station_csv(p)
    assert e.value.detail.startswith(f"{p}: ") and fault in e.value.detail
    assert "\n" not in e.value.detail  # one line


def test_a_station_csv_that_is_not_utf8_or_is_a_directory(tmp_path):
    from pipelines.fire import read_station_csv

    p = tmp_path / "gbk.csv"
    p.write_bytes("日期,温度\n2026,1\n".encode("gbk"))
    with pytest.raises(InvalidInput, match=r"gbk\.csv: not a readable CSV \('utf-8' codec"):
        read_station_csv(p)
    with pytest.raises(InvalidInput, match="is a directory, not a CSV file"):
        read_station_csv(tmp_path)


def sample_copy(sample_dir: Path, tmp_path: Path) -> Path:
    d = tmp_path / "county"
    shutil.copytree(sample_dir, d)
    return d


def test_a_damaged_sample_directory_names_the_file_and_loads_nothing(sample_dir, tmp_path):
    """`riskmap sample load` reads and checks every file before it connects to the database."""
    import geopandas as gpd

    from sample_data.load import load

    d = sample_copy(sample_dir, tmp_path)
    cases = []

    def expect(fault: str):
        with pytest.raises(InvalidInput) as e:
            load(d)
        cases.append(e.value.detail)
        assert fault in e.value.detail, e.value.detail

    (d / "manifest.json").write_text("{not json")
    expect(f"{d / 'manifest.json'}: not valid JSON")
    shutil.copy(sample_dir / "manifest.json", d / "manifest.json")

    damaged(sample_dir / "townships.gpkg", d / "townships.gpkg", "cut short")
    expect(f"{d / 'townships.gpkg'}: not a readable GeoPackage (damaged or cut short")
    shutil.copy(sample_dir / "townships.gpkg", d / "townships.gpkg")

    (d / "shelters.gpkg").write_text("hello")
    expect(f"{d / 'shelters.gpkg'}: not a readable GeoPackage")
    shutil.copy(sample_dir / "shelters.gpkg", d / "shelters.gpkg")

    villages = gpd.read_file(sample_dir / "villages.gpkg")
    villages.loc[3, "population"] = None
    villages.to_file(d / "villages.gpkg")
    expect(f"{d / 'villages.gpkg'}: column population is empty at feature 4")
    villages["population"] = villages["population"].astype(object)
    villages.loc[3, "population"] = "many"
    villages.to_file(d / "villages.gpkg")
    expect(f"{d / 'villages.gpkg'}: column population must be a number; feature 4 has 'many'")
    villages.loc[3, "population"] = 10**12
    villages["population"] = villages["population"].astype("int64")
    villages.to_file(d / "villages.gpkg")
    expect("column population must be a whole number within ±2,147,483,647; feature 4")
    shutil.copy(sample_dir / "villages.gpkg", d / "villages.gpkg")

    (d / "recipients.csv").write_bytes(b"\xff\xfe\x00garbage")
    expect(f"{d / 'recipients.csv'}: not a readable CSV")
    (d / "recipients.csv").unlink()
    expect(f"{d / 'recipients.csv'}: file is missing")
    assert all("\n" not in c for c in cases)


@pytest.mark.parametrize(
    "raw, fault",
    [
        ([1, 2], "options must be a JSON object"),
        ({"walk_km": "far"}, "options.walk_km must be a number; got 'far'"),
        ({"walk_km": float("nan")}, "options.walk_km must be a number; got nan"),
        ({"walk_km": True}, "options.walk_km must be a number"),
        ({"candidates": 2.5}, "options.candidates must be a whole number"),
        ({"fleet": 3}, "options.fleet must be an object"),
        ({"fleet": {"buses": -1}}, "options.fleet: a fleet needs buses ≥ 0"),
        ({"fleet": {"cars": 1}}, "options.fleet: unknown field(s) cars"),
        ({"fleets": {"360799100000": {"seats": 0}}}, "options.fleets.360799100000: a fleet needs"),
        ({"policy": {"9": "all"}}, "policy: level 9"),
        ({"policy": {"x": "all"}}, "policy: level x"),
        ({"slow_factor": 0}, "options.slow_factor must be positive"),
    ],
)
def test_evacuation_options_name_the_fault(raw, fault):
    from backend.evacuation.plan import parse_options

    with pytest.raises(InvalidInput) as e:
        parse_options(raw)
    assert fault in e.value.detail


def test_good_evacuation_options_parse():
    from backend.evacuation.plan import parse_options

    opts = parse_options({"policy": {"4": "all"}, "walk_km": 2, "candidates": 10.0, "fleet": {"buses": 3}})
    assert opts.policy == {4: "all"} and opts.walk_km == 2.0 and opts.candidates == 10
    assert opts.fleet.buses == 3 and opts.fleet.seats == 45
    assert parse_options(None) == parse_options({})
