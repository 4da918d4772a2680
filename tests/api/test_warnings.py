"""Warnings: proposals from a run, drafts, and the lifecycle (update, cancel, expiry)."""

from __future__ import annotations

from datetime import timedelta

from tests.api.warnings_helpers import (
    draft,
    expected_recipients,
    issue,
    scalar,
    tokens,
    township_codes,
)


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
