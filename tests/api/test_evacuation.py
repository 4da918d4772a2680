"""Evacuation plans over HTTP on the sample county; roles; re-planning after PATCHes."""

from __future__ import annotations

import csv
import io

import pytest
import shapely
import sqlalchemy as sa


@pytest.fixture(scope="module")
def plan(published, users):
    from fastapi.testclient import TestClient

    from backend.app import create_app

    with TestClient(create_app()) as c:
        tok = c.post("/api/auth/token", data={"username": users["operator"], "password": "correct horse"})
        h = {"Authorization": f"Bearer {tok.json()['access_token']}"}
        r = c.post("/api/evacuation/plans", json={"run_id": published.run_id}, headers=h)
        assert r.status_code == 201, r.text
        return r.json()


def test_a_plan_on_the_sample_county(plan, client, auth, engine):
    t = plan["totals"]
    assert t["people_to_move"] > 5000 and t["villages"] > 10
    assert t["assigned"] + t["unserved"] == t["people_to_move"]
    assert t["trips"] > 0 and t["finish_minutes"] > 0
    body = client.get(f"/api/evacuation/plans/{plan['id']}", headers=auth("viewer")).json()
    assert sum(a["persons"] for a in body["assignments"]) == t["assigned"]
    assert sum(u["persons"] for u in body["unserved"]) == t["unserved"]
    assert all(u["reason"] in ("unreachable", "no shelter capacity") for u in body["unserved"])
    with engine.connect() as c:  # capacities respected
        over = c.execute(
            sa.text(
                "SELECT count(*) FROM (SELECT a.shelter_id, sum(a.persons) p FROM evacuation_assignment a "
                "WHERE a.plan_id = :p AND a.shelter_id IS NOT NULL GROUP BY a.shelter_id) x "
                "JOIN shelter s ON s.id = x.shelter_id WHERE x.p > s.capacity - s.occupancy"
            ),
            {"p": plan["id"]},
        ).scalar()
        assert over == 0
        unsafe = c.execute(
            sa.text(
                "SELECT count(*) FROM evacuation_assignment a JOIN shelter s ON s.id = a.shelter_id "
                "WHERE a.plan_id = :p AND EXISTS (SELECT 1 FROM risk_zone_part z WHERE z.run_id = :r "
                "AND z.hazard = 'onemap' AND z.level >= 3 AND ST_Intersects(z.geom, s.geom))"
            ),
            {"p": plan["id"], "r": plan["run_id"]},
        ).scalar()
        assert unsafe == 0  # nobody is sent to a shelter in orange/red


def test_exports(plan, client, auth):
    h = auth("viewer")
    gj = client.get(f"/api/evacuation/plans/{plan['id']}.geojson", headers=h).json()
    assert gj["features"] and gj["features"][0]["geometry"]["type"] == "MultiLineString"
    text = client.get(f"/api/evacuation/plans/{plan['id']}.csv", headers=h).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sum(int(r["persons"]) for r in rows) == plan["totals"]["people_to_move"]
    sheet = client.get(f"/api/evacuation/plans/{plan['id']}/sheet", headers=h)
    assert sheet.headers["content-type"].startswith("text/html")
    assert "人员转移安排表" in sheet.text and "@page { size: A4" in sheet.text
    assert "村党支部书记" in sheet.text  # responsible persons and their phones


def test_routes_tiles_of_a_plan(plan, client):
    import math

    import mapbox_vector_tile

    lon, lat = 115.0, 25.8
    n = 2**7
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    r = client.get(f"/tiles/routes/7/{x}/{y}.pbf?plan={plan['id']}")
    assert r.status_code == 200
    feats = mapbox_vector_tile.decode(r.content)["routes"]["features"]
    assert feats and {"persons", "minutes", "shelter", "village"} <= set(feats[0]["properties"])
    assert r.headers["cache-control"].endswith("immutable")


def test_closing_a_road_changes_the_next_plan(plan, client, auth, engine, published):
    h = auth("operator")
    with engine.connect() as c:
        used = c.execute(
            sa.text(
                "SELECT r.id FROM road r JOIN evacuation_assignment a ON a.plan_id = :p "
                "AND ST_Covers(a.geom, r.geom) ORDER BY r.id LIMIT 1"
            ),
            {"p": plan["id"]},
        ).scalar()
    assert used
    r = client.patch(f"/api/roads/{used}", json={"closed": True}, headers=h)
    assert r.status_code == 200 and r.json()["closed"] is True
    try:
        again = client.post("/api/evacuation/plans", json={"run_id": published.run_id}, headers=h).json()
        changes = client.get(f"/api/evacuation/plans/{again['id']}/changes?against={plan['id']}").json()
        assert changes["against"] == plan["id"] and changes["villages"]  # someone takes another way
        assert all(v["before"] != v["after"] for v in changes["villages"])
        with engine.connect() as c:
            road = c.execute(
                sa.text("SELECT ST_AsBinary(geom) FROM road WHERE id = :r"), {"r": used}
            ).scalar()
            routes = c.execute(
                sa.text(
                    "SELECT ST_AsBinary(geom) FROM evacuation_assignment "
                    "WHERE plan_id = :p AND geom IS NOT NULL"
                ),
                {"p": again["id"]},
            ).scalars()
            line = shapely.from_wkb(bytes(road))
            assert not any(shapely.from_wkb(bytes(g)).covers(line) for g in routes)
            audit = c.execute(
                sa.text(
                    "SELECT actor, before->>'closed', after->>'closed' FROM audit_log "
                    "WHERE entity = 'road' AND entity_id = :r ORDER BY id DESC LIMIT 1"
                ),
                {"r": str(used)},
            ).one()
            assert audit == ("t-operator", "false", "true")
    finally:
        client.patch(f"/api/roads/{used}", json={"closed": False}, headers=h)


def test_a_full_shelter_gets_nobody(plan, client, auth, published):
    h = auth("operator")
    body = client.get(f"/api/evacuation/plans/{plan['id']}", headers=h).json()
    code = body["assignments"][0]["shelter_code"]
    sid = next(
        f["id"] for f in client.get("/api/shelters").json()["features"] if f["properties"]["code"] == code
    )
    cap = client.get("/api/shelters").json()
    capacity = next(f["properties"]["capacity"] for f in cap["features"] if f["id"] == sid)
    assert client.patch(f"/api/shelters/{sid}", json={"occupancy": capacity}, headers=h).status_code == 200
    try:
        again = client.post("/api/evacuation/plans", json={"run_id": published.run_id}, headers=h).json()
        rows = client.get(f"/api/evacuation/plans/{again['id']}", headers=h).json()["assignments"]
        assert all(a["shelter_code"] != code for a in rows)
    finally:
        client.patch(f"/api/shelters/{sid}", json={"occupancy": 0}, headers=h)


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/evacuation/plans", {"run_id": 1}),
        ("patch", "/api/shelters/1", {"occupancy": 1}),
        ("patch", "/api/roads/1", {"closed": True}),
    ],
)
def test_roles_401_without_token_403_for_viewers(client, auth, method, url, body):
    r = getattr(client, method)(url, json=body)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-type"] == "application/problem+json"
    r = getattr(client, method)(url, json=body, headers=auth("viewer"))
    assert r.status_code == 403 and "operator" in r.json()["detail"]
    bad = getattr(client, method)(url, json=body, headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401


def test_plans_are_public_but_the_sheet_with_phones_needs_a_user(client, plan, published):
    assert client.get(f"/api/evacuation/plans/{plan['id']}").status_code == 200
    listed = client.get(f"/api/evacuation/plans?run={published.run_id}").json()
    assert listed[0]["run_id"] == published.run_id and listed[0]["id"] >= plan["id"]
    assert client.get(f"/api/evacuation/plans/{plan['id']}/sheet").status_code == 401


def test_bad_input_is_4xx_problem_json(client, auth, engine, published):
    h = auth("operator")
    assert client.post("/api/evacuation/plans", json={"run_id": 999999}, headers=h).status_code == 404
    with engine.begin() as c:
        failed = c.execute(
            sa.text(
                "INSERT INTO risk_run (status, inputs_checksum, params) VALUES "
                "('failed', 'x', '{}') RETURNING id"
            )
        ).scalar()
    r = client.post("/api/evacuation/plans", json={"run_id": failed}, headers=h)
    assert r.status_code == 422 and "not published" in r.json()["detail"]
    r = client.post(
        "/api/evacuation/plans",
        json={"run_id": published.run_id, "options": {"fleet": {"buses": -2}}},
        headers=h,
    )
    assert r.status_code == 422 and "buses" in r.json()["detail"]
    r = client.post(
        "/api/evacuation/plans",
        json={"run_id": published.run_id, "options": {"policy": {"4": "everyone"}}},
        headers=h,
    )
    assert r.status_code == 422
    r = client.patch("/api/shelters/1", json={"occupancy": -1}, headers=h)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert client.patch("/api/shelters/999999", json={"occupancy": 1}, headers=h).status_code == 404
    assert client.get("/api/evacuation/plans/999999", headers=h).status_code == 404


def test_tokens(client, users):
    bad = client.post("/api/auth/token", data={"username": users["viewer"], "password": "wrong"})
    assert bad.status_code == 401
    ok = client.post("/api/auth/token", data={"username": users["admin"], "password": "correct horse"}).json()
    assert ok["token_type"] == "bearer" and ok["expires_in"] == 3600
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {ok['access_token']}"}).json()
    assert me == {"username": users["admin"], "role": "admin", "scope": None}


def test_cli_user_add_and_evac_plan(published, tmp_path, database_url):
    import os
    import subprocess
    import sys

    env = {**os.environ, "RISKMAP_DATABASE_URL": database_url, "RISKMAP_DATA_DIR": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-m", "backend.cli", "user", "add", "cli-op", "--role", "operator"],
        input="a long password\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0 and "added with role operator" in r.stdout
    r = subprocess.run(
        [sys.executable, "-m", "backend.cli", "evac", "plan", "--run", str(published.run_id)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    plan_dir = next((tmp_path / "plans").iterdir())
    assert {p.name for p in plan_dir.iterdir()} == {
        "plan.json",
        "routes.geojson",
        "assignments.csv",
        "sheet.html",
    }
    assert "people to move" in r.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "backend.cli", "evac", "plan", "--run", "999999"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert bad.returncode == 1 and "run 999999 does not exist" in bad.stderr
