"""`riskmap county show`: what of the county is loaded, and what is missing."""

from __future__ import annotations

import json
import sys

import typer

from backend.cli.common import clear_errors, out

app = typer.Typer(help="The county's own data: what is loaded and what is missing.", no_args_is_help=True)

LABELS = {
    "county": "county boundary 县界",
    "townships": "townships 乡镇",
    "villages": "villages 村（社区）",
    "shelters": "shelters 避灾安置场所",
    "roads": "road segments 道路",
    "hazard_sites": "hazard sites 隐患点",
    "recipients": "responsible persons 责任人",
    "rivers": "rivers 河流",
    "published_runs": "published runs 风险运算",
    "townships_without_leader": "townships without a leader to warn",
    "villages_without_recipient": "villages without a village head or grid worker",
    "shelters_without_capacity": "shelters without capacity",
    "shelters_without_township": "shelters in no township",
    "hazard_sites_without_village": "hazard sites without a village",
    "recipients_unreachable": "responsible persons without phone or e-mail",
    "villages_outside_their_township": "villages outside the township they name",
    "villages_far_from_roads": "villages > 2 km from any road",
    "shelters_far_from_roads": "shelters > 2 km from any road",
    "roads_not_connected": "road segments not connected to the main network",
}


@app.command("show")
@clear_errors
def show(as_json: bool = typer.Option(False, "--json", help="print the summary as JSON")) -> None:
    """Counts per table, and what warnings and evacuation plans would miss."""
    from backend.db import connect_or_explain, get_engine
    from backend.imports.summary import county_summary

    with connect_or_explain(get_engine()) as conn:
        s = county_summary(conn)
    if as_json:
        sys.stdout.write(json.dumps(s, ensure_ascii=False, indent=2) + "\n")
        return
    from rich.table import Table

    c = s["county"]
    out.print(f"[bold]{c['name'] or '(no county boundary loaded)'}[/] {c['code'] or ''}", highlight=False)
    t = s["totals"]
    loaded = Table(box=None, show_header=False, pad_edge=False)
    for col in ("what", "n", "more"):
        loaded.add_column(col, justify="right" if col == "n" else "left")
    for key, n in s["loaded"].items():
        extra = {
            "villages": f"population {t['population']:,}, elderly {t['elderly']:,}",
            "shelters": f"capacity {t['shelter_capacity']:,}",
            "roads": f"{t['road_km']:,} km, {t['road_components']} component(s), {t['roads_closed']} closed",
            "hazard_sites": f"{t['threatened_people']:,} people threatened",
            "published_runs": f"latest #{t['latest_run']}" if t["latest_run"] else "",
        }.get(key, "")
        loaded.add_row(LABELS[key], f"{n:,}", extra)
    out.print(loaded)
    if t["county_covered_by_townships"] is not None:
        out.print(f"townships cover {t['county_covered_by_townships']:.2%} of the county boundary")
    out.print("[bold]missing[/]")
    gaps = 0
    for key, value in s["missing"].items():
        n = value["count"] if isinstance(value, dict) else value
        if not n:
            continue
        gaps += 1
        names = ""
        if isinstance(value, dict) and value["first"]:
            names = ": " + "、".join(value["first"]) + ("…" if n > len(value["first"]) else "")
        out.print(f"  [yellow]{LABELS[key]}[/] {n:,}{names}", highlight=False, soft_wrap=True)
    if not gaps:
        out.print("  nothing")
    if s["next"]:
        out.print("[bold]next[/]")
        for step in s["next"]:
            out.print(f"  {step}", highlight=False, soft_wrap=True)
