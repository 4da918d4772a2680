"""Who may see what: tokens follow the user's record at once (deleted, disabled, demoted, new
password), phone numbers and e-mail addresses only for the roles that need them, and 叫应 links
throttled against guessing without slowing the people who acknowledge."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa


@pytest.fixture()
def warnings_cleared(warn):
    """The warn fixture, and no warning left behind for the tests after this module (tiles show them)."""
    yield warn
    with warn.engine.begin() as c:
        c.execute(sa.text("TRUNCATE outbox, delivery, warning_township, warning CASCADE"))
        c.execute(sa.text("DELETE FROM procrastinate_jobs"))


PHONE = re.compile(r"(?<![\d.])1[3-9]\d{9}(?![\d.])")  # a mainland mobile number, not part of a float


def login(client, name, password):
    r = client.post("/api/auth/token", data={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_a_token_follows_its_user_at_once_demoted_disabled_new_password_deleted(client, auth, engine):
    adm = auth("admin")
    r = client.post(
        "/api/users",
        json={"username": "shift-lead", "password": "first password", "role": "admin"},
        headers=adm,
    )
    assert r.status_code == 201, r.text
    old = login(client, "shift-lead", "first password")
    assert client.get("/api/users", headers=old).status_code == 200

    # demoted: the very next request has the new role (the token's role claim is not trusted)
    client.patch("/api/users/shift-lead", json={"role": "viewer"}, headers=adm)
    r = client.get("/api/users", headers=old)
    assert r.status_code == 403 and "viewer" in r.json()["detail"]
    assert client.get("/api/recipients", headers=old).status_code == 403
    client.patch("/api/users/shift-lead", json={"role": "operator"}, headers=adm)
    assert client.get("/api/recipients", headers=old).status_code == 200

    # disabled: refused at once; enabled again: the token works again until it expires
    client.patch("/api/users/shift-lead", json={"active": False}, headers=adm)
    r = client.get("/api/auth/me", headers=old)
    assert r.status_code == 401 and "disabled" in r.json()["detail"]
    client.patch("/api/users/shift-lead", json={"active": True}, headers=adm)
    assert client.get("/api/auth/me", headers=old).status_code == 200

    # a new password ends every token issued before it
    client.patch("/api/users/shift-lead", json={"password": "second password"}, headers=adm)
    r = client.get("/api/auth/me", headers=old)
    assert r.status_code == 401 and "password has changed" in r.json()["detail"]
    new = login(client, "shift-lead", "second password")
    assert client.get("/api/auth/me", headers=new).json()["role"] == "operator"

    # deleted: unknown at once
    with engine.begin() as c:
        c.execute(sa.text("DELETE FROM app_user WHERE username = 'shift-lead'"))
    assert client.get("/api/auth/me", headers=new).status_code == 401


def test_recipients_show_phones_to_operators_and_emails_to_admins_only(client, auth, loaded):
    assert client.get("/api/recipients", headers=auth("viewer")).status_code == 403
    as_operator = client.get("/api/recipients", headers=auth("operator")).json()
    as_admin = client.get("/api/recipients", headers=auth("admin")).json()
    assert len(as_operator) == len(as_admin) > 1000
    by_code = {p["code"]: p for p in as_admin}
    with_email = [p for p in as_operator if by_code[p["code"]]["email"]]
    assert with_email, "the sample county has people with e-mail addresses"
    for p in with_email:
        full = by_code[p["code"]]["email"]
        assert "@" in full and p["email"] != full
        assert p["email"] == f"{full[0]}***@{full.split('@', 1)[1]}"
    assert all(p["phone"] == by_code[p["code"]]["phone"] for p in as_operator)


def test_a_viewer_sees_the_delivery_report_without_phones_or_send_errors(warnings_cleared):
    w = warnings_cleared
    with w.engine.connect() as c:
        code = c.execute(sa.text("SELECT code FROM township ORDER BY code LIMIT 1")).scalar()
    op = w.login("operator")
    d = w.client.post(
        "/api/warnings", json={"hazard": "rain", "level": 3, "township_codes": [code]}, headers=op
    ).json()
    assert w.client.post(f"/api/warnings/{d['id']}/issue", headers=op).status_code == 200
    with w.engine.begin() as c:
        c.execute(
            sa.text(
                "UPDATE delivery SET last_error = '550 <zhang@example.org> rejected' "
                "WHERE id = (SELECT min(id) FROM delivery WHERE warning_id = :w AND channel <> 'broadcast')"
            ),
            {"w": d["id"]},
        )
    url = f"/api/warnings/{d['id']}/deliveries"
    seen = w.client.get(url, headers=w.login("viewer")).json()
    full = w.client.get(url, headers=op).json()
    assert seen["totals"] == full["totals"] and len(seen["persons"]) == len(full["persons"]) > 0
    assert all(p["phone"] is None for p in seen["persons"])
    assert any(p["phone"] for p in full["persons"])
    assert "zhang@example.org" in str(full) and "zhang@example.org" not in str(seen)
    assert not PHONE.search(str(seen))


@pytest.fixture(scope="module")
def plan_id(published, users):
    from fastapi.testclient import TestClient

    from backend.app import create_app

    with TestClient(create_app()) as c:
        h = login(c, users["operator"], "correct horse")
        r = c.post("/api/evacuation/plans", json={"run_id": published.run_id}, headers=h)
        assert r.status_code == 201, r.text
        return r.json()["id"]


def test_the_transfer_sheet_has_phones_for_operators_and_names_only_for_viewers(client, auth, plan_id):
    url = f"/api/evacuation/plans/{plan_id}/sheet"
    for_operator = client.get(url, headers=auth("operator")).text
    for_viewer = client.get(url, headers=auth("viewer")).text
    assert "村党支部书记" in for_viewer and "村党支部书记" in for_operator
    assert PHONE.search(for_operator) and not PHONE.search(for_viewer)
    # the public exports of a plan carry no people at all
    for public in (f"/api/evacuation/plans/{plan_id}", f"/api/evacuation/plans/{plan_id}.csv"):
        assert not PHONE.search(client.get(public).text)


def test_guessed_ack_links_are_throttled_per_address_but_real_ones_are_not(warnings_cleared):
    from backend.warnings.acks import ack_token

    w = warnings_cleared
    with w.engine.connect() as c:
        code = c.execute(sa.text("SELECT code FROM township ORDER BY code LIMIT 1")).scalar()
    op = w.login("operator")
    d = w.client.post(
        "/api/warnings", json={"hazard": "rain", "level": 4, "township_codes": [code]}, headers=op
    ).json()
    assert w.client.post(f"/api/warnings/{d['id']}/issue", headers=op).status_code == 200
    with w.engine.connect() as c:
        ids = list(
            c.execute(
                sa.text(
                    "SELECT id FROM delivery WHERE warning_id = :w AND channel <> 'broadcast' ORDER BY id"
                ),
                {"w": d["id"]},
            ).scalars()
        )
    links = [ack_token(w.runtime.secret, i) for i in ids]
    guard = w.client.app.state.ack_throttle
    # everyone acknowledging (twice, even) leaves no trace in the throttle
    for token in links[:-1] + links[:5]:
        assert w.client.post(f"/api/ack/{token}").status_code == 200
    assert len(guard) == 0
    # guessing from one address: 20 unknown links, then that address waits
    for i in range(w.settings.ack_max_failures_per_address):
        assert w.client.post(f"/api/ack/guess-{i:04d}-aaaaaaaaaaaaaaaaaaaa").status_code == 404
    r = w.client.post("/api/ack/guess-9999-aaaaaaaaaaaaaaaaaaaa")
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert r.headers["content-type"] == "application/problem+json"
    page = w.client.get(f"/ack/{links[-1]}")
    assert page.status_code == 429 and "retry-after" in page.headers and "请稍后再试" in page.text
    # people elsewhere are not held up (the test client's transport says where requests come from)
    w.client._transport.client = ("10.9.8.7", 5555)
    try:
        assert w.client.post(f"/api/ack/{links[-1]}").status_code == 200
        assert w.client.get(f"/ack/{links[-1]}").status_code == 200
    finally:
        w.client._transport.client = ("testclient", 50000)
