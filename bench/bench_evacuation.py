"""Evacuation planner benchmark: stages on the sample county (and the province), and the plan
against a greedy nearest-shelter baseline on the same demand, shelters and travel times.

    .venv/bin/python bench/bench_evacuation.py [--skip-province]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import sample_run, use_bench_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def bench(db: str, sample: Path, label: str) -> None:
    use_bench_database(db)
    import numpy as np
    from sqlalchemy.orm import Session

    from backend.db import get_engine
    from backend.evacuation import core, exports
    from backend.evacuation.plan import build, parse_options, plan_evacuation

    engine = get_engine()
    run = sample_run(sample)
    with Session(engine) as s:
        plan_evacuation(s, run, {})  # warm-up (imports, caches)
        s.rollback()
        t0 = time.perf_counter()
        result = plan_evacuation(s, run, {})
        t_plan = time.perf_counter() - t0
        t1 = time.perf_counter()
        exports.plan_geojson(s, result.plan_id)
        exports.plan_csv(s, result.plan_id)
        exports.plan_sheet(s, result.plan_id)
        t_export = time.perf_counter() - t1
        s.rollback()
        b = build(s, run, parse_options({}))
    remaining = np.array([x["remaining"] for x in b["shelters"]])
    opt = core.allocate(b["demand"], remaining, b["minutes"])
    # greedy serves the most endangered first, as a duty officer would
    order = sorted(range(len(b["demand"])), key=lambda i: -b["rows"][i]["level"])
    greedy = core.greedy([b["demand"][i] for i in order], remaining, b["minutes"][order])
    t = result.totals
    print(
        f"{label}: run {run}, {t['people_to_move']:,} people to move from {t['villages']} villages, "
        f"{t['shelters_available']} safe shelters with {t['capacity_available']:,} places"
    )
    print(f"  end to end {t_plan + t_export:.2f} s (target < 2 s for the county)")
    for k, v in result.timings.items():
        print(f"    {k:<16}{v:7.3f} s")
    print(f"    {'export':<16}{t_export:7.3f} s")
    ou, gu = sum(p for p, _ in opt.unserved.values()), sum(p for p, _ in greedy.unserved.values())
    print(f"  {'':<10}{'unserved':>10}{'person-minutes':>16}")
    print(f"  {'plan':<10}{ou:>10,}{opt.person_minutes:>16,.0f}")
    print(f"  {'greedy':<10}{gu:>10,}{greedy.person_minutes:>16,.0f}")
    pm_ratio = greedy.person_minutes / opt.person_minutes if opt.person_minutes else float("nan")
    print(f"  ratio greedy / plan: unserved {gu}/{ou}, person-minutes {pm_ratio:.3f}×")
    # the same demand when shelters are scarce (an eighth of the places): capacity binds
    scarce = remaining // 8
    opt = core.allocate(b["demand"], scarce, b["minutes"])
    greedy = core.greedy([b["demand"][i] for i in order], scarce, b["minutes"][order])
    ou, gu = sum(p for p, _ in opt.unserved.values()), sum(p for p, _ in greedy.unserved.values())
    oe, ge = sum(e for _, e in opt.unserved.values()), sum(e for _, e in greedy.unserved.values())
    print(
        f"  capacity binding ({int(scarce.sum()):,} places): unserved plan {ou:,} (elderly {oe:,}) vs "
        f"greedy {gu:,} (elderly {ge:,}); person-minutes plan {opt.person_minutes:,.0f} vs greedy "
        f"{greedy.person_minutes:,.0f} ({greedy.person_minutes / max(opt.person_minutes, 1):.3f}×)"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-province", action="store_true")
    args = ap.parse_args()
    bench("riskmap_bench", ROOT / "data" / "sample", "county")
    if not args.skip_province and (ROOT / "data" / "province" / "manifest.json").is_file():
        bench("riskmap_bench_province", ROOT / "data" / "province", "province")
