"""A plan as GeoJSON, CSV and a printable per-township transfer sheet (HTML, A4)."""

from __future__ import annotations

import html
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
    """The assignments as CSV for spreadsheets (UTF-8 with a byte-order mark: Chinese Excel)."""
    from backend.i18n import excel_csv

    get_plan(session, plan_id)
    rows = ({**r, "route_km": _km(r)} for r in plan_rows(session, plan_id))
    return excel_csv(CSV_COLUMNS, ([r.get(c) for c in CSV_COLUMNS] for r in rows))


SHEET_CSS = """
@page { size: A4; margin: 16mm 12mm 18mm;
  @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页";
                   font-size: 9pt; color: #444; }
  @bottom-right { content: "人员转移安排表"; font-size: 9pt; color: #777; } }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; font-size: 10.5pt; color: #111;
       margin: 0; }
section.town { break-before: page; } section.town:first-of-type { break-before: auto; }
h1 { font-size: 15pt; margin: 0 0 4pt; }
table { border-collapse: collapse; width: 100%; }
thead { display: table-header-group; } tr { break-inside: avoid; }
th, td { border: 1px solid #555; padding: 2pt 4pt; vertical-align: top; }
th { background: #eee; white-space: nowrap; } .num { text-align: right; white-space: nowrap; }
.keep { white-space: nowrap; word-break: keep-all; } .unserved { color: #b00020; font-weight: bold; }
table.head { margin-bottom: 6pt; } table.head th { text-align: left; width: 6.5em; background: #f4f4f4; }
.sign { margin-top: 14pt; display: flex; gap: 18pt; flex-wrap: wrap; } .sign span { white-space: nowrap; }
"""


def _heads(session: Session, with_phones: bool) -> dict[str, list[tuple[str, str]]]:
    """Village code → the village heads as (name and title, phone)."""
    from sqlalchemy import text

    heads: dict[str, list[tuple[str, str]]] = {}
    for code, name, title, phone in session.execute(
        text(
            "SELECT v.code, r.name, r.title, r.phone FROM recipient r JOIN village v ON v.id = r.village_id "
            "WHERE r.role = 'village_head' AND r.active ORDER BY r.code"
        )
    ).all():
        who = f"{name}（{title}）" if title else name
        heads.setdefault(code, []).append((who, (phone or "") if with_phones else ""))
    return heads


def _town_totals(items: list[dict], finish_min: float | None) -> dict:
    served = [r for r in items if r["shelter_code"]]
    return {
        "villages": len({r["village_code"] for r in items}),
        "persons": sum(r["persons"] for r in items),
        "elderly": sum(r["elderly"] for r in items),
        "assigned": sum(r["persons"] for r in served),
        "unserved": sum(r["persons"] for r in items if not r["shelter_code"]),
        "trips": sum(r["trips"] or 0 for r in served),
        "walkers": sum(r["persons"] for r in served if r["reason"] == "walk"),
        "finish": finish_min or 0.0,
    }


def plan_sheet(session: Session, plan_id: int, township: str | None = None, with_phones: bool = True) -> str:
    """Per-township transfer sheet (人员转移安排表), one township per printed page run: a header
    with the township's own totals, the plan's issue time and the run's window (北京时间); then
    village, people, elderly, shelter, route, vehicles, the village heads and (``with_phones``)
    their phones; a reviewer line; page numbers from CSS @page counters. Names and phone numbers
    never break across lines."""
    from backend.i18n import beijing_span, beijing_time
    from backend.models import RiskRun

    plan = get_plan(session, plan_id)
    run = session.get(RiskRun, plan.run_id)
    rows = [r for r in plan_rows(session, plan_id) if township is None or r["township_code"] == township]
    heads = _heads(session, with_phones)
    finish = (plan.totals or {}).get("finish_minutes_by_township", {})
    e = html.escape
    issued = beijing_time(plan.created_at, "zh", year=True)
    window = beijing_span(run.valid_from, run.valid_to, "zh") if run else "—"
    by_town: dict[str, list[dict]] = {}
    for r in rows:
        by_town.setdefault(r["township_code"], []).append(r)
    out = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>人员转移安排表 · 方案 {plan.id}</title><style>{SHEET_CSS}</style></head><body>"
    ]
    if not by_town:
        out.append(f"<h1>人员转移安排表（方案 #{plan.id}）</h1><p>本方案在该范围内无需转移的村。</p>")
    for code, items in by_town.items():
        t = _town_totals(items, finish.get(code))
        out.append(
            f"<section class='town' data-township='{e(code)}'>"
            f"<h1>{e(items[0]['township'])}人员转移安排表</h1>"
            "<table class='head'><tbody>"
            f"<tr><th>乡镇</th><td class='keep'>{e(items[0]['township'])}（{e(code)}）</td>"
            f"<th>方案</th><td class='keep'>#{plan.id}（风险运算 #{plan.run_id}）</td></tr>"
            f"<tr><th>编制时间</th><td class='keep'>{e(issued)}</td>"
            f"<th>风险时段</th><td>{e(window)}</td></tr>"
            f"<tr><th>需转移</th><td>{t['persons']:,} 人（老年人 {t['elderly']:,} 人），"
            f"{t['villages']} 个村</td>"
            f"<th>已安排</th><td>{t['assigned']:,} 人（步行 {t['walkers']:,} 人）· 未能安置 "
            f"<b>{t['unserved']:,}</b> 人</td></tr>"
            f"<tr><th>车辆</th><td>大巴 {t['trips']:,} 车次</td>"
            f"<th>预计完成</th><td>{t['finish']:.0f} 分钟</td></tr>"
            "</tbody></table>"
            "<table class='rows'><thead><tr><th>村（社区）</th><th>人数</th><th>老年人</th>"
            "<th>安置场所</th><th>路线</th><th>车辆</th><th>村责任人</th><th>电话</th></tr></thead><tbody>"
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
            who = heads.get(r["village_code"], [])
            names = "<br>".join(f"<span class='keep'>{e(n)}</span>" for n, _ in who)
            phones = "<br>".join(f"<span class='keep'>{e(p)}</span>" for _, p in who)
            out.append(
                f"<tr><td class='keep'>{e(r['village'])}</td><td class='num'>{r['persons']:,}</td>"
                f"<td class='num'>{r['elderly']:,}</td><td>{shelter}</td><td class='keep'>{route}</td>"
                f"<td class='keep'>{vehicles}</td><td>{names}</td><td class='keep'>{phones}</td></tr>"
            )
        out.append(
            "</tbody></table><div class='sign'><span>编制：__________</span>"
            "<span>审核人：__________</span><span>签发人：__________</span>"
            "<span>日期：____年__月__日</span></div></section>"
        )
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
