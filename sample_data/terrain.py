"""Terrain for the synthetic county: fractal noise, rivers, a DEM with valleys, land cover.

Everything is a pure function of a seeded ``numpy.random.Generator`` and array shapes, so the
same seed gives the same arrays bit for bit.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

# land-cover classes (stored in landcover.tif; pipelines treat 1 and 2 as burnable)
FOREST, SHRUB, CROPLAND, BUILT, WATER = 1, 2, 3, 4, 5
LANDCOVER_NAMES = {
    FOREST: "forest",
    SHRUB: "shrub/grass",
    CROPLAND: "cropland",
    BUILT: "built-up",
    WATER: "water",
}
LANDCOVER_COLOURS = {
    FOREST: (34, 110, 52, 255),
    SHRUB: (150, 180, 90, 255),
    CROPLAND: (235, 220, 140, 255),
    BUILT: (200, 80, 80, 255),
    WATER: (70, 130, 210, 255),
}


def fractal_noise(
    rng: np.random.Generator,
    shape: tuple[int, int],
    beta: float,
    cell_m: float,
    min_wavelength_m: float = 0.0,
) -> np.ndarray:
    """Spectral-synthesis fBm noise in [0, 1]: power ∝ f^-beta, optionally low-passed."""
    ny, nx = shape
    fy = np.fft.fftfreq(ny, d=cell_m)[:, None]
    fx = np.fft.rfftfreq(nx, d=cell_m)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = np.inf
    amp = f ** (-beta / 2.0)
    if min_wavelength_m:
        amp *= np.exp(-((f * min_wavelength_m) ** 2))
    phase = rng.uniform(0, 2 * np.pi, size=amp.shape)
    spec = amp * np.exp(1j * phase)
    field = np.fft.irfft2(spec, s=shape)
    lo, hi = np.percentile(field, [0.5, 99.5])
    return np.clip((field - lo) / (hi - lo), 0, 1)


def meander(
    rng: np.random.Generator, start: np.ndarray, end: np.ndarray, step_m: float, amplitude: float
) -> np.ndarray:
    """A smooth wandering polyline from ``start`` to ``end`` (both ends fixed)."""
    length = float(np.hypot(*(end - start)))
    n = max(int(length / step_m), 2)
    t = np.linspace(0, 1, n + 1)
    direction = (end - start) / length
    normal = np.array([-direction[1], direction[0]])
    walk = np.cumsum(rng.normal(0, 1, n + 1))
    walk = ndimage.gaussian_filter1d(walk, sigma=max(n / 12, 1))
    walk -= walk[0] + (walk[-1] - walk[0]) * t  # pin both ends
    walk *= amplitude * length / (np.abs(walk).max() + 1e-9)
    wiggle = amplitude * 0.25 * length * np.sin(t * np.pi * rng.uniform(3, 6)) * np.sin(t * np.pi)
    return start + t[:, None] * (end - start) + (walk + wiggle)[:, None] * normal


def dem_from(noise: np.ndarray, ridges: np.ndarray, river_dist_m: np.ndarray) -> np.ndarray:
    """Elevation in m: valley floors (≈100 m) along rivers, ridges to ≈1,200 m away from them."""
    valley = 1.0 - np.exp(-river_dist_m / 2500.0)
    relief = 0.45 * noise + 0.55 * (1.0 - np.abs(2.0 * ridges - 1.0))  # ridged noise: sharp crests
    elev = 95.0 + 1120.0 * valley**0.9 * relief**1.3 + 25.0 * noise
    return np.round(np.clip(elev, 80.0, 1250.0), 1).astype(np.float32)


def slope_deg(dem: np.ndarray, cell_m: float) -> np.ndarray:
    gy, gx = np.gradient(dem.astype(np.float64), cell_m)
    return np.degrees(np.arctan(np.hypot(gx, gy))).astype(np.float32)


def landcover_from(
    dem: np.ndarray,
    slope: np.ndarray,
    river_dist_m: np.ndarray,
    built: np.ndarray,
    inside: np.ndarray,
    patch_noise: np.ndarray,
    forest_share: float = 0.70,
) -> np.ndarray:
    """Land cover with ``forest_share`` of the county's land forested.

    Cropland takes the flattest, lowest land near rivers; shrub/grass the bare high crests and
    patches; forest the rest, which in southern Jiangxi is most of the hills.
    """
    lc = np.full(dem.shape, FOREST, dtype=np.uint8)
    water = river_dist_m <= 45.0
    lc[built] = BUILT
    lc[water] = WATER
    free = inside & ~water & ~built
    # how unlike forest a cell is: flat, low, near water; or a high bare crest
    farm_score = -slope / 8.0 - (dem - 100.0) / 250.0 - river_dist_m / 3000.0 + 0.8 * patch_noise
    n_free = int(free.sum())
    n_nonforest = max(int(round(n_free - forest_share * inside.sum())), 0)
    n_shrub = n_nonforest // 4
    n_crop = n_nonforest - n_shrub
    if n_crop:
        cut = np.partition(farm_score[free], n_free - n_crop)[n_free - n_crop]
        lc[free & (farm_score >= cut)] = CROPLAND
    still = free & (lc == FOREST)
    shrub_score = dem / 1200.0 + 0.6 * patch_noise
    if n_shrub:
        n_still = int(still.sum())
        cut = np.partition(shrub_score[still], n_still - n_shrub)[n_still - n_shrub]
        lc[still & (shrub_score >= cut)] = SHRUB
    lc[~inside] = 0
    return lc
