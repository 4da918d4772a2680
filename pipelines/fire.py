"""Forest-fire danger: the Canadian Forest Fire Weather Index System, classified to our levels.

FWI codes (FFMC, DMC, DC, ISI, BUI, FWI) follow Van Wagner (1987), *Development and structure of
the Canadian Forest Fire Weather Index System*, Forestry Technical Report 35, as implemented by
xclim (``xclim.indices.fire.cffwis_indices``), carried day to day from start codes. Inputs are
daily noon temperature (°C), relative humidity (%), 10 m wind (km/h) and 24 h rain (mm).

Danger classes of FWI are the EFFIS bands (European Forest Fire Information System):
<5.2 very low, 5.2–11.2 low, 11.2–21.3 moderate, 21.3–38 high, 38–50 very high, ≥50 extreme.
China's five national forest-fire danger levels (森林火险等级, LY/T 1063 practice) map onto them:
一级 低 (FWI < 11.2), 二级 较低 (moderate), 三级 较高 (high, yellow signal), 四级 高 (very high,
orange), 五级 极高 (extreme, red); our colours are blue for 二级 and up (DOMAIN.md). Fire danger
only exists where there is fuel: the layer is masked to burnable land cover (forest, shrub/grass).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

CODES = ("ffmc", "dmc", "dc", "isi", "bui", "fwi")
BURNABLE_CLASSES = (1, 2)  # land cover: forest, shrub/grass (see sample_data.terrain)


@dataclass(frozen=True)
class FireDangerClasses:
    """EFFIS FWI class bounds (lower bound of moderate, high, very high, extreme), and the
    national level (1..5) and our level (0..4) of each class from very low to extreme."""

    bounds: tuple[float, ...] = (5.2, 11.2, 21.3, 38.0, 50.0)
    names: tuple[str, ...] = ("very low", "low", "moderate", "high", "very high", "extreme")
    national: tuple[int, ...] = (1, 1, 2, 3, 4, 5)
    level: tuple[int, ...] = (0, 0, 1, 2, 3, 4)


EFFIS = FireDangerClasses()


def fwi_codes(
    tas: xr.DataArray,
    hurs: xr.DataArray,
    wind: xr.DataArray,
    pr: xr.DataArray,
    lat: xr.DataArray | float,
    ffmc0: float = 85.0,
    dmc0: float = 6.0,
    dc0: float = 15.0,
) -> xr.Dataset:
    """Daily FWI system codes from noon weather, carried from the start codes.

    Parameters
    ----------
    tas, hurs, wind, pr : DataArrays with a daily ``time`` dimension first (°C, %, km/h, mm).
    lat : latitude in degrees (sets the day-length factors of DMC and DC), scalar or per cell.
    ffmc0, dmc0, dc0 : start codes (Van Wagner's standard start-up values by default).

    Returns
    -------
    Dataset of ffmc, dmc, dc, isi, bui, fwi with the dims of ``tas``.
    """
    from xclim.indices.fire import cffwis_indices

    dims = tas.dims
    spatial = [d for d in dims if d != "time"]
    if not spatial:  # a station: give xclim one location
        tas, hurs, wind, pr = (a.expand_dims(loc=1, axis=-1) for a in (tas, hurs, wind, pr))
        spatial = ["loc"]
    template = tas.isel(time=0, drop=True)
    lat_da = (
        xr.full_like(template, float(lat), dtype=np.float64)
        if np.isscalar(lat)
        else lat.broadcast_like(template)
    )
    start = {
        k: xr.full_like(template, v, dtype=np.float64).assign_attrs(units="")
        for k, v in (("ffmc0", ffmc0), ("dmc0", dmc0), ("dc0", dc0))
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dc, dmc, ffmc, isi, bui, fwi = cffwis_indices(
            tas.assign_attrs(units="degC"),
            pr.assign_attrs(units="mm/d"),
            wind.assign_attrs(units="km/h"),
            hurs.assign_attrs(units="%"),
            lat_da.assign_attrs(units="degrees_north"),
            initial_start_up=False,
            **start,
        )
    out = xr.Dataset({"ffmc": ffmc, "dmc": dmc, "dc": dc, "isi": isi, "bui": bui, "fwi": fwi})
    out = out.transpose("time", *spatial)
    if "loc" in out.dims and "loc" not in dims:
        out = out.isel(loc=0, drop=True)
    return out


def danger_class(fwi: xr.DataArray | np.ndarray, classes: FireDangerClasses = EFFIS):
    """Index of the EFFIS class (0 very low .. 5 extreme) of each FWI value."""
    return np.digitize(np.asarray(fwi), classes.bounds, right=False)


def national_level(fwi, classes: FireDangerClasses = EFFIS) -> np.ndarray:
    """China's forest-fire danger level 1..5 (一 低 … 五 极高)."""
    return np.asarray(classes.national)[danger_class(fwi, classes)]


def fire_level(fwi, burnable, classes: FireDangerClasses = EFFIS):
    """Our level 0..4 from FWI, 0 where nothing burns."""
    lv = np.asarray(classes.level, dtype=np.uint8)[danger_class(fwi, classes)]
    lv = np.where(np.isnan(np.asarray(fwi, dtype=float)), 0, lv)
    return np.where(np.asarray(burnable, dtype=bool), lv, 0).astype(np.uint8)


def station_fwi(
    table: pd.DataFrame, lat: float, ffmc0: float = 85.0, dmc0: float = 6.0, dc0: float = 15.0
) -> pd.DataFrame:
    """FWI codes and national level for a station table (date,temp,rh,wind,rain)."""
    t = pd.to_datetime(table["date"]).values

    def series(col):
        return xr.DataArray(table[col].to_numpy(dtype=float), dims=("time",), coords={"time": t})

    ds = fwi_codes(series("temp"), series("rh"), series("wind"), series("rain"), lat, ffmc0, dmc0, dc0)
    out = pd.DataFrame({"date": pd.to_datetime(table["date"]).dt.strftime("%Y-%m-%d")})
    for c in CODES:
        out[c] = np.round(ds[c].values, 1)
    out["level"] = national_level(ds["fwi"].values)
    return out


def read_station_csv(path) -> pd.DataFrame:
    """Read and check a station table; errors name the file and the fault."""
    import csv
    from pathlib import Path

    from backend.errors import InvalidInput

    path = Path(path)
    if not path.is_file():
        fault = "is a directory, not a CSV file" if path.is_dir() else "file not found"
        raise InvalidInput(f"{path}: {fault}")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from exc
    with open(path, newline="", encoding="utf-8") as fh:  # pandas would take extra fields as an index
        rows = csv.reader(fh)
        header = next(rows, [])
        for n, row in enumerate(rows, start=2):
            if row and len(row) != len(header):
                raise InvalidInput(f"{path}: row {n} has {len(row)} fields; the header has {len(header)}")
    df.columns = [c.strip().lower() for c in df.columns]
    missing = [c for c in ("date", "temp", "rh", "wind", "rain") if c not in df.columns]
    if missing:
        raise InvalidInput(
            f"{path}: missing column(s) {', '.join(missing)} (expected date,temp,rh,wind,rain)"
        )
    if df.empty:
        raise InvalidInput(f"{path}: no rows")
    dates = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        row = int(dates.isna().to_numpy().argmax())
        raise InvalidInput(
            f"{path}: dates must be YYYY-MM-DD; row {row + 2} has {str(df['date'].iloc[row])[:40]!r}"
        )
    gaps = np.diff(dates.values).astype("timedelta64[D]").astype(int)
    if (gaps != 1).any():
        row = int(np.argmax(gaps != 1)) + 3  # 1-based, after the header
        raise InvalidInput(f"{path}: dates must be consecutive days; row {row} breaks the sequence")
    for col in ("temp", "rh", "wind", "rain"):
        values = pd.to_numeric(df[col], errors="coerce")
        if values.isna().any():
            raise InvalidInput(
                f"{path}: column {col} has a missing or non-numeric value at row "
                f"{int(values.isna().to_numpy().argmax()) + 2}"
            )
        df[col] = values
    for col, lo, hi in (("rh", 0, 100), ("wind", 0, 200), ("rain", 0, 1000), ("temp", -60, 60)):
        bad = (df[col] < lo) | (df[col] > hi)
        if bad.any():
            raise InvalidInput(
                f"{path}: column {col} out of range [{lo}, {hi}] at row {int(bad.to_numpy().argmax()) + 2}"
            )
    return df
