"""The sample county's weather: a 72-hour typhoon-remnant rain scenario and 60 days of autumn
dry-spell weather before it, as CF-1.8 datasets on a ~1 km lat/lon grid.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from pyproj import Transformer

from sample_data import terrain
from sample_data.county import METRIC_CRS, STORAGE_CRS, County, sample_raster

RAIN_START = np.datetime64("2026-10-25T16:00")  # 2026-10-26 00:00 Beijing time, in UTC
WEATHER_DAYS = 60
RAIN_HOURS = 72
GRID_DEG = 0.01  # ~1 km lat/lon grid of the weather files


def _weather_grid(county: County):
    """The ~1 km lat/lon grid of the weather files, and its cell centres in metres."""
    t = Transformer.from_crs(METRIC_CRS, STORAGE_CRS, always_xy=True)
    lon0, lat0 = t.transform(county.bounds[0], county.bounds[1])
    lon1, lat1 = t.transform(county.bounds[2], county.bounds[3])
    lons = np.round(np.arange(np.floor(lon0 / GRID_DEG) - 2, np.ceil(lon1 / GRID_DEG) + 3) * GRID_DEG, 4)
    lats = np.round(
        np.arange(np.ceil(lat1 / GRID_DEG) + 2, np.floor(lat0 / GRID_DEG) - 3, -1) * GRID_DEG, 4
    )
    lon2, lat2 = np.meshgrid(lons, lats)
    back = Transformer.from_crs(STORAGE_CRS, METRIC_CRS, always_xy=True)
    gx, gy = back.transform(lon2, lat2)
    return lons, lats, gx, gy


def build_rain(county: County) -> xr.Dataset:
    """A typhoon remnant drifting SE → N across the eastern county, with convective bursts."""
    rng = np.random.default_rng([county.seed, 1])  # its own stream: robust to other changes
    lons, lats, gx, gy = _weather_grid(county)
    elev = sample_raster(county.dem, county.transform, gx, gy)
    orog = 0.75 + 0.5 * np.clip((elev - 100) / 900, 0, 1)
    size = np.sqrt(county.spec.area_km2 / 3000.0)
    c0 = county.centre + size * np.array([45e3, -60e3])
    c1 = county.centre + size * np.array([0e3, 65e3])
    hours = np.arange(RAIN_HOURS)
    env = np.sin(np.pi * (hours + 0.5) / RAIN_HOURS) ** 1.4
    bursts = []
    n_bursts = int(round(14 * size**2))
    for k in range(n_bursts):
        t0 = int(rng.integers(24, 44)) if k < 3 else int(rng.integers(10, 58))
        base = c0 + (c1 - c0) * (t0 / RAIN_HOURS)
        # the first bursts are the storm's core: intense, on the track, over the county
        off = rng.normal(0, 3e3 * size, 2) if k < 3 else rng.normal(0, 11e3 * size, 2)
        bursts.append(
            (
                t0,
                3 if k < 3 else int(rng.integers(2, 5)),
                base + off,
                rng.uniform(4e3, 6e3),
                rng.uniform(90, 105) if k < 3 else rng.uniform(50, 75),
            )
        )
    wobble = terrain.fractal_noise(rng, gx.shape, 2.2, 1000.0)
    rain = np.empty((RAIN_HOURS,) + gx.shape, dtype=np.float32)
    for h in hours:
        c = c0 + (c1 - c0) * (h / (RAIN_HOURS - 1))
        d = np.hypot(gx - c[0], gy - c[1])
        r = 6.0 * env[h] * np.exp(-0.5 * (d / (13e3 * size)) ** 2)
        r += 4.0 * env[h] * np.exp(-0.5 * ((d - 40e3 * size) / (9e3 * size)) ** 2)
        for t0, dur, bc, sig, peak in bursts:
            if t0 <= h < t0 + dur:
                shape = np.sin(np.pi * (h - t0 + 0.5) / dur)
                r += peak * shape * np.exp(-0.5 * (np.hypot(gx - bc[0], gy - bc[1]) / sig) ** 2)
        r = r * orog * (0.7 + 0.6 * wobble)
        rain[h] = np.where(r < 0.1, 0.0, np.round(r, 1))
    total = rain.sum(axis=0)
    rain *= np.float32(min(1.0, 249.0 / float(total.max())))
    rain = np.round(rain, 1)
    times = RAIN_START + hours.astype("timedelta64[h]")
    return _grid_dataset(
        {
            "rain": (
                rain,
                {
                    "long_name": "hourly accumulated precipitation",
                    "standard_name": "precipitation_amount",
                    "units": "mm",
                    "cell_methods": "time: sum (interval: 1 hour)",
                },
            )
        },
        times,
        lats,
        lons,
        "72 h typhoon-remnant rainfall scenario (synthetic)",
    )


def build_weather(county: County) -> xr.Dataset:
    """60 days of autumn noon weather ending the day before the rain; driest in the north-west."""
    rng = np.random.default_rng([county.seed, 2])
    lons, lats, gx, gy = _weather_grid(county)
    elev = sample_raster(county.dem, county.transform, gx, gy)
    # 0 in the south-east .. 1 in the north-west
    u = np.array([-1.0, 1.0]) / np.sqrt(2)
    proj = (gx - county.centre[0]) * u[0] + (gy - county.centre[1]) * u[1]
    radius = np.sqrt(county.spec.area_km2 * 1e6 / np.pi)
    nw = np.clip(0.5 + proj / (2 * radius), 0, 1)
    days = np.arange(WEATHER_DAYS)
    season = 1 - days / WEATHER_DAYS  # warm early September → cooler late October
    front = np.clip((days - (WEATHER_DAYS - 6)) / 3.0, 0, 1)  # a dry, windy front at the end
    events = {3: 25.0, 11: 12.0, 20: 18.0, 29: 9.0, 38: 14.0}
    shape = (WEATHER_DAYS,) + gx.shape
    tas = np.empty(shape, np.float32)
    hurs = np.empty(shape, np.float32)
    wind = np.empty(shape, np.float32)
    pr = np.zeros(shape, np.float32)
    for d in days:
        jitter = rng.normal(0, 1, 3)
        tas[d] = 22.0 + 5.0 * season[d] + 2.5 * nw - 6.5 * (elev - 200) / 1000 + 1.0 * jitter[0]
        hurs[d] = 68 - 10 * (d / WEATHER_DAYS) - 16 * nw - 10 * front[d] * nw + 3 * jitter[1]
        wind[d] = 5 + 6 * nw + 4 * (elev - 100) / 1000 + 22 * front[d] * nw**2 + 1.5 * abs(jitter[2])
        if d in events:
            pr[d] = events[d] * (1.3 - nw) * rng.uniform(0.8, 1.2)
    tas = np.round(tas, 1)
    hurs = np.round(np.clip(hurs, 12, 100), 0)
    wind = np.round(np.clip(wind, 0, None), 1)
    pr = np.round(pr, 1)
    start = RAIN_START + np.timedelta64(8, "h") - np.timedelta64(WEATHER_DAYS, "D")
    times = (start.astype("datetime64[D]") + days.astype("timedelta64[D]")).astype(
        "datetime64[ns]"
    ) + np.timedelta64(4, "h")  # local noon (12:00+08:00) in UTC
    return _grid_dataset(
        {
            "tas": (
                tas,
                {
                    "long_name": "noon air temperature",
                    "standard_name": "air_temperature",
                    "units": "degC",
                },
            ),
            "hurs": (
                hurs,
                {
                    "long_name": "noon relative humidity",
                    "standard_name": "relative_humidity",
                    "units": "%",
                },
            ),
            "sfcWind": (
                wind,
                {
                    "long_name": "noon 10 m wind speed",
                    "standard_name": "wind_speed",
                    "units": "km/h",
                },
            ),
            "pr": (
                pr,
                {
                    "long_name": "24 h precipitation to noon",
                    "standard_name": "precipitation_amount",
                    "units": "mm",
                    "cell_methods": "time: sum (interval: 24 hours)",
                },
            ),
        },
        times,
        lats,
        lons,
        "60 days of autumn noon weather (synthetic dry spell)",
    )


def _grid_dataset(variables: dict, times, lats, lons, title: str) -> xr.Dataset:
    ds = xr.Dataset(
        {
            name: (("time", "lat", "lon"), arr, {**attrs, "grid_mapping": "crs"})
            for name, (arr, attrs) in variables.items()
        },
        coords={
            "time": (
                "time",
                np.asarray(times, dtype="datetime64[ns]"),
                {"standard_name": "time", "axis": "T"},
            ),
            "lat": (
                "lat",
                lats,
                {"standard_name": "latitude", "units": "degrees_north", "axis": "Y"},
            ),
            "lon": (
                "lon",
                lons,
                {"standard_name": "longitude", "units": "degrees_east", "axis": "X"},
            ),
        },
        attrs={
            "Conventions": "CF-1.8",
            "title": title,
            "institution": "riskmap sample generator",
            "source": "synthetic",
            # the generator's entry point
            "references": "riskmap sample_data/generate.py",
        },
    )
    ds["crs"] = xr.DataArray(
        np.int32(0),
        attrs={
            "grid_mapping_name": "latitude_longitude",
            "longitude_of_prime_meridian": 0.0,
            "semi_major_axis": 6378137.0,
            "inverse_flattening": 298.257223563,
            "crs_wkt": 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
            'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]',
            "spatial_ref": "EPSG:4326",
        },
    )
    ds.time.encoding.update(
        {"units": "hours since 2026-01-01 00:00:00", "calendar": "standard", "dtype": "int32"}
    )
    return ds
