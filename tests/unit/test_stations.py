"""Station rain: a Chinese-headed table in GBK read to UTC hours, gridded by inverse distance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from backend.errors import InvalidInput
from pipelines.grid import Grid
from pipelines.stations import IdwSettings, idw_stack, read_station_rain

CSV = """站号,站名,经度(°),纬度(°),观测时间,小时雨量(mm)
G1001,城关,115.0,25.8,2026-10-26 09:00,1.5
G1001,城关,115.0,25.8,2026-10-26 10:00,微量
G1001,城关,115.0,25.8,2026-10-26 11:00,
G1002,石门,115.1,25.9,2026-10-26 09:00,4.0
G1002,石门,115.1,25.9,2026-10-26 10:00,999999
G1002,石门,115.1,25.9,2026-10-26 11:00,12.5
"""


def test_a_gbk_table_with_chinese_headers_is_read_to_utc_hours(tmp_path):
    p = tmp_path / "stations.csv"
    p.write_bytes(CSV.encode("gb18030"))
    s = read_station_rain(p)
    assert list(s.stations["station"]) == ["G1001", "G1002"]
    # 09:00 Beijing time reports the hour 08-09 Beijing = 00-01 UTC
    assert s.times[0] == np.datetime64("2026-10-26T00:00", "ns") and len(s.times) == 3
    np.testing.assert_array_equal(s.values[:, 0], [1.5, 0.0, np.nan])  # trace is 0, empty is missing
    np.testing.assert_array_equal(s.values[:, 1], [4.0, np.nan, 12.5])  # 999999 is a missing code
    assert s.meta["stations"] == 2 and s.meta["time_zone"] == "+08:00"


def test_times_with_an_offset_and_compact_times(tmp_path):
    p = tmp_path / "iso.csv"
    p.write_text(
        "station,lon,lat,time,rain_mm\nA,115,25.8,2026-10-26T01:00:00Z,2\nA,115,25.8,2026-10-26T02:00Z,3\n"
    )
    assert read_station_rain(p).times[0] == np.datetime64("2026-10-26T00:00", "ns")
    q = tmp_path / "compact.csv"
    q.write_text("区站号,经度,纬度,时间,降水量\n59001,115,25.8,2026102609,2\n")
    assert read_station_rain(q).times[0] == np.datetime64("2026-10-26T00:00", "ns")


@pytest.mark.parametrize(
    "row,match",
    [
        ("A,115,25.8,2026-10-26 09:00,-1", "line 3: rain '-1'"),
        ("A,115,95,2026-10-26 09:00,1", "line 3: latitude '95'"),
        ("A,115,25.8,2026-10-26 09:30,1", "line 3: time '2026-10-26 09:30' is not on the hour"),
        ("A,115,25.8,2026-10-26 08:00,1", "line 3: station A reported twice"),
        ("A,115.2,25.8,2026-10-26 10:00,1", "line 3: station A has other coordinates"),
        ("A,115,25.8,yesterday,1", "line 3: unreadable time 'yesterday'"),
    ],
)
def test_bad_rows_name_the_file_and_line(tmp_path, row, match):
    p = tmp_path / "bad.csv"
    p.write_text(f"station,lon,lat,time,rain_mm\nA,115,25.8,2026-10-26 08:00,1\n{row}\n")
    with pytest.raises(InvalidInput, match=f"bad.csv: {match}"):
        read_station_rain(p)


def test_missing_columns_are_listed(tmp_path):
    p = tmp_path / "cols.csv"
    p.write_text("站号,经度,纬度,雨量\nA,115,25.8,1\n")
    with pytest.raises(InvalidInput, match="cols.csv: no column for time .*站号, 经度, 纬度, 雨量"):
        read_station_rain(p)


def test_inverse_distance_weighting_with_a_search_radius():
    # a 1 km grid of 1 x 5 cells; stations at the centres of cells 0 and 2
    grid = Grid("EPSG:32650", Affine(1000.0, 0, 0, 0, -1000.0, 1000.0), 1, 5)
    xy = np.array([[500.0, 500.0], [2500.0, 500.0]])
    values = np.array([[10.0, 20.0], [np.nan, 20.0]], dtype=np.float32)  # (hours, stations)
    out = idw_stack(
        xy, values, grid, IdwSettings(power=2.0, radius_km=2.2, max_stations=12), block=2
    ).compute()
    h0 = out[0, 0]
    assert h0[0] == pytest.approx(10.0, abs=1e-3) and h0[2] == pytest.approx(20.0, abs=1e-3)
    assert h0[1] == pytest.approx(15.0)  # halfway: equal weights
    # cell 3 is 1 km from station 2 and 3 km from station 1 (out of reach): station 2 alone
    assert h0[3] == pytest.approx(20.0)
    assert np.isnan(h0[4]) is np.False_  # 2 km from station 2: in reach
    # hour 1: station 1 did not report, so only station 2 counts; beyond its radius nothing
    assert out[1, 0, 0] == pytest.approx(20.0)
    far = idw_stack(xy, values, grid, IdwSettings(radius_km=0.6), block=5).compute()
    assert np.isnan(far[0, 0, 1]) and np.isnan(far[0, 0, 4])


def test_weights_fall_with_the_square_of_distance():
    grid = Grid("EPSG:32650", Affine(1000.0, 0, 0, 0, -1000.0, 1000.0), 1, 4)
    xy = np.array([[0.0, 500.0], [4000.0, 500.0]])  # left edge and right edge
    values = np.array([[0.0, 30.0]], dtype=np.float32)
    out = idw_stack(xy, values, grid, IdwSettings(radius_km=10)).compute()[0, 0]
    d1, d2 = 500.0, 3500.0  # the first cell's centre
    w1, w2 = 1 / d1**2, 1 / d2**2
    assert out[0] == pytest.approx(30.0 * w2 / (w1 + w2), rel=1e-5)
    assert pd.Series(out).is_monotonic_increasing
