"""Gridded rain from the files weather services publish: CF NetCDF or GRIB (1/2), as hourly mm.

Which variable is rain
    ``--rain-var NAME`` if given; else the variable whose CF ``standard_name`` is one of
    :data:`STANDARD_NAMES` (precipitation_amount, lwe_thickness_of_precipitation_amount,
    precipitation_flux, lwe_precipitation_rate, and their rainfall_ forms); else the first of the
    common names :data:`COMMON_NAMES` (rain, precipitation, pr, tp, pre, APCP, …; any case).
    Several candidates without a way to choose are an error listing them.

Units (the units decide amount or rate; a standard name saying otherwise is noted in the run)
    amounts ``mm``, ``m`` (× 1000, e.g. ECMWF ``tp``), ``cm``, ``kg m-2`` (1 kg m⁻² of water is
    1 mm), optionally scaled (``0.1 mm``); rates are an amount per ``s``, ``h`` or ``d``
    (``kg m-2 s-1`` × 3600 s per hour, ``mm/h``, ``m s-1`` …), multiplied by each step's length.

Accumulations
    A field accumulated since the start of the forecast (ECMWF ``tp``, most NWP output) is
    de-accumulated: the rain between two times is the difference of their totals. It is
    recognised from GRIB step ranges (one common start, growing ends; stepType accum), or, for
    NetCDF, from the values (non-decreasing along time in every cell over ≥ 3 times and rising
    somewhere), or declared with ``--accumulated`` (``--not-accumulated`` turns detection off).
    The start is the forecast reference time when the file gives one (GRIB base time, a CF
    ``forecast_reference_time``); else the first time if it holds zero rain, else one step before.

Times
    Times are decoded from CF units, an offset in them honoured (``hours since 2026-10-26
    08:00:00+08:00``); without one CF means UTC, and GRIB times are UTC. Inside, every time is UTC
    and labels the *start* of its hour. A per-step amount or a rate at time t covers [t, next
    time) — CF ``time_bnds`` are used when present; an accumulated total at t ends at t; GRIB
    amounts cover their step range. Steps longer than an hour (3 h forecasts) are spread evenly
    over their hours; the hours must follow each other without a gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from backend.errors import InvalidInput
from pipelines import grib
from pipelines.io import Gridded, _axes, _crs_of, _open_netcdf, _transform

STANDARD_NAMES: dict[str, str] = {
    "precipitation_amount": "amount",
    "lwe_thickness_of_precipitation_amount": "amount",
    "thickness_of_rainfall_amount": "amount",
    "rainfall_amount": "amount",
    "lwe_thickness_of_stratiform_precipitation_amount": "amount",
    "precipitation_flux": "rate",
    "rainfall_flux": "rate",
    "lwe_precipitation_rate": "rate",
    "rainfall_rate": "rate",
}
COMMON_NAMES: tuple[str, ...] = (
    "rain", "precipitation", "precip", "pr", "tp", "pre", "apcp", "prcp", "rainfall", "rr",
    "precipitation_amount", "total_precipitation", "prate", "tprate", "r",
)  # fmt: skip
AMOUNTS = {
    "mm": 1.0, "millimeter": 1.0, "millimeters": 1.0, "millimetre": 1.0, "millimetres": 1.0,
    "m": 1000.0, "meter": 1000.0, "meters": 1000.0, "metre": 1000.0, "metres": 1000.0,
    "cm": 10.0, "kg m-2": 1.0,
}  # fmt: skip
PER = {"s": 1.0, "sec": 1.0, "second": 1.0, "h": 3600.0, "hr": 3600.0, "hour": 3600.0, "d": 86400.0,
       "day": 86400.0}  # fmt: skip
HOUR = np.timedelta64(1, "h")


def parse_units(units: str) -> tuple[float, float | None]:
    """(factor to mm, seconds of the rate's time unit or None for an amount); ValueError if unknown.

    ``mm``, ``0.1 mm``, ``m``, ``kg m-2`` (also ``kg/m2``, ``kg m**-2``); rates ``mm/h``, ``mm h-1``,
    ``kg m-2 s-1``, ``kg/m2/s``, ``m s-1``, ``mm/day`` …
    """
    u = " ".join(str(units).strip().lower().replace("**", "").replace("^", "").split())
    u = re.sub(r"kg\s*[/.\s]\s*m-?2(?![0-9])", "kg m-2", u)
    if "/" in u:
        amount, per = (part.strip() for part in u.split("/", 1))
    elif m := re.match(r"^(.*?)\s+([a-z]+)-1$", u):
        amount, per = m[1], m[2]
    else:
        amount, per = u, None
    m = re.match(r"^(\d*\.?\d+(?:e-?\d+)?)?\s*(.+)$", amount)
    scale = float(m[1]) if m and m[1] else 1.0
    amount = m[2] if m else amount
    if amount not in AMOUNTS or (per is not None and per not in PER):
        raise ValueError(units)
    return AMOUNTS[amount] * scale, PER[per] if per else None


@dataclass
class _Field:
    values: np.ndarray  # (time, y, x) float32, north-up
    times: np.ndarray  # datetime64[ns]
    name: str
    standard_name: str
    units: str
    kind: str  # "amount" or "rate"
    reference_time: np.datetime64 | None
    bounds: np.ndarray | None  # (time, 2) CF time bounds
    steps: list[tuple[int, int, str]]  # GRIB step ranges
    is_grib: bool


def _choose(ds: xr.Dataset, override: str | None, path: Path) -> str:
    names = [str(n) for n in ds.data_vars]
    if override:
        if override in ds.data_vars:
            return override
        lower = {n.lower(): n for n in names}
        if override.lower() in lower:
            return lower[override.lower()]
        raise InvalidInput(f"{path}: no variable {override!r} (--rain-var); has {', '.join(names) or 'none'}")
    gridded = [n for n in names if ds[n].ndim >= 2]
    by_standard = [n for n in gridded if ds[n].attrs.get("standard_name") in STANDARD_NAMES]
    if len(by_standard) == 1:
        return by_standard[0]
    pool = by_standard or gridded
    lower = {n.lower(): n for n in pool}
    for common in COMMON_NAMES:
        if common in lower:
            return lower[common]
    short = {str(ds[n].attrs.get("GRIB_shortName", "")).lower(): n for n in pool}
    for common in COMMON_NAMES:
        if common in short:
            return short[common]
    if by_standard:
        raise InvalidInput(
            f"{path}: several rain variables ({', '.join(by_standard)}); choose one with --rain-var NAME"
        )
    raise InvalidInput(
        f"{path}: no rain variable found (by CF standard_name or a common name such as rain, pr, tp, "
        f"APCP); has {', '.join(names) or 'none'}; name it with --rain-var NAME"
    )


def _squeeze(var: xr.DataArray, ydim: str, xdim: str, path: Path, name: str) -> xr.DataArray:
    for d in [d for d in var.dims if d not in ("time", ydim, xdim)]:
        if var.sizes[d] != 1:
            raise InvalidInput(
                f"{path}: variable {name!r} has an extra dimension {d!r} of {var.sizes[d]}; "
                "give a file with one member/level"
            )
        var = var.isel({d: 0}, drop=True)
    if "time" not in var.dims:
        raise InvalidInput(f"{path}: variable {name!r} has no time dimension")
    return var.transpose("time", ydim, xdim)


def _read_field(path: Path, rain_var: str | None) -> tuple[_Field, Gridded]:
    if grib.is_grib(path):
        candidates = grib.open_grib(path)
        merged = {}
        for ds in candidates:
            for n in ds.data_vars:
                merged.setdefault(str(n), ds)
        probe = xr.Dataset({n: ds[n] for n, ds in merged.items() if ds[n].ndim >= 2}) if merged else None
        if probe is None or not probe.data_vars:
            raise InvalidInput(f"{path}: no gridded GRIB fields")
        name = _choose(probe, rain_var, path)
        ds = merged[name]
        if ds[name].attrs.get("unsupported_grid"):
            raise InvalidInput(
                f"{path}: GRIB grid type {ds[name].attrs['unsupported_grid']!r} is not supported; "
                "regrid it to a regular latitude/longitude grid (regular_ll) first"
            )
        is_grib = True
    else:
        ds = _open_netcdf(path)
        name = _choose(ds, rain_var, path)
        is_grib = False
    if "time" not in ds.dims:
        raise InvalidInput(f"{path}: no time dimension")
    ydim, xdim = _axes(ds, path)
    var = _squeeze(ds[name], ydim, xdim, path, name)
    crs = _crs_of(ds, ds[name], path)
    times = ds["time"].values
    if not np.issubdtype(times.dtype, np.datetime64):
        raise InvalidInput(f"{path}: time values are not CF datetimes (units 'hours since …')")
    transform, flip = _transform(ds[ydim].values, ds[xdim].values, path)
    values = var.values.astype(np.float32)
    if flip:
        values = values[:, ::-1, :]
    attrs = ds[name].attrs
    standard = str(attrs.get("standard_name", "") or "")
    units = str(attrs.get("units", "") or attrs.get("GRIB_units", ""))
    ref = None
    if ds.attrs.get("reference_time"):
        ref = np.datetime64(ds.attrs["reference_time"], "ns")
    elif "forecast_reference_time" in ds.coords and ds["forecast_reference_time"].ndim == 0:
        ref = ds["forecast_reference_time"].values.astype("datetime64[ns]")
    bounds = None
    bname = ds["time"].attrs.get("bounds")
    if bname and bname in ds.variables and not is_grib:
        bounds = ds[bname].values.astype("datetime64[ns]")
    try:
        factor, per_s = parse_units(units)
    except ValueError:
        raise InvalidInput(
            f"{path}: variable {name!r} has units {units!r}; expected an amount (mm, m, kg m-2) "
            "or a rate (mm/h, kg m-2 s-1)"
        ) from None
    kind = "rate" if per_s else "amount"
    declared = STANDARD_NAMES.get(standard)
    conflict = None
    if declared and declared != kind:
        conflict = (
            f"rain: {name} is {standard} (a {declared}) but its units {units!r} are "
            f"{'an amount' if kind == 'amount' else 'a rate'}: taken as the units say"
        )
    field = _Field(
        values * np.float32(factor / (per_s or 1.0)),  # mm, or mm per second for a rate
        times.astype("datetime64[ns]"),
        name,
        standard,
        units,
        kind,
        ref,
        bounds,
        sorted(attrs.get("steps", []), key=lambda s: (s[1], s[0])),
        is_grib,
    )
    return field, Gridded(path, {}, field.times, transform, crs, [conflict] if conflict else [])


def _looks_accumulated(values: np.ndarray) -> bool:
    if values.shape[0] < 3:
        return False
    d = np.diff(values, axis=0)
    scale = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0
    tol = 1e-6 * scale + 1e-9
    with np.errstate(invalid="ignore"):
        return bool(np.nanmin(d) >= -tol and np.nanmax(d) > tol)


def _intervals(f: _Field, accumulated: bool, path: Path, notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per value: the [start, end) it covers (datetime64[ns]) and its amount in mm."""
    t = f.times
    n = len(t)
    if n and (np.diff(t) <= np.timedelta64(0)).any():
        raise InvalidInput(f"{path}: the time axis is not sorted (or repeats a time)")
    if accumulated:
        if f.kind != "amount":
            raise InvalidInput(f"{path}: variable {f.name!r} is a rate; only amounts can be accumulated")
        totals = f.values.astype(np.float64)
        start = None
        if f.is_grib and f.steps and len({s[0] for s in f.steps}) == 1 and f.reference_time is not None:
            start = f.reference_time + np.timedelta64(f.steps[0][0], "h")
        elif f.reference_time is not None:
            start = f.reference_time
        if start is not None and start < t[0]:
            edges = np.concatenate([[start], t])
            totals = np.concatenate([np.zeros((1,) + totals.shape[1:]), totals])
        elif not np.isfinite(totals[0]).any() or np.nanmax(np.abs(totals[0])) <= 1e-9:
            edges = t  # the first total is the start (zero rain so far)
        else:
            if n < 2:
                raise InvalidInput(f"{path}: one accumulated time and no start; the rain's hours are unknown")
            edges = np.concatenate([[t[0] - (t[1] - t[0])], t])
            totals = np.concatenate([np.zeros((1,) + totals.shape[1:]), totals])
            notes.append(f"rain: {f.name} accumulated before {t[0]}: taken as one step of rain")
        if len(edges) < 2:
            raise InvalidInput(f"{path}: an accumulated field needs at least two times")
        amounts = np.diff(totals, axis=0)
        scale = float(np.nanmax(np.abs(totals))) if np.isfinite(totals).any() else 0.0
        tol = max(1e-4 * scale, 0.01)
        with np.errstate(invalid="ignore"):
            bad = amounts < -tol
        if bad.any():
            i = int(np.argmax(bad.reshape(len(amounts), -1).any(axis=1)))
            raise InvalidInput(
                f"{path}: variable {f.name!r} is taken as accumulated but decreases from {edges[i]} "
                f"to {edges[i + 1]} in {int(bad[i].sum())} cell(s); declare --not-accumulated if it "
                "is rain per step"
            )
        return np.stack([edges[:-1], edges[1:]], axis=1), np.clip(amounts, 0, None).astype(np.float32)
    if f.is_grib and f.steps and f.kind == "amount" and len(f.steps) == n:
        ref = f.reference_time
        if ref is None:
            raise InvalidInput(f"{path}: GRIB messages without a reference time")
        iv = np.array(
            [[ref + np.timedelta64(a, "h"), ref + np.timedelta64(b, "h")] for a, b, _ in f.steps],
            dtype="datetime64[ns]",
        )
        if (iv[:, 1] <= iv[:, 0]).any():
            raise InvalidInput(f"{path}: GRIB amount {f.name!r} has an empty step range (step 0)")
        return iv, f.values
    if f.bounds is not None and f.bounds.shape == (n, 2):
        iv = f.bounds
    else:
        if n >= 2:
            d = np.diff(t)
            step = np.median(d.astype(np.int64)).astype("timedelta64[ns]")
            if (d != step).any():
                gaps = int((d != step).sum())
                raise InvalidInput(
                    f"{path}: the time axis has {gaps} gap(s) or irregular step(s); "
                    f"expected one step every {step.astype('timedelta64[h]')}"
                )
        else:
            step = HOUR.astype("timedelta64[ns]")
            notes.append(f"rain: one time only in {path.name}: taken as one hour of rain")
        iv = np.stack([t, t + step], axis=1)
    values = f.values
    if f.kind == "rate":
        seconds = (iv[:, 1] - iv[:, 0]) / np.timedelta64(1, "s")
        values = values * seconds.astype(np.float32)[:, None, None]
    return iv, values


def _hourly(iv: np.ndarray, amounts: np.ndarray, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Spread each interval's amount evenly over its whole hours; hours must follow each other."""
    hours = (iv[:, 1] - iv[:, 0]) / HOUR
    if (hours != np.round(hours)).any() or (iv[:, 0].astype("datetime64[h]") != iv[:, 0]).any():
        raise InvalidInput(f"{path}: rain steps must be whole hours starting on the hour")
    if (iv[1:, 0] != iv[:-1, 1]).any():
        i = int(np.argmax(iv[1:, 0] != iv[:-1, 1]))
        raise InvalidInput(f"{path}: the time axis has a gap: no rain between {iv[i, 1]} and {iv[i + 1, 0]}")
    k = hours.astype(int)
    if (k < 1).any():
        raise InvalidInput(f"{path}: the time axis is not sorted (or repeats a time)")
    values = np.repeat(amounts / k[:, None, None].astype(np.float32), k, axis=0)
    start = iv[0, 0]
    times = start + np.arange(int(k.sum())) * HOUR.astype("timedelta64[ns]")
    return times.astype("datetime64[ns]"), values


def read_rain(path: Path, rain_var: str | None = None, accumulated: bool | None = None) -> Gridded:
    """Hourly rain (mm per hour, hours labelled by their start in UTC) from a NetCDF or GRIB file."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: file not found")
    field, g = _read_field(path, rain_var)
    notes: list[str] = list(g.notes)
    how = "declared (--accumulated)" if accumulated else None
    if accumulated is None:
        if field.is_grib and field.steps:
            starts = {s[0] for s in field.steps}
            accumulated = len(starts) == 1 and len(field.steps) > 1 and field.steps[0][2] == "accum"
            how = "GRIB step ranges from one start (stepType accum)" if accumulated else None
        else:
            accumulated = field.kind == "amount" and _looks_accumulated(field.values)
            how = "non-decreasing along time in every cell" if accumulated else None
    if accumulated:
        notes.append(f"rain: {field.name} is accumulated since the start ({how}); de-accumulated")
    iv, amounts = _intervals(field, bool(accumulated), path, notes)
    with np.errstate(invalid="ignore"):
        negative = amounts < 0
    if negative.any():
        raise InvalidInput(
            f"{path}: variable {field.name!r} has {int(negative.sum())} negative value(s); "
            "rain cannot be negative"
        )
    times, values = _hourly(iv, amounts, path)
    if field.units.strip() != "mm":
        notes.append(f"rain: {field.name} converted from {field.units} to mm per hour")
    step_h = {int(h) for h in (iv[:, 1] - iv[:, 0]) / HOUR}
    if step_h != {1}:
        notes.append(f"rain: steps of {sorted(step_h)} h spread evenly over their hours")
    meta = {
        "file": str(path),
        "format": "GRIB" if field.is_grib else "NetCDF",
        "variable": field.name,
        "standard_name": field.standard_name or None,
        "units": field.units,
        "accumulated": bool(accumulated),
        "hours": len(times),
    }
    return Gridded(path, {"rain": np.ascontiguousarray(values)}, times, g.transform, g.crs, notes, meta)
