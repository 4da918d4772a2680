"""Terrain for the synthetic county: fractal noise, rivers, a DEM with valleys, land cover.

The building blocks are pure functions of a seeded ``numpy.random.Generator`` and array shapes,
so the same seed gives the same arrays bit for bit; the stages at the end lay them out over the
``County`` (its grid, rivers, DEM and land cover).
"""

from __future__ import annotations

import numpy as np
import shapely
from rasterio import features
from rasterio.transform import from_origin
from scipy import ndimage

from sample_data import admin
from sample_data.county import County

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


# --------------------------------------------------------------------------------------------
# stages of the generator


def lay_out_grid(county: County) -> None:
    """The county's outline and the DEM grid covering it with a 3 km margin."""
    spec, rng = county.spec, county.rng
    area_m2 = spec.area_km2 * 1e6
    county.outline = admin.county_outline(rng, tuple(county.centre), area_m2)
    minx, miny, maxx, maxy = county.outline.buffer(3000).bounds
    cell = spec.dem_cell_m
    minx, miny = np.floor(minx / cell) * cell, np.floor(miny / cell) * cell
    county.nx = int(np.ceil((maxx - minx) / cell))
    county.ny = int(np.ceil((maxy - miny) / cell))
    county.transform = from_origin(minx, miny + county.ny * cell, cell, cell)
    county.bounds = (minx, miny, minx + county.nx * cell, miny + county.ny * cell)


def build_rivers(county: County) -> None:
    """A main river across the county and tributaries joining it, and the distance to them."""
    spec, rng = county.spec, county.rng
    cell = spec.dem_cell_m
    shape = (county.ny, county.nx)
    w, e = county.bounds[0], county.bounds[2]
    cy = county.centre[1] + rng.uniform(-0.08, 0.08) * (county.bounds[3] - county.bounds[1])
    main = meander(
        rng,
        np.array([w, cy + rng.uniform(-4e3, 4e3)]),
        np.array([e, cy + rng.uniform(-4e3, 4e3)]),
        300.0,
        0.06,
    )
    rivers = [("main", main)]
    n_trib = max(6, int(round(6 * np.sqrt(spec.area_km2 / 3000))))
    height = county.bounds[3] - county.bounds[1]
    for k in range(n_trib):
        j = int(rng.integers(len(main) // 8, len(main) * 7 // 8))
        start = main[j]
        side = 1 if k % 2 == 0 else -1
        length = rng.uniform(0.25, 0.45) * height
        end = start + np.array([rng.uniform(-0.4, 0.4) * length, side * length])
        rivers.append(("tributary", meander(rng, end, start, 300.0, 0.08)))
    county.rivers = rivers
    river_lines = [shapely.LineString(r) for _, r in rivers]
    # distance to the nearest river, through a rasterised river mask
    burn = features.rasterize(
        [(ln.buffer(cell), 1) for ln in river_lines],
        out_shape=shape,
        transform=county.transform,
        dtype=np.uint8,
    )
    county.river_dist = (ndimage.distance_transform_edt(burn == 0) * cell).astype(np.float32)


def build_dem(county: County) -> None:
    """The DEM and its slope, the county mask, and the noise that later patches the land cover."""
    rng = county.rng
    cell = county.spec.dem_cell_m
    shape = (county.ny, county.nx)
    noise = fractal_noise(rng, shape, 2.4, cell)
    ridges = fractal_noise(rng, shape, 2.0, cell, min_wavelength_m=600)
    county.dem = dem_from(noise, ridges, county.river_dist)
    county.slope = slope_deg(county.dem, cell)
    county.inside = features.rasterize(
        [(county.outline, 1)], out_shape=shape, transform=county.transform, dtype=np.uint8
    ).astype(bool)
    county.patch_noise = fractal_noise(rng, shape, 2.6, cell)


def build_landcover(county: County) -> None:
    """Land cover, once the villages and the county seat mark what is built up."""
    v = county.villages
    built = np.zeros((county.ny, county.nx), dtype=bool)
    shapes = [
        (shapely.Point(x, y).buffer(60 + 4.0 * np.sqrt(p)), 1)
        for x, y, p in zip(v.x.values, v.y.values, v.population.values, strict=True)
    ]
    shapes.append((shapely.Point(*county.seat_xy).buffer(2900), 1))
    built = (
        features.rasterize(
            shapes, out_shape=built.shape, transform=county.transform, dtype=np.uint8
        ).astype(bool)
        & county.inside
    )
    county.landcover = landcover_from(
        county.dem, county.slope, county.river_dist, built, county.inside, county.patch_noise
    )
