"""What a run is computed from: its input files, parameters and places, and the checksum that
identifies them (a run of identical inputs is reused instead of computed again).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from backend.errors import InvalidInput

BUILTIN_CLASSES = ("riskmap", "worldcover")
DEFAULT_RULES = Path(__file__).with_name("rules_default.toml")
NOTHING_NEW = (
    "nothing new to compute: give rain (--rain FILE or --rain-stations FILE) or weather (--weather FILE)"
)


@dataclass(frozen=True)
class RunInputs:
    """The files of a run; every one is optional, but a run needs new input for one hazard at least:
    rain (``rain`` grid and/or ``rain_stations``) or weather (fire, and with rain the geohazard)."""

    rain: Path | None = None  # gridded rain: NetCDF, GRIB, or a directory of hourly GeoTIFFs
    weather: Path | None = None  # daily noon weather (CF NetCDF)
    dem: Path | None = None  # DEM GeoTIFF, any CRS
    landcover: Path | None = None  # land-cover GeoTIFF, any CRS
    rain_stations: Path | None = None  # station table (CSV)
    landcover_classes: str = "riskmap"  # class mapping: "riskmap", "worldcover" or a file
    rules: Path | None = None  # a county rules file (TOML/YAML); None: the shipped default

    @classmethod
    def sample(cls, directory: Path, rain: Path | None = None, weather: Path | None = None) -> RunInputs:
        d = Path(directory)
        return cls(
            Path(rain) if rain else d / "rain.nc",
            Path(weather) if weather else d / "weather.nc",
            d / "dem.tif",
            d / "landcover.tif",
        )

    @staticmethod
    def terrain(path: Path) -> tuple[Path, Path | None]:
        """A terrain directory (dem.tif, and landcover.tif if there) or a DEM file: (dem, land cover)."""
        path = Path(path)
        if path.is_dir():
            lc = path / "landcover.tif"
            return path / "dem.tif", lc if lc.exists() else None
        return path, None

    def new_hazards(self) -> set[str]:
        """The hazards this run computes from new input (the others are carried)."""
        new = set()
        if self.rain is not None or self.rain_stations is not None:
            new.add("rain")
        if self.weather is not None:
            new.add("fire")
            if "rain" in new:
                new.add("geohazard")
        return new

    def files(self) -> dict[str, Path]:
        out = {k: Path(v) for k, v in asdict(self).items() if v is not None and k != "landcover_classes"}
        if self.landcover_classes.lower() not in BUILTIN_CLASSES:
            out["landcover_classes"] = Path(self.landcover_classes)
        return out


@dataclass(frozen=True)
class RunParams:
    cell_m: float = 100.0
    ffmc0: float = 85.0
    dmc0: float = 6.0
    dc0: float = 15.0
    rain_var: str | None = None  # None: found by standard_name or common name
    accumulated: bool | None = None  # None: detected
    chunk: int = 256
    stations_tz: str = "+08:00"  # zone of station times written without an offset
    idw_power: float = 2.0
    idw_radius_km: float = 20.0
    idw_max_stations: int = 12
    grid_crs: str | None = None  # None: the DEM's metric CRS, else the county's UTM zone

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Places:
    townships: gpd.GeoDataFrame  # id, code, name, geometry
    villages: gpd.GeoDataFrame  # id, township_id, population, elderly, geometry
    sites: gpd.GeoDataFrame  # geometry
    flood_indicators: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["village_id", "hours", "prepare_mm", "move_mm"])
    )

    def digest(self) -> str:
        h = hashlib.sha256()
        for df, cols in (
            (self.townships, ["code"]),
            (self.villages, ["township_id", "population"]),
            (self.sites, []),
        ):
            h.update(pd.util.hash_pandas_object(df[cols], index=False).values.tobytes() if cols else b"")
            h.update(b"".join(shapely.to_wkb(df.geometry.values, output_dimension=2)))
        fi = self.flood_indicators[["village_id", "hours", "prepare_mm", "move_mm"]]
        if len(fi):
            fi = fi.sort_values(["village_id", "hours"])
            h.update(pd.util.hash_pandas_object(fi, index=False).values.tobytes())
        return h.hexdigest()


def inputs_checksum(inputs: RunInputs, params: RunParams, places: Places, carried: dict | None = None) -> str:
    """What identifies a run: its files' bytes, parameters, places, rules and the runs it carries from."""
    h = hashlib.sha256()
    files = inputs.files()
    if inputs.rules is None:
        files["rules"] = DEFAULT_RULES
    ident = {"classes": inputs.landcover_classes, "carried": carried or {}}
    h.update(json.dumps(ident, sort_keys=True).encode())
    for name, path in sorted(files.items()):
        h.update(name.encode())
        if path.is_dir():
            for f in sorted(path.glob("*.tif")):
                h.update(f.read_bytes())
        elif path.is_file():
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
        else:
            raise InvalidInput(f"{path}: file not found")
    h.update(json.dumps(params.to_json(), sort_keys=True).encode())
    h.update(places.digest().encode())
    return h.hexdigest()
