"""Who may do what: 401/403 by role, and admins managing users and recipients."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.api.warnings_helpers import (
    draft,
    expected_recipients,
    issue,
    scalar,
    township_codes,
)

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
    assert bad.status_code == 403 and "disabled" in bad.json()["detail"]  # told so (issue #18)

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
