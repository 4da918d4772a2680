"""叫应: acknowledgement tokens, acknowledging, and the per-warning delivery report.

A token is HMAC-SHA256(secret key, "ack:<delivery id>"), base64url: unguessable without the
service's secret, recomputable by the sender at send time, and stored only as its SHA-256.
Acknowledging twice is harmless (the first time stands); a token of a warning that was
cancelled, replaced by an update or has expired no longer works (410 Gone, saying why).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from datetime import datetime, timedelta

import psycopg
import sqlalchemy as sa
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.errors import NotFound, RiskmapError
from backend.i18n import beijing_time
from pipelines.levels import LEVELS


class Gone(RiskmapError):
    status = 410
    title = "Gone"


def ack_token(secret: bytes, delivery_id: int) -> str:
    mac = hmac.new(secret, f"ack:{delivery_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def deadline_min(settings: Settings, level: int) -> float:
    return float(settings.ack_deadlines_min.get(level, 60))


def deadlines_array(settings: Settings) -> list[float]:
    """Minutes by level, 1-based for SQL (``(:deadlines)[w.level]``)."""
    return [deadline_min(settings, lv) for lv in (1, 2, 3, 4)]


# 叫应 runs on the app's asyncio pool (psycopg, autocommit, durable commits). Acknowledgements
# that arrive while one statement is at the database go together in the next (group commit).
ACK_MANY = """
    UPDATE delivery d
    SET acked_at = b.at, status = 'acknowledged', acked_via = b.via
    FROM unnest(%(h)s::text[], %(at)s::timestamptz[], %(via)s::text[]) AS b(h, at, via), warning w
    WHERE d.ack_token_hash = b.h AND d.acked_at IS NULL
      AND w.id = d.warning_id AND w.status = 'issued' AND w.expires > b.at
    RETURNING b.h, d.id, d.warning_id, d.acked_at
"""

LOOKUP = """
    SELECT d.id, d.warning_id, d.acked_at, w.status, w.expires, w.cancelled_at, w.headline, w.hazard,
           w.level, w.instruction, w.issued_at,
           (SELECT n.id FROM warning n WHERE n.references_id = w.id ORDER BY n.id DESC LIMIT 1) AS newer,
           r.name AS recipient, r.title, coalesce(vt.name, rt.name) AS township, v.name AS village
    FROM delivery d
    JOIN warning w ON w.id = d.warning_id
    LEFT JOIN recipient r ON r.id = d.recipient_id
    LEFT JOIN village v ON v.id = coalesce(d.village_id, r.village_id)
    LEFT JOIN township vt ON vt.id = v.township_id
    LEFT JOIN township rt ON rt.id = r.township_id
    WHERE d.ack_token_hash = %(h)s
"""


def plausible(token: str) -> bool:
    return 20 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def state_of(row, now: datetime) -> dict:
    """What the acknowledgement page shows for a LOOKUP row: the warning, the person, whether
    the link still works and, if not, why."""
    lv = LEVELS[row.level]
    state = {
        "delivery_id": row.id,
        "warning_id": row.warning_id,
        "headline": row.headline,
        "instruction": row.instruction,
        "hazard": row.hazard,
        "level": row.level,
        "colour": lv.colour,
        "hex": lv.hex,
        "recipient": row.recipient,
        "title": row.title,
        "township": row.township,
        "village": row.village,
        "acked_at": row.acked_at,
        "expires": row.expires,
        "open": False,
        "closed_reason": None,
    }
    if row.status == "cancelled":
        state["closed_reason"] = f"this warning was cancelled at {beijing_time(row.cancelled_at, 'en')}"
    elif row.status == "updated":
        state["closed_reason"] = f"this warning was replaced by a newer message (warning {row.newer})"
    elif row.status == "expired" or row.expires <= now:
        state["closed_reason"] = "this warning has expired"
    elif row.status != "issued":
        state["closed_reason"] = f"this warning is {row.status}"
    else:
        state["open"] = True
    return state


class Acknowledger:
    """叫应 on the event loop, with group commit.

    After a warning, hundreds of people press the button within a minute. Each acknowledgement
    waits in a list; one flusher at a time writes everything waiting in one
    ``UPDATE … FROM unnest(…)`` and one commit, then wakes the waiters: under a burst the
    statements grow and their number does not, and a lone acknowledgement still goes at once.
    Commits are synchronous: a person who was answered "acknowledged" is recorded even if the
    database crashes right after (with ``synchronous_commit = off`` a crash lost the last
    ≈0.2–0.6 s of them, tests/faults showed). Group commit keeps that cheap: one WAL flush per
    statement, however many acknowledgements it carries.
    """

    def __init__(self, pool: AsyncConnectionPool, max_batch: int = 512):
        self.pool = pool
        self.max_batch = max_batch
        #: statements written and acknowledgements in them (for logs, tests and benchmarks)
        self.statements = 0
        self.written = 0
        self._waiting: list[tuple[str, datetime, str, asyncio.Future]] = []
        self._flusher: asyncio.Task | None = None

    async def acknowledge(self, token: str, now: datetime, via: str = "api") -> dict:
        """Record the acknowledgement; returns {delivery_id, warning_id, acked_at, first_time}.
        Twice is harmless (the first time stands); 404 for an unknown token, 410 for a warning
        that no longer needs one."""
        if plausible(token):
            hit = await self._queue(token_hash(token), now, via)
            if hit is not None:
                return {
                    "delivery_id": hit.id,
                    "warning_id": hit.warning_id,
                    "acked_at": hit.acked_at,
                    "first_time": True,
                }
        state = await self.state(token, now)
        if state["acked_at"] is not None:
            return {
                "delivery_id": state["delivery_id"],
                "warning_id": state["warning_id"],
                "acked_at": state["acked_at"],
                "first_time": False,
            }
        raise Gone(state["closed_reason"] + "; no acknowledgement is needed")

    async def state(self, token: str, now: datetime) -> dict:
        """What the acknowledgement page shows for a token, without acknowledging."""
        row = None
        if plausible(token):
            async with self.pool.connection() as conn:
                row = await (await conn.execute(LOOKUP, {"h": token_hash(token)})).fetchone()
        if row is None:
            raise NotFound("unknown acknowledgement link: check that the whole link was opened")
        return state_of(row, now)

    def _queue(self, h: str, now: datetime, via: str) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self._waiting.append((h, now, via, fut))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return fut

    async def _flush(self) -> None:
        batch: list = []
        try:
            while self._waiting:
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                try:
                    hits = await self._write(batch)
                except Exception as exc:  # every waiter hears of it (503 through the handlers)
                    # and so does everyone who queued meanwhile: the database that failed this
                    # statement would fail theirs, after another wait (with the database down, a
                    # wait of up to the pool timeout each time: nobody waits more than one)
                    batch += self._waiting
                    self._waiting.clear()
                    for *_, fut in batch:
                        if not fut.done():
                            fut.set_exception(exc)
                    continue
                for h, _, _, fut in batch:
                    # a token twice in one statement: the first waiter takes the hit, the other
                    # finds it acknowledged (first_time False), as if it had come a moment later
                    if not fut.done():
                        fut.set_result(hits.pop(h, None))
            batch = []
        finally:
            self._flusher = None
            for *_, fut in batch + self._waiting:  # cancelled (shutdown): nobody waits forever
                if not fut.done():
                    fut.cancel()
            self._waiting.clear()

    async def _write(self, batch: list) -> dict:
        params = {"h": [b[0] for b in batch], "at": [b[1] for b in batch], "via": [b[2] for b in batch]}
        try:
            async with self.pool.connection() as conn:
                rows = await (await conn.execute(ACK_MANY, params)).fetchall()
        except (PoolTimeout, psycopg.errors.QueryCanceled):
            raise
        except psycopg.OperationalError:
            # the pool's connections died while idle (the database restarted): replace them all,
            # then once more. Safe to repeat: an acknowledgement already written is not matched
            # again, and its waiter finds it acknowledged (first_time false)
            await self.pool.check()
            async with self.pool.connection() as conn:
                rows = await (await conn.execute(ACK_MANY, params)).fetchall()
        self.statements += 1
        self.written += len(batch)
        return {r.h: r for r in rows}


REPORT = sa.text(
    """
    SELECT d.id, d.channel, d.status, d.sent_at, d.delivered_at, d.acked_at, d.acked_via, d.resent_at,
           d.escalated_at, d.attempts, d.last_error,
           r.code, r.name, r.role, r.title, r.phone,
           t.code AS township_code, t.name AS township, v.code AS village_code, v.name AS village
    FROM delivery d
    LEFT JOIN recipient r ON r.id = d.recipient_id
    LEFT JOIN village v ON v.id = d.village_id
    JOIN township t ON t.id = coalesce(v.township_id, r.township_id)
    WHERE d.warning_id = :w
    ORDER BY t.code, d.channel = 'broadcast', r.role, r.code, v.code
    """
)

COUNTERS = (
    "recipients",
    "sent",
    "delivered",
    "acknowledged",
    "overdue",
    "resent",
    "escalated",
    "failed",
    "pending",
)


def empty_counts() -> dict:
    return dict.fromkeys(COUNTERS, 0) | {"broadcast_villages": 0, "broadcast_played": 0}


def deliveries_report(session: Session, settings: Settings, warning, now: datetime) -> dict:
    """Who was reached, who acknowledged, who is overdue or escalated: totals, per township,
    per person; ``ack_rate`` is acknowledged ÷ responsible persons (broadcasts not counted)."""
    deadline = None
    if warning.issued_at is not None:
        deadline = warning.issued_at + timedelta(minutes=deadline_min(settings, warning.level))
    live = warning.status == "issued" and warning.expires > now
    totals = empty_counts()
    townships: dict[str, dict] = {}
    persons, broadcasts = [], []
    for d in session.execute(REPORT, {"w": warning.id}):
        town = townships.setdefault(
            d.township_code, {"code": d.township_code, "name": d.township} | empty_counts()
        )
        if d.channel == "broadcast":
            for bucket in (totals, town):
                bucket["broadcast_villages"] += 1
                bucket["broadcast_played"] += d.delivered_at is not None
            broadcasts.append(
                {
                    "village_code": d.village_code,
                    "village": d.village,
                    "township": d.township,
                    "status": d.status,
                    "played_at": d.delivered_at,
                    "attempts": d.attempts,
                }
            )
            continue
        overdue = d.acked_at is None and live and deadline is not None and now >= deadline
        flags = {
            "recipients": True,
            "sent": d.sent_at is not None,
            "delivered": d.delivered_at is not None,
            "acknowledged": d.acked_at is not None,
            "overdue": overdue,
            "resent": d.resent_at is not None,
            "escalated": d.escalated_at is not None,
            "failed": d.status == "failed",
            "pending": d.status == "pending",
        }
        for bucket in (totals, town):
            for key, on in flags.items():
                bucket[key] += on
        persons.append(
            {
                "code": d.code,
                "name": d.name,
                "role": d.role,
                "title": d.title,
                "phone": d.phone,
                "township_code": d.township_code,
                "township": d.township,
                "village": d.village,
                "channel": d.channel,
                "status": d.status,
                "sent_at": d.sent_at,
                "delivered_at": d.delivered_at,
                "acked_at": d.acked_at,
                "acked_via": d.acked_via,
                "resent_at": d.resent_at,
                "escalated_at": d.escalated_at,
                "overdue": overdue,
                "attempts": d.attempts,
                "last_error": d.last_error,
            }
        )
    for bucket in (totals, *townships.values()):
        bucket["ack_rate"] = (
            round(bucket["acknowledged"] / bucket["recipients"], 4) if bucket["recipients"] else None
        )
    return {
        "warning_id": warning.id,
        "status": warning.status,
        "deadline": deadline,
        "escalate_at": None if deadline is None else deadline + (deadline - warning.issued_at),
        "as_of": now,
        "totals": totals,
        "townships": list(townships.values()),
        "persons": persons,
        "broadcasts": broadcasts,
    }
