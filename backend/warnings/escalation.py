"""Chasing silence: expire warnings, resend at the deadline, escalate after a second one.

Deadlines by level come from the settings (red 15, orange 30, yellow 60, blue 120 minutes by
default) and count from the moment the message was issued. At the first deadline every
responsible person who has not acknowledged is marked overdue and, if the message reached
them, sent it again; after a second deadline the township's leaders and the county duty
officers are told who is still silent, with phone numbers, so they can call (电话叫应).
``now`` is a parameter: the periodic job passes the clock, tests pass any time they like.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.warnings.acks import deadlines_array
from backend.warnings.lifecycle import expire_due
from backend.warnings.outbox import choose_channel, enqueue, person_summary
from backend.warnings.texts import places_zh

MARK_OVERDUE = sa.text(
    """
    UPDATE delivery d SET resent_at = :now
    FROM warning w
    WHERE w.id = d.warning_id AND w.status = 'issued' AND w.expires > :now
      AND d.channel <> 'broadcast' AND d.acked_at IS NULL AND d.resent_at IS NULL
      AND w.issued_at + make_interval(secs => 60 * (CAST(:deadlines AS float8[]))[w.level]) <= :now
    RETURNING d.id, d.warning_id, d.channel, d.status, d.recipient_id
    """
)

ESCALATE = sa.text(
    """
    UPDATE delivery d SET escalated_at = :now
    FROM warning w
    WHERE w.id = d.warning_id AND w.status = 'issued' AND w.expires > :now
      AND d.channel <> 'broadcast' AND d.acked_at IS NULL AND d.resent_at IS NOT NULL
      AND d.escalated_at IS NULL
      AND w.issued_at + 2 * make_interval(secs => 60 * (CAST(:deadlines AS float8[]))[w.level]) <= :now
    RETURNING d.id
    """
)

PEOPLE = sa.text(
    """
    SELECT d.id AS delivery_id, d.warning_id, r.id, r.code, r.name, r.role, r.title, r.phone, r.email,
           v.name AS village, t.id AS township_id, t.name AS township
    FROM delivery d
    JOIN recipient r ON r.id = d.recipient_id
    LEFT JOIN village v ON v.id = r.village_id
    JOIN township t ON t.id = coalesce(v.township_id, r.township_id)
    WHERE d.id = ANY(:ids)
    ORDER BY t.code, r.code
    """
)

TARGETS = sa.text(
    """
    SELECT r.id, r.code, r.name, r.role, r.title, r.phone, r.email, r.township_id
    FROM recipient r
    WHERE r.active AND (r.role = 'county_duty' OR (r.role = 'township_leader' AND r.township_id = ANY(:t)))
    ORDER BY r.id
    """
)


def chase_overdue(session: Session, settings: Settings, now: datetime) -> dict:
    """One round of chasing at time ``now``, in the caller's transaction."""
    expired = expire_due(session, now)
    deadlines = deadlines_array(settings)
    overdue = session.execute(MARK_OVERDUE, {"now": now, "deadlines": deadlines}).all()
    reached = [d.id for d in overdue if d.status in ("delivered", "acknowledged")]
    messages = []
    for p in session.execute(PEOPLE, {"ids": reached}):
        channel, address = choose_channel(settings, p)
        if address is None:
            continue
        key = f"w{p.warning_id}-d{p.delivery_id}-resend"
        messages.append(
            {
                "kind": "resend",
                "idempotency_key": key,
                "warning_id": p.warning_id,
                "delivery_id": p.delivery_id,
                "payload": {
                    "channel": channel,
                    "address": address,
                    "key": key,
                    "recipient": person_summary(p),
                },
            }
        )
    escalated = [r.id for r in session.execute(ESCALATE, {"now": now, "deadlines": deadlines})]
    messages += escalation_messages(session, settings, escalated, now)
    enqueue(session, settings, messages)
    return {
        "expired": len(expired),
        "overdue": len(overdue),
        "resent": len(reached),
        "escalated": len(escalated),
        "escalation_messages": sum(m["kind"] == "escalation" for m in messages),
    }


def silent_entry(p) -> dict:
    return {
        "code": p.code,
        "name": p.name,
        "role": p.role,
        "title": p.title,
        "phone": p.phone,
        "village": p.village,
        "township": p.township,
    }


def escalation_messages(
    session: Session, settings: Settings, delivery_ids: list[int], now: datetime
) -> list[dict]:
    """Per warning: each township leader hears of their township's silent persons; each county
    duty officer hears of all of them."""
    if not delivery_ids:
        return []
    by_warning: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    names: dict[int, str] = {}
    for p in session.execute(PEOPLE, {"ids": delivery_ids}):
        by_warning[p.warning_id][p.township_id].append(silent_entry(p))
        names[p.township_id] = p.township
    stamp = now.strftime("%Y%m%d%H%M%S")
    out = []
    for warning_id, towns in by_warning.items():
        for target in session.execute(TARGETS, {"t": list(towns)}):
            if target.role == "county_duty":
                silent = [p for ps in towns.values() for p in ps]
                area = places_zh([names[t] for t in towns])
            else:
                silent, area = towns[target.township_id], names[target.township_id]
            channel, address = choose_channel(settings, target)
            if address is None:
                continue
            key = f"w{warning_id}-esc-{target.code}-{stamp}"
            out.append(
                {
                    "kind": "escalation",
                    "idempotency_key": key,
                    "warning_id": warning_id,
                    "delivery_id": None,
                    "payload": {
                        "channel": channel,
                        "address": address,
                        "key": key,
                        "township": area,
                        "recipient": person_summary(target),
                        "silent": silent,
                    },
                }
            )
    return out
