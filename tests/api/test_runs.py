"""GET /api/runs, /api/runs/latest, /api/runs/{id}, /api/townships/risk."""

from __future__ import annotations

import sqlalchemy as sa


def test_runs_list_latest_and_one(client, published):
    runs = client.get("/api/runs").json()
    assert any(r["id"] == published.run_id and r["status"] == "published" for r in runs)
    latest = client.get("/api/runs/latest").json()
    assert latest["status"] == "published"
    one = client.get(f"/api/runs/{published.run_id}").json()
    assert one["valid_from"].startswith("2026-10-25T16:00:00")  # 2026-10-26 00:00 Beijing time
    assert one["valid_to"].startswith("2026-10-28T16:00:00")
    counts = one["counts_by_level"]
    assert set(counts) == {"onemap", "rain", "fire", "geohazard"}
    assert set(counts["onemap"]) == {"blue", "yellow", "orange", "red"}
    red_cells = int((published.result.layers["onemap"].values == 4).sum())
    assert counts["onemap"]["red"] == {"cells": red_cells, "area_km2": round(red_cells * 0.01, 2)}
    assert set(one["dominant_area_km2"]) == {"rain", "fire", "geohazard"}


def test_unknown_run_is_404_problem_json(client, published):
    r = client.get("/api/runs/999999")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "run 999999 does not exist"
    assert client.get("/api/runs/0").status_code == 422
    assert client.get("/api/runs/abc").status_code == 422


def test_township_risk_of_a_run(client, published, engine):
    body = client.get(f"/api/townships/risk?run={published.run_id}").json()
    assert body["run_id"] == published.run_id
    towns = body["townships"]
    assert len(towns) == 19
    first = towns[0]
    assert set(first) >= {
        "code",
        "name",
        "level",
        "colour",
        "roman",
        "dominant_hazard",
        "exposed",
        "area_share",
        "hazards",
    }
    assert first["level"] == 4 and first["colour"] == "red" and first["roman"] == "Ⅰ"
    assert set(first["exposed"]) == {"blue", "yellow", "orange", "red"}
    with engine.connect() as c:
        expected = c.execute(
            sa.text(
                "SELECT exposed_4 FROM township_risk tr JOIN township t ON t.id = tr.township_id "
                "WHERE run_id = :r AND hazard = 'onemap' AND t.code = :code"
            ),
            {"r": published.run_id, "code": first["code"]},
        ).scalar()
    assert first["exposed"]["red"] == expected
    levels = [t["level"] for t in towns]
    assert levels == sorted(levels, reverse=True)
    default = client.get("/api/townships/risk").json()
    assert default["run_id"] == client.get("/api/runs/latest").json()["id"]


def test_township_risk_of_a_failed_run_is_404(client, engine, published):
    with engine.begin() as c:
        rid = c.execute(
            sa.text(
                "INSERT INTO risk_run (status, inputs_checksum, params, error) VALUES "
                "('failed', 'x', '{}', 'boom') RETURNING id"
            )
        ).scalar()
    r = client.get(f"/api/townships/risk?run={rid}")
    assert r.status_code == 404 and "not published" in r.json()["detail"]
    assert client.get(f"/api/runs/{rid}").json()["error"] == "boom"
