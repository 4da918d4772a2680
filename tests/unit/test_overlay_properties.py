"""Properties of the one-map overlay (pipelines/overlay.py) on random level grids.

The one-map level is the max over hazards, cell by cell; the dominant hazard holds that level and is
the first such in HAZARDS order; every hazard's own level is kept; raising a hazard never lowers the
one-map. Seeded and bounded.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.levels import HAZARD_CODES, HAZARDS
from pipelines.overlay import overlay

PROPERTY = settings(max_examples=80, derandomize=True, database=None, deadline=None)


@st.composite
def layers(draw):
    """1–3 hazards (a subset of HAZARDS, any order) with level grids 0..4 of one shape."""
    hazards = draw(st.lists(st.sampled_from(HAZARDS), min_size=1, max_size=len(HAZARDS), unique=True))
    rows, cols = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    grids = {
        h: np.array(draw(st.lists(st.integers(0, 4), min_size=rows * cols, max_size=rows * cols)), np.uint8)
        for h in hazards
    }
    return {h: xr.DataArray(g.reshape(rows, cols), dims=("y", "x")) for h, g in grids.items()}


@PROPERTY
@given(layers())
def test_onemap_is_the_max_of_the_hazard_levels(ls):
    out = overlay(ls)
    stack = np.stack([ls[h].values for h in ls])
    assert (out["onemap"].values == stack.max(axis=0)).all()
    for h, grid in ls.items():
        assert (out[h].values == grid.values).all()  # each hazard's own level, unchanged


@PROPERTY
@given(layers())
def test_the_dominant_hazard_holds_the_level_and_ties_go_to_the_first_in_order(ls):
    out = overlay(ls)
    onemap, dominant = out["onemap"].values, out["dominant"].values
    code_to_hazard = {c: h for h, c in HAZARD_CODES.items()}
    for idx in np.ndindex(onemap.shape):
        if onemap[idx] == 0:
            assert dominant[idx] == 0
            continue
        holders = [h for h in HAZARDS if h in ls and ls[h].values[idx] == onemap[idx]]
        assert code_to_hazard[int(dominant[idx])] == holders[0]


@PROPERTY
@given(layers(), st.data())
def test_raising_a_hazard_never_lowers_the_onemap(ls, data):
    before = overlay(ls)["onemap"].values
    h = data.draw(st.sampled_from(sorted(ls)))
    bump = np.array(
        data.draw(st.lists(st.integers(0, 4), min_size=ls[h].size, max_size=ls[h].size)), np.uint8
    ).reshape(ls[h].shape)
    raised = dict(ls, **{h: ls[h].copy(data=np.minimum(ls[h].values + bump, 4).astype(np.uint8))})
    assert (overlay(raised)["onemap"].values >= before).all()
