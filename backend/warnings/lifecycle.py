"""The warning lifecycle: drafts, issue, update, cancel, expiry (proposals: :mod:`.proposals`).

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

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import Conflict, InvalidInput
from backend.models import AppUser, RiskRun, Township, Warning, WarningTownship
from backend.models.audit import audit
from backend.warnings import cap
from backend.warnings.outbox import disseminate, notify_cancel
from backend.warnings.reading import get_warning, townships_of
from backend.warnings.texts import (
    default_description,
    default_instruction,
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
    # the texts go out as e-mail subjects, SMS and CAP XML: the headline one line, no control characters
    for name, value, allowed in (
        ("headline", headline, ""),
        ("description", description, "\t\n\r"),
        ("instruction", instruction, "\t\n\r"),
    ):
        bad = next((i for i, c in enumerate(value or "") if is_control(c) and c not in allowed), None)
        if bad is not None:
            what = (
                "a line break" if value[bad] in "\n\r" else f"a control character (U+{ord(value[bad]):04X})"
            )
            raise InvalidInput(f"{name} contains {what} at character {bad + 1}; remove it")


def is_control(c: str) -> bool:
    return c < " " or "\x7f" <= c <= "\x9f"


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
