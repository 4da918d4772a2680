"""What a run is computed from: its input files, parameters and places, and the checksum that
identifies them (a run of identical inputs is reused instead of computed again).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from backend.errors import InvalidInput


@dataclass(frozen=True)
class RunInputs:
    rain: Path
    weather: Path
    dem: Path
    landcover: Path

    @classmethod
    def sample(cls, directory: Path, rain: Path | None = None, weather: Path | None = None) -> RunInputs:
        d = Path(directory)
        return cls(
            Path(rain) if rain else d / "rain.nc",
            Path(weather) if weather else d / "weather.nc",
            d / "dem.tif",
            d / "landcover.tif",
        )

    def files(self) -> dict[str, Path]:
        return {k: Path(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class RunParams:
    cell_m: float = 100.0
    ffmc0: float = 85.0
    dmc0: float = 6.0
    dc0: float = 15.0
    rain_var: str = "rain"
    chunk: int = 256

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Places:
    townships: gpd.GeoDataFrame  # id, code, name, geometry
    villages: gpd.GeoDataFrame  # id, township_id, population, elderly, geometry
    sites: gpd.GeoDataFrame  # geometry

    def digest(self) -> str:
        h = hashlib.sha256()
        for df, cols in (
            (self.townships, ["code"]),
            (self.villages, ["township_id", "population"]),
            (self.sites, []),
        ):
            h.update(pd.util.hash_pandas_object(df[cols], index=False).values.tobytes() if cols else b"")
            h.update(b"".join(shapely.to_wkb(df.geometry.values, output_dimension=2)))
        return h.hexdigest()


def inputs_checksum(inputs: RunInputs, params: RunParams, places: Places) -> str:
    h = hashlib.sha256()
    for name, path in sorted(inputs.files().items()):
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
