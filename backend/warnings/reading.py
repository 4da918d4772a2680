"""Reading warnings: lookup, their townships, what replaced them, and the views the API answers."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.errors import NotFound
from backend.models import AppUser, Township, Warning, WarningTownship
from pipelines.levels import HAZARD_ZH, LEVELS


def get_warning(session: Session, warning_id: int, lock: bool = False) -> Warning:
    stmt = sa.select(Warning).where(Warning.id == warning_id)
    if lock:
        stmt = stmt.with_for_update()
    w = session.scalar(stmt)
    if w is None:
        raise NotFound(f"no warning {warning_id}")
    return w


def townships_of(session: Session, warning_ids: list[int]) -> dict[int, list[Township]]:
    out: dict[int, list[Township]] = {i: [] for i in warning_ids}
    rows = session.execute(
        sa.select(WarningTownship.warning_id, Township)
        .join(Township, Township.id == WarningTownship.township_id)
        .where(WarningTownship.warning_id.in_(warning_ids))
        .order_by(Township.code)
    )
    for wid, t in rows:
        out[wid].append(t)
    return out


def replaced_by(session: Session, warning_id: int) -> list[int]:
    """Messages (Update / Cancel) that reference this one."""
    stmt = sa.select(Warning.id).where(Warning.references_id == warning_id).order_by(Warning.id)
    return list(session.scalars(stmt))


def is_active(w: Warning, now: datetime) -> bool:
    return w.status == "issued" and w.expires > now


def view(
    w: Warning, townships: list[Township], now: datetime, usernames: dict[int, str] | None = None
) -> dict:
    lv = LEVELS[w.level]
    return {
        "id": w.id,
        "identifier": w.identifier,
        "msg_type": w.msg_type,
        "status": "expired" if w.status == "issued" and w.expires <= now else w.status,
        "active": is_active(w, now),
        "hazard": w.hazard,
        "hazard_zh": HAZARD_ZH[w.hazard],
        "level": w.level,
        "colour": lv.colour,
        "hex": lv.hex,
        "roman": lv.roman,
        "headline": w.headline,
        "description": w.description,
        "instruction": w.instruction,
        "onset": w.onset,
        "expires": w.expires,
        "run_id": w.run_id,
        "references_id": w.references_id,
        "townships": [{"code": t.code, "name": t.name} for t in townships],
        "issued_by": (usernames or {}).get(w.issued_by) if w.issued_by else None,
        "created_at": w.created_at,
        "issued_at": w.issued_at,
        "cancelled_at": w.cancelled_at,
    }


def views(session: Session, warnings: list[Warning], now: datetime) -> list[dict]:
    towns = townships_of(session, [w.id for w in warnings])
    issuers = {w.issued_by for w in warnings if w.issued_by}
    users = (
        dict(session.execute(sa.select(AppUser.id, AppUser.username).where(AppUser.id.in_(issuers))).all())
        if issuers
        else {}
    )
    return [view(w, towns[w.id], now, users) for w in warnings]


def list_warnings(
    session: Session, now: datetime, status: str | None = None, active: bool | None = None, limit: int = 200
) -> list[Warning]:
    stmt = sa.select(Warning).order_by(Warning.id.desc()).limit(limit)
    if status == "expired":
        stmt = stmt.where(
            sa.or_(Warning.status == "expired", sa.and_(Warning.status == "issued", Warning.expires <= now))
        )
    elif status == "issued":
        stmt = stmt.where(Warning.status == "issued", Warning.expires > now)
    elif status:
        stmt = stmt.where(Warning.status == status)
    if active:
        stmt = stmt.where(Warning.status == "issued", Warning.expires > now)
    return list(session.scalars(stmt))
