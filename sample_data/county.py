"""What every stage of the sample generator shares: the size table, the CRSs, the ``County``
the stages fill in one after another, and small sampling helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from rasterio import Affine

from sample_data.names import NameMaker

METRIC_CRS = "EPSG:32650"  # WGS 84 / UTM 50N: metres, for all geometry work
STORAGE_CRS = "EPSG:4326"
CENTRE_LONLAT = (115.0, 25.8)


@dataclass(frozen=True)
class SizeSpec:
    area_km2: float
    townships: int
    villages: int  # rural villages (行政村), besides the seat's communities
    communities: int  # urban communities (社区) of the county seat
    population: int
    seat_population: int
    shelters: dict[str, int] = field(default_factory=dict)
    hazard_sites: int = 300
    dem_cell_m: float = 30.0
    admin_cell_m: float = 150.0
    segment_m: float = 650.0


SIZES: dict[str, SizeSpec] = {
    "county": SizeSpec(
        3000,
        19,
        288,
        12,
        600_000,
        150_000,
        {"emergency": 85, "short": 30, "medium": 18, "long": 8, "central": 4},
        300,
        30.0,
        150.0,
        450.0,
    ),
    "province": SizeSpec(
        60000,
        380,
        5760,
        60,
        12_000_000,
        1_500_000,
        {"emergency": 1700, "short": 600, "medium": 360, "long": 160, "central": 80},
        6000,
        90.0,
        400.0,
        1500.0,
    ),
}


class County:
    """The sample county as the stages build it, in metres (``METRIC_CRS``).

    Every random draw comes from ``rng`` in the order the stages run, so the stages must run in
    the order ``generate`` calls them; the rain and weather scenarios use streams of their own.
    """

    # terrain (terrain.build_terrain, terrain.build_landcover)
    outline: shapely.Polygon
    nx: int
    ny: int
    transform: Affine
    bounds: tuple[float, float, float, float]
    rivers: list[tuple[str, np.ndarray]]  # ("main" | "tributary", vertices)
    river_dist: np.ndarray  # m to the nearest river, float32
    dem: np.ndarray
    slope: np.ndarray
    inside: np.ndarray  # in the county; after the townships, what they cover
    patch_noise: np.ndarray
    landcover: np.ndarray
    # townships (admin.build_townships)
    seat_xy: np.ndarray
    township_polys: list[shapely.Polygon]
    townships: pd.DataFrame
    township_mask: np.ndarray  # township index + 1, 0 outside
    # places and people (places, roads, people)
    villages: pd.DataFrame
    shelters: pd.DataFrame
    roads: pd.DataFrame
    hazard_sites: pd.DataFrame
    recipients: pd.DataFrame

    def __init__(self, seed: int, spec: SizeSpec):
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.spec = spec
        self.names = NameMaker(self.rng)
        t = Transformer.from_crs(STORAGE_CRS, METRIC_CRS, always_xy=True)
        self.centre = np.array(t.transform(*CENTRE_LONLAT))


def sample_raster(arr: np.ndarray, transform, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    cols, rows = ~transform @ (xs, ys)
    r = np.clip(np.floor(rows).astype(int), 0, arr.shape[0] - 1)
    c = np.clip(np.floor(cols).astype(int), 0, arr.shape[1] - 1)
    return arr[r, c]


def split_total(rng: np.random.Generator, weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total`` (largest remainder)."""
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(np.int64)
    rest = total - int(out.sum())
    order = np.argsort(-(raw - out), kind="stable")
    out[order[:rest]] += 1
    return out
