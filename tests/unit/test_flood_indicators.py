"""Village flash-flood indicators: the hour each village's rain reaches 准备转移 and 立即转移."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.flood import crossings, village_levels

T0 = np.datetime64("2026-10-26T00:00", "ns")
TIMES = T0 + np.arange(8) * np.timedelta64(1, "h")
# hourly rain at two villages' cells (hours x villages)
RAIN = np.array([[5, 0], [10, 0], [2, 1], [16.7, 1], [16.7, 1], [16.6, 1], [0, 1], [0, 1]], dtype=np.float32)


def _indicators(rows):
    return pd.DataFrame(rows, columns=["village_id", "hours", "prepare_mm", "move_mm"])


def test_each_indicator_is_crossed_at_the_end_of_the_hour_that_reaches_it():
    ind = _indicators([(7, 1, 15.0, 30.0), (7, 3, 35.0, 50.0), (7, 24, 100.0, 200.0), (9, 6, 5.0, 50.0)])
    res = crossings(RAIN, TIMES, np.array([7, 9]), ind).set_index(["village_id", "hours"])
    h = np.timedelta64(1, "h")
    # 1 h: 16.7 mm in hour 3 (03-04) reaches 15 mm (prepare) at 04:00, never 30 mm
    assert res.loc[(7, 1), "prepare_at"] == T0 + 4 * h and pd.isna(res.loc[(7, 1), "move_at"])
    # 3 h: 2+16.7+16.7 = 35.4 by 05:00 (prepare 35); 16.7+16.7+16.6 = 50.000 exactly by 06:00 (move 50)
    assert res.loc[(7, 3), "prepare_at"] == T0 + 5 * h and res.loc[(7, 3), "move_at"] == T0 + 6 * h
    assert res.loc[(7, 3), "max_rain_mm"] == 50.0
    assert pd.isna(res.loc[(7, 24), "prepare_at"]) and res.loc[(7, 24), "level"] == 0
    # village 9: 6 h reaches 5 mm at the end of hour 5 (1+1+1+1+1 over hours 2-6 → 5 at 07:00)
    assert res.loc[(9, 6), "prepare_at"] == T0 + 7 * h and res.loc[(9, 6), "level"] == 3
    levels = village_levels(res.reset_index())
    assert levels.to_dict() == {7: 4, 9: 3}  # 立即转移 → red, 准备转移 → orange


def test_a_village_with_one_threshold_only_and_villages_off_the_grid():
    ind = _indicators([(7, 1, np.nan, 19.0), (8, 1, 1.0, 2.0)])  # village 8 has no rain column
    res = crossings(RAIN, TIMES, np.array([7, 9]), ind)
    assert list(res["village_id"]) == [7]
    assert pd.isna(res.loc[0, "prepare_at"]) and pd.isna(res.loc[0, "move_at"])  # 16.7 mm at most
    res = crossings(RAIN, TIMES, np.array([7, 9]), _indicators([(7, 1, np.nan, 16.0)]))
    assert res.loc[0, "move_at"] == T0 + np.timedelta64(4, "h") and res.loc[0, "level"] == 4


def test_the_levels_for_prepare_and_move_are_settings():
    ind = _indicators([(7, 1, 15.0, 30.0)])
    res = crossings(RAIN, TIMES, np.array([7, 9]), ind, prepare_level=2, move_level=3)
    assert res.loc[0, "level"] == 2
