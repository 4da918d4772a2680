"""The endpoints behind the page (issue #18): search, why-is-this-red, the township's villages, the
audit log, the 叫应 ledger as CSV, the sheet from a signed-in browser (cookie), problem details in
the asker's language, CSV that Chinese Excel opens, and "account disabled" at sign-in."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from tests.api.warnings_helpers import draft, issue, tokens, township_codes


@pytest.fixture(scope="module")
def app_client(published, users, data_dir, loaded):
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.config import get_settings

    settings = get_settings().model_copy(update={"data_dir": data_dir})
    with TestClient(create_app(settings)) as c:
        yield c


def login(c, users, role="operator"):
    r = c.post("/api/auth/token", data={"username": users[role], "password": "correct horse"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def csv_rows(resp):
    assert resp.headers["content-type"].startswith("text/csv")
    assert resp.content.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Chinese Excel"
    return list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))


def a_place(engine, table):
    with engine.connect() as c:
        return c.execute(sa.text(f"SELECT code, name FROM {table} ORDER BY code LIMIT 1")).one()


def test_search_finds_places_by_name_code_and_pinyin_initials(app_client, engine):
    from backend.places.search import pinyin_keys

    code, name = a_place(engine, "township")
    by_name = app_client.get("/api/search", params={"q": name}).json()["results"]
    assert by_name[0]["kind"] == "township" and by_name[0]["code"] == code
    assert len(by_name[0]["bbox"]) == 4 and 114 < by_name[0]["lon"] < 116
    initials, spelled = pinyin_keys(name)
    hits = app_client.get("/api/search", params={"q": initials.upper()}).json()["results"]
    assert code in [h["code"] for h in hits]
    assert code in [h["code"] for h in app_client.get("/api/search", params={"q": spelled}).json()["results"]]
    v_code, v_name = a_place(engine, "village")
    hit = app_client.get("/api/search", params={"q": v_code}).json()["results"][0]
    assert (hit["kind"], hit["name"]) == ("village", v_name) and hit["township"]
    kinds = {
        h["kind"] for h in app_client.get("/api/search", params={"q": "s", "limit": 100}).json()["results"]
    }
    assert kinds  # one letter still finds initials
    s_code, s_name = a_place(engine, "shelter")
    only = app_client.get("/api/search", params={"q": s_name, "kind": "shelter"}).json()["results"]
    assert only and {h["kind"] for h in only} == {"shelter"}
    assert app_client.get("/api/search", params={"q": "   "}).status_code == 422
    assert app_client.get("/api/search").status_code == 422


def test_point_answers_each_hazard_level_and_its_inputs(app_client, published, engine):
    with engine.connect() as c:  # a point inside a red one-map zone
        lon, lat = c.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM risk_zone_part "
                "WHERE run_id = :r AND hazard = 'onemap' AND level = 4 ORDER BY ST_Area(geom) DESC LIMIT 1) x"
            ),
            {"r": published.run_id},
        ).one()
    r = app_client.get("/api/point", params={"lon": lon, "lat": lat, "run": published.run_id})
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["level"] == 4 and p["run"]["id"] == published.run_id
    assert p["township"]["code"] and p["village"]["name"] and p["village"]["distance_m"] >= 0
    hz = p["hazards"]
    assert max(hz[h]["level"] for h in ("rain", "fire", "geohazard")) == 4
    assert hz[p["dominant_hazard"]]["level"] == 4
    rain = hz["rain"]
    assert set(rain["accumulations_mm"]) == {"1h", "3h", "6h", "12h", "24h"}
    acc = rain["accumulations_mm"]
    assert all(v is not None for v in acc.values())
    assert acc["1h"] <= acc["3h"] <= acc["6h"] <= acc["12h"] <= acc["24h"]
    reached = max((t["level"] for t in rain["thresholds"] if t["reached"]), default=0)
    assert reached == rain["level"]  # the level is the highest CMA rule the accumulations reach
    assert set(hz["fire"]["codes"]) == {"ffmc", "dmc", "dc", "isi", "bui", "fwi"}
    assert all(v is not None for v in hz["fire"]["codes"].values())
    geo = hz["geohazard"]
    assert geo["susceptibility_class"] in (1, 2, 3, 4, 5) and geo["effective_rain_mm"] is not None
    assert sum(t["reached"] for t in geo["thresholds"]) == geo["level"]
    assert p["notes"] == []
    outside = app_client.get("/api/point", params={"lon": 100.0, "lat": 30.0})
    assert outside.status_code == 422 and "outside the county" in outside.json()["detail"]
    zh = app_client.get(
        "/api/point", params={"lon": 100.0, "lat": 30.0}, headers={"Accept-Language": "zh-CN"}
    )
    assert "不在本县范围内" in zh.json()["detail"] and zh.json()["title"] == "输入有误"
    assert app_client.get("/api/point", params={"lon": 500, "lat": 0}).status_code == 422


def test_township_villages_by_level(app_client, published, engine):
    code, _ = a_place(engine, "township")
    body = app_client.get(f"/api/townships/{code}/villages", params={"run": published.run_id}).json()
    levels = [v["level"] for v in body["villages"]]
    assert levels == sorted(levels, reverse=True) and body["villages"]
    assert sum(b["villages"] for b in body["by_level"].values()) == len(levels)
    assert app_client.get("/api/townships/999999999999/villages").status_code == 404


def test_problem_details_follow_accept_language_and_the_page_cookie(app_client):
    en = app_client.get("/api/warnings/999999")
    assert en.json()["detail"] == "no warning 999999" and en.json()["title"] == "Not found"
    zh = app_client.get("/api/warnings/999999", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert zh.json()["title"] == "未找到" and zh.json()["detail"] == "预警 #999999 不存在。"
    assert zh.json()["detail_en"] == "no warning 999999" and zh.headers["content-language"] == "zh-CN"
    cookie = app_client.get("/api/warnings/999999", cookies={"riskmap_lang": "zh"})
    assert cookie.json()["title"] == "未找到"
    assert (
        app_client.get("/api/warnings/999999", headers={"Accept-Language": "en;q=1, zh;q=0.5"}).json()[
            "title"
        ]
        == "Not found"
    )
    v = app_client.get("/api/runs", params={"limit": 0}, headers={"Accept-Language": "zh"}).json()
    assert v["title"] == "输入有误" and "大于或等于" in v["detail"]
    unknown = app_client.get("/no/such/page", headers={"Accept-Language": "zh"})
    assert unknown.status_code == 404 and unknown.json()["title"] == "未找到"
    assert all(
        ord(ch) < 0x2000 or ch in "，。：；（）“”、" or "\u4e00" <= ch <= "\u9fff" for ch in v["detail"]
    )


def test_a_disabled_account_is_told_so_at_sign_in(app_client, users):
    from sqlalchemy.orm import Session

    from backend.auth.service import add_user
    from backend.db import get_engine

    with Session(get_engine()) as s, s.begin():
        add_user(s, "t-leaving", "correct horse", "viewer")
    h = login(app_client, users, "admin")
    r = app_client.patch("/api/users/t-leaving", json={"active": False}, headers=h)
    assert r.status_code == 200 and r.json()["active"] is False
    refused = app_client.post("/api/auth/token", data={"username": "t-leaving", "password": "correct horse"})
    assert refused.status_code == 403 and "disabled" in refused.json()["detail"]
    zh = app_client.post(
        "/api/auth/token",
        data={"username": "t-leaving", "password": "correct horse"},
        headers={"Accept-Language": "zh"},
    )
    assert zh.json()["detail"] == "该账户已停用，请联系管理员。"
    wrong = app_client.post("/api/auth/token", data={"username": "t-leaving", "password": "not the one"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong username or password"


def test_users_have_a_scope(app_client, users, engine):
    h = login(app_client, users, "admin")
    code, _ = a_place(engine, "township")
    r = app_client.post(
        "/api/users",
        json={"username": "t-town", "password": "correct horse", "role": "operator", "scope": code},
        headers=h,
    )
    assert r.status_code == 201 and r.json()["scope"] == code
    assert app_client.patch("/api/users/t-town", json={"scope": "000000000000"}, headers=h).status_code == 422
    assert app_client.patch("/api/users/t-town", json={"scope": ""}, headers=h).json()["scope"] is None
    listed = {u["username"]: u for u in app_client.get("/api/users", headers=h).json()}
    assert listed["t-town"]["role"] == "operator" and "scope" in listed["t-town"]


def test_audit_log_filters_and_csv(app_client, users):
    h = login(app_client, users, "admin")
    app_client.post(
        "/api/users", json={"username": "t-audited", "password": "correct horse", "role": "viewer"}, headers=h
    )
    body = app_client.get("/api/audit", params={"what": "user.add"}, headers=h).json()
    assert body["total"] >= 1 and all(e["action"] == "user.add" for e in body["entries"])
    assert any(e["after"]["username"] == "t-audited" for e in body["entries"])
    by_who = app_client.get("/api/audit", params={"who": users["admin"]}, headers=h).json()["entries"]
    assert by_who and {e["who"] for e in by_who} == {users["admin"]}
    at = body["entries"][0]["at"]
    later = app_client.get(
        "/api/audit", params={"what": "user", "since": "2999-01-01T00:00:00+08:00"}, headers=h
    )
    assert later.json()["total"] == 0
    window = app_client.get("/api/audit", params={"what": "user", "until": at}, headers=h).json()
    assert all(e["at"] < at for e in window["entries"])
    bad = app_client.get("/api/audit", params={"since": at, "until": at}, headers=h)
    assert bad.status_code == 422
    assert app_client.get("/api/audit", params={"since": "2026-01-01T00:00:00"}, headers=h).status_code == 422
    assert app_client.get("/api/audit", headers=login(app_client, users, "operator")).status_code == 403
    assert app_client.get("/api/audit").status_code == 401
    rows = csv_rows(app_client.get("/api/audit.csv", params={"what": "user.add"}, headers=h))
    assert rows[0][0] == "时间（北京时间）" and any("t-audited" in r[6] for r in rows[1:])
    en = csv_rows(app_client.get("/api/audit.csv", headers=h | {"Accept-Language": "en"}))
    assert en[0][:2] == ["time (Beijing)", "who"]


def test_the_ledger_as_csv_puts_the_silent_first(warn):
    w = warn
    d = draft(w, township_codes(w.engine, 1), level=4)
    issue(w, d["id"])
    for t in tokens(w, d["id"])[:2]:
        assert w.client.post(f"/api/ack/{t}").status_code == 200
    w.clock.advance(minutes=20)  # past the red deadline (15 min)
    r = w.client.get(f"/api/warnings/{d['id']}/deliveries.csv", headers=w.login("operator"))
    rows = csv_rows(r)
    head, body = rows[0], rows[1:]
    assert head[:4] == ["乡镇代码", "乡镇", "村（社区）", "姓名"]
    state = head.index("状态")
    states = [row[state] for row in body]
    assert states.count("已叫应") == 2 and states[-2:] == ["已叫应", "已叫应"]
    assert states[0] == "超时未应"
    phone = head.index("电话")
    assert any(row[phone] for row in body)
    assert "attachment" in r.headers["content-disposition"]
    viewer = csv_rows(w.client.get(f"/api/warnings/{d['id']}/deliveries.csv", headers=w.login("viewer")))
    assert not any(row[phone] for row in viewer[1:])
    acked = head.index("叫应时间（北京时间）")
    assert all(len(row[acked]) == 16 for row in body if row[state] == "已叫应")  # 2026-12-01 20:30
    w.client.cookies.clear()  # the sign-in cookie opens it too (a download link); without: 401
    assert w.client.get(f"/api/warnings/{d['id']}/deliveries.csv").status_code == 401
    with w.engine.begin() as c:  # leave no active warning behind (the tiles' tests count them)
        c.execute(sa.text("TRUNCATE outbox, delivery, warning_township, warning CASCADE"))


def test_the_sheet_opens_with_the_sign_in_cookie_for_get_only(published, users, data_dir):
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.config import get_settings

    settings = get_settings().model_copy(update={"data_dir": data_dir})
    with TestClient(create_app(settings)) as c:
        r = c.post("/api/auth/token", data={"username": users["operator"], "password": "correct horse"})
        cookie = r.cookies.get("riskmap_session")
        set_cookie = r.headers["set-cookie"].lower()
        assert cookie and "httponly" in set_cookie and "samesite=strict" in set_cookie
        bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
        plan = c.post("/api/evacuation/plans", json={"run_id": published.run_id}, headers=bearer).json()
        c.cookies.set("riskmap_session", cookie)
        sheet = c.get(f"/api/evacuation/plans/{plan['id']}/sheet")  # no bearer: the cookie
        assert sheet.status_code == 200 and "人员转移安排表" in sheet.text
        assert "counter(page)" in sheet.text and "审核人" in sheet.text and "（北京时间）" in sheet.text
        assert "sha256-" in sheet.headers["content-security-policy"]
        assert sheet.headers["cache-control"] == "no-store"
        town = plan_town(c, plan["id"])
        one = c.get(f"/api/evacuation/plans/{plan['id']}/sheet", params={"township": town})
        assert one.text.count("<section class='town'") == 1 and f"data-township='{town}'" in one.text
        # the cookie opens no state-changing request (no CSRF surface)
        denied = c.post("/api/evacuation/plans", json={"run_id": published.run_id})
        assert denied.status_code == 401
        assert c.patch("/api/users/t-viewer", json={"active": False}).status_code == 401
        assert c.post("/api/auth/logout").status_code == 204
        c.cookies.clear()
        assert c.get(f"/api/evacuation/plans/{plan['id']}/sheet").status_code == 401
        rows = csv_rows(c.get(f"/api/evacuation/plans/{plan['id']}.csv"))
        assert rows[0][0] == "township_code" and len(rows) > 1
        opts = c.get("/api/evacuation/options").json()
        assert opts["policy"] == {"4": "all", "3": "vulnerable"} and opts["fleet"]["seats"] == 45


def plan_town(c, plan_id):
    return c.get(f"/api/evacuation/plans/{plan_id}").json()["assignments"][0]["township_code"]


def test_messages_say_beijing_time():
    from datetime import UTC, datetime

    from backend.i18n import beijing_span, beijing_time, pick_language

    t = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
    assert beijing_time(t) == "12月1日 20:30（北京时间）"
    assert beijing_time(t, "en") == "1 Dec 20:30 (Beijing time)"
    assert beijing_span(t, t, "zh") == "12月1日 20:30 至 12月1日 20:30（北京时间）"
    assert pick_language("fr, en;q=0.4, zh;q=0.8") == "zh" and pick_language(None) == "en"
    assert pick_language("en", "zh") == "zh"
