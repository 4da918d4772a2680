"""Zonal statistics per township: area share of each level and exposed people per level.

Area shares are fractional-cell accurate: exactextract weights each cell by the exact fraction
of it that the township polygon covers (Baston 2022, exactextract), so a 100 m grid gives exact
shares along organic boundaries.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource
from pyproj import CRS

from pipelines.grid import Grid

#: the smallest area share that, alone, raises a township to a level; any exposed person does too
MIN_SHARE = 0.005


def level_shares(levels: np.ndarray, grid: Grid, zones: gpd.GeoDataFrame, id_col: str) -> pd.DataFrame:
    """Share of each zone's area at each level 0..4 (rows sum to 1). ``zones`` in any CRS."""
    zones = zones.to_crs(grid.crs)
    left, bottom, right, top = grid.bounds
    src = NumPyRasterSource(
        levels.astype(np.int32), left, bottom, right, top, srs_wkt=CRS.from_user_input(grid.crs).to_wkt()
    )
    # results come in feature order (feature-sequential strategy); ids are matched by position
    res = exact_extract(src, zones[["geometry"]].reset_index(drop=True), ["unique", "frac"], output="pandas")
    if len(res) != len(zones):
        raise ValueError("exactextract returned a different number of zones")
    n_codes = int(max(levels.max(), 4)) + 1
    table = np.zeros((len(zones), n_codes))
    for i, (values, fracs) in enumerate(zip(res["unique"], res["frac"], strict=True)):
        for v, f in zip(values, fracs, strict=True):
            table[i, int(v)] += float(f)
    out = pd.DataFrame(table, index=zones[id_col].values, columns=[f"share_{i}" for i in range(n_codes)])
    out.index.name = id_col
    return out


def exposed_people(
    levels: np.ndarray,
    grid: Grid,
    villages: gpd.GeoDataFrame,
    zone_col: str,
    people_col: str = "population",
    point_levels: np.ndarray | None = None,
) -> pd.DataFrame:
    """People of the villages standing in cells of each level, summed per zone (levels 0..4).
    ``point_levels`` (one per village) replaces the cell lookup where villages have their own level
    (flash-flood indicators, :mod:`pipelines.flood`)."""
    if point_levels is None:
        pts = villages.to_crs(grid.crs)
        cols, rows = ~grid.transform * (pts.geometry.x.values, pts.geometry.y.values)
        r = np.clip(np.floor(rows).astype(int), 0, grid.height - 1)
        c = np.clip(np.floor(cols).astype(int), 0, grid.width - 1)
        lv = levels[r, c]
    else:
        lv = np.asarray(point_levels)
    df = pd.DataFrame(
        {zone_col: villages[zone_col].values, "level": lv, "people": villages[people_col].values}
    )
    table = df.pivot_table(index=zone_col, columns="level", values="people", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=range(5), fill_value=0)
    table.columns = [f"exposed_{i}" for i in range(5)]
    return table.astype(np.int64)


def township_level(shares: pd.Series, exposed: pd.Series) -> int:
    """Highest level that covers at least MIN_SHARE of the township or any of its people."""
    for lv in (4, 3, 2, 1):
        if shares.get(f"share_{lv}", 0.0) >= MIN_SHARE or exposed.get(f"exposed_{lv}", 0) > 0:
            return lv
    return 0
