"""Rainstorm layer: rolling accumulations and the CMA rainstorm warning signal per cell.

Rules: China Meteorological Administration, 气象灾害预警信号及防御指南 (暴雨预警信号), applied per
grid cell to accumulated rain:

- blue (Ⅳ):   12 h ≥ 50 mm
- yellow (Ⅲ):  6 h ≥ 50 mm
- orange (Ⅱ):  3 h ≥ 50 mm
- red (Ⅰ):     3 h ≥ 100 mm

Accumulations are trailing sums ending at each hour. At the start of the window fewer hours are
known, so early sums are lower bounds (rain before the file is unknown). Missing values (NaN)
count as 0 mm. Sums are rounded to 0.001 mm to remove floating-point noise, so 50.0 mm is 50.0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

WINDOWS_H: tuple[int, ...] = (1, 3, 6, 12, 24)


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
    r = rain.fillna(0).astype(np.float64)
    c = r.cumsum("time")
    out = {}
    for h in windows_h:
        lagged = c.shift(time=h, fill_value=0.0)
        out[f"acc_{h}h"] = (c - lagged).round(3).astype(np.float32)
        out[f"acc_{h}h"].attrs.update(units="mm", long_name=f"{h} h accumulated rain")
    return xr.Dataset(out)


def rainstorm_level(acc: xr.Dataset, thresholds: RainstormThresholds = CMA) -> xr.DataArray:
    """Level (0..4) at each time step from the accumulations (see the module docstring)."""
    level = xr.zeros_like(acc[f"acc_{thresholds.windows[0]}h"], dtype=np.uint8)
    for rule in sorted(thresholds.rules, key=lambda r: r.level):
        hit = acc[f"acc_{rule.hours}h"] >= rule.mm
        level = xr.where(hit & (level < rule.level), np.uint8(rule.level), level).astype(np.uint8)
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
    """Plain-numpy reference of the same computation (max level over the window), for the benchmark
    and as an independent check in tests."""
    r = np.nan_to_num(rain.astype(np.float64))
    c = np.concatenate([np.zeros((1,) + r.shape[1:]), np.cumsum(r, axis=0)])
    level = np.zeros(r.shape[1:], dtype=np.uint8)
    for rule in thresholds.rules:
        h = rule.hours
        lagged = np.concatenate([np.zeros((min(h, r.shape[0]),) + r.shape[1:]), c[1 : -h or None]])[
            : r.shape[0]
        ]
        acc = np.round(c[1:] - lagged, 3)
        hit = (acc >= rule.mm).any(axis=0)
        level[hit & (level < rule.level)] = rule.level
    return level


def block_products(block: np.ndarray, n_days: int, thresholds: RainstormThresholds = CMA) -> np.ndarray:
    """Everything a run needs from one block of hourly rain (time, y, x), in one pass, so the hourly
    stack of a block is dropped as soon as its products exist (bounded memory at province size).

    Returns float32 (K, y, x): level; first hour index reaching levels 1..4 (-1 never); total;
    worst 3 h; rain of each 24 h day; count of missing hours.
    """
    rain = xr.DataArray(block, dims=("time", "y", "x"))
    acc = accumulate(rain, tuple(sorted(set(thresholds.windows) | {3})))
    level_t = rainstorm_level(acc, thresholds)
    out = [level_t.max("time")]
    for lv in range(1, 5):
        hit = level_t >= lv
        out.append(xr.where(hit.any("time"), hit.argmax("time"), -1))
    filled = np.nan_to_num(block)
    out.append(filled.sum(axis=0))
    out.append(acc["acc_3h"].max("time"))
    out += [filled[24 * d : 24 * (d + 1)].sum(axis=0) for d in range(n_days)]
    out.append(np.isnan(block).sum(axis=0))
    return np.stack([np.asarray(o, dtype=np.float32) for o in out])
