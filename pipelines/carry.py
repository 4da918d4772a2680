"""Hazards carried from an earlier run: a run with new input for some hazards only (a rain-only
update) copies the levels of the others from the latest published run, with their own as-of time.

A carried hazard keeps exactly the levels it had: its level raster (and the rasters beside it, e.g.
FWI for fire) is read back from the earlier run and put on this run's grid cell for cell (nearest
cell; the same grid gives the same values). Carried rain brings its villages' flash-flood results.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rasterio.enums import Resampling

from pipelines import io
from pipelines.grid import Grid, regrid

#: rasters a run writes beside each hazard's levels, carried with it
EXTRAS = {"rain": ("rain_total", "rain_max_3h"), "fire": ("fwi",), "geohazard": ("r_eff",)}


@dataclass(frozen=True)
class Carried:
    hazard: str
    run_id: int  # the published run it is copied from
    from_run: int  # the run whose input computed it
    as_of: str | None  # when that run computed it (ISO 8601, UTC)
    valid_from: str | None
    valid_to: str | None
    directory: Path  # that run's rasters
    flood: pd.DataFrame | None = None  # rain only: the villages' flash-flood results

    def meta(self) -> dict:
        return {
            "source": "carried",
            "from_run": self.from_run,
            "copied_from": self.run_id,
            "as_of": self.as_of,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
        }


def _on_grid(path: Path, grid: Grid, level: bool) -> np.ndarray:
    values, transform, crs, nodata = io.read_raster(path)
    if level:
        out = regrid(values.astype(np.uint8), transform, crs, grid, Resampling.nearest, nodata=255).compute()[
            0
        ]
        return np.where(out == 255, 0, out).astype(np.uint8)
    src = values.astype(np.float32)
    if nodata is not None and not np.isnan(nodata):
        src[src == nodata] = np.nan
    return regrid(src, transform, crs, grid, Resampling.nearest).compute()[0]


def carried_layers(c: Carried, grid: Grid) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The hazard's levels and its extra rasters on ``grid``."""
    levels = _on_grid(c.directory / f"{c.hazard}.tif", grid, level=True)
    extras = {}
    for name in EXTRAS.get(c.hazard, ()):
        path = c.directory / f"{name}.tif"
        extras[name] = _on_grid(path, grid, level=False) if path.exists() else np.full(grid.shape, np.nan)
    return levels, extras
