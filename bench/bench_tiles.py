"""Tile-serving benchmark: riskmap against tipg (a maintained FastAPI/PostGIS tile server) on the
same database, the same tiles and the same concurrency, in one run.

    .venv/bin/python bench/bench_tiles.py [--concurrency 8] [--zooms 8-14]

Both servers run as one uvicorn process each. tipg serves a view of the run's full-detail one-map
zones (``bench_onemap``); riskmap serves ``/tiles/onemap`` of the same run (which picks the zone
detail by zoom — part of the design being measured). "Cold" is the first pass over the tile list
on freshly started servers (PostgreSQL's own buffers are warm for both, as the list is read in the
same order by each); "warm" is a second pass.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import sample_run, use_bench_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
TIPG = ROOT / ".venv-bench" / "bin" / "uvicorn"


def tiles_over(bounds, zooms):
    west, south, east, north = bounds
    out = []
    for z in zooms:
        n = 2**z
        x0, x1 = (int((lon + 180) / 360 * n) for lon in (west, east))
        y0, y1 = (
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n) for lat in (north, south)
        )
        out += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return out


def hammer(
    base: str, paths: list[str], concurrency: int, threads: int = 2, seconds: int = 20, method: str = "GET"
) -> tuple[float, float, int]:
    """One pass over ``paths`` with wrk (a C load generator: the client must not be the bottleneck
    on a 2-core machine). Returns (requests/s, p95 ms, errors).

    wrk keeps its clock running until ``seconds`` even after every thread has finished its share,
    so throughput comes from Little's law for a closed loop: connections / mean latency.
    """
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(paths) + "\n")
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(concurrency),
            "-d",
            f"{seconds}s",
            "-s",
            str(ROOT / "bench" / "tiles.lua"),
            base,
            "--",
            fh.name,
            str(threads),
            method,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(fh.name)
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT"))
    _, n, _, p95_ms, mean_ms, errors = line.split()
    if int(n) < len(paths):
        raise SystemExit(f"wrk answered {n} of {len(paths)} requests in {seconds} s; raise the limit")
    return concurrency / (float(mean_ms) / 1000), float(p95_ms), int(errors)


def statuses(base: str, paths: list[str]) -> dict[int, int]:
    counts: dict[int, int] = {}
    with httpx.Client(base_url=base, timeout=60) as c:
        for p in paths[:: max(len(paths) // 200, 1)]:
            code = c.get(p).status_code
            counts[code] = counts.get(code, 0) + 1
    return counts


def start(cmd, env, port):
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start: {' '.join(cmd)}\n{proc.stderr.read().decode()[-2000:]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--zooms", default="8-14")
    args = ap.parse_args()
    lo, hi = (int(v) for v in args.zooms.split("-"))
    url = use_bench_database("riskmap_bench")
    import sqlalchemy as sa

    from backend.db import get_engine

    engine = get_engine()
    run = sample_run(SAMPLE)
    with engine.begin() as c:
        c.execute(sa.text("DROP VIEW IF EXISTS bench_onemap"))
        # a view cannot take a bound parameter; the run id is an integer we just read
        c.execute(
            sa.text(
                f"CREATE VIEW bench_onemap AS SELECT id, level, dominant_hazard, geom "
                f"FROM risk_zone WHERE run_id = {int(run)} AND hazard = 'onemap' AND detail = 2"
            )
        )
        bounds = c.execute(
            sa.text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) e FROM county_outline) s"
            )
        ).one()
    tiles = tiles_over(bounds, range(lo, hi + 1))
    print(f"{len(tiles)} tiles over the county at z{lo}–{hi}, concurrency {args.concurrency}, run {run}")

    pg = url.replace("postgresql+psycopg://", "postgresql://")
    env = {**os.environ, "RISKMAP_DATABASE_URL": url, "RISKMAP_LOG_LEVEL": "WARNING"}
    tenv = {
        **os.environ,
        "DATABASE_URL": pg,
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.bench_onemap"]',
        "TIPG_MAX_FEATURES_PER_TILE": "100000",
    }
    servers = {
        "riskmap": (
            [
                str(ROOT / ".venv" / "bin" / "uvicorn"),
                "backend.app:build",
                "--factory",
                "--port",
                "8731",
                "--log-level",
                "warning",
            ],
            env,
            8731,
            [f"/tiles/onemap/{z}/{x}/{y}.pbf?run={run}" for z, x, y in tiles],
        ),
        "tipg": (
            [str(TIPG), "tipg.main:app", "--port", "8732", "--log-level", "warning"],
            tenv,
            8732,
            [f"/collections/public.bench_onemap/tiles/WebMercatorQuad/{z}/{x}/{y}" for z, x, y in tiles],
        ),
    }
    results = {}
    for name, (cmd, e, port, paths) in servers.items():
        proc = start(cmd, e, port)
        try:
            base = f"http://127.0.0.1:{port}"
            for phase in ("cold", "warm"):
                rps, p, errors = hammer(base, paths, args.concurrency)
                results[(name, phase)] = (rps, p, errors)
            results[(name, "status sample")] = statuses(base, paths)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"{'server':<10}{'phase':<7}{'req/s':>10}{'p95 ms':>10}{'errors':>8}")
    for name in servers:
        for phase in ("cold", "warm"):
            rps, p, errors = results[(name, phase)]
            print(f"{name:<10}{phase:<7}{rps:>10.0f}{p:>10.1f}{errors:>8}")
        sample = dict(sorted(results[(name, "status sample")].items()))
        print(f"  {name} status codes (a sample of the list): {sample}")
    for phase in ("cold", "warm"):
        ratio = results[("riskmap", phase)][0] / results[("tipg", phase)][0]
        target = 1.5 if phase == "cold" else 10
        print(
            f"ratio riskmap / tipg, {phase}: {ratio:.2f}× requests/s (target ≥ {target}×); "
            f"p95 {results[('riskmap', phase)][1]:.1f} vs {results[('tipg', phase)][1]:.1f} ms"
        )


if __name__ == "__main__":
    main()
