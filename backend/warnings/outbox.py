"""Writing to the outbox: deliveries for an issued warning, notices, resends and escalations.

Everything here runs in the caller's transaction and queues its send jobs in it too
(:func:`backend.dispatch.queue.defer`), so nothing is half-issued.
Rows are written in bulk: issuing to a county's ≈1,500 responsible persons is a handful of
statements, not thousands.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.dispatch import queue
from backend.dispatch.queue import runtime_secret
from backend.models import Delivery, Outbox
from backend.warnings.acks import ack_token, token_hash

RECIPIENTS = sa.text(
    """
    SELECT r.id, r.code, r.name, r.role, r.title, r.phone, r.email, t.name AS township,
           v.name AS village, coalesce(r.township_id, v.township_id) AS township_id, r.village_id
    FROM recipient r
    LEFT JOIN village v ON v.id = r.village_id
    LEFT JOIN township t ON t.id = coalesce(r.township_id, v.township_id)
    WHERE r.active
      AND ((r.role = 'township_leader' AND r.township_id = ANY(:townships))
           OR (r.village_id IS NOT NULL AND v.township_id = ANY(:townships)))
    ORDER BY r.id
    """
)

SEND_TASK = "send_message"  # the job backend.warnings.jobs registers
SEND_QUEUE = "dispatch"

VILLAGES = sa.text("SELECT id, code, name FROM village WHERE township_id = ANY(:townships) ORDER BY id")


def choose_channel(settings: Settings, person) -> tuple[str, str | None]:
    """The first channel of ``person_channels`` the record allows, and its address."""
    for channel in settings.channel_order:
        if channel == "email" and person.email:
            return "email", person.email
        if channel == "sms" and person.phone:
            return "sms", person.phone
        if channel == "webhook" and settings.webhook_url:
            return "webhook", settings.webhook_url
    return (settings.channel_order or ("sms",))[0], None


def person_summary(p) -> dict:
    return {"code": p.code, "name": p.name, "role": p.role, "title": p.title, "phone": p.phone}


def enqueue(session: Session, settings: Settings, rows: list[dict]) -> list[int]:
    """Insert outbox rows (a known idempotency key is skipped) and queue their send jobs."""
    ids: list[int] = []
    if rows:
        # executemany with one cached statement (SQLAlchemy's insertmanyvalues batches it), not one
        # huge VALUES list compiled afresh for every warning
        stmt = (
            pg_insert(Outbox.__table__)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(Outbox.__table__.c.id)
        )
        ids = list(session.execute(stmt, rows).scalars())
    job_ids = queue.defer(session, settings, SEND_TASK, SEND_QUEUE, [{"outbox_id": i} for i in ids])
    if ids:
        session.execute(
            sa.text(
                "UPDATE outbox o SET job_id = j.job_id FROM unnest(CAST(:ids AS bigint[]), "
                "CAST(:jobs AS bigint[])) AS j(id, job_id) WHERE o.id = j.id"
            ),
            {"ids": ids, "jobs": job_ids},
        )
    return ids


def next_ids(session: Session, sequence: str, n: int) -> list[int]:
    return list(
        session.scalars(
            sa.text("SELECT nextval(CAST(:seq AS regclass)) FROM generate_series(1, :n)"),
            {"seq": sequence, "n": n},
        )
    )


def disseminate(session: Session, settings: Settings, warning_id: int, township_ids: list[int]) -> dict:
    """One delivery per responsible person of the townships (with a 叫应 token) and one
    broadcast entry per village, each with its alert message in the outbox."""
    secret = runtime_secret(settings)
    people = session.execute(RECIPIENTS, {"townships": township_ids}).all()
    villages = session.execute(VILLAGES, {"townships": township_ids}).all()
    ids = next_ids(session, "delivery_id_seq", len(people) + len(villages))
    deliveries, messages = [], []
    unreachable = 0
    for did, p in zip(ids, people, strict=False):
        channel, address = choose_channel(settings, p)
        row = {
            "id": did,
            "warning_id": warning_id,
            "recipient_id": p.id,
            "village_id": p.village_id,
            "channel": channel,
            "status": "pending",
            "attempts": 0,
            "ack_token_hash": token_hash(ack_token(secret, did)),
        }
        if address is None:
            unreachable += 1
            row.update(status="failed", last_error=f"no address for channels {settings.person_channels}")
        else:
            messages.append(
                {
                    "kind": "alert",
                    "idempotency_key": f"w{warning_id}-d{did}-alert",
                    "warning_id": warning_id,
                    "delivery_id": did,
                    "payload": {
                        "channel": channel,
                        "address": address,
                        "key": f"w{warning_id}-d{did}-alert",
                        "recipient": person_summary(p),
                    },
                }
            )
        deliveries.append(row)
    for did, v in zip(ids[len(people) :], villages, strict=True):
        deliveries.append(
            {
                "id": did,
                "warning_id": warning_id,
                "recipient_id": None,
                "village_id": v.id,
                "channel": "broadcast",
                "status": "pending",
                "attempts": 0,
                "ack_token_hash": None,
            }
        )
        key = f"w{warning_id}-d{did}-broadcast"
        messages.append(
            {
                "kind": "alert",
                "idempotency_key": key,
                "warning_id": warning_id,
                "delivery_id": did,
                "payload": {"channel": "broadcast", "address": v.code, "key": key, "village_name": v.name},
            }
        )
    if deliveries:
        session.execute(sa.insert(Delivery), deliveries)
    enqueue(session, settings, messages)
    return {
        "recipients": len(people),
        "unreachable": unreachable,
        "broadcast_villages": len(villages),
        "messages": len(messages),
    }


def notify_cancel(session: Session, settings: Settings, original_id: int, cancel_id: int) -> int:
    """Tell everyone who was sent the cancelled warning that it no longer stands (解除)."""
    rows = session.execute(
        sa.text(
            """
            SELECT d.id, d.channel, r.code, r.name, r.role, r.title, r.phone, r.email
            FROM delivery d JOIN recipient r ON r.id = d.recipient_id
            WHERE d.warning_id = :w AND d.channel <> 'broadcast' AND d.status <> 'failed'
            ORDER BY d.id
            """
        ),
        {"w": original_id},
    ).all()
    messages = []
    for d in rows:
        address = {"email": d.email, "sms": d.phone, "webhook": settings.webhook_url}.get(d.channel)
        if not address:
            continue
        key = f"w{cancel_id}-d{d.id}-cancel"
        messages.append(
            {
                "kind": "cancel_notice",
                "idempotency_key": key,
                "warning_id": cancel_id,
                "delivery_id": None,
                "payload": {
                    "channel": d.channel,
                    "address": address,
                    "key": key,
                    "recipient": person_summary(d),
                },
            }
        )
    return len(enqueue(session, settings, messages))
