"""Village flash-flood indicators (山洪灾害预警指标): when each village's rain reaches its critical rainfall.

A county keeps, for each village at risk, the critical rainfall (临界雨量) over 1/3/6/24 h (any whole
number of hours) for 准备转移 (prepare to move) and 立即转移 (move now), as the national flash-flood
warning platform does. They are evaluated on the rain at the village's grid cell over the whole run
window — observed hours and forecast hours alike — so a run says *when* each village is expected to
cross each indicator (and a lead ladder such as 12 h / 6 h / 2 h can be read from it).

Rule: the trailing ``hours``-hour sum of hourly rain ending at each hour (exact to 0.001 mm, as in
:mod:`pipelines.rainfall`); an indicator is crossed at the *end* of the first hour whose sum reaches
it (``at`` = the hour's start + 1 h). A village's rain level, where it has indicators, comes from
them and replaces the grid's rainstorm level at its cell: 准备转移 crossed → orange (Ⅱ), 立即转移
crossed → red (Ⅰ) (the levels are settings of the rules file, ``[flood]``), neither → none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HOUR = np.timedelta64(1, "h")
RESULT_COLUMNS = (
    "village_id", "hours", "prepare_mm", "move_mm", "max_rain_mm", "prepare_at", "move_at", "level",
)  # fmt: skip


def crossings(
    rain_mm: np.ndarray,
    times: np.ndarray,
    village_ids: np.ndarray,
    indicators: pd.DataFrame,
    prepare_level: int = 3,
    move_level: int = 4,
) -> pd.DataFrame:
    """One row per indicator: the worst ``hours`` sum and when each threshold is first reached.

    Parameters
    ----------
    rain_mm : (hours, villages) hourly rain at each village's cell; NaN counts as 0 mm.
    times : the start of each hour (datetime64, UTC).
    village_ids : the village of each column of ``rain_mm``.
    indicators : village_id, hours, prepare_mm, move_mm (either may be NaN: not kept).

    Returns
    -------
    DataFrame of :data:`RESULT_COLUMNS`; ``level`` is this indicator's own level (0, prepare, move).
    """
    if indicators.empty:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    column = {int(v): i for i, v in enumerate(village_ids)}
    ind = indicators[indicators["village_id"].isin(list(column))].reset_index(drop=True)
    milli = np.rint(np.nan_to_num(rain_mm.astype(np.float64)) * 1000.0).astype(np.int64)
    c = np.concatenate([np.zeros((1, milli.shape[1]), np.int64), np.cumsum(milli, axis=0)])
    n = milli.shape[0]
    ends = np.arange(1, n + 1)
    end_times = np.asarray(times, dtype="datetime64[ns]") + HOUR
    rows = []
    for hours, group in ind.groupby("hours", sort=True):
        cols = np.array([column[int(v)] for v in group["village_id"]])
        sums = c[ends][:, cols] - c[np.maximum(ends - int(hours), 0)][:, cols]  # (n, len(group))
        out = {"max_rain_mm": sums.max(axis=0) / 1000.0 if n else np.zeros(len(group))}
        for stage in ("prepare", "move"):
            limit = np.rint(group[f"{stage}_mm"].to_numpy(dtype=float) * 1000.0)
            with np.errstate(invalid="ignore"):
                hit = sums >= limit[None, :]  # NaN limit: never
            first = hit.argmax(axis=0)
            out[f"{stage}_at"] = np.where(hit.any(axis=0), end_times[first], np.datetime64("NaT"))
        part = group[["village_id", "hours", "prepare_mm", "move_mm"]].copy()
        for k, v in out.items():
            part[k] = v
        rows.append(part)
    res = pd.concat(rows, ignore_index=True)
    res["level"] = np.where(
        res["move_at"].notna(), move_level, np.where(res["prepare_at"].notna(), prepare_level, 0)
    ).astype(np.int16)
    res["hours"] = res["hours"].astype(int)
    return res[list(RESULT_COLUMNS)].sort_values(["village_id", "hours"]).reset_index(drop=True)


def village_levels(results: pd.DataFrame) -> pd.Series:
    """Each village's rain level from its indicators (the highest over its windows)."""
    if results.empty:
        return pd.Series(dtype=np.int16)
    return results.groupby("village_id")["level"].max().astype(np.int16)


def village_cells(xs: np.ndarray, ys: np.ndarray, transform, shape) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of the grid cell under each point (clipped to a north-up grid)."""
    cols, rows = (np.asarray(xs) - transform.c) / transform.a, (np.asarray(ys) - transform.f) / transform.e
    r = np.clip(np.floor(rows).astype(int), 0, shape[0] - 1)
    c = np.clip(np.floor(cols).astype(int), 0, shape[1] - 1)
    return r, c
