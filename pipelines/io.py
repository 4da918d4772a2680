"""Thin I/O at the pipelines' edges: read and check inputs, write COG outputs.

Every reader names the file and the fault when an input is unusable (``InvalidInput``), so a bad
file never reaches the rules. Conventions for gridded weather input (CF NetCDF, or GeoTIFF stacks):

- a CRS is required: a CF ``grid_mapping`` variable (``crs_wkt``/``spatial_ref``), or ``lat``/``lon``
  coordinates in degrees (taken as EPSG:4326);
- the time axis must be strictly increasing with a constant step (1 h for rain, 1 day for weather);
- rain units: ``mm`` (per step) as is; ``mm/h`` (``mm h-1``) × step hours; ``kg m-2 s-1`` × 3600 ×
  step hours (1 kg m⁻² of water = 1 mm); ``m`` × 1000. Anything else is rejected;
- negative rain is rejected; NaN means *missing*: it counts as 0 mm in accumulations and is
  reported in the run's parameters; more than 5 % missing over the county is rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
import xarray as xr
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import RasterioIOError

from backend.errors import InvalidInput
from pipelines.levels import colour_table

MAX_MISSING_SHARE = 0.05
RAIN_UNITS = {"mm": 1.0, "millimeter": 1.0, "millimetre": 1.0, "kg m-2": 1.0, "kg/m2": 1.0, "m": 1000.0}
RATE_UNITS = {
    "mm/h": 1.0,
    "mm h-1": 1.0,
    "mm hr-1": 1.0,
    "mm/hr": 1.0,
    "kg m-2 s-1": 3600.0,
    "kg/m2/s": 3600.0,
    "mm s-1": 3600.0,
    "mm/s": 3600.0,
}


@dataclass
class Gridded:
    """A time stack on its native grid: values (time, rows, cols), north-up transform and CRS."""

    path: Path
    values: dict[str, np.ndarray]
    times: np.ndarray  # datetime64[ns], UTC
    transform: Affine
    crs: str
    notes: list[str]
    meta: dict = field(default_factory=dict)  # what was read and how (recorded in the run's params)


def _open_netcdf(path: Path) -> xr.Dataset:
    if not path.is_file():
        raise InvalidInput(f"{path}: file not found")
    with open(path, "rb") as fh:
        magic = fh.read(8)
    if not (magic.startswith(b"CDF") or magic.startswith(b"\x89HDF")):
        raise InvalidInput(f"{path}: not a NetCDF file")
    try:
        return xr.open_dataset(path, engine="netcdf4", decode_times=True).load()
    except (OSError, ValueError, RuntimeError) as exc:
        raise InvalidInput(f"{path}: unreadable NetCDF ({str(exc).splitlines()[0]})") from exc


def _crs_of(ds: xr.Dataset, var: xr.DataArray, path: Path) -> str:
    gm = var.attrs.get("grid_mapping") or var.encoding.get("grid_mapping")
    if gm and gm in ds.variables:
        attrs = ds[gm].attrs
        for key in ("crs_wkt", "spatial_ref"):
            if attrs.get(key):
                try:
                    return CRS.from_user_input(attrs[key]).to_string()
                except Exception as exc:  # rasterio raises several types for bad CRS text
                    raise InvalidInput(f"{path}: grid mapping {gm!r} has an unreadable CRS") from exc
        if attrs.get("grid_mapping_name") == "latitude_longitude":
            return "EPSG:4326"
    for lat, lon in (("lat", "lon"), ("latitude", "longitude")):
        lat_units = str(ds[lat].attrs.get("units", "")) if lat in ds.coords else ""
        lon_units = str(ds[lon].attrs.get("units", "")) if lon in ds.coords else ""
        if lat_units.startswith("degree") and lon_units.startswith("degree"):
            return "EPSG:4326"
    raise InvalidInput(f"{path}: no CRS (add a CF grid_mapping variable, or lat/lon coordinates in degrees)")


def _axes(ds: xr.Dataset, path: Path) -> tuple[str, str]:
    for y, x in (("lat", "lon"), ("latitude", "longitude"), ("y", "x")):
        if y in ds.dims and x in ds.dims:
            return y, x
    raise InvalidInput(f"{path}: no spatial axes (expected lat/lon or y/x dimensions)")


def _transform(ys: np.ndarray, xs: np.ndarray, path: Path) -> tuple[Affine, bool]:
    dx, dy = np.diff(xs), np.diff(ys)
    if (
        len(xs) < 2
        or len(ys) < 2
        or not (np.allclose(dx, dx[0], rtol=1e-4) and np.allclose(dy, dy[0], rtol=1e-4))
    ):
        raise InvalidInput(f"{path}: the grid is not regular")
    flip = dy[0] > 0  # south-up: flip to north-up
    res_x, res_y = float(dx[0]), float(abs(dy[0]))
    top = float(ys.max()) + res_y / 2
    return Affine(res_x, 0, float(xs[0]) - res_x / 2, 0, -res_y, top), flip


def _check_time(times: np.ndarray, step: np.timedelta64, path: Path) -> None:
    if len(times) < 1:
        raise InvalidInput(f"{path}: the time axis is empty")
    d = np.diff(times)
    if (d <= np.timedelta64(0)).any():
        raise InvalidInput(f"{path}: the time axis is not sorted (or repeats a time)")
    if (d != step).any():
        gaps = int((d != step).sum())
        raise InvalidInput(
            f"{path}: the time axis has {gaps} gap(s) or irregular step(s); "
            f"expected one step every {step.astype('timedelta64[h]')}"
        )


def _to_mm(
    values: np.ndarray, units: str, step_h: float, path: Path, name: str
) -> tuple[np.ndarray, str | None]:
    u = units.strip()
    if u in RAIN_UNITS:
        factor, note = RAIN_UNITS[u], None if u == "mm" else f"{name}: converted {u} to mm"
    elif u in RATE_UNITS:
        factor = RATE_UNITS[u] * step_h
        note = f"{name}: converted the rate {u} to mm per {step_h:g} h step"
    else:
        raise InvalidInput(f"{path}: variable {name!r} has units {u!r}; expected mm, mm/h or kg m-2 s-1")
    return values * np.float32(factor), note


def read_grid_stack(
    path: Path, variables: dict[str, str], step: np.timedelta64, rain_vars: tuple[str, ...] = ()
) -> Gridded:
    """Read a CF NetCDF time stack. ``variables`` maps our name → the file's variable name."""
    path = Path(path)
    ds = _open_netcdf(path)
    for ours, theirs in variables.items():
        if theirs not in ds.data_vars:
            raise InvalidInput(
                f"{path}: no variable {theirs!r} (for {ours}); has "
                f"{', '.join(map(str, ds.data_vars)) or 'none'}"
            )
    if "time" not in ds.dims:
        raise InvalidInput(f"{path}: no time dimension")
    ydim, xdim = _axes(ds, path)
    first = ds[next(iter(variables.values()))]
    crs = _crs_of(ds, first, path)
    times = ds["time"].values
    if not np.issubdtype(times.dtype, np.datetime64):
        raise InvalidInput(f"{path}: time values are not CF datetimes (units 'hours since …')")
    _check_time(times, step, path)
    transform, flip = _transform(ds[ydim].values, ds[xdim].values, path)
    step_h = step / np.timedelta64(1, "h")
    out, notes = {}, []
    for ours, theirs in variables.items():
        arr = ds[theirs].transpose("time", ydim, xdim).values.astype(np.float32)
        if flip:
            arr = arr[:, ::-1, :]
        if ours in rain_vars:
            arr, note = _to_mm(arr, str(ds[theirs].attrs.get("units", "")), step_h, path, theirs)
            if note:
                notes.append(note)
            if (arr < 0).any():
                raise InvalidInput(
                    f"{path}: variable {theirs!r} has {(arr < 0).sum()} negative "
                    "value(s); rain cannot be negative"
                )
        out[ours] = np.ascontiguousarray(arr)
    return Gridded(path, out, times.astype("datetime64[ns]"), transform, crs, notes)


_TIME_IN_NAME = re.compile(r"(\d{10})")


def read_geotiff_stack(directory: Path) -> Gridded:
    """Hourly rain as a directory of single-band GeoTIFFs named with the hour (…YYYYMMDDHH….tif, UTC)."""
    directory = Path(directory)
    files = sorted(directory.glob("*.tif"))
    if not files:
        raise InvalidInput(f"{directory}: no *.tif files")
    stamps, arrays, transform, crs = [], [], None, None
    for f in files:
        m = _TIME_IN_NAME.search(f.stem)
        if not m:
            raise InvalidInput(f"{f}: the name carries no hour (expected YYYYMMDDHH in it)")
        stamps.append(np.datetime64(f"{m[1][:4]}-{m[1][4:6]}-{m[1][6:8]}T{m[1][8:10]}:00"))
        try:
            with rasterio.open(f) as src:
                if src.crs is None:
                    raise InvalidInput(f"{f}: no CRS")
                if transform is not None and (src.transform != transform or src.crs.to_string() != crs):
                    raise InvalidInput(f"{f}: grid differs from {files[0].name}")
                transform, crs = src.transform, src.crs.to_string()
                a = src.read(1, masked=True).astype(np.float32).filled(np.nan)
                units = src.tags(1).get("units", "mm")
        except RasterioIOError as exc:
            raise InvalidInput(f"{f}: unreadable GeoTIFF ({gdal_reason(exc)})") from exc
        a, _ = _to_mm(a, units, 1.0, f, "band 1")
        if (a < 0).any():
            raise InvalidInput(f"{f}: negative rain")
        arrays.append(a)
    times = np.array(stamps, dtype="datetime64[ns]")
    order = np.argsort(times)
    times = times[order]
    _check_time(times, np.timedelta64(1, "h"), directory)
    return Gridded(directory, {"rain": np.stack([arrays[i] for i in order])}, times, transform, crs, [])


def read_raster(path: Path) -> tuple[np.ndarray, Affine, str, float | None]:
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: file not found")
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise InvalidInput(f"{path}: raster has no CRS")
            return src.read(1), src.transform, src.crs.to_string(), src.nodata
    except RasterioIOError as exc:
        raise InvalidInput(f"{path}: unreadable raster ({gdal_reason(exc)})") from exc


def gdal_reason(exc: BaseException) -> str:
    """The most specific message GDAL gave (rasterio wraps it in "Read failed. See previous …")."""
    messages = []
    while exc is not None and len(messages) < 10:
        messages.append(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        exc = exc.__cause__ or exc.__context__
    if messages[0].startswith("Read failed"):  # opened, then a block could not be read
        return f"the pixel data is damaged or cut short: {messages[-1]}"
    return messages[0]


def write_level_cog(path: Path, levels: np.ndarray, transform: Affine, crs: str, name: str) -> None:
    """A level raster (0..4) as a COG with the four-colour table, so QGIS shows it as is."""
    tmp = path.with_suffix(".tmp.tif")
    with rasterio.open(
        tmp,
        "w",
        driver="GTiff",
        width=levels.shape[1],
        height=levels.shape[0],
        count=1,
        dtype="uint8",
        crs=crs,
        transform=transform,
        nodata=255,
    ) as dst:
        dst.write(levels.astype(np.uint8), 1)
        dst.write_colormap(1, colour_table())
        dst.update_tags(1, layer=name, levels="0 none, 1 blue IV, 2 yellow III, 3 orange II, 4 red I")
    with rasterio.open(tmp) as src:
        rasterio.shutil.copy(src, path, driver="COG", compress="DEFLATE", blocksize=512)
    tmp.unlink()


def write_float_cog(
    path: Path, values: np.ndarray, transform: Affine, crs: str, name: str, units: str
) -> None:
    with rasterio.open(
        path,
        "w",
        driver="COG",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=np.nan,
        compress="DEFLATE",
        PREDICTOR=3,
        BLOCKSIZE=512,
    ) as dst:
        dst.write(values.astype(np.float32), 1)
        dst.update_tags(1, layer=name, units=units)
