"""GRIB (edition 1 or 2) weather fields as CF-like xarray datasets, through cfgrib and ecCodes.

cfgrib decodes the fields (one dataset per hypercube: parameter, level type, step type); ecCodes
is asked directly for what cfgrib leaves out, the step range of each message (startStep–endStep),
so an accumulation is known exactly: a common start with growing ends is accumulated since that
start (ECMWF ``tp``, NCEP ``APCP`` in a forecast), consecutive ranges are amounts per step.

Each dataset is returned with dims ``(time, latitude, longitude)``: ``time`` is the valid time of
each message (UTC, as GRIB's are), ``reference_time`` (the forecast's base time) is kept in the
attributes, and ``steps`` lists each message's ``(start_h, end_h)``.

Note on the libraries: ecCodes comes from the self-contained ``eccodes`` binary wheels
(2.39–2.42). Later releases load ``eckitlib``, whose bundled PROJ is loaded globally and clashes
with pyproj's (a "PROJ database path" warning, then a crash when the interpreter exits); pyproj is
imported here first all the same, so that its own PROJ is bound before any ecCodes library loads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyproj  # noqa: F401 - bind pyproj's PROJ before ecCodes loads (see the module docstring)
import xarray as xr

from backend.errors import InvalidInput

GRIB_MAGIC = b"GRIB"


def is_grib(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return GRIB_MAGIC in head[:4096] and not head.startswith((b"CDF", b"\x89HDF"))


def _message_steps(path: Path) -> dict[str, list[tuple[int, int, str]]]:
    """Per shortName: (startStep, endStep, stepType) of each message, in hours."""
    import eccodes

    out: dict[str, list[tuple[int, int, str]]] = {}
    with open(path, "rb") as fh:
        while True:
            h = eccodes.codes_grib_new_from_file(fh)
            if h is None:
                break
            try:
                eccodes.codes_set(h, "stepUnits", "h")
                name = eccodes.codes_get(h, "shortName")
                out.setdefault(name, []).append(
                    (
                        int(eccodes.codes_get(h, "startStep")),
                        int(eccodes.codes_get(h, "endStep")),
                        str(eccodes.codes_get(h, "stepType")),
                    )
                )
            finally:
                eccodes.codes_release(h)
    return out


def _canonical(ds: xr.Dataset, path: Path) -> xr.Dataset:
    """(time=valid time, latitude, longitude), whatever cfgrib's hypercube looks like."""
    dims = set(ds.dims)
    if "time" in dims and "step" in dims:
        if ds.sizes["time"] > 1 and ds.sizes["step"] > 1:
            raise InvalidInput(
                f"{path}: holds {ds.sizes['time']} forecast runs of {ds.sizes['step']} steps each; "
                "give one forecast run per file"
            )
        ds = ds.isel(time=0) if ds.sizes["time"] == 1 else ds.isel(step=0)
        dims = set(ds.dims)
    ref = ds["time"].values if "time" in ds.coords else None
    if "step" in dims:
        ds = ds.swap_dims(step="valid_time")
    elif "time" in dims:
        ds = ds.swap_dims(time="valid_time")
    else:
        ds = ds.expand_dims("valid_time") if "valid_time" in ds.coords else ds
    drop = [c for c in ("time", "step") if c in ds.coords]
    ds = ds.drop_vars(drop).rename(valid_time="time")
    if ref is not None and np.ndim(ref) == 0:
        ds.attrs["reference_time"] = str(np.datetime64(ref, "s"))
    return ds


def open_grib(path: Path) -> list[xr.Dataset]:
    """Every hypercube of the file as a canonical dataset (see the module docstring)."""
    import cfgrib

    path = Path(path)
    try:
        datasets = cfgrib.open_datasets(str(path), backend_kwargs={"indexpath": ""})
    except Exception as exc:  # noqa: BLE001 - cfgrib and ecCodes raise many unrelated types
        raise InvalidInput(f"{path}: unreadable GRIB ({str(exc).splitlines()[0]})") from exc
    if not datasets:
        raise InvalidInput(f"{path}: no GRIB messages")
    steps = _message_steps(path)
    out = []
    for ds in datasets:
        ds = _canonical(ds.load(), path)
        for name, var in ds.data_vars.items():
            short = var.attrs.get("GRIB_shortName", name)
            var.attrs["steps"] = steps.get(short, [])
            grid_type = var.attrs.get("GRIB_gridType", "regular_ll")
            if grid_type not in ("regular_ll",):
                var.attrs["unsupported_grid"] = grid_type
        out.append(ds)
    return out


def write_regular_ll(
    path: Path,
    fields: np.ndarray,
    lats: np.ndarray,
    lons: np.ndarray,
    step_ranges: list[tuple[int, int]],
    date: int = 20261026,
    hour: int = 0,
    short: str = "tp",
) -> Path:
    """GRIB2 as ecCodes writes it from its bundled ``regular_ll_sfc_grib2`` sample: one message per
    step range (hours from ``date`` ``hour`` UTC), ``fields`` (steps, lat, lon) north-up in the
    parameter's GRIB units (``tp``: metres), 32-bit IEEE values. For tests and benchmarks."""
    import eccodes

    d_lat, d_lon = round(float(lats[0] - lats[1]), 6), round(float(lons[1] - lons[0]), 6)
    keys = {
        "Ni": len(lons),
        "Nj": len(lats),
        "latitudeOfFirstGridPointInDegrees": float(lats[0]),
        "latitudeOfLastGridPointInDegrees": float(lats[-1]),
        "longitudeOfFirstGridPointInDegrees": float(lons[0]),
        "longitudeOfLastGridPointInDegrees": float(lons[-1]),
        "iDirectionIncrementInDegrees": d_lon,
        "jDirectionIncrementInDegrees": d_lat,
        "dataDate": date,
        "dataTime": hour * 100,
    }
    with open(path, "wb") as out:
        for values, (a, b) in zip(fields, step_ranges, strict=True):
            h = eccodes.codes_grib_new_from_samples("regular_ll_sfc_grib2")
            try:
                eccodes.codes_set(h, "productDefinitionTemplateNumber", 8)  # statistically processed
                eccodes.codes_set(h, "shortName", short)
                for key, value in keys.items():
                    eccodes.codes_set(h, key, value)
                eccodes.codes_set(h, "stepUnits", "h")
                eccodes.codes_set_string(h, "stepRange", f"{a}-{b}")
                eccodes.codes_set(h, "packingType", "grid_ieee")
                eccodes.codes_set_values(h, np.asarray(values, dtype=np.float64).ravel())
                eccodes.codes_write(h, out)
            finally:
                eccodes.codes_release(h)
    return Path(path)
