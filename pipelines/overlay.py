"""The one-map: per cell, the highest level over hazards and which hazard gives it.

Rule (DOMAIN.md): onemap level = max over hazards; the dominant hazard is the one with that level;
when several share it, the first in :data:`pipelines.levels.HAZARDS` (rain, geohazard, fire) is
named — rain triggers the other two in a storm, and a fire ranking equal to a storm's is the rarer
coincidence. Each hazard's own level is kept beside, so the map and a warning can say why.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from pipelines.levels import HAZARD_CODES, HAZARDS


def overlay(layers: dict[str, xr.DataArray]) -> xr.Dataset:
    """``layers``: hazard name → level DataArray (all on one grid). Returns onemap, dominant
    (0 none, else HAZARD_CODES) and each hazard's level."""
    names = [h for h in HAZARDS if h in layers]
    unknown = set(layers) - set(HAZARDS)
    if unknown:
        raise ValueError(f"unknown hazard layer(s): {sorted(unknown)}")
    shapes = {layers[h].shape for h in names}
    if len(shapes) != 1:
        raise ValueError(f"layers are not on one grid: shapes {sorted(shapes)}")
    stack = np.stack([np.asarray(layers[h].values, dtype=np.uint8) for h in names])
    onemap = stack.max(axis=0)
    first = np.argmax(stack == onemap[None], axis=0)  # first hazard holding the max
    codes = np.array([HAZARD_CODES[h] for h in names], dtype=np.uint8)
    dominant = np.where(onemap > 0, codes[first], 0).astype(np.uint8)
    template = layers[names[0]]
    out = xr.Dataset({h: template.copy(data=stack[i]) for i, h in enumerate(names)})
    out["onemap"] = template.copy(data=onemap)
    out["dominant"] = template.copy(data=dominant)
    return out
