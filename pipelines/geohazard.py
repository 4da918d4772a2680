"""Geological-hazard layer (地质灾害: landslide, collapse, debris flow): susceptibility × rain trigger.

The rule, in one place
----------------------
1. **Slope** from the DEM in a metric CRS with Horn's (1981) 3×3 finite differences (the method of
   GDAL ``gdaldem slope`` and xarray-spatial), in degrees.
2. **Susceptibility score** = slope points + land-cover points + hazard-site points, then five
   classes (1 very low … 5 very high) by :class:`SusceptibilityRule`:
   slope <10° 0, 10–20° 1, 20–30° 2, 30–40° 3, ≥40° 4;
   land cover: forest 0, shrub/grass +0.5, cropland 0, built-up +0.5 (cut slopes), bare +0.5,
   water → class 1 (classes of :mod:`pipelines.landcover`);
   within 500 m of a known hazard site (隐患点) +1.5, within 1,500 m +0.75.
   Classes: score <1 → 1, <2 → 2, <3 → 3, <4 → 4, ≥4 → 5.
3. **Trigger**: effective antecedent rainfall (有效降雨量), the practice of China's provincial
   meteorological geohazard warnings: R_eff(d) = Σ_{k=0..6} K^k · R(d−k) with daily rain R and
   decay K = 0.8, evaluated on each day of the forecast window; the worst day counts.
4. **Level** by class from R_eff thresholds (mm) for blue / yellow / orange / red — the high-
   susceptibility row is DOMAIN.md's example (50/70/110/160); a county calibrates its own table
   against its hazard record (every number here is a key of the rules file, :mod:`pipelines.rules`):
   class 5: 40/55/85/120 · class 4: 50/70/110/160 · class 3: 70/100/150/200 · class 2: 100/150/
   200/250 · class 1: no warning.

Reference for the family of rules: Guzzetti et al. (2008), rainfall thresholds for shallow
landslides; LHASA (Kirschbaum & Stanley 2018) uses the same susceptibility × antecedent-rain shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy import ndimage


@dataclass(frozen=True)
class SusceptibilityRule:
    slope_breaks_deg: tuple[float, ...] = (10.0, 20.0, 30.0, 40.0)
    landcover_points: dict[int, float] = field(
        default_factory=lambda: {0: 0.0, 1: 0.0, 2: 0.5, 3: 0.0, 4: 0.5, 5: 0.0, 6: 0.5}
    )
    water_class: int = 5
    near_site_m: float = 500.0
    near_site_points: float = 1.5
    around_site_m: float = 1500.0
    around_site_points: float = 0.75
    class_breaks: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0)


@dataclass(frozen=True)
class TriggerThresholds:
    """R_eff thresholds (mm) for levels 1..4, by susceptibility class 1..5 (inf: never)."""

    decay: float = 0.8
    days: int = 7
    by_class: dict[int, tuple[float, float, float, float]] = field(
        default_factory=lambda: {
            1: (np.inf,) * 4,
            2: (100.0, 150.0, 200.0, 250.0),
            3: (70.0, 100.0, 150.0, 200.0),
            4: (50.0, 70.0, 110.0, 160.0),
            5: (40.0, 55.0, 85.0, 120.0),
        }
    )


def horn_gradients(dem: np.ndarray, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """dz/dx (eastward) and dz/dy (southward, along rows) by Horn's (1981) 3×3 differences;
    edges use the nearest cells (no NaN border)."""
    z = np.pad(dem.astype(np.float64), 1, mode="edge")
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * cell_m)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * cell_m)
    return dzdx, dzdy


def slope_deg(dem: np.ndarray, cell_m: float) -> np.ndarray:
    """Slope in degrees by Horn's method."""
    dzdx, dzdy = horn_gradients(dem, cell_m)
    return np.degrees(np.arctan(np.hypot(dzdx, dzdy))).astype(np.float32)


def susceptibility(
    slope: np.ndarray,
    landcover: np.ndarray,
    site_distance_m: np.ndarray,
    rule: SusceptibilityRule = SusceptibilityRule(),
) -> np.ndarray:
    """Susceptibility class 1..5 per cell (see the module docstring)."""
    score = np.digitize(slope, rule.slope_breaks_deg).astype(np.float32)
    lc_points = np.zeros(256, dtype=np.float32)
    for cls, pts in rule.landcover_points.items():
        lc_points[cls] = pts
    score += lc_points[landcover.astype(np.uint8)]
    score += np.where(
        site_distance_m <= rule.near_site_m,
        rule.near_site_points,
        np.where(site_distance_m <= rule.around_site_m, rule.around_site_points, 0.0),
    )
    classes = (np.digitize(score, rule.class_breaks) + 1).astype(np.uint8)
    classes[landcover == rule.water_class] = 1
    return classes


def distance_to_points(
    shape: tuple[int, int], cells: tuple[np.ndarray, np.ndarray], cell_m: float
) -> np.ndarray:
    """Distance (m) from every cell centre to the nearest marked cell (e.g. hazard sites)."""
    mask = np.ones(shape, dtype=bool)
    rows, cols = cells
    ok = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
    mask[rows[ok], cols[ok]] = False
    if mask.all():
        return np.full(shape, np.inf, dtype=np.float32)
    return (ndimage.distance_transform_edt(mask) * cell_m).astype(np.float32)


def effective_rainfall(daily: xr.DataArray, trigger: TriggerThresholds = TriggerThresholds()) -> xr.DataArray:
    """R_eff for each day: Σ_{k<days} decay^k · R(d−k); days before the record count as 0."""
    out = xr.zeros_like(daily, dtype=np.float32)
    for k in range(trigger.days):
        out = out + (trigger.decay**k) * daily.shift(time=k, fill_value=0.0)
    return out.astype(np.float32)


def geohazard_level(
    r_eff: np.ndarray, classes: np.ndarray, trigger: TriggerThresholds = TriggerThresholds()
) -> np.ndarray:
    """Level 0..4 per cell from the worst effective rainfall and the susceptibility class."""
    table = np.full((6, 4), np.inf, dtype=np.float64)
    for cls, row in trigger.by_class.items():
        table[cls] = row
    limits = table[classes]  # (..., 4)
    return (r_eff[..., None] >= limits).sum(axis=-1).astype(np.uint8)
