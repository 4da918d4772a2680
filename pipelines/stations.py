"""Rain from automatic weather stations (自动站): read a station table, grid it by inverse distance.

The table (CSV, UTF-8 or GBK/GB18030) has one row per station and hour: station, lon, lat, time,
rain_mm. Headers are recognised in Chinese or English (:data:`HEADERS`: 站号/区站号/站名/station,
经度/lon, 纬度/lat, 时间/观测时间/time, 雨量/降水量/小时雨量/rain_mm …; units in brackets such as
``雨量(mm)`` are ignored). Times are ``2026-10-26 08:00``, ``2026/10/26 8:00``, ``2026102608`` or
ISO 8601 with an offset; times without an offset are in the zone given (default +08:00, Beijing
time, as Chinese stations report) and converted to UTC. A station's rain at time T is the rain of
the hour *ending* at T (the hourly precipitation stations report), so inside it labels hour T − 1 h.
Empty cells, ``-``, ``/``, ``NA`` and codes ≥ 9999 are missing; ``微量``/``T`` (trace) is 0 mm.
Each bad row is an error naming the file, the line and the fault.

Gridding: inverse-distance weighting (Shepard 1968) on the analysis grid, per hour: a cell's rain is
Σ wᵢ·rᵢ / Σ wᵢ with wᵢ = 1/dᵢ^p (p = 2) over the nearest ``max_stations`` (12) stations within the
search ``radius`` (20 km) that reported that hour; a cell with none in reach is missing (no rain
level there), and the share of the county within reach (coverage) is recorded in the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import dask.array as da
import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy import sparse
from scipy.spatial import cKDTree

from backend.errors import InvalidInput
from pipelines.grid import BLOCK, Grid, _split

HEADERS: dict[str, tuple[str, ...]] = {
    "station": (
        "站号", "区站号", "站点编号", "站码", "测站编码", "站点代码", "station", "station_id",
        "stationid", "站名", "站点", "测站", "站点名称", "测站名称", "id", "code", "site", "name",
    ),
    "lon": ("经度", "lon", "lng", "long", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "time": (
        "时间", "观测时间", "日期时间", "时次", "资料时间", "datetime", "time", "date_time",
        "obs_time", "timestamp", "date", "日期",
    ),
    "rain_mm": (
        "雨量", "降水量", "降雨量", "小时雨量", "小时降水量", "1小时降水量", "1小时雨量", "降水",
        "rain_mm", "rain", "rainfall", "precip", "precipitation", "pre", "pre_1h", "pr", "prcp",
    ),
}  # fmt: skip
MISSING = {"", "-", "--", "/", "na", "n/a", "nan", "null", "none", "缺测"}
TRACE = {"微量", "t", "trace"}
MISSING_CODE = 9999.0
MAX_HOURLY_MM = 400.0  # above the world's 1 h record (305 mm): a typing or unit error
HOUR = np.timedelta64(1, "h")


@dataclass(frozen=True)
class IdwSettings:
    """Inverse-distance weighting: power, search radius (km) and the most stations per cell."""

    power: float = 2.0
    radius_km: float = 20.0
    max_stations: int = 12


@dataclass
class StationRain:
    path: Path
    stations: pd.DataFrame  # station, lon, lat
    times: np.ndarray  # hour starts, datetime64[ns] UTC
    values: np.ndarray  # (hours, stations) mm, NaN missing
    notes: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


def _norm(header: str) -> str:
    h = re.sub(r"[（(\[【].*?[)）\]】]", "", str(header)).strip().lower()
    return re.sub(r"\s+", "_", h)


def _columns(headers: list[str], path: Path) -> dict[str, str]:
    normed = {_norm(h): h for h in headers}
    out = {}
    for ours, names in HEADERS.items():
        for name in names:
            if name in normed and normed[name] not in out.values():
                out[ours] = normed[name]
                break
    missing = [k for k in HEADERS if k not in out]
    if missing:
        raise InvalidInput(
            f"{path}: no column for {', '.join(missing)} (recognised e.g. 站号/station, 经度/lon, "
            f"纬度/lat, 时间/time, 雨量/rain_mm); the file has {', '.join(map(str, headers)) or 'none'}"
        )
    return out


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InvalidInput(f"{path}: file not found")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InvalidInput(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from exc
    raise InvalidInput(f"{path}: not UTF-8 or GBK/GB18030 text")


def _times(raw: pd.Series, tz: str, path: Path) -> pd.Series:
    s = raw.str.strip()
    for pattern, fmt in ((r"\d{10}", "%Y%m%d%H"), (r"\d{12}", "%Y%m%d%H%M"), (r"\d{14}", "%Y%m%d%H%M%S")):
        if s.str.fullmatch(pattern).all():
            parsed = pd.to_datetime(s, format=fmt, errors="coerce")
            break
    else:
        aware = s.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True)
        if aware.any() and not aware.all():
            line = int(np.argmax(~aware.to_numpy())) + 2
            raise InvalidInput(
                f"{path}: line {line}: time {s.iloc[line - 2]!r} has no offset where others do"
            )
        parsed = pd.to_datetime(s, format="mixed", errors="coerce", utc=bool(aware.all()))
        if aware.all():
            return _checked(parsed.dt.tz_convert("UTC").dt.tz_localize(None), s, path)
    try:
        local = parsed.dt.tz_localize(tz)
    except Exception as exc:  # noqa: BLE001 - pandas raises several types for an unknown zone
        raise InvalidInput(f"{path}: unknown time zone {tz!r} (e.g. +08:00 or Asia/Shanghai)") from exc
    return _checked(local.dt.tz_convert("UTC").dt.tz_localize(None), s, path)


def _checked(parsed: pd.Series, raw: pd.Series, path: Path) -> pd.Series:
    bad = parsed.isna()
    if bad.any():
        line = int(np.argmax(bad.to_numpy())) + 2
        raise InvalidInput(f"{path}: line {line}: unreadable time {raw.iloc[line - 2]!r}")
    off = parsed.dt.floor("h") != parsed
    if off.any():
        line = int(np.argmax(off.to_numpy())) + 2
        raise InvalidInput(
            f"{path}: line {line}: time {raw.iloc[line - 2]!r} is not on the hour (hourly rain)"
        )
    return parsed


def _numbers(raw: pd.Series, path: Path, name: str, low: float, high: float) -> np.ndarray:
    values = np.array(pd.to_numeric(raw.str.strip(), errors="coerce"), dtype=float)
    bad = ~np.isfinite(values) | (values < low) | (values > high)
    if bad.any():
        line = int(np.argmax(bad)) + 2
        raise InvalidInput(
            f"{path}: line {line}: {name} {raw.iloc[line - 2]!r} is not a number within {low:g}..{high:g}"
        )
    return values


def _rain(raw: pd.Series, path: Path) -> np.ndarray:
    s = raw.str.strip().str.lower()
    values = np.array(pd.to_numeric(s, errors="coerce"), dtype=float)
    missing = s.isin(MISSING).to_numpy() | (values >= MISSING_CODE)
    values[s.isin(TRACE).to_numpy()] = 0.0
    values[missing] = np.nan
    bad = (~np.isfinite(values) & ~missing) | (values < 0) | (values > MAX_HOURLY_MM)
    if bad.any():
        line = int(np.argmax(bad)) + 2
        raise InvalidInput(
            f"{path}: line {line}: rain {raw.iloc[line - 2]!r} is not an hourly amount in mm "
            f"(0..{MAX_HOURLY_MM:g}; empty or ≥ {MISSING_CODE:g} for missing)"
        )
    return values


def read_station_rain(path: Path, tz: str = "+08:00") -> StationRain:
    """Read and check a station table (see the module docstring)."""
    path = Path(path)
    df = _read_csv(path)
    if df.empty:
        raise InvalidInput(f"{path}: no rows")
    cols = _columns(list(df.columns), path)
    station = df[cols["station"]].str.strip()
    if (station == "").any():
        raise InvalidInput(f"{path}: line {int(np.argmax((station == '').to_numpy())) + 2}: no station")
    lon = _numbers(df[cols["lon"]], path, "longitude", -180, 180)
    lat = _numbers(df[cols["lat"]], path, "latitude", -90, 90)
    reported = _times(df[cols["time"]], tz, path)
    rain = _rain(df[cols["rain_mm"]], path)
    table = pd.DataFrame(
        {"station": station, "lon": lon, "lat": lat, "hour": reported - pd.Timedelta(hours=1), "rain": rain}
    )
    dup = table.duplicated(["station", "hour"])
    if dup.any():
        line = int(np.argmax(dup.to_numpy())) + 2
        raise InvalidInput(
            f"{path}: line {line}: station {station.iloc[line - 2]} reported twice for that time"
        )
    first = table.groupby("station", sort=False)[["lon", "lat"]].transform("first")
    moved = (np.abs(table[["lon", "lat"]].to_numpy() - first.to_numpy()) > 1e-6).any(axis=1)
    if moved.any():
        line = int(np.argmax(moved)) + 2
        raise InvalidInput(
            f"{path}: line {line}: station {station.iloc[line - 2]} has other coordinates than "
            "on its first line"
        )
    stations = table.drop_duplicates("station")[["station", "lon", "lat"]].reset_index(drop=True)
    t0, t1 = table["hour"].min(), table["hour"].max()
    times = pd.date_range(t0, t1, freq="h").to_numpy(dtype="datetime64[ns]")
    grid = table.pivot(index="hour", columns="station", values="rain").reindex(
        index=pd.DatetimeIndex(times), columns=stations["station"]
    )
    values = grid.to_numpy(dtype=np.float32)
    reported_share = float(np.isfinite(values).mean())
    notes = []
    if reported_share < 1:
        notes.append(f"stations: {1 - reported_share:.1%} of station-hours not reported (left out)")
    meta = {
        "file": str(path),
        "rows": len(table),
        "stations": len(stations),
        "hours": len(times),
        "first_hour_utc": str(np.datetime64(t0, "s")),
        "time_zone": tz,
        "station_hours_reported": round(reported_share, 4),
    }
    return StationRain(path, stations, times, values, notes, meta)


def idw_stack(
    xy: np.ndarray, values: np.ndarray, grid: Grid, settings: IdwSettings = IdwSettings(), block: int = BLOCK
) -> da.Array:
    """Hourly IDW rain on ``grid`` as a lazy dask array (hours, y, x); NaN where no station is in reach.

    ``xy``: station coordinates (n, 2) in the grid's CRS; ``values``: (hours, n) mm, NaN missing.
    """
    n = len(xy)
    k = min(settings.max_stations, n)
    radius = settings.radius_km * 1000.0
    tree = cKDTree(xy)
    hours = values.shape[0]
    reported = np.isfinite(values).T.astype(np.float64)  # (stations, hours)
    filled = np.where(np.isfinite(values), values, 0.0).T.astype(np.float64)

    def one_block(block_info=None):
        (r0, r1), (c0, c1) = block_info[None]["array-location"][1:]
        t = grid.block_transform(r0, c0)  # north-up
        cols, rows = np.meshgrid(np.arange(c1 - c0) + 0.5, np.arange(r1 - r0) + 0.5)
        x, y = t.c + cols.ravel() * t.a, t.f + rows.ravel() * t.e
        d, idx = tree.query(np.column_stack([x, y]), k=k, distance_upper_bound=radius)
        d, idx = d.reshape(len(x), k), idx.reshape(len(x), k)
        near = np.isfinite(d)
        w = 1.0 / np.maximum(d[near], 1e-3) ** settings.power
        cells = np.broadcast_to(np.arange(len(x))[:, None], d.shape)[near]
        weights = sparse.csr_matrix((w, (cells, idx[near])), shape=(len(x), n))  # cells x stations
        num, den = weights @ filled, weights @ reported  # (cells, hours): Σ w·r and Σ w over reports
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 0, num / den, np.nan).astype(np.float32)
        return np.ascontiguousarray(out.T).reshape(hours, r1 - r0, c1 - c0)

    chunks = ((hours,), _split(grid.height, block), _split(grid.width, block))
    return da.map_blocks(one_block, chunks=chunks, dtype=np.float32, meta=np.empty((0, 0, 0), np.float32))


def station_xy(stations: pd.DataFrame, crs: str) -> np.ndarray:
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        stations["lon"].to_numpy(), stations["lat"].to_numpy()
    )
    return np.column_stack([x, y])
