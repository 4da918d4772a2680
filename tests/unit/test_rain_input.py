"""Rain in the formats weather services publish: found by CF standard name or common name, units
converted, accumulations undone, times in UTC, GRIB2 written by ecCodes itself."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from backend.errors import InvalidInput
from pipelines.grib import write_regular_ll as write_grib2
from pipelines.rain_input import parse_units, read_rain

T0 = np.datetime64("2026-10-26T00:00", "ns")
HOURLY = np.array(
    [[0.0, 2.0], [5.5, 0.0], [12.3, 1.0], [0.0, 0.0], [7.0, 3.0]], dtype=np.float32
)  # (t, cells)


def _nc(path, values, name="rain", attrs=None, times=None, time_units=None, extra=None):
    """A tiny CF file: (time, lat 2, lon 2) on a 0.1° grid near the sample county; both rows of
    latitude carry the same ``values`` (time, 2)."""
    n = values.shape[0]
    times = np.array([T0 + np.timedelta64(h, "h") for h in range(n)]) if times is None else times
    grid = np.repeat(values.reshape(n, 1, -1), 2, axis=1).astype(np.float32)
    ds = xr.Dataset(
        {name: (("time", "lat", "lon"), grid, attrs or {})},
        coords={
            "time": times,
            "lat": ("lat", [25.9, 25.8], {"units": "degrees_north"}),
            "lon": ("lon", [114.9, 115.0], {"units": "degrees_east"}),
        },
    )
    for k, v in (extra or {}).items():
        ds[k] = v
    enc = {"time": {"units": time_units}} if time_units else {}
    ds.to_netcdf(path, encoding=enc)
    return path


def _cells(g):
    return g.values["rain"][:, 0, :]


def test_a_cf_precipitation_amount_named_precipitation_is_found(tmp_path):
    p = _nc(
        tmp_path / "cf.nc",
        HOURLY,
        "precipitation",
        {"standard_name": "precipitation_amount", "units": "kg m-2"},
        extra={"tas": (("time", "lat", "lon"), np.zeros((5, 2, 2), np.float32), {"units": "K"})},
    )
    g = read_rain(p)
    assert g.meta["variable"] == "precipitation" and g.meta["accumulated"] is False
    np.testing.assert_allclose(_cells(g), HOURLY)
    assert g.times[0] == T0 and len(g.times) == 5


def test_precipitation_flux_in_kg_m2_s_becomes_mm_per_hour(tmp_path):
    p = _nc(
        tmp_path / "flux.nc",
        HOURLY / 3600.0,
        "pr",
        {"standard_name": "precipitation_flux", "units": "kg m-2 s-1"},
    )
    g = read_rain(p)
    np.testing.assert_allclose(_cells(g), HOURLY, rtol=1e-5)
    assert any("kg m-2 s-1" in n for n in g.notes)


def test_an_accumulated_field_is_detected_and_deaccumulated(tmp_path):
    totals = np.concatenate([np.zeros((1, 2)), np.cumsum(HOURLY, axis=0)])  # zero at the start, 6 times
    p = _nc(tmp_path / "acc.nc", totals / 1000.0, "tp", {"units": "m"})  # ECMWF style: metres
    g = read_rain(p)
    assert g.meta["accumulated"] is True
    np.testing.assert_allclose(_cells(g), HOURLY, atol=1e-3)
    assert g.times[0] == T0 and len(g.times) == 5  # the first total (zero) is the start
    # declared otherwise, the same numbers are rain per hour
    g2 = read_rain(p, accumulated=False)
    assert len(g2.times) == 6 and not g2.meta["accumulated"]


def test_a_declared_accumulation_that_decreases_is_refused(tmp_path):
    p = _nc(tmp_path / "rain.nc", HOURLY, "rain", {"units": "mm"})
    with pytest.raises(InvalidInput, match="rain.nc: .*decreases"):
        read_rain(p, accumulated=True)


def test_an_offset_in_the_time_units_is_honoured_and_times_are_utc(tmp_path):
    times = np.array([T0 + np.timedelta64(h, "h") for h in range(5)])
    p = _nc(
        tmp_path / "bj.nc", HOURLY, "rain", {"units": "mm"}, times, "hours since 2026-10-26 08:00:00+08:00"
    )
    g = read_rain(p)
    assert g.times[0] == T0  # 08:00 Beijing time is 00:00 UTC


def test_three_hour_amounts_are_spread_over_their_hours(tmp_path):
    times = np.array([T0 + np.timedelta64(3 * h, "h") for h in range(3)])
    p = _nc(tmp_path / "3h.nc", HOURLY[:3] * 3, "pre", {"units": "mm"}, times)
    g = read_rain(p)
    assert len(g.times) == 9 and g.times[-1] == T0 + np.timedelta64(8, "h")
    np.testing.assert_allclose(_cells(g)[:3], np.repeat(HOURLY[:1], 3, axis=0), rtol=1e-6)


def test_units_win_over_a_standard_name_that_says_otherwise_with_a_note(tmp_path):
    p = _nc(tmp_path / "odd.nc", HOURLY, "pr", {"standard_name": "precipitation_flux", "units": "mm"})
    g = read_rain(p)
    np.testing.assert_allclose(_cells(g), HOURLY)
    assert any("precipitation_flux" in n and "taken as the units say" in n for n in g.notes)


def test_an_unknown_variable_names_the_file_and_lists_variables(tmp_path):
    p = _nc(tmp_path / "x.nc", HOURLY, "foo", {"units": "mm"})
    with pytest.raises(InvalidInput, match=r"x.nc: no rain variable found.*has foo"):
        read_rain(p)
    assert read_rain(p, rain_var="foo").meta["variable"] == "foo"
    with pytest.raises(InvalidInput, match=r"x.nc: no variable 'bar' \(--rain-var\)"):
        read_rain(p, rain_var="bar")


@pytest.mark.parametrize(
    "units,expected",
    [
        ("mm", (1.0, None)),
        ("0.1 mm", (0.1, None)),
        ("m", (1000.0, None)),
        ("kg m**-2", (1.0, None)),
        ("kg/m2/s", (1.0, 1.0)),
        ("kg m-2 s-1", (1.0, 1.0)),
        ("mm h-1", (1.0, 3600.0)),
        ("m s-1", (1000.0, 1.0)),
        ("mm/day", (1.0, 86400.0)),
    ],
)
def test_units(units, expected):
    assert parse_units(units) == expected


def test_unknown_units_are_refused(tmp_path):
    with pytest.raises(ValueError):
        parse_units("inch")
    p = _nc(tmp_path / "in.nc", HOURLY, "rain", {"units": "inch"})
    with pytest.raises(InvalidInput, match="in.nc: variable 'rain' has units 'inch'"):
        read_rain(p)


# ---- GRIB2 written by ecCodes from its own samples ----------------------------------------------


LATS, LONS = np.array([25.9, 25.8]), np.array([114.9, 115.0, 115.1])
FIELD = np.arange(6, dtype=np.float64).reshape(2, 3)


def test_grib2_tp_accumulated_from_the_forecast_start(tmp_path):
    hourly = np.stack([FIELD * k for k in (1.0, 0.0, 2.0, 0.5)])  # mm
    totals = np.cumsum(hourly, axis=0) / 1000.0  # metres, since 00 UTC
    p = write_grib2(tmp_path / "ecmwf.grib2", totals, LATS, LONS, [(0, s) for s in (1, 2, 3, 4)])
    g = read_rain(p)
    assert g.meta["format"] == "GRIB" and g.meta["accumulated"] is True
    assert g.crs == "EPSG:4326"
    assert g.times[0] == T0 and len(g.times) == 4  # hour 00-01 UTC first
    np.testing.assert_allclose(g.values["rain"], hourly, atol=1e-3)


def test_grib2_amounts_per_step(tmp_path):
    per_step = np.stack([FIELD, FIELD * 2, FIELD * 3]) / 1000.0
    p = write_grib2(tmp_path / "steps.grib2", per_step, LATS, LONS, [(0, 1), (1, 2), (2, 3)], hour=12)
    g = read_rain(p)
    assert g.meta["accumulated"] is False
    assert g.times[0] == np.datetime64("2026-10-26T12:00", "ns")
    np.testing.assert_allclose(g.values["rain"][2], FIELD * 3, atol=1e-4)


def test_a_file_that_is_neither_netcdf_nor_grib(tmp_path):
    p = tmp_path / "rain.grib2"
    p.write_bytes(b"not a weather file at all")
    with pytest.raises(InvalidInput, match="rain.grib2: not a NetCDF file"):
        read_rain(p)
