"""Weather inputs benchmark on the sample county: rain-only runs from GRIB2 (written by ecCodes) and
from automatic-station observations (inverse-distance gridding), against the same rain as CF NetCDF.

    .venv/bin/python bench/bench_weather.py [--stations 120]

Baseline: the rain-only run from the sample's own CF NetCDF (same rain, same grid); ratios > 1 mean
slower than it. Fire and geohazard are carried from a full sample run in every case.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import use_bench_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"


def write_inputs(out: Path, n_stations: int) -> tuple[Path, Path]:
    import numpy as np
    import xarray as xr

    from pipelines.grib import write_regular_ll

    ds = xr.open_dataset(SAMPLE / "rain.nc").load()
    totals = np.cumsum(np.nan_to_num(ds.rain.values.astype(np.float64)), axis=0) / 1000.0
    t0 = ds.time.values[0].astype("datetime64[h]").item()
    grib = write_regular_ll(
        out / "tp.grib2", totals, ds.lat.values, ds.lon.values, [(0, s + 1) for s in range(len(totals))],
        date=int(t0.strftime("%Y%m%d")), hour=t0.hour,
    )  # fmt: skip
    rng = np.random.default_rng(7)
    iy = rng.integers(3, ds.sizes["lat"] - 3, n_stations)
    ix = rng.integers(3, ds.sizes["lon"] - 3, n_stations)
    ends = (ds.time.values + np.timedelta64(9, "h")).astype("datetime64[m]")  # end of hour, UTC+8
    lines = ["站号,经度,纬度,时间,雨量(mm)"]
    for k in range(n_stations):
        lon, lat = ds.lon.values[ix[k]], ds.lat.values[iy[k]]
        for i, when in enumerate(ends):
            mm = ds.rain.values[i, iy[k], ix[k]]
            lines.append(f"S{k:04d},{lon:.4f},{lat:.4f},{when.item():%Y-%m-%d %H:%M},{mm:.1f}")
    csv = out / "stations.csv"
    csv.write_text("\n".join(lines), encoding="utf-8")
    return grib, csv


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stations", type=int, default=120)
    args = ap.parse_args()
    use_bench_database("riskmap_bench_weather")
    from backend.db import get_engine
    from pipelines import rain_input, stations
    from pipelines.run import RunInputs, run_pipeline
    from sample_data.load import load

    load(SAMPLE)
    engine = get_engine()
    dem = SAMPLE / "dem.tif"
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as data:
        grib, csv = write_inputs(Path(tmp), args.stations)
        run_pipeline(engine, RunInputs.sample(SAMPLE), Path(data), force=True)  # something to carry
        t = time.perf_counter()
        rain_input.read_rain(grib)
        grib_read = time.perf_counter() - t
        t = time.perf_counter()
        stations.read_station_rain(csv)
        csv_read = time.perf_counter() - t
        cases = {
            "CF NetCDF (baseline)": RunInputs(rain=SAMPLE / "rain.nc", dem=dem),
            "GRIB2, tp accumulated": RunInputs(rain=grib, dem=dem),
            f"stations ({args.stations}, IDW)": RunInputs(rain_stations=csv, dem=dem),
            "NetCDF + stations": RunInputs(rain=SAMPLE / "rain.nc", rain_stations=csv, dem=dem),
        }
        results = {}
        for name, inputs in cases.items():
            t, cpu = time.perf_counter(), time.process_time()
            out = run_pipeline(engine, inputs, Path(data), force=True)
            wall, cpu = time.perf_counter() - t, time.process_time() - cpu
            results[name] = (wall, out.result.timings["rainfall"], out.result, cpu)
    base_total, base_rain, _, base_cpu = results["CF NetCDF (baseline)"]
    print(f"sample county, 72 h of rain, {args.stations} stations; rain-only runs (fire, geohazard carried)")
    print(f"  reading alone: GRIB2 {grib_read:.2f} s (72 messages), station CSV {csv_read:.2f} s")
    print("  (wall-clock seconds, and the process's CPU seconds over all its threads)")
    head = f"{'run s':>7} {'ratio':>6} {'CPU s':>7} {'ratio':>6} {'rain stage s':>13} {'ratio':>6}"
    print(f"  {'input':<26} {head}")
    for name, (total, rain, _, cpu) in results.items():
        print(
            f"  {name:<26} {total:7.2f} {total / base_total:6.2f} {cpu:7.2f} {cpu / base_cpu:6.2f} "
            f"{rain:13.2f} {rain / base_rain:6.2f}"
        )
    st = results[f"stations ({args.stations}, IDW)"][2].hazards["rain"]["input"]["stations"]
    print(f"  stations: {st['stations']} in the file, coverage {st['coverage']:.1%} of the county within "
          f"{st['radius_km']:g} km")  # fmt: skip


if __name__ == "__main__":
    main()
