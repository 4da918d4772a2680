"""The 叫应 ledger: a warning's deliveries per person, in the order a duty officer works them
(the silent first, the overdue among them first), and as CSV for spreadsheets."""

from __future__ import annotations

from backend.i18n import BEIJING, excel_csv

STATES = ("escalated", "overdue", "failed", "pending", "sent", "delivered", "acknowledged")

ROLE_ZH = {
    "county_duty": "县值班员",
    "township_leader": "乡镇责任人",
    "village_head": "村责任人",
    "grid_worker": "网格员",
    "monitor": "监测员",
}
STATE_ZH = {
    "escalated": "已上报",
    "overdue": "超时未应",
    "failed": "发送失败",
    "pending": "待发送",
    "sent": "已发送",
    "delivered": "已送达",
    "acknowledged": "已叫应",
}

COLUMNS = (
    ("township_code", "乡镇代码", "township code"),
    ("township", "乡镇", "township"),
    ("village", "村（社区）", "village"),
    ("name", "姓名", "name"),
    ("role", "类别", "role"),
    ("title", "职务", "title"),
    ("phone", "电话", "phone"),
    ("channel", "渠道", "channel"),
    ("state", "状态", "state"),
    ("sent_at", "发送时间（北京时间）", "sent (Beijing time)"),
    ("delivered_at", "送达时间（北京时间）", "delivered (Beijing time)"),
    ("acked_at", "叫应时间（北京时间）", "acknowledged (Beijing time)"),
    ("resent_at", "再次发送（北京时间）", "resent (Beijing time)"),
    ("escalated_at", "上报时间（北京时间）", "escalated (Beijing time)"),
    ("attempts", "发送次数", "attempts"),
)


def state_of(p: dict) -> str:
    """One word for a person's delivery: acknowledged, escalated, overdue, failed, pending, delivered
    or sent (the first that holds, from the ledger's point of view)."""
    if p["acked_at"] is not None:
        return "acknowledged"
    if p["escalated_at"] is not None:
        return "escalated"
    if p["overdue"]:
        return "overdue"
    if p["status"] == "failed":
        return "failed"
    if p["delivered_at"] is not None:
        return "delivered"
    if p["sent_at"] is not None:
        return "sent"
    return "pending"


def ordered(persons: list[dict]) -> list[dict]:
    """Not yet acknowledged first (escalated, overdue, failed … ), then by township and role."""
    rank = {s: i for i, s in enumerate(STATES)}
    rows = [p | {"state": state_of(p)} for p in persons]
    return sorted(
        rows, key=lambda p: (rank[p["state"]], p["township_code"] or "", p["role"] or "", p["code"] or "")
    )


def _when(t) -> str | None:
    return t.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if t is not None else None


def ledger_csv(persons: list[dict], lang: str = "zh") -> str:
    """The ledger as CSV (UTF-8 with BOM, CRLF): column names and words in ``lang``; times in
    Beijing time as ``YYYY-MM-DD HH:MM`` (sortable in a spreadsheet)."""
    zh = lang == "zh"
    header = [c[1] if zh else c[2] for c in COLUMNS]

    def cell(p: dict, key: str):
        v = p.get(key)
        if key.endswith("_at"):
            return _when(v)
        if zh and key == "role":
            return ROLE_ZH.get(v, v)
        if zh and key == "state":
            return STATE_ZH.get(v, v)
        return v

    return excel_csv(header, ([cell(p, k) for k, *_ in COLUMNS] for p in ordered(persons)))
