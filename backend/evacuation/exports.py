"""A plan as GeoJSON, CSV and a printable per-township transfer sheet (HTML, A4)."""

from __future__ import annotations

import csv
import html
import io
import json

from sqlalchemy.orm import Session

from backend.evacuation.plan import get_plan, plan_rows

CSV_COLUMNS = (
    "township_code",
    "township",
    "village_code",
    "village",
    "persons",
    "elderly",
    "shelter_code",
    "shelter",
    "minutes",
    "route_km",
    "trips",
    "reason",
)


def plan_json(session: Session, plan_id: int) -> dict:
    plan = get_plan(session, plan_id)
    rows = plan_rows(session, plan_id)
    return {
        "id": plan.id,
        "run_id": plan.run_id,
        "created_at": plan.created_at,
        "options": plan.params,
        "totals": plan.totals,
        "assignments": [
            {k: v for k, v in r.items() if k != "geometry"} | {"route_km": _km(r)}
            for r in rows
            if r["shelter_code"]
        ],
        "unserved": [
            {
                k: r[k]
                for k in (
                    "township_code",
                    "township",
                    "village_code",
                    "village",
                    "persons",
                    "elderly",
                    "reason",
                )
            }
            for r in rows
            if not r["shelter_code"]
        ],
    }


def _km(r) -> float | None:
    return round(r["route_m"] / 1000, 2) if r["route_m"] is not None else None


def list_plans(session: Session, run_id: int | None, limit: int) -> list[dict]:
    from sqlalchemy import select

    from backend.models import EvacuationPlan

    q = select(EvacuationPlan).order_by(EvacuationPlan.id.desc()).limit(limit)
    if run_id is not None:
        q = q.where(EvacuationPlan.run_id == run_id)
    return [
        {"id": p.id, "run_id": p.run_id, "created_at": p.created_at, "totals": p.totals}
        for p in session.scalars(q)
    ]


def plan_geojson(session: Session, plan_id: int) -> dict:
    get_plan(session, plan_id)
    feats = [
        {
            "type": "Feature",
            "geometry": json.loads(r["geometry"]),
            "properties": {
                k: r[k]
                for k in (
                    "village",
                    "village_code",
                    "township",
                    "persons",
                    "elderly",
                    "trips",
                    "minutes",
                    "shelter",
                    "shelter_code",
                    "reason",
                )
            },
        }
        for r in plan_rows(session, plan_id)
        if r["geometry"]
    ]
    return {"type": "FeatureCollection", "plan_id": plan_id, "features": feats}


def plan_csv(session: Session, plan_id: int) -> str:
    get_plan(session, plan_id)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in plan_rows(session, plan_id):
        r = {**r, "route_km": _km(r)}
        w.writerow([r.get(c) if r.get(c) is not None else "" for c in CSV_COLUMNS])
    return buf.getvalue()


SHEET_CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; font-size: 10.5pt; color: #111; }
h1 { font-size: 15pt; margin: 0 0 4pt; }
h2 { font-size: 12.5pt; margin: 14pt 0 4pt; page-break-before: always; }
h2:first-of-type { page-break-before: auto; }
table { border-collapse: collapse; width: 100%; page-break-inside: auto; }
tr { page-break-inside: avoid; } th, td { border: 1px solid #555; padding: 2pt 4pt; vertical-align: top; }
th { background: #eee; } .num { text-align: right; } .unserved { color: #b00020; font-weight: bold; }
.meta { color: #444; margin-bottom: 6pt; }
"""


def plan_sheet(session: Session, plan_id: int, township: str | None = None, with_phones: bool = True) -> str:
    """Per-township transfer sheet (人员转移安排表): village, people, elderly, shelter, route,
    vehicles, the responsible persons and (``with_phones``) their phones."""
    from sqlalchemy import text

    plan = get_plan(session, plan_id)
    rows = [r for r in plan_rows(session, plan_id) if township is None or r["township_code"] == township]
    heads = {}
    for code, name, title, phone in session.execute(
        text(
            "SELECT v.code, r.name, r.title, r.phone FROM recipient r JOIN village v ON v.id = r.village_id "
            "WHERE r.role = 'village_head' ORDER BY r.code"
        )
    ).all():
        heads.setdefault(code, []).append(f"{name}（{title}）{phone if with_phones else ''}")
    e = html.escape
    out = [
        f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>人员转移安排表 · 方案 {plan.id}</title><style>{SHEET_CSS}</style></head><body>",
        f"<h1>人员转移安排表（方案 #{plan.id}，风险运算 #{plan.run_id}）</h1>",
        f"<div class='meta'>需转移 {plan.totals.get('people_to_move', 0):,} 人（其中老年人 "
        f"{plan.totals.get('elderly_to_move', 0):,} 人）· 已安排 {plan.totals.get('assigned', 0):,} 人 · "
        f"未能安置 {plan.totals.get('unserved', 0):,} 人 · 车次 {plan.totals.get('trips', 0):,} · "
        f"预计完成 {plan.totals.get('finish_minutes', 0):.0f} 分钟</div>",
    ]
    by_town: dict[str, list[dict]] = {}
    for r in rows:
        by_town.setdefault(f"{r['township']}（{r['township_code']}）", []).append(r)
    for town, items in by_town.items():
        out.append(
            f"<h2>{e(town)}</h2><table><thead><tr><th>村（社区）</th><th>人数</th><th>老年人</th>"
            "<th>安置场所</th><th>路线</th><th>车辆</th><th>责任人及电话</th></tr></thead><tbody>"
        )
        for r in items:
            if r["shelter_code"]:
                route = f"约 {_km(r) or 0:.1f} 公里，{(r['minutes'] or 0):.0f} 分钟"
                vehicles = "步行" if r["reason"] == "walk" else f"大巴 {r['trips']} 车次"
                shelter = e(r["shelter"])
            else:
                route, vehicles = "—", "—"
                why = "无道路可达" if r["reason"] == "unreachable" else "容量不足"
                shelter = f"<span class='unserved'>未能安置：{why}</span>"
            out.append(
                f"<tr><td>{e(r['village'])}</td><td class='num'>{r['persons']:,}</td>"
                f"<td class='num'>{r['elderly']:,}</td><td>{shelter}</td><td>{route}</td>"
                f"<td>{vehicles}</td><td>{'<br>'.join(e(h) for h in heads.get(r['village_code'], []))}"
                "</td></tr>"
            )
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "".join(out)


def plan_changes(session: Session, plan_id: int, against: int | None = None) -> dict:
    """What changed against an earlier plan (default: the previous plan of the same run): villages
    sent elsewhere, in other numbers or by another route (minutes), and the change in totals."""
    from sqlalchemy import select

    from backend.models import EvacuationPlan

    plan = get_plan(session, plan_id)
    if against is None:
        against = session.scalar(
            select(EvacuationPlan.id)
            .where(EvacuationPlan.run_id == plan.run_id, EvacuationPlan.id < plan_id)
            .order_by(EvacuationPlan.id.desc())
            .limit(1)
        )
    if against is None:
        return {"plan": plan_id, "against": None, "villages": [], "totals": {}}
    old = get_plan(session, against)

    def by_village(pid):
        out: dict[str, dict] = {}
        for r in plan_rows(session, pid):
            v = out.setdefault(
                r["village_code"], {"village": r["village"], "township": r["township"], "to": {}}
            )
            minutes = round(r["minutes"], 1) if r["minutes"] is not None else None
            v["to"][r["shelter_code"] or "unserved"] = {"persons": r["persons"], "minutes": minutes}
        return out

    now, before = by_village(plan_id), by_village(against)
    changed = []
    for code in sorted(set(now) | set(before)):
        a, b = before.get(code, {}).get("to", {}), now.get(code, {}).get("to", {})
        if a != b:
            info = now.get(code) or before.get(code)
            changed.append(
                {
                    "village_code": code,
                    "village": info["village"],
                    "township": info["township"],
                    "before": a,
                    "after": b,
                }
            )
    numeric = [k for k, v in plan.totals.items() if isinstance(v, int | float)]
    deltas = {
        k: round(plan.totals[k] - old.totals.get(k, 0), 1)
        for k in numeric
        if plan.totals[k] != old.totals.get(k, 0)
    }
    return {"plan": plan_id, "against": against, "villages": changed, "totals": deltas}
