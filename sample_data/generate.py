"""Generate the synthetic sample county: ``riskmap sample generate --out DIR --seed N``.

A hilly county of southern Jiangxi (around 115°E, 25.8°N, ≈3,000 km²): a DEM with ridges and
river valleys, ~70 % forest, 19 townships tiling the county exactly, ~300 villages with a county
seat of ≈150,000 people, a connected road network, ≈145 shelters (some in flood-prone valleys),
≈300 geological hazard sites, ≈1,500 responsible persons, a 72-hour typhoon-remnant rainfall
scenario and 60 days of autumn dry-spell weather.

The same seed gives byte-identical files: every random draw comes from one seeded generator in
a fixed order, files carry no timestamps, and GeoPackages are written with a fixed
``OGR_CURRENT_DATE``.

This module only runs the stages in order: ``terrain`` and ``admin`` (land and townships),
``places`` and ``roads``, ``people``, ``weather``, and ``files`` to write it all out.
"""

from __future__ import annotations

from pathlib import Path

from backend.progress import NULL, Stages
from sample_data import admin, files, people, places, roads, terrain, weather
from sample_data.county import METRIC_CRS, SIZES, STORAGE_CRS, County, SizeSpec

__all__ = ["METRIC_CRS", "SIZES", "STORAGE_CRS", "SizeSpec", "generate"]


def generate(out: Path, seed: int = 20260701, size: str = "county", progress: Stages = NULL) -> dict:
    """Write the sample into ``out`` and return its manifest (also written as manifest.json)."""
    out = Path(out)
    county = County(seed, SIZES[size])
    # the stages share one random stream: their order is part of the output
    progress.stage("terrain and rivers", 3)
    for step in (terrain.lay_out_grid, terrain.build_rivers, terrain.build_dem):
        step(county)
        progress.advance(1)
    progress.stage("townships", 1)
    admin.build_townships(county)
    progress.advance(1)
    progress.stage("villages and land cover", 1)
    places.build_villages(county)
    people.sum_township_population(county)
    terrain.build_landcover(county)
    progress.advance(1)
    progress.stage("shelters, roads, hazards", 4)
    for step in (
        places.build_shelters,
        roads.build_roads,
        places.build_hazard_sites,
        people.build_recipients,
    ):
        step(county)
        progress.advance(1)

    progress.stage("writing files", 4)
    written = files.write_vectors(county, out)
    progress.advance(1)
    written += files.write_rasters(county, out)
    progress.advance(1)
    for name, build in (("rain.nc", weather.build_rain), ("weather.nc", weather.build_weather)):
        written.append(files.write_netcdf(build(county), out / name))
        progress.advance(1)
    manifest = files.build_manifest(county, out, written)
    manifest.update({"seed": seed, "size": size})
    files.write_manifest(out, manifest)
    return manifest
