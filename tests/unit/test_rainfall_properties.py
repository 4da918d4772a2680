"""Properties of the CMA rainstorm levels (pipelines/rainfall.py) on random hourly series.

More rain never lowers a level; the level is what the rules say, computed by brute force over every
window in exact thousandths of a millimetre; missing hours count as 0 mm; the xarray, numpy and
per-block implementations agree. Seeded and bounded (derandomized, no example database).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.rainfall import CMA, accumulate, block_products, numpy_levels, rainfall_layer, rainstorm_level

# each example is a handful of cells side by side: the arrays cost little, each call to xarray more
PROPERTY = settings(max_examples=25, derandomize=True, database=None, deadline=None)

# hourly rain in mm, to 0.1 mm as gauges report it; up to 120 mm in an hour (a record-breaking burst)
HOURLY = st.integers(0, 1200).map(lambda tenths: tenths / 10)
# a few realistic shapes: dry, drizzle, steady rain, bursts around the thresholds
BURSTY = st.one_of(
    HOURLY, st.integers(0, 60).map(lambda mm: float(mm)), st.sampled_from([0.0, 16.7, 25.0, 50.0])
)


@st.composite
def series(draw, max_hours: int = 30, cells: int = 8):
    """(time, cells) hourly rain, and as many non-negative increments."""
    hours = draw(st.integers(1, max_hours))
    n = draw(st.integers(1, cells))
    rain = draw(st.lists(BURSTY, min_size=hours * n, max_size=hours * n))
    more = draw(st.lists(HOURLY, min_size=hours * n, max_size=hours * n))
    shape = (hours, 1, n)
    return np.array(rain, np.float32).reshape(shape), np.array(more, np.float32).reshape(shape)


def as_dataarray(rain: np.ndarray) -> xr.DataArray:
    times = pd.date_range("2026-10-26T00:00", periods=rain.shape[0], freq="h")
    return xr.DataArray(rain, dims=("time", "y", "x"), coords={"time": times})


def levels_by_the_rules(rain: np.ndarray) -> np.ndarray:
    """Brute force: for each cell the highest rule any trailing window meets (exact thousandths)."""
    milli = np.rint(np.nan_to_num(rain.astype(np.float64)) * 1000).astype(np.int64)
    out = np.zeros(rain.shape[1:], dtype=np.uint8)
    for idx in np.ndindex(*rain.shape[1:]):
        col = milli[(slice(None), *idx)]
        for rule in CMA.rules:
            window = [col[max(0, t - rule.hours + 1) : t + 1].sum() for t in range(len(col))]
            if max(window) >= round(rule.mm * 1000):
                out[idx] = max(out[idx], rule.level)
    return out


@PROPERTY
@given(series())
def test_more_rain_never_lowers_a_level(case):
    rain, more = case
    before = rainstorm_level(accumulate(as_dataarray(rain), CMA.windows)).values
    after = rainstorm_level(accumulate(as_dataarray(rain + more), CMA.windows)).values
    assert (after >= before).all()  # at every hour of every cell
    assert (numpy_levels(rain + more) >= numpy_levels(rain)).all()  # and the run's level


@PROPERTY
@given(series())
def test_the_level_is_what_the_cma_rules_say(case):
    rain, _ = case
    expected = levels_by_the_rules(rain)
    assert (rainfall_layer(as_dataarray(rain))["level"].values == expected).all()
    assert (numpy_levels(rain) == expected).all()
    assert (block_products(rain, n_days=1)[0] == expected).all()


@PROPERTY
@given(series(), st.data())
def test_a_missing_hour_counts_as_no_rain(case, data):
    rain, _ = case
    holes = np.array(data.draw(st.lists(st.booleans(), min_size=rain.size, max_size=rain.size))).reshape(
        rain.shape
    )
    with_gaps = np.where(holes, np.float32(np.nan), rain)
    as_zero = np.where(holes, np.float32(0), rain)
    assert (
        rainfall_layer(as_dataarray(with_gaps))["level"] == rainfall_layer(as_dataarray(as_zero))["level"]
    ).all()


@PROPERTY
@given(series())
def test_levels_stay_in_0_to_4_and_accumulations_grow_with_the_window(case):
    rain, _ = case
    acc = accumulate(as_dataarray(rain), (1, 3, 6, 12, 24))
    level = rainstorm_level(acc).values
    assert level.min() >= 0 and level.max() <= 4
    windows = [acc[f"acc_{h}h"].values for h in (1, 3, 6, 12, 24)]
    for shorter, longer in zip(windows, windows[1:], strict=False):
        assert (longer >= shorter - 1e-3).all()  # a longer window holds the shorter one
