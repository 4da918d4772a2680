"""Rainstorm layer: rolling accumulations and the CMA rainstorm warning signal per cell.

Rules: China Meteorological Administration, 气象灾害预警信号及防御指南 (暴雨预警信号), applied per
grid cell to accumulated rain:

- blue (Ⅳ):   12 h ≥ 50 mm
- yellow (Ⅲ):  6 h ≥ 50 mm
- orange (Ⅱ):  3 h ≥ 50 mm
- red (Ⅰ):     3 h ≥ 100 mm

Accumulations are trailing sums ending at each hour. At the start of the window fewer hours are
known, so early sums are lower bounds (rain before the file is unknown). Missing values (NaN)
count as 0 mm. Sums are exact to 0.001 mm (integer arithmetic), so 50.0 mm is 50.0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

WINDOWS_H: tuple[int, ...] = (1, 3, 6, 12, 24)
#: worst accumulations :func:`block_products` gives besides the 3 h one (after the daily sums)
EXTRA_MAX_H: tuple[int, ...] = (1, 6, 12, 24)


@dataclass(frozen=True)
class RainstormRule:
    level: int
    hours: int
    mm: float


@dataclass(frozen=True)
class RainstormThresholds:
    """CMA rainstorm signals (暴雨预警信号): (level, window hours, mm); later rules win."""

    rules: tuple[RainstormRule, ...] = (
        RainstormRule(1, 12, 50.0),
        RainstormRule(2, 6, 50.0),
        RainstormRule(3, 3, 50.0),
        RainstormRule(4, 3, 100.0),
    )

    @property
    def windows(self) -> tuple[int, ...]:
        return tuple(sorted({r.hours for r in self.rules}))


CMA = RainstormThresholds()


def accumulate(rain: xr.DataArray, windows_h: tuple[int, ...] = WINDOWS_H) -> xr.Dataset:
    """Trailing ``h``-hour sums ending at each time step, for each window: ``acc_{h}h``.

    Parameters
    ----------
    rain : DataArray (time, y, x) of hourly rain in mm; NaN is missing.

    Returns
    -------
    Dataset with one variable per window, same dims and coords as ``rain``.
    """
    # exact sums: integer thousandths of a millimetre, so 16.7 + 16.7 + 16.6 is 50.000, not 49.99…
    milli = (rain.fillna(0) * 1000.0).round().astype(np.int64)
    c = milli.cumsum("time")
    out = {}
    for h in windows_h:
        lagged = c.shift(time=h, fill_value=0)
        out[f"acc_{h}h"] = ((c - lagged) / 1000.0).astype(np.float32)
        out[f"acc_{h}h"].attrs.update(units="mm", long_name=f"{h} h accumulated rain")
    return xr.Dataset(out)


def rainstorm_level(acc: xr.Dataset, thresholds: RainstormThresholds = CMA) -> xr.DataArray:
    """Level (0..4) at each time step from the accumulations (see the module docstring)."""
    level = xr.zeros_like(acc[f"acc_{thresholds.windows[0]}h"], dtype=np.uint8)
    for rule in thresholds.rules:
        hit = acc[f"acc_{rule.hours}h"] >= np.float32(rule.mm)
        level = np.maximum(level, hit.astype(np.uint8) * np.uint8(rule.level))
    level.attrs.update(long_name="CMA rainstorm signal level", levels="0 none .. 4 red")
    return level.rename("rain_level")


def first_reached(level_t: xr.DataArray, times: np.ndarray | None = None) -> xr.Dataset:
    """For each level 1..4, the first time each cell reaches it (NaT where never)."""
    times = level_t["time"].values if times is None else times
    out = {}
    for lv in range(1, 5):
        hit = level_t >= lv
        idx = hit.argmax("time")
        first = xr.DataArray(
            times[idx.values]
            if not hasattr(idx.data, "dask")
            else idx.data.map_blocks(lambda i: times[i], dtype=times.dtype),
            dims=idx.dims,
            coords=idx.coords,
        )
        out[f"first_{lv}"] = first.where(hit.any("time"))
    return xr.Dataset(out)


def rainfall_layer(rain: xr.DataArray, thresholds: RainstormThresholds = CMA) -> xr.Dataset:
    """The rain layer of a run: the highest level over the window, when it is first reached,
    and the worst 1/3/6/12/24 h accumulations (for the map's popups and the warning's text)."""
    acc = accumulate(rain, tuple(sorted(set(WINDOWS_H) | set(thresholds.windows))))
    level_t = rainstorm_level(acc, thresholds)
    out = first_reached(level_t)
    out["level"] = level_t.max("time").astype(np.uint8)
    for h in WINDOWS_H:
        out[f"max_{h}h"] = acc[f"acc_{h}h"].max("time")
    out["total"] = rain.fillna(0).sum("time").astype(np.float32)
    return out


def numpy_levels(rain: np.ndarray, thresholds: RainstormThresholds = CMA) -> np.ndarray:
    """Plain-numpy reference of the same computation (max level over the window, integer
    thousandths of a mm), for the benchmark and as an independent check in tests."""
    milli = np.rint(np.nan_to_num(rain.astype(np.float64)) * 1000.0).astype(np.int64)
    c = np.concatenate([np.zeros((1,) + milli.shape[1:], dtype=np.int64), np.cumsum(milli, axis=0)])
    n = milli.shape[0]
    level = np.zeros(milli.shape[1:], dtype=np.uint8)
    for rule in thresholds.rules:
        start = np.maximum(np.arange(1, n + 1) - rule.hours, 0)
        acc = c[1:] - c[start]
        hit = (acc >= round(rule.mm * 1000)).any(axis=0)
        level[hit & (level < rule.level)] = rule.level
    return level


def block_products(block: np.ndarray, n_days: int, thresholds: RainstormThresholds = CMA) -> np.ndarray:
    """Everything a run needs from one block of hourly rain (time, y, x), in one numpy pass, so the
    hourly stack of a block is dropped as soon as its products exist (bounded memory at province
    size; blocks run in parallel under dask). Same rules and arithmetic as :func:`accumulate` and
    :func:`rainstorm_level` (integer thousandths of a mm; int32 holds 2,000 m of rain).

    Returns float32 (K, y, x): level; first hour index reaching levels 1..4 (-1 never); total;
    worst 3 h; rain of each 24 h day; worst 1, 6, 12 and 24 h (:data:`EXTRA_MAX_H`, for the
    "why is this red" answer); count of missing hours.
    """
    n = block.shape[0]
    missing = np.isnan(block)
    c = np.zeros((n + 1,) + block.shape[1:], dtype=np.int32)
    np.cumsum(np.rint(np.where(missing, 0.0, block) * 1000.0).astype(np.int32), axis=0, out=c[1:])
    hours = np.arange(1, n + 1)
    acc = {h: c[1:] - c[np.maximum(hours - h, 0)] for h in sorted(set(thresholds.windows) | {3})}
    worst = {
        h: (acc[h] if h in acc else c[1:] - c[np.maximum(hours - h, 0)]).max(axis=0) for h in EXTRA_MAX_H
    }
    level_t = np.zeros(block.shape, dtype=np.uint8)
    for rule in thresholds.rules:
        hit = acc[rule.hours] >= round(rule.mm * 1000)
        np.maximum(level_t, hit.view(np.uint8) * np.uint8(rule.level), out=level_t)
    out = [level_t.max(axis=0)]
    for lv in range(1, 5):
        hit = level_t >= lv
        out.append(np.where(hit.any(axis=0), hit.argmax(axis=0), -1))
    out.append(c[-1] / 1000.0)
    out.append(acc[3].max(axis=0) / 1000.0)
    out += [(c[min(24 * (d + 1), n)] - c[24 * d]) / 1000.0 for d in range(n_days)]
    out += [worst[h] / 1000.0 for h in EXTRA_MAX_H]
    out.append(missing.sum(axis=0))
    return np.stack([np.asarray(o, dtype=np.float32) for o in out])


def lazy_products(stack, n_days: int, thresholds: RainstormThresholds = CMA):
    """:func:`block_products` over every block of a dask array (time, y, x); time in one chunk."""
    import dask.array as da

    return da.map_blocks(
        block_products,
        stack,
        n_days,
        thresholds,
        dtype=np.float32,
        chunks=((7 + n_days + len(EXTRA_MAX_H) + 1,), *stack.chunks[1:]),
    )
