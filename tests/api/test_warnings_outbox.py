"""Issuing and the outbox: deliveries, jobs, SMTP and webhook channels, retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.warnings.jobs import deliver
from tests.api.warnings_helpers import (
    draft,
    expected_recipients,
    issue,
    scalar,
    tokens,
    township_codes,
)


def test_issue_writes_a_delivery_per_person_and_a_broadcast_per_village_with_their_jobs(warn):
    w = warn
    codes = township_codes(w.engine, 2)
    d = draft(w, codes, level=3)
    result = issue(w, d["id"])
    people = expected_recipients(w.engine, codes)
    villages = scalar(
        w.engine,
        "SELECT count(*) FROM village v JOIN township t ON t.id = v.township_id WHERE t.code = ANY(:c)",
        c=codes,
    )
    assert result["dissemination"] == {
        "recipients": people,
        "unreachable": 0,
        "broadcast_villages": villages,
        "messages": people + villages,
    }
    assert result["warning"]["status"] == "issued"
    with w.engine.connect() as c:
        rows = c.execute(
            sa.text("SELECT channel, count(*), count(ack_token_hash) FROM delivery GROUP BY channel")
        ).all()
        by = {ch: (n, hashed) for ch, n, hashed in rows}
        assert by["broadcast"] == (villages, 0)
        assert sum(n for ch, (n, _) in by.items() if ch != "broadcast") == people
        assert all(h == n for ch, (n, h) in by.items() if ch != "broadcast")
        outbox = c.execute(sa.text("SELECT count(*), count(job_id) FROM outbox WHERE kind = 'alert'")).one()
        assert tuple(outbox) == (people + villages, people + villages)
        jobs = c.execute(
            sa.text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'riskmap:send_message'")
        ).scalar()
        assert jobs == people + villages
        # the token is not stored: only its SHA-256
        token = tokens(w, d["id"])[0]
        stored = c.execute(sa.text("SELECT ack_token_hash FROM delivery ORDER BY id LIMIT 1")).scalar()
        assert stored == hashlib.sha256(token.encode()).hexdigest() != token
    audit = scalar(
        w.engine,
        "SELECT count(*) FROM audit_log WHERE action = 'warning.issue' AND entity_id = :i",
        i=str(d["id"]),
    )
    assert audit == 1


def test_the_outbox_survives_the_smtp_server_being_down_and_delivers_each_message_once(warn):
    w = warn
    codes = township_codes(w.engine, 1)
    d = draft(w, codes, level=4)
    issue(w, d["id"])
    emails = scalar(w.engine, "SELECT count(*) FROM outbox WHERE payload->>'channel' = 'email'")
    hooks = scalar(w.engine, "SELECT count(*) FROM outbox WHERE payload->>'channel' = 'webhook'")
    assert emails > 0 and hooks > 0
    # the SMTP server is down: e-mails fail and wait for a retry, nothing is lost
    w.drain()
    with w.engine.connect() as c:
        pending = c.execute(
            sa.text("SELECT attempts, last_error FROM outbox WHERE payload->>'channel' = 'email'")
        ).all()
    assert len(pending) == emails
    assert all(a == 1 and "unreachable" in e for a, e in pending)
    assert scalar(w.engine, "SELECT count(*) FROM outbox WHERE status = 'pending'") == emails
    assert len(w.webhook.requests) == hooks
    # the server comes up: the retries go through, once each
    with w.engine.connect() as c:
        waits = c.execute(
            sa.text(
                "SELECT min(next_attempt_at - :now), max(next_attempt_at - :now) "
                "FROM outbox WHERE status = 'pending'"
            ),
            {"now": w.clock()},
        ).one()
    # back-off: base 30 s from the (settable) clock the worker failed at
    assert waits[0] == waits[1] == timedelta(seconds=30)
    w.drain()  # not due yet: nothing happens
    assert scalar(w.engine, "SELECT count(*) FROM outbox WHERE status = 'pending' AND attempts = 1") == emails
    w.mailbox.start()
    w.retries_due()
    w.drain()
    assert scalar(w.engine, "SELECT count(*) FROM outbox WHERE status = 'pending'") == 0
    assert scalar(w.engine, "SELECT count(*) FROM outbox WHERE status = 'sent'") == emails + hooks + scalar(
        w.engine, "SELECT count(*) FROM outbox WHERE payload->>'channel' = 'broadcast'"
    )
    ids = w.mailbox.ids()
    assert len(ids) == emails == len(set(ids))
    # one SMTP session per worker thread, kept between messages (not one per message)
    assert len(set(w.mailbox.peers)) <= min(32, (os.cpu_count() or 1) + 4) < emails
    # a job that runs again after success sends nothing and counts nothing
    one = scalar(w.engine, "SELECT min(id) FROM outbox WHERE payload->>'channel' = 'email'")
    assert deliver(w.runtime, one) == "sent"
    assert len(w.mailbox.messages) == emails
    with w.engine.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT d.status, d.attempts FROM delivery d JOIN outbox o ON o.delivery_id = d.id "
                "WHERE o.payload->>'channel' = 'email'"
            )
        ).all()
    assert {(s, a) for s, a in rows} == {("delivered", 2)}
    report = w.client.get(f"/api/warnings/{d['id']}/deliveries", headers=w.login("viewer")).json()
    assert (
        report["totals"]["delivered"]
        == report["totals"]["recipients"]
        == expected_recipients(w.engine, codes)
    )
    assert report["totals"]["broadcast_played"] == report["totals"]["broadcast_villages"] > 0


def test_an_smtp_session_is_kept_between_messages_and_opened_again_when_the_relay_drops_it(mailbox):
    from backend.config import Settings
    from backend.dispatch.channels import Message, SmtpSessions, TemporaryFailure

    smtp = SmtpSessions(Settings(smtp_port=mailbox.port, smtp_timeout_s=5))

    def msg(i):
        return Message("email", "duty@example.org", "暴雨红色预警", "立即转移", f"key-{i}")

    with pytest.raises(TemporaryFailure, match="unreachable"):
        smtp.send(msg(0))  # the relay is down
    mailbox.start()
    for i in range(1, 4):
        smtp.send(msg(i))
    assert len(mailbox.messages) == 3 and len(set(mailbox.peers)) == 1
    mailbox.stop()  # the relay restarts: the kept session is gone
    mailbox.start()
    smtp.send(msg(4))
    assert [m["Message-ID"] for m in mailbox.messages] == [f"<key-{i}@riskmap>" for i in (1, 2, 3, 4)]
    assert len(set(mailbox.peers)) == 2
    smtp.close()


def test_webhook_messages_are_signed_json_with_an_idempotency_key_and_an_ack_link(warn):
    w = warn
    d = draft(w, township_codes(w.engine, 1), level=3)
    issue(w, d["id"])
    w.drain()
    assert w.webhook.requests
    headers, body = w.webhook.requests[0]
    expected = hmac.new(
        w.runtime.channels.webhook_secret.encode(),
        headers["X-Riskmap-Timestamp"].encode() + b"." + body,
        hashlib.sha256,
    ).hexdigest()
    assert headers["X-Riskmap-Signature"] == f"sha256={expected}"
    data = json.loads(body)
    assert headers["Idempotency-Key"].startswith(f"w{d['id']}-d")
    assert (
        data["event"] == "alert" and data["warning"]["level"] == 3 and data["warning"]["colour"] == "orange"
    )
    assert data["ack_url"].startswith("http://testserver/ack/")
    assert data["warning"]["cap_url"] == f"http://testserver/api/warnings/{d['id']}/cap"


def test_a_channel_that_refuses_for_good_marks_the_delivery_failed_without_retrying(warn):
    w = warn
    w.webhook.status = 410
    d = draft(w, township_codes(w.engine, 1), level=2)
    issue(w, d["id"])
    w.drain()
    hooks = scalar(w.engine, "SELECT count(*) FROM outbox WHERE payload->>'channel' = 'webhook'")
    assert len(w.webhook.requests) == hooks
    assert scalar(w.engine, "SELECT count(*) FROM outbox WHERE status = 'failed'") == hooks
    report = w.client.get(f"/api/warnings/{d['id']}/deliveries", headers=w.login("viewer")).json()
    assert report["totals"]["failed"] == hooks
