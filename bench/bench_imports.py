"""Import benchmark: the sample county (and the province-size sample) rewritten in the formats
bureaus have — county GeoJSON, a zipped GBK shapefile of townships in EPSG:4547, villages and
responsible persons as XLSX with Chinese headers, shelters as a GB18030 CSV in GCJ-02, hazard sites
as a GeoPackage, roads as an OpenStreetMap PBF — imported kind by kind into an empty database,
then imported again (nothing changes).

    .venv/bin/python bench/bench_imports.py [--skip-province]

Baseline: ``riskmap sample load`` of the same county from its own GeoPackages (no header
matching, no CRS or GCJ-02 handling, no graph building, fewer checks).
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


def _empty(engine) -> None:
    import sqlalchemy as sa

    with engine.begin() as c:
        c.execute(sa.text("SET LOCAL statement_timeout = 0"))
        c.execute(
            sa.text(
                "TRUNCATE county, township, village, shelter, road, hazard_site, recipient, river, risk_run, "
                "audit_log RESTART IDENTITY CASCADE"
            )
        )


def run(sample: Path, label: str) -> None:
    from backend.db import get_engine
    from sample_data.load import load
    from tests.imports import formats
    from tests.imports.conftest import STEPS, import_all

    engine = get_engine()
    with tempfile.TemporaryDirectory() as d:
        out = Path(d)
        t = time.perf_counter()
        s = formats.sample(sample)
        files = type("Files", (), {})()
        for attr, write in (
            ("county", formats.county_geojson),
            ("townships", formats.townships_zip),
            ("villages", formats.villages_xlsx),
            ("shelters", formats.shelters_csv),
            ("hazard_sites", formats.hazard_sites_gpkg),
            ("recipients", formats.recipients_xlsx),
            ("roads", formats.roads_pbf),
        ):
            setattr(files, attr, write(s, out))
        print(f"{label}: wrote the real-format files in {time.perf_counter() - t:.1f} s")

        _empty(engine)
        t = time.perf_counter()
        load(sample)
        baseline = time.perf_counter() - t

        _empty(engine)
        t = time.perf_counter()
        first = import_all(engine, files)
        total = time.perf_counter() - t
        t = time.perf_counter()
        again = import_all(engine, files)
        total_again = time.perf_counter() - t

    print(f"  {'kind':<13} {'file':<22} {'rows':>8} {'import s':>9} {'rows/s':>9} {'again s':>8}")
    for (kind, attr, _), r in zip(STEPS, first.values(), strict=True):
        a = again[kind]
        assert r.status == "imported" and a.changes["unchanged"] == a.rows, (kind, r.errors[:3])
        print(
            f"  {kind:<13} {Path(getattr(files, attr)).name:<22} {r.rows:>8,} {r.seconds:>9.2f} "
            f"{r.rows / max(r.seconds, 1e-9):>9,.0f} {a.seconds:>8.2f}"
        )
    print(
        f"  all kinds: {total:.1f} s (again, nothing changed: {total_again:.1f} s); "
        f"baseline `riskmap sample load` of the GeoPackages: {baseline:.1f} s "
        f"→ ratio {total / baseline:.2f}×"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-province", action="store_true")
    args = ap.parse_args()
    use_bench_database("riskmap_bench_imports")
    county = ROOT / "data" / "sample"
    if not (county / "manifest.json").is_file():
        from sample_data.generate import generate

        generate(county)
    run(county, "county")
    if args.skip_province:
        return
    province = ROOT / "data" / "province"
    if not (province / "manifest.json").is_file():
        from sample_data.generate import generate

        t = time.perf_counter()
        generate(province, size="province")
        print(f"generated the province sample in {time.perf_counter() - t:.0f} s")
    run(province, "province")


if __name__ == "__main__":
    main()
