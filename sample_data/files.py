"""Write the sample county out: GeoPackages and recipients.csv, COG GeoTIFFs, CF NetCDF, and the
manifest with every file's SHA-256.

Files carry no timestamps: GeoPackages are written with a fixed ``OGR_CURRENT_DATE``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import rasterio.shutil
import shapely
import xarray as xr
from pyproj import Transformer
from rasterio.enums import ColorInterp

from sample_data import terrain
from sample_data.county import METRIC_CRS, STORAGE_CRS, County
from sample_data.names import COUNTY_CODE, COUNTY_NAME

FIXED_DATE = "2026-01-01T00:00:00Z"  # stamped into GeoPackages instead of "now"


def _to_storage(geoms: np.ndarray) -> np.ndarray:
    t = Transformer.from_crs(METRIC_CRS, STORAGE_CRS, always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def write_vectors(county: County, out: Path) -> list[str]:
    """One GeoPackage per layer (in ``STORAGE_CRS``) and recipients.csv; returns the file names."""
    out.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})

    def gpkg(name: str, df: pd.DataFrame, geoms: np.ndarray) -> None:
        gdf = gpd.GeoDataFrame(df.reset_index(drop=True), geometry=_to_storage(geoms), crs=STORAGE_CRS)
        path = out / f"{name}.gpkg"
        path.unlink(missing_ok=True)
        gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
        files.append(path.name)

    county_poly = shapely.union_all(county.township_polys)
    gpkg(
        "county",
        pd.DataFrame(
            {
                "code": [COUNTY_CODE + "000000"],
                "name": [COUNTY_NAME],
                "population": [int(county.villages.population.sum())],
            }
        ),
        np.array(
            [shapely.MultiPolygon([county_poly]) if county_poly.geom_type == "Polygon" else county_poly]
        ),
    )
    gpkg(
        "townships",
        county.townships,
        np.array([shapely.MultiPolygon([p]) for p in county.township_polys]),
    )
    v = county.villages
    gpkg("villages", v.drop(columns=["x", "y", "town"]), shapely.points(v.x, v.y))
    s = county.shelters
    gpkg("shelters", s.drop(columns=["x", "y", "host"]), shapely.points(s.x, s.y))
    r = county.roads
    gpkg("roads", r.drop(columns=["geometry"]), r.geometry.values)
    h = county.hazard_sites
    gpkg("hazard_sites", h.drop(columns=["x", "y"]), shapely.points(h.x, h.y))
    gpkg(
        "rivers",
        pd.DataFrame({"kind": [k for k, _ in county.rivers]}),
        np.array(
            [shapely.LineString(r).intersection(county_poly.buffer(2000)) for _, r in county.rivers],
            dtype=object,
        ),
    )
    rec = out / "recipients.csv"
    county.recipients.to_csv(rec, index=False, lineterminator="\n")
    files.append(rec.name)
    return files


def write_rasters(county: County, out: Path) -> list[str]:
    """dem.tif and landcover.tif (with its colour table) as COGs in ``METRIC_CRS``."""
    profile = {
        "driver": "COG",
        "crs": METRIC_CRS,
        "transform": county.transform,
        "width": county.nx,
        "height": county.ny,
        "count": 1,
        "compress": "DEFLATE",
        "BLOCKSIZE": 512,
    }
    dem = np.where(county.inside, county.dem, np.float32(-9999))
    with rasterio.open(
        out / "dem.tif", "w", dtype="float32", nodata=-9999, PREDICTOR=3, **profile
    ) as dst:
        dst.write(dem, 1)
        dst.update_tags(1, units="m", long_name="elevation above sea level")
    # COG is written through a copy, so the colour table goes on a GTiff first
    tmp = out / ".landcover.tif"
    with rasterio.open(
        tmp,
        "w",
        driver="GTiff",
        dtype="uint8",
        nodata=0,
        crs=METRIC_CRS,
        transform=county.transform,
        width=county.nx,
        height=county.ny,
        count=1,
    ) as dst:
        dst.write(county.landcover, 1)
        dst.write_colormap(1, {k: terrain.LANDCOVER_COLOURS.get(k, (0, 0, 0, 0)) for k in range(6)})
        dst.colorinterp = [ColorInterp.palette]
        dst.update_tags(1, **{f"class_{k}": n for k, n in terrain.LANDCOVER_NAMES.items()})
    with rasterio.open(tmp) as src:
        rasterio.shutil.copy(src, out / "landcover.tif", driver="COG", compress="DEFLATE", blocksize=512)
    tmp.unlink()
    return ["dem.tif", "landcover.tif"]


def write_netcdf(ds: xr.Dataset, path: Path) -> str:
    """``ds`` as compressed float32 NetCDF-4; returns the file name."""
    enc = {k: {"zlib": True, "complevel": 4, "dtype": "float32"} for k in ds.data_vars if k != "crs"}
    ds.to_netcdf(path, engine="netcdf4", encoding=enc)
    return path.name


def build_manifest(county: County, out: Path, files: list[str]) -> dict:
    """The sample's name, CRS, counts of everything in it, and the SHA-256 of each of ``files``."""
    v, s, r, h = county.villages, county.shelters, county.roads, county.hazard_sites
    county_poly = shapely.union_all(county.township_polys)
    counts = {
        "townships": len(county.townships),
        "villages": len(v),
        "population": int(v.population.sum()),
        "elderly": int(v.elderly.sum()),
        "seat_population": int(v.population[v.kind == "community"].sum()),
        "shelters": len(s),
        "shelter_capacity": int(s.capacity.sum()),
        "roads": len(r),
        "road_km": int(round(r.length_m.sum() / 1000)),
        "hazard_sites": len(h),
        "recipients": len(county.recipients),
        "area_km2": int(round(county_poly.area / 1e6)),
        "forest_share_pct": int(
            round(100 * float((county.landcover == terrain.FOREST).sum() / county.inside.sum()))
        ),
    }
    return {
        "name": COUNTY_NAME,
        "county_code": COUNTY_CODE,
        "metric_crs": METRIC_CRS,
        "counts": counts,
        "files": {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in sorted(files)},
    }


def write_manifest(out: Path, manifest: dict) -> None:
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
