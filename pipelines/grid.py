"""The analysis grid every layer is put on, and explicit regridding onto it.

Nothing is aligned by accident: every input is reprojected with rasterio onto one
:class:`Grid` (a projected CRS, cell size and extent) with a named resampling method.
Destination blocks are computed lazily with dask, so a province-sized grid never has to fit in
memory at once.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import dask.array as da
import numpy as np
import xarray as xr
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import NotGeoreferencedWarning
from rasterio.warp import Resampling, reproject

BLOCK = 512  # cells per side of a dask block on the analysis grid


@dataclass(frozen=True)
class Grid:
    crs: str
    transform: Affine
    height: int
    width: int

    @property
    def cell_m(self) -> float:
        return abs(self.transform.a)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        left, top = self.transform.c, self.transform.f
        return (left, top - self.height * self.cell_m, left + self.width * self.cell_m, top)

    def coords(self) -> dict[str, np.ndarray]:
        c = self.cell_m
        x = self.transform.c + (np.arange(self.width) + 0.5) * c
        y = self.transform.f - (np.arange(self.height) + 0.5) * c
        return {"y": y, "x": x}

    def block_transform(self, row0: int, col0: int) -> Affine:
        return self.transform * Affine.translation(col0, row0)

    def empty(self, name: str, dtype=np.uint8) -> xr.DataArray:
        return xr.DataArray(
            np.zeros(self.shape, dtype=dtype),
            dims=("y", "x"),
            coords=self.coords(),
            name=name,
            attrs={"crs": self.crs},
        )

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], crs: str, cell_m: float) -> Grid:
        left, bottom, right, top = bounds
        left, top = np.floor(left / cell_m) * cell_m, np.ceil(top / cell_m) * cell_m
        width = int(np.ceil((right - left) / cell_m))
        height = int(np.ceil((top - bottom) / cell_m))
        return cls(crs, Affine(cell_m, 0, left, 0, -cell_m, top), height, width)


def regrid(
    src: np.ndarray,
    src_transform: Affine,
    src_crs: str,
    grid: Grid,
    resampling: Resampling,
    nodata: float = np.nan,
    block: int = BLOCK,
) -> da.Array:
    """Reproject ``src`` (bands, rows, cols) onto ``grid`` as a lazy dask array (bands, y, x).

    Each destination block reprojects from the (small) source independently: chunk-friendly and
    runnable on a dask.distributed cluster unchanged.
    """
    src = np.ascontiguousarray(src)  # rasterio needs C order to georeference an array
    if src.ndim == 2:
        src = src[None]
    bands = src.shape[0]
    dtype = np.float32 if np.issubdtype(src.dtype, np.floating) else src.dtype
    src_crs_obj, dst_crs_obj = CRS.from_user_input(src_crs), CRS.from_user_input(grid.crs)

    def one_block(block_info=None):
        (r0, r1), (c0, c1) = block_info[None]["array-location"][1:]
        out = np.full((bands, r1 - r0, c1 - c0), nodata, dtype=dtype)
        with warnings.catch_warnings():
            # rasterio warns while it builds its in-memory source, before georeferencing it
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            reproject(
                src,
                out,
                src_transform=src_transform,
                src_crs=src_crs_obj,
                dst_transform=grid.block_transform(r0, c0),
                dst_crs=dst_crs_obj,
                resampling=resampling,
                src_nodata=nodata,
                dst_nodata=nodata,
            )
        return out

    chunks = ((bands,), _split(grid.height, block), _split(grid.width, block))
    return da.map_blocks(one_block, chunks=chunks, dtype=dtype, meta=np.empty((0, 0, 0), dtype))


def _split(n: int, block: int) -> tuple[int, ...]:
    full, rest = divmod(n, block)
    return (block,) * full + ((rest,) if rest else ())
