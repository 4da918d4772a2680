"""Coordinate reference systems of imported files: what a file says, what ``--crs`` says, the
CGCS2000 Gauss-Krüger zones Chinese survey data comes in, and the metric CRS we measure in.

CGCS2000 (EPSG:4490) is the national datum; its ellipsoid and WGS84's differ by 0.1 mm in the
semi-minor axis and the frames by centimetres, so pyproj treats 4490 → 4326 as a null
transformation, which is right at our scale. Projected survey data uses the Gauss-Krüger zones:

- 6° zones 13–23: EPSG:4491–4501 (easting with the zone number in front, e.g. 20 500 000 m);
  the same without the zone prefix ("CM 75E" … "CM 135E"): EPSG:4502–4512;
- 3° zones 25–45: EPSG:4513–4533 (e.g. 38 500 000 m); without the prefix: EPSG:4534–4554
  (EPSG:4547 is CGCS2000 / 3-degree Gauss-Kruger CM 114E).

A table with projected x/y whose eastings carry a zone prefix names its zone itself; without
a prefix the zone cannot be told from the numbers and ``--crs`` must say it.
"""

from __future__ import annotations

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

STORAGE = CRS.from_epsg(4326)
CGCS2000 = 4490


class CRSProblem(ValueError):
    """A CRS that cannot be used, with a sentence saying why."""


def parse_crs(text: str) -> CRS:
    """``EPSG:4547``, ``4547`` or any string pyproj understands (WKT, PROJ)."""
    value = text.strip()
    if value.isdigit():
        value = f"EPSG:{value}"
    try:
        return CRS.from_user_input(value)
    except CRSError as exc:
        raise CRSProblem(f"--crs {text!r} is not a coordinate reference system pyproj knows") from exc


def gk_zone_crs(easting: np.ndarray) -> CRS | None:
    """The CGCS2000 Gauss-Krüger zone named by a zone prefix in front of the eastings
    (e.g. 38 512 345.6 → 3° zone 38, EPSG:4526), or None when the eastings carry none."""
    e = np.asarray(easting, dtype=float)
    e = e[np.isfinite(e)]
    if e.size == 0 or e.min() < 1e7:
        return None
    zones = np.unique(np.floor(e / 1e6).astype(int))
    if zones.size != 1:
        raise CRSProblem(f"x values carry several Gauss-Krüger zone prefixes ({', '.join(map(str, zones))})")
    zone = int(zones[0])
    if 25 <= zone <= 45:
        return CRS.from_epsg(4513 + zone - 25)
    if 13 <= zone <= 23:
        return CRS.from_epsg(4491 + zone - 13)
    raise CRSProblem(f"x values look like Gauss-Krüger eastings of zone {zone}, which is not a Chinese zone")


def looks_geographic(x: np.ndarray, y: np.ndarray) -> bool:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return True
    return bool((np.abs(x[ok]) <= 180).all() and (np.abs(y[ok]) <= 90).all())


def northing_first(x: np.ndarray, y: np.ndarray) -> bool:
    """True when "x" holds northings and "y" eastings: the Chinese surveying convention (X north,
    Y east) as opposed to the GIS one. Northings in China run 2 000–6 000 km; eastings are
    within 1 000 km of a false easting of 500 km, or carry a zone prefix (> 10 000 km)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return False
    x, y = x[ok], y[ok]
    x_is_northing = bool(((x > 1.5e6) & (x < 6.5e6)).all())
    y_is_easting = bool(((y < 1.0e6) | (y > 1.0e7)).all())
    return x_is_northing and y_is_easting


def describe(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def to_storage(crs: CRS) -> Transformer:
    return Transformer.from_crs(crs, STORAGE, always_xy=True)


def metric_epsg(lon: float, lat: float) -> int:
    """The CGCS2000 3° Gauss-Krüger zone (central meridian form) around ``lon`` — lengths and
    areas measured in it are true to 10⁻⁴ within the zone (EPSG:4534 + (CM − 75°)/3); outside
    China's zones, UTM."""
    cm = int(round(lon / 3.0) * 3)
    if 75 <= cm <= 135 and 0 <= lat <= 60:
        return 4534 + (cm - 75) // 3
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone
