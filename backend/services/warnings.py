"""The warning lifecycle: proposals from a run, drafts, issue, update, cancel, expiry; CAP and Atom.

draft → issued → (updated: a new message that references it) → cancelled, or expired at
``expires``. Issued messages are never edited in place: an update is a new warning row with
``msg_type`` Update and ``references_id`` the message it replaces (which becomes ``updated``);
a cancellation is a new row with ``msg_type`` Cancel (status ``cancelled``) and the original
becomes ``cancelled``. Issuing writes every delivery and queues every message in the same
transaction. Every state change is in the audit log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

import shapely
import sqlalchemy as sa
from geoalchemy2.shape import to_shape
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import Conflict, InvalidInput, NotFound
from backend.models import AppUser, RiskRun, Township, TownshipRisk, Warning, WarningTownship
from backend.services import cap
from backend.services.auth import audit
from backend.services.dispatch.outbox import disseminate, notify_cancel
from backend.services.warning_texts import (
    EVENT_EN,
    WORDING,
    default_description,
    default_instruction,
    headline_en,
    headline_zh,
)
from pipelines.levels import HAZARD_ZH, HAZARDS, LEVELS

EDITABLE = ("hazard", "level", "headline", "description", "instruction", "onset", "expires", "township_codes")
MAX_HEADLINE = 200


@dataclass
class DraftInput:
    hazard: str
    level: int
    township_codes: list[str]
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    run_id: int | None = None
    extra: dict = field(default_factory=dict)


# ---- reading ------------------------------------------------------------------------------------


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


# ---- drafting -----------------------------------------------------------------------------------


def resolve_townships(session: Session, codes: list[str]) -> list[Township]:
    if not codes:
        raise InvalidInput("township_codes: name at least one township (12-digit code)")
    wanted = list(dict.fromkeys(codes))
    found = {t.code: t for t in session.scalars(sa.select(Township).where(Township.code.in_(wanted)))}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise InvalidInput(f"township_codes: unknown township code(s) {', '.join(unknown)}")
    return [found[c] for c in wanted]


def check_values(hazard: str, level: int, onset: datetime, expires: datetime, now: datetime) -> None:
    if hazard not in HAZARDS:
        raise InvalidInput(f"hazard must be one of {', '.join(HAZARDS)}; got {hazard!r}")
    if not isinstance(level, int) or level not in (1, 2, 3, 4):
        raise InvalidInput(f"level must be 1 (blue), 2 (yellow), 3 (orange) or 4 (red); got {level!r}")
    if onset.tzinfo is None or expires.tzinfo is None:
        raise InvalidInput("onset and expires need a time zone offset, e.g. 2026-10-26T08:00:00+08:00")
    if expires <= onset:
        raise InvalidInput(f"expires ({expires.isoformat()}) must be after onset ({onset.isoformat()})")
    if expires <= now:
        raise InvalidInput(f"expires ({expires.isoformat()}) is in the past")


def check_texts(headline: str, description: str | None, instruction: str | None) -> None:
    if not headline or not headline.strip():
        raise InvalidInput("headline must not be empty")
    if len(headline) > MAX_HEADLINE:
        raise InvalidInput(f"headline is {len(headline)} characters; at most {MAX_HEADLINE}")
    for name, value in (("description", description), ("instruction", instruction)):
        if value is not None and len(value) > 4000:
            raise InvalidInput(f"{name} is longer than 4,000 characters")


def create_draft(
    session: Session, settings: Settings, d: DraftInput, actor: AppUser, now: datetime
) -> Warning:
    towns = resolve_townships(session, d.township_codes)
    onset = d.onset or now
    expires = d.expires or onset + timedelta(hours=settings.default_validity_h)
    check_values(d.hazard, d.level, onset, expires, now)
    names = [t.name for t in towns]
    headline = d.headline or headline_zh(settings.issuer_name, d.hazard, d.level, names)
    description = d.description or default_description(d.hazard, d.level, names)
    instruction = d.instruction or default_instruction(d.hazard, d.level)
    check_texts(headline, description, instruction)
    if d.run_id is not None and session.get(RiskRun, d.run_id) is None:
        raise InvalidInput(f"run_id: no run {d.run_id}")
    w = Warning(
        identifier=f"urn:uuid:{uuid.uuid4()}",
        hazard=d.hazard,
        level=d.level,
        status="draft",
        msg_type="Alert",
        headline=headline,
        description=description,
        instruction=instruction,
        onset=onset,
        expires=expires,
        run_id=d.run_id,
    )
    session.add(w)
    session.flush()
    session.add_all([WarningTownship(warning_id=w.id, township_id=t.id) for t in towns])
    audit(session, actor.username, "warning.draft", "warning", w.id, None, snapshot(w, names))
    return w


def snapshot(w: Warning, township_names: list[str] | None = None) -> dict:
    out = {
        k: getattr(w, k) for k in ("status", "msg_type", "hazard", "level", "headline", "onset", "expires")
    }
    if township_names is not None:
        out["townships"] = township_names
    return out


def propose_from_run(
    session: Session, settings: Settings, run_id: int, min_level: int, actor: AppUser, now: datetime
) -> dict:
    """One draft per township and hazard at or above ``min_level`` in the run, worded from the
    templates, valid for the run's window (or ``default_validity_h`` from now when it is over).
    A township and hazard that already has a draft or an active warning is skipped."""
    if min_level not in (1, 2, 3, 4):
        raise InvalidInput(f"min_level must be 1 (blue) … 4 (red); got {min_level}")
    run = session.get(RiskRun, run_id)
    if run is None:
        raise NotFound(f"no run {run_id}")
    if run.status != "published":
        raise Conflict(f"run {run_id} is {run.status}; proposals need a published run")
    onset = max(run.valid_from, now) if run.valid_from else now
    expires = run.valid_to if run.valid_to and run.valid_to > onset + timedelta(hours=1) else None
    expires = expires or onset + timedelta(hours=settings.default_validity_h)
    taken = {
        (tid, hz)
        for tid, hz in session.execute(
            sa.select(WarningTownship.township_id, Warning.hazard)
            .join(Warning, Warning.id == WarningTownship.warning_id)
            .where(
                sa.or_(Warning.status == "draft", sa.and_(Warning.status == "issued", Warning.expires > now))
            )
        )
    }
    rows = session.execute(
        sa.select(TownshipRisk, Township)
        .join(Township, Township.id == TownshipRisk.township_id)
        .where(
            TownshipRisk.run_id == run_id,
            TownshipRisk.hazard.in_(HAZARDS),
            TownshipRisk.level >= min_level,
        )
        .order_by(TownshipRisk.level.desc(), Township.code, TownshipRisk.hazard)
    ).all()
    created, skipped = [], []
    for tr, town in rows:
        if (town.id, tr.hazard) in taken:
            skipped.append(
                {"township": town.code, "hazard": tr.hazard, "reason": "a draft or active warning exists"}
            )
            continue
        share = sum(getattr(tr, f"area_share_{k}") for k in range(tr.level, 5))
        exposed = sum(getattr(tr, f"exposed_{k}") for k in range(tr.level, 5))
        detail = (
            f"据风险研判（第{run.id}次计算），{town.name}约{share:.0%}的面积达{LEVELS[tr.level].zh}色及以上，"
            f"涉及人口约{exposed:,}人。"
        )
        w = create_draft(
            session,
            settings,
            DraftInput(
                hazard=tr.hazard,
                level=tr.level,
                township_codes=[town.code],
                description=default_description(tr.hazard, tr.level, [town.name], detail),
                onset=onset,
                expires=expires,
                run_id=run.id,
            ),
            actor,
            now,
        )
        created.append(w)
    return {"created": created, "skipped": skipped}


def edit_draft(
    session: Session, settings: Settings, warning_id: int, changes: dict, actor: AppUser, now: datetime
):
    w = get_warning(session, warning_id, lock=True)
    if w.status != "draft":
        raise Conflict(
            f"warning {w.id} is {w.status}: issued messages are never edited in place; "
            f"POST /api/warnings/{w.id}/update sends an Update instead"
        )
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))}")
    before = snapshot(w)
    towns = townships_of(session, [w.id])[w.id]
    if "township_codes" in changes:
        towns = resolve_townships(session, changes.pop("township_codes"))
        session.execute(sa.delete(WarningTownship).where(WarningTownship.warning_id == w.id))
        session.add_all([WarningTownship(warning_id=w.id, township_id=t.id) for t in towns])
    for key, value in changes.items():
        setattr(w, key, value)
    check_values(w.hazard, w.level, w.onset, w.expires, now)
    check_texts(w.headline, w.description, w.instruction)
    session.flush()
    audit(
        session, actor.username, "warning.edit", "warning", w.id, before, snapshot(w, [t.name for t in towns])
    )
    return w


def discard_draft(session: Session, warning_id: int, actor: AppUser) -> None:
    w = get_warning(session, warning_id, lock=True)
    if w.status != "draft":
        raise Conflict(f"warning {w.id} is {w.status}; only drafts can be discarded (cancel an issued one)")
    audit(session, actor.username, "warning.discard", "warning", w.id, snapshot(w), None)
    session.delete(w)
    session.flush()


# ---- issuing --------------------------------------------------------------------------------------


def issue(
    session: Session, settings: Settings, warning_id: int, actor: AppUser, now: datetime
) -> tuple[Warning, dict]:
    w = get_warning(session, warning_id, lock=True)
    if w.status == "cancelled":
        raise Conflict(
            f"warning {w.id} was cancelled; a cancelled warning cannot be issued again — draft a new one"
        )
    if w.status != "draft":
        raise Conflict(f"warning {w.id} is {w.status}; only a draft can be issued")
    if w.expires <= now:
        raise Conflict(f"warning {w.id} expired at {w.expires.isoformat()}; change expires before issuing")
    before = snapshot(w)
    w.status, w.issued_at, w.issued_by = "issued", now, actor.id
    session.flush()
    township_ids = [t.id for t in townships_of(session, [w.id])[w.id]]
    counts = disseminate(session, settings, w.id, township_ids)
    audit(
        session,
        actor.username,
        "warning.issue",
        "warning",
        w.id,
        before,
        snapshot(w) | {"dissemination": counts},
    )
    return w, counts


def active_or_conflict(w: Warning, now: datetime, verb: str) -> None:
    if w.status == "issued" and w.expires <= now:
        raise Conflict(f"warning {w.id} expired at {w.expires.isoformat()}; it cannot be {verb}")
    if w.status != "issued":
        hint = " (update or cancel the newest message of the chain)" if w.status == "updated" else ""
        raise Conflict(f"warning {w.id} is {w.status}; only an issued, unexpired warning can be {verb}{hint}")


def update(
    session: Session, settings: Settings, warning_id: int, changes: dict, actor: AppUser, now: datetime
) -> tuple[Warning, dict]:
    """A new message (msgType Update) replacing an issued one; it goes to every recipient again."""
    old = get_warning(session, warning_id, lock=True)
    active_or_conflict(old, now, "updated")
    unknown = set(changes) - set(EDITABLE) - {"reason"}
    if unknown or "hazard" in changes:
        raise InvalidInput(
            f"an update cannot change {', '.join(sorted(unknown | ({'hazard'} & set(changes))))}"
        )
    towns = townships_of(session, [old.id])[old.id]
    if "township_codes" in changes:
        towns = resolve_townships(session, changes["township_codes"])
    names = [t.name for t in towns]
    level = changes.get("level", old.level)
    if level != old.level and "headline" not in changes:  # a new level gets the new level's wording
        defaults = {
            "headline": headline_zh(settings.issuer_name, old.hazard, level, names),
            "description": default_description(old.hazard, level, names, changes.get("reason") or ""),
            "instruction": default_instruction(old.hazard, level),
        }
    else:
        defaults = {"headline": old.headline, "description": old.description, "instruction": old.instruction}
    new = Warning(
        identifier=f"urn:uuid:{uuid.uuid4()}",
        hazard=old.hazard,
        level=level,
        status="issued",
        msg_type="Update",
        headline=changes.get("headline") or defaults["headline"],
        description=changes.get("description") or defaults["description"],
        instruction=changes.get("instruction") or defaults["instruction"],
        onset=changes.get("onset") or old.onset,
        expires=changes.get("expires") or old.expires,
        run_id=old.run_id,
        references_id=old.id,
        issued_at=now,
        issued_by=actor.id,
    )
    check_values(new.hazard, new.level, new.onset, new.expires, now)
    check_texts(new.headline, new.description, new.instruction)
    old.status, old.updated_at = "updated", now
    session.add(new)
    session.flush()
    session.add_all([WarningTownship(warning_id=new.id, township_id=t.id) for t in towns])
    session.flush()
    counts = disseminate(session, settings, new.id, [t.id for t in towns])
    audit(
        session, actor.username, "warning.update", "warning", old.id, snapshot(old), {"replaced_by": new.id}
    )
    audit(
        session,
        actor.username,
        "warning.issue",
        "warning",
        new.id,
        None,
        snapshot(new, names) | {"dissemination": counts},
    )
    return new, counts


def cancel(
    session: Session,
    settings: Settings,
    warning_id: int,
    actor: AppUser,
    now: datetime,
    reason: str | None = None,
) -> tuple[Warning, int]:
    """Cancel an issued warning: a Cancel message (解除) referencing it, sent to everyone it reached."""
    old = get_warning(session, warning_id, lock=True)
    if old.status == "draft":
        raise Conflict(f"warning {old.id} is a draft: discard it (DELETE /api/warnings/{old.id}) instead")
    active_or_conflict(old, now, "cancelled")
    towns = townships_of(session, [old.id])[old.id]
    event = f"{HAZARD_ZH[old.hazard]}{LEVELS[old.level].zh}色预警"
    places = "、".join(t.name for t in towns[:3]) + ("等" if len(towns) > 3 else "")
    msg = Warning(
        identifier=f"urn:uuid:{uuid.uuid4()}",
        hazard=old.hazard,
        level=old.level,
        status="cancelled",
        msg_type="Cancel",
        headline=f"{settings.issuer_name}解除{places}{event}",
        description=(reason or "风险已降低，") + f"{event}于{cap.cap_time(now)}解除。",
        instruction="解除预警后，已转移人员须经村（社区）确认安全后方可返回。",
        onset=now,
        expires=old.expires,
        run_id=old.run_id,
        references_id=old.id,
        issued_at=now,
        issued_by=actor.id,
        cancelled_at=now,
    )
    before = snapshot(old)
    old.status, old.cancelled_at = "cancelled", now
    session.add(msg)
    session.flush()
    session.add_all([WarningTownship(warning_id=msg.id, township_id=t.id) for t in towns])
    session.flush()
    notices = notify_cancel(session, settings, old.id, msg.id)
    audit(
        session,
        actor.username,
        "warning.cancel",
        "warning",
        old.id,
        before,
        snapshot(old) | {"cancel_message": msg.id, "reason": reason, "notices": notices},
    )
    return msg, notices


def expire_due(session: Session, now: datetime) -> list[int]:
    ids = list(
        session.scalars(
            sa.update(Warning)
            .where(Warning.status == "issued", Warning.expires <= now)
            .values(status="expired")
            .returning(Warning.id)
        )
    )
    for wid in ids:
        audit(
            session, "system", "warning.expire", "warning", wid, {"status": "issued"}, {"status": "expired"}
        )
    return ids


# ---- CAP and Atom ---------------------------------------------------------------------------------


def chain_references(session: Session, w: Warning, sender: str) -> tuple[cap.Reference, ...]:
    """Every earlier message of the chain, oldest first (CAP: all messages this one supersedes)."""
    refs = []
    ref_id = w.references_id
    while ref_id is not None:
        r = session.get(Warning, ref_id)
        refs.append(cap.Reference(sender, r.identifier, r.issued_at or r.created_at))
        ref_id = r.references_id
    return tuple(reversed(refs))


def cap_document(session: Session, settings: Settings, w: Warning, base_url: str) -> bytes:
    towns = session.execute(
        sa.select(Township.code, Township.name, Township.geom)
        .join(WarningTownship, WarningTownship.township_id == Township.id)
        .where(WarningTownship.warning_id == w.id)
        .order_by(Township.code)
    ).all()
    wording = WORDING[w.hazard][w.level]
    sent = w.issued_at or w.created_at
    english = cap.Text(
        "en",
        ("Cancelled: " if w.msg_type == "Cancel" else "") + headline_en(w.hazard, w.level, len(towns)),
        ("The warning is lifted. " if w.msg_type == "Cancel" else "") + wording.meaning_en,
        "Return only when your village confirms it is safe."
        if w.msg_type == "Cancel"
        else wording.instruction_en,
    )
    alert = cap.CapAlert(
        identifier=w.identifier,
        sender=settings.cap_sender,
        sent=sent,
        msg_type=w.msg_type,
        hazard=w.hazard,
        level=w.level,
        effective=sent,
        onset=w.onset,
        expires=w.expires,
        texts=(cap.Text("zh-CN", w.headline, w.description or "", w.instruction or ""), english),
        areas=tuple(cap.Area(name, shapely.make_valid(to_shape(geom)), code) for code, name, geom in towns),
        references=chain_references(session, w, settings.cap_sender),
        status="Draft" if w.status == "draft" else "Actual",
        web=f"{base_url.rstrip('/')}/#warning={w.id}",
        extra_params={"riskmap:warning_id": str(w.id), "riskmap:event_en": EVENT_EN[w.hazard]},
    )
    return cap.build_cap(alert)


ATOM = "http://www.w3.org/2005/Atom"


def feed_entries(session: Session, now: datetime) -> list[Warning]:
    """Active alerts and updates, and cancellations of warnings that would still be running."""
    return list(
        session.scalars(
            sa.select(Warning)
            .where(
                Warning.expires > now,
                sa.or_(
                    Warning.status == "issued",
                    sa.and_(Warning.status == "cancelled", Warning.msg_type == "Cancel"),
                ),
            )
            .order_by(Warning.issued_at.desc())
        )
    )


def atom_feed(session: Session, settings: Settings, now: datetime, base_url: str) -> bytes:
    base = base_url.rstrip("/")
    ET.register_namespace("", ATOM)

    def sub(parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    entries = feed_entries(session, now)
    root = ET.Element(f"{{{ATOM}}}feed")
    sub(root, "id", f"{base}/api/warnings/feed.atom")
    sub(root, "title", f"{settings.issuer_name} 预警信息 (CAP 1.2)")
    sub(root, "updated", cap.cap_time(max([e.issued_at for e in entries], default=now)))
    sub(root, "link", rel="self", href=f"{base}/api/warnings/feed.atom", type="application/atom+xml")
    author = sub(root, "author")
    sub(author, "name", settings.issuer_name)
    towns = townships_of(session, [e.id for e in entries])
    for w in entries:
        e = sub(root, "entry")
        sub(e, "id", w.identifier)
        sub(e, "title", w.headline)
        sub(e, "updated", cap.cap_time(w.issued_at))
        sub(e, "published", cap.cap_time(w.issued_at))
        sub(e, "summary", f"{w.msg_type}: {w.description or ''}")
        sub(e, "category", term=w.hazard, label=HAZARD_ZH[w.hazard])
        sub(
            e,
            "category",
            term=LEVELS[w.level].colour,
            label=f"{LEVELS[w.level].zh}色 {LEVELS[w.level].roman}",
        )
        for t in towns[w.id]:
            sub(e, "category", term=t.code, label=t.name, scheme="urn:riskmap:township")
        sub(e, "link", rel="alternate", type="application/cap+xml", href=f"{base}/api/warnings/{w.id}/cap")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
