"""Reading the audit log (``audit_log``, written by :func:`backend.models.audit.audit` in the
transaction of each change): filters by who, what and when, newest first, and CSV."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.errors import InvalidInput
from backend.i18n import BEIJING, excel_csv
from backend.models import AuditLog

MAX_ROWS = 10_000


def entries(
    session: Session,
    who: str | None = None,
    what: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[AuditLog], int]:
    """Entries newest first and how many match. ``who``: the actor (a part of the name, any
    case); ``what``: a part of the action or the entity (``user``, ``recipient.update``,
    ``warning``); ``since`` ≤ at < ``until``."""
    if since and until and since >= until:
        raise InvalidInput("since must be before until")
    where = []
    if who:
        where.append(AuditLog.actor.ilike(f"%{_like(who)}%", escape="\\"))
    if what:
        pattern = f"%{_like(what)}%"
        where.append(
            sa.or_(AuditLog.action.ilike(pattern, escape="\\"), AuditLog.entity.ilike(pattern, escape="\\"))
        )
    if since:
        where.append(AuditLog.at >= since)
    if until:
        where.append(AuditLog.at < until)
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(*where))
    rows = session.scalars(
        sa.select(AuditLog)
        .where(*where)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


def _like(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern (bound as a parameter, never formatted in)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def view(e: AuditLog) -> dict:
    return {
        "id": e.id,
        "at": e.at,
        "who": e.actor,
        "action": e.action,
        "entity": e.entity,
        "entity_id": e.entity_id,
        "before": e.before,
        "after": e.after,
    }


def audit_csv(rows: list[AuditLog], lang: str = "zh") -> str:
    """The entries as CSV (UTF-8 with BOM for Chinese Excel); times in Beijing time."""
    header = (
        ["时间（北京时间）", "操作人", "操作", "对象", "对象编号", "修改前", "修改后"]
        if lang == "zh"
        else ["time (Beijing)", "who", "action", "entity", "entity id", "before", "after"]
    )

    def js(v):
        return None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True)

    return excel_csv(
        header,
        (
            [
                e.at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor,
                e.action,
                e.entity,
                e.entity_id,
                js(e.before),
                js(e.after),
            ]
            for e in rows
        ),
    )
