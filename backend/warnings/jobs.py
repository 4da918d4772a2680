"""The warning jobs: send one outbox message; chase unacknowledged deliveries every minute
(``RISKMAP_CHASE_EVERY_S``).

They register on the dispatch queue (:data:`backend.dispatch.queue.tasks`) when this module is
imported; the worker entry point (:mod:`backend.worker`) imports it.

:func:`deliver` is the whole of a send and knows nothing of procrastinate: it reads the row,
skips what is no longer needed (the warning was cancelled, updated or has expired; the person
acknowledged before a resend), sends, and records the outcome. A row that is no longer
``pending`` is never sent again, and counters move only on the transition out of ``pending``,
so a job that runs twice (a worker died after sending) cannot double-count; the receiver sees
the same idempotency key both times.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from backend.dispatch.channels import PermanentFailure, TemporaryFailure
from backend.dispatch.queue import Backoff, Runtime, backoff_s, every, runtime, tasks
from backend.warnings.acks import ack_token, deadline_min
from backend.warnings.escalation import chase_overdue
from backend.warnings.messages import compose
from backend.warnings.outbox import SEND_QUEUE, SEND_TASK

log = logging.getLogger("riskmap.dispatch")

LOAD = text(
    """
    SELECT o.id, o.kind, o.status, o.payload, o.attempts, o.delivery_id,
           w.id AS warning_id, w.identifier, w.msg_type, w.hazard, w.level, w.status AS warning_status,
           w.headline, w.description, w.instruction, w.onset, w.expires,
           d.acked_at,
           ARRAY(SELECT t.name FROM warning_township wt JOIN township t ON t.id = wt.township_id
                 WHERE wt.warning_id = w.id ORDER BY t.code) AS townships
    FROM outbox o
    JOIN warning w ON w.id = o.warning_id
    LEFT JOIN delivery d ON d.id = o.delivery_id
    WHERE o.id = :id
    """
)

SUCCEED = text(
    """
    WITH o AS (
        UPDATE outbox SET status = 'sent', sent_at = :now, attempts = attempts + 1, last_error = NULL
        WHERE id = :id AND status = 'pending'
        RETURNING delivery_id, kind
    )
    UPDATE delivery d
    SET sent_at = coalesce(d.sent_at, :now),
        delivered_at = coalesce(d.delivered_at, :now),
        status = CASE WHEN d.status = 'acknowledged' THEN d.status ELSE 'delivered' END,
        attempts = d.attempts + 1,
        last_error = NULL
    FROM o
    WHERE d.id = o.delivery_id AND o.kind IN ('alert', 'resend')
    """
)

FAIL = text(
    """
    WITH o AS (
        UPDATE outbox
        SET attempts = attempts + 1, last_error = :error, next_attempt_at = :next,
            status = coalesce(CAST(:final_status AS varchar), status)
        WHERE id = :id AND status = 'pending'
        RETURNING delivery_id, kind
    )
    UPDATE delivery d
    SET attempts = d.attempts + 1,
        last_error = :error,
        status = CASE WHEN :final_status IS NOT NULL AND d.status = 'pending' THEN 'failed' ELSE d.status END
    FROM o
    WHERE d.id = o.delivery_id AND o.kind IN ('alert', 'resend')
    """
)

SKIP = text("UPDATE outbox SET status = 'skipped', last_error = :why WHERE id = :id AND status = 'pending'")


def stale_reason(row, now: datetime) -> str | None:
    """Why a pending message should no longer go out, or None."""
    if row.kind in ("alert", "resend", "escalation"):
        if row.warning_status != "issued":
            return f"warning {row.warning_id} is {row.warning_status}"
        if row.expires <= now:
            return f"warning {row.warning_id} expired"
    if row.kind == "resend" and row.acked_at is not None:
        return "acknowledged before the resend"
    return None


def deliver(rt: Runtime, outbox_id: int, now: datetime | None = None) -> str:
    """Send one outbox message; returns its new status. Raises TemporaryFailure to be retried."""
    now = now or rt.clock()
    with rt.sessionmaker() as session:
        row = session.execute(LOAD, {"id": outbox_id}).first()
        if row is None:
            return "gone"
        if row.status != "pending":
            return row.status
        reason = stale_reason(row, now)
        if reason:
            session.execute(SKIP, {"id": outbox_id, "why": reason})
            session.commit()
            return "skipped"
    payload = row.payload
    token = None
    if row.kind in ("alert", "resend") and row.delivery_id and payload["channel"] != "broadcast":
        token = ack_token(rt.secret, row.delivery_id)
    warning = dict(row._mapping)
    warning["id"] = row.warning_id
    msg = compose(rt.settings, row.kind, payload, warning, token, deadline_min(rt.settings, row.level))
    try:
        rt.channels.send(msg)
    except (TemporaryFailure, PermanentFailure) as exc:
        permanent = isinstance(exc, PermanentFailure)
        exhausted = row.attempts + 1 >= rt.settings.dispatch_max_attempts
        final = "failed" if permanent else ("dead" if exhausted else None)
        wait = backoff_s(rt.settings, row.attempts + 1)
        params = {
            "id": outbox_id,
            "error": str(exc)[:1000],
            "next": None if final else datetime.fromtimestamp(now.timestamp() + wait, UTC),
            "final_status": final,
        }
        record(rt, FAIL, params)
        log.warning("outbox %s (%s via %s) failed: %s", outbox_id, row.kind, msg.channel, exc)
        if final:
            return final
        raise
    record(rt, SUCCEED, {"id": outbox_id, "now": rt.clock()})
    return "sent"


#: how long a send that has gone out keeps trying to record that it did, the database being away
RECORD_FOR_S = 60.0


def record(rt: Runtime, statement, params: dict) -> None:
    """Write the outcome of a send. The message has already left: a database that is away for a
    while is waited for here, rather than the job failing and the message going out again (with
    the same idempotency key) when the job is retried."""
    give_up = time.monotonic() + RECORD_FOR_S
    pause = 0.2
    while True:
        try:
            with rt.sessionmaker() as session:
                session.execute(statement, params)
                session.commit()
            return
        except OperationalError as exc:
            if time.monotonic() + pause > give_up:
                raise
            log.warning("outbox %s: recording the send waits for the database: %s", params["id"], exc.orig)
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


@tasks.task(name=SEND_TASK, queue=SEND_QUEUE, retry=Backoff())
def send_message(outbox_id: int) -> str:
    return deliver(runtime(), outbox_id)


@every(lambda settings: settings.chase_every_s)  # every minute by default
@tasks.task(name="chase", queue="chase", queueing_lock="chase")
def chase(timestamp: int) -> dict:
    rt = runtime()
    with rt.sessionmaker() as session:
        result = chase_overdue(session, rt.settings, rt.clock())
        session.commit()
    return result
