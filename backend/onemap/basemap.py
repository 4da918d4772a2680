"""An offline base map: shaded relief with an elevation tint, rendered once from the county DEM.

Served as one PNG in Web Mercator with its corner coordinates (a MapLibre ``image`` source), so the
page needs no external base map.
"""

from __future__ import annotations

import json
import threading
import warnings
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds

from backend.errors import NotFound
from pipelines.geohazard import horn_gradients

_lock = threading.Lock()
#: elevation (m) → RGB, a muted hypsometric tint
TINT = [
    (0, (190, 214, 170)),
    (200, (206, 222, 178)),
    (450, (226, 221, 178)),
    (750, (214, 196, 160)),
    (1000, (196, 176, 150)),
    (1300, (236, 232, 226)),
]


def hillshade(dem: np.ndarray, cell_m: float, azimuth: float = 315.0, altitude: float = 45.0) -> np.ndarray:
    """Lambertian hillshade 0..1 (Horn gradients), light from the north-west."""
    dzdx, dzdy = horn_gradients(dem, cell_m)
    slope = np.arctan(np.hypot(dzdx, dzdy))
    aspect = np.arctan2(dzdy, -dzdx)
    az, alt = np.radians(360.0 - azimuth + 90.0), np.radians(altitude)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    return np.clip(shade, 0, 1)


def render_relief(dem_path: Path, out_dir: Path, pixel_m: float = 60.0) -> tuple[Path, dict]:
    """Render (once) relief.png and relief.json (corner coordinates) under ``out_dir``."""
    png, meta_path = out_dir / "relief.png", out_dir / "relief.json"
    if png.is_file() and meta_path.is_file() and png.stat().st_mtime >= dem_path.stat().st_mtime:
        return png, json.loads(meta_path.read_text())
    with _lock:
        out_dir.mkdir(parents=True, exist_ok=True)
        with rasterio.open(dem_path) as src:
            tr, w, h = calculate_default_transform(
                src.crs, "EPSG:3857", src.width, src.height, *src.bounds, resolution=pixel_m
            )
            dem = np.full((h, w), np.nan, dtype=np.float32)
            reproject(
                rasterio.band(src, 1),
                dem,
                dst_transform=tr,
                dst_crs="EPSG:3857",
                resampling=Resampling.average,
                dst_nodata=np.nan,
            )
        valid = np.isfinite(dem)
        filled = np.where(valid, dem, np.nanmin(dem) if valid.any() else 0)
        shade = hillshade(filled, pixel_m)
        stops = np.array([s for s, _ in TINT], dtype=np.float32)
        rgb = np.stack([np.interp(filled, stops, [c[i] for _, c in TINT]) for i in range(3)])
        light = 0.55 + 0.6 * shade
        img = np.clip(rgb * light, 0, 255).astype(np.uint8)
        alpha = np.where(valid, 255, 0).astype(np.uint8)
        tmp = png.with_suffix(".tmp.png")
        with warnings.catch_warnings():  # a plain picture: its corners travel in relief.json
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(tmp, "w", driver="PNG", width=w, height=h, count=4, dtype="uint8") as dst:
                dst.write(np.concatenate([img, alpha[None]]))
        tmp.replace(png)
        left, top = tr.c, tr.f
        right, bottom = left + w * tr.a, top + h * tr.e
        west, south, east, north = transform_bounds("EPSG:3857", "EPSG:4326", left, bottom, right, top)
        meta = {
            "coordinates": [[west, north], [east, north], [east, south], [west, south]],
            "width": w,
            "height": h,
        }
        meta_path.write_text(json.dumps(meta))
        png.with_suffix(".tmp.png.aux.xml").unlink(missing_ok=True)
        return png, meta


def relief(data_dir: Path, dem_path: Path | None = None) -> tuple[Path, dict]:
    dem = dem_path or (data_dir / "sample" / "dem.tif")
    if not dem.is_file():
        raise NotFound(f"no DEM at {dem} for the relief base map; run `riskmap sample generate`")
    return render_relief(dem, data_dir / "basemap")
