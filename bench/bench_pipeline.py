"""Pipeline benchmark: the county run stage by stage, the rainfall stage against plain numpy,
and the province-size run's peak memory.

    .venv/bin/python bench/bench_pipeline.py [--skip-province]

Baseline for the rainfall ratio: ``pipelines.rainfall.numpy_levels`` — the same computation
(trailing 3/6/12 h sums, CMA rules, max over the window) in plain numpy on the same array.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import use_bench_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"


def county() -> None:
    use_bench_database("riskmap_bench")
    import numpy as np
    from rasterio.warp import Resampling

    from backend.db import get_engine
    from pipelines import io, rainfall
    from pipelines.grid import Grid, regrid
    from pipelines.run import RunInputs, run_pipeline
    from sample_data.load import load

    load(SAMPLE)
    engine = get_engine()
    with tempfile.TemporaryDirectory() as data:
        run_pipeline(engine, RunInputs.sample(SAMPLE), Path(data), force=True)  # warm caches/imports
        t = time.perf_counter()
        out = run_pipeline(engine, RunInputs.sample(SAMPLE), Path(data), force=True)
        total = time.perf_counter() - t
    print(f"county run {out.run_id}: {total:.2f} s end to end (target < 10 s)")
    print("  stage            seconds")
    for stage, s in out.result.timings.items():
        print(f"  {stage:<16} {s:7.3f}")

    # rainfall stage: the same level computation, ours (xarray + dask blocks) vs plain numpy
    g = out.result.grid
    rain_in = io.read_grid_stack(SAMPLE / "rain.nc", {"rain": "rain"}, np.timedelta64(1, "h"), ("rain",))
    grid = Grid(g.crs, g.transform, g.height, g.width)
    rain_np = regrid(
        rain_in.values["rain"], rain_in.transform, rain_in.crs, grid, Resampling.bilinear
    ).compute()
    cells_hours = rain_np.size

    import dask.array as da

    n_days = int(np.ceil(rain_np.shape[0] / 24))

    def ours():  # what the pipeline runs: all of a block's products, blocks in parallel
        stack = da.from_array(rain_np, chunks=(-1, 256, 256))
        products = rainfall.lazy_products(stack, n_days)
        return products.compute()[0].astype(np.uint8)

    def baseline():
        return rainfall.numpy_levels(rain_np)

    assert (ours() == baseline()).all()
    best = {}
    for name, fn in (("riskmap (dask blocks)", ours), ("plain numpy", baseline)):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        best[name] = min(times)
    print(
        "  (riskmap computes level, first-reach hours, totals, worst 3 h and daily sums; the "
        "baseline only the level)"
    )
    print(f"rainfall levels over {rain_np.shape[1]}×{rain_np.shape[2]} cells × {rain_np.shape[0]} h:")
    for name, s in best.items():
        print(f"  {name:<24} {cells_hours / s / 1e6:8.1f} M cell-hours/s  ({s * 1000:.0f} ms)")
    ratio = best["plain numpy"] / best["riskmap (dask blocks)"]
    print(f"  ratio riskmap / numpy baseline: {ratio:.2f}×")


def province_child(directory: str) -> None:
    """Run in a child process so its peak RSS is the pipeline's own."""
    use_bench_database("riskmap_bench_province")
    from backend.db import get_engine
    from pipelines.run import RunInputs, run_pipeline
    from sample_data.load import load

    load(Path(directory))
    with tempfile.TemporaryDirectory() as data:
        t = time.perf_counter()
        out = run_pipeline(get_engine(), RunInputs.sample(Path(directory)), Path(data), force=True)
        total = time.perf_counter() - t
    g = out.result.grid
    print(
        json.dumps({"seconds": round(total, 1), "cells": g.height * g.width, "timings": out.result.timings})
    )


def province() -> None:
    prov = ROOT / "data" / "province"
    if not (prov / "manifest.json").is_file():
        from sample_data.generate import generate

        t = time.perf_counter()
        generate(prov, size="province")
        print(f"generated the province sample in {time.perf_counter() - t:.0f} s")
    r = subprocess.run(
        [sys.executable, __file__, "--province-child", str(prov)], capture_output=True, text=True
    )
    if r.returncode != 0:
        print(r.stderr[-3000:])
        raise SystemExit("province run failed")
    info = json.loads(r.stdout.strip().splitlines()[-1])
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    print(
        f"province run: {info['cells'] / 1e6:.1f} M cells at 100 m, {info['seconds']} s, "
        f"peak memory {peak_gib:.2f} GiB (target < 4 GiB)"
    )
    print("  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in info["timings"].items()))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-province", action="store_true")
    ap.add_argument("--province-child")
    args = ap.parse_args()
    if args.province_child:
        province_child(args.province_child)
    else:
        county()
        if not args.skip_province:
            province()
