"""CMA rainstorm levels on hand-made series whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from pipelines.rainfall import accumulate, numpy_levels, rainfall_layer

T0 = pd.Timestamp("2026-10-26T00:00")


def cell(series) -> xr.DataArray:
    times = pd.date_range(T0, periods=len(series), freq="h")
    return xr.DataArray(
        np.array(series, np.float32)[:, None, None], dims=("time", "y", "x"), coords={"time": times}
    )


def level_of(series) -> int:
    return int(rainfall_layer(cell(series))["level"].values[0, 0])


def test_exactly_50mm_in_3h_is_orange():
    assert level_of([0, 20, 20, 10, 0, 0]) == 3


def test_49_9mm_in_3h_and_nothing_else_is_no_signal():
    assert level_of([0, 20, 20, 9.9, 0, 0]) == 0


def test_exactly_100mm_in_3h_is_red():
    assert level_of([40, 40, 20, 0]) == 4


def test_50mm_over_6h_is_yellow():
    assert level_of([10, 10, 10, 10, 5, 5, 0]) == 2


def test_50mm_over_12h_is_blue():
    assert level_of([5] * 10 + [0, 0]) == 1


def test_decimal_hours_sum_exactly():
    # 0.1-mm steps summing to 50.0 must not fall short by floating-point noise
    assert level_of([16.7, 16.7, 16.6]) == 3


def test_first_time_each_level_is_reached():
    out = rainfall_layer(cell([0, 30, 30, 50, 0]))
    first = {lv: out[f"first_{lv}"].values[0, 0] for lv in range(1, 5)}
    assert first[3] == np.datetime64(T0 + pd.Timedelta(hours=2))  # 60 mm in 3 h ending 02:00
    assert first[4] == np.datetime64(T0 + pd.Timedelta(hours=3))  # 110 mm in 3 h ending 03:00
    assert first[1] == first[2] == first[3]


def test_never_reached_is_nat():
    out = rainfall_layer(cell([1, 1, 1]))
    assert np.isnat(out["first_1"].values[0, 0])


def test_missing_hours_count_as_zero():
    assert level_of([30, np.nan, 30]) == 3  # 60 mm in 3 h


def test_accumulations_are_trailing_sums():
    acc = accumulate(cell([1, 2, 3, 4]), (1, 3))
    np.testing.assert_allclose(acc["acc_3h"].values[:, 0, 0], [1, 3, 6, 9])
    np.testing.assert_allclose(acc["acc_1h"].values[:, 0, 0], [1, 2, 3, 4])


@pytest.fixture()
def random_storm():
    rng = np.random.default_rng(7)
    data = rng.gamma(0.3, 12, (72, 40, 30)).astype(np.float32)
    return xr.DataArray(
        data, dims=("time", "y", "x"), coords={"time": pd.date_range(T0, periods=72, freq="h")}
    )


def test_xarray_and_plain_numpy_agree(random_storm):
    a = rainfall_layer(random_storm)["level"].values
    b = numpy_levels(random_storm.values)
    assert (a == b).all()
    assert set(np.unique(a)) == {0, 1, 2, 3, 4}


def test_dask_chunks_give_the_same_answer(random_storm):
    eager = rainfall_layer(random_storm)
    lazy = rainfall_layer(random_storm.chunk({"time": -1, "y": 16, "x": 16}))
    assert hasattr(lazy["level"].data, "dask")
    assert (lazy["level"].values == eager["level"].values).all()
    np.testing.assert_array_equal(lazy["first_2"].values, eager["first_2"].values)


def test_the_block_kernel_agrees_with_the_xarray_layer(random_storm):
    from pipelines.rainfall import block_products

    layer = rainfall_layer(random_storm)
    p = block_products(random_storm.values, n_days=3)
    assert (p[0] == layer["level"].values).all()
    for lv in range(1, 5):
        idx = p[lv].astype(int)
        expected = layer[f"first_{lv}"].values
        got = np.where(idx >= 0, random_storm.time.values[np.maximum(idx, 0)], np.datetime64("NaT"))
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(p[5], layer["total"].values, atol=0.01)
    np.testing.assert_allclose(p[6], layer["max_3h"].values, atol=1e-3)
    np.testing.assert_allclose(p[7] + p[8] + p[9], p[5], atol=0.01)
