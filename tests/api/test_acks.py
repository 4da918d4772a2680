"""叫应: acknowledgements, group commit, resends and escalation of the silent."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.api.warnings_helpers import (
    draft,
    expected_recipients,
    issue,
    scalar,
    tokens,
    township_codes,
)


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
