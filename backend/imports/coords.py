"""Web-map coordinates back to WGS84: GCJ-02 (国测局坐标, used by AMap/高德, Tencent and Google
China) and BD-09 (百度坐标, Baidu Maps).

Coordinates copied from a web map in China are not WGS84: GCJ-02 adds a deliberate, smooth
offset of a few hundred metres (GB 20263-2006 obfuscation; its published forward formula uses the
Krasovsky 1940 ellipsoid, a = 6378245 m, e² = 0.00669342162296594323), and BD-09 adds Baidu's
own rotation on top of GCJ-02. The offsets only apply inside China's rough bounding box.

Only the forward formulas (WGS84 → GCJ-02 → BD-09) are known in closed form; we invert them by
fixed-point iteration, w ← w − (f(w) − target), which converges because f is the identity plus
a slowly varying offset (its derivative differs from 1 by < 10⁻⁴). Ten iterations bring the
error below 10⁻⁹ degrees (≈ 0.1 mm), far inside the 0.5 m the importer promises; the loop stops
as soon as every point moves less than that.

All functions take and return numpy arrays (or scalars) of longitude and latitude in degrees.
"""

from __future__ import annotations

import numpy as np

A = 6378245.0  # Krasovsky 1940 semi-major axis, m
EE = 0.00669342162296594323  # Krasovsky 1940 first eccentricity squared
X_PI = np.pi * 3000.0 / 180.0  # BD-09's rotation frequency
SYSTEMS = ("wgs84", "gcj02", "bd09")
_TOLERANCE_DEG = 1e-10
_MAX_ITERATIONS = 30


def in_china(lon, lat) -> np.ndarray:
    """The rough box inside which GCJ-02 applies its offset (outside it GCJ-02 = WGS84)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _offset_lat(x, y):
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return r


def _offset_lon(x, y):
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lon, lat):
    """WGS84 → GCJ-02 (the published forward formula)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlat = _offset_lat(lon - 105.0, lat - 35.0)
    dlon = _offset_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_bd09(lon, lat):
    """GCJ-02 → BD-09 (Baidu's published forward formula)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def wgs84_to_bd09(lon, lat):
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _invert(forward, lon, lat):
    """Solve forward(w) = (lon, lat) for w by fixed-point iteration."""
    tlon, tlat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = tlon.copy(), tlat.copy()
    for _ in range(_MAX_ITERATIONS):
        flon, flat = forward(wlon, wlat)
        dlon, dlat = flon - tlon, flat - tlat
        wlon, wlat = wlon - dlon, wlat - dlat
        if np.all(np.abs(dlon) < _TOLERANCE_DEG) and np.all(np.abs(dlat) < _TOLERANCE_DEG):
            break
    return wlon, wlat


def gcj02_to_wgs84(lon, lat):
    """GCJ-02 → WGS84, the exact inverse of :func:`wgs84_to_gcj02` to < 10⁻⁹ degrees."""
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon, lat):
    return _invert(gcj02_to_bd09, lon, lat)


def bd09_to_wgs84(lon, lat):
    return _invert(wgs84_to_bd09, lon, lat)


def to_wgs84(system: str, lon, lat):
    """Longitudes and latitudes in ``system`` (wgs84, gcj02 or bd09) as WGS84."""
    if system == "wgs84":
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if system == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise ValueError(f"unknown coordinate system {system!r}; one of {', '.join(SYSTEMS)}")


def from_wgs84(system: str, lon, lat):
    """WGS84 as ``system`` (for tests and for writing files web maps read)."""
    if system == "wgs84":
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if system == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if system == "bd09":
        return wgs84_to_bd09(lon, lat)
    raise ValueError(f"unknown coordinate system {system!r}; one of {', '.join(SYSTEMS)}")
