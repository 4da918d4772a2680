"""Imports over HTTP, for admins: the same report as the CLI; rejected rows are 422 problem+json
carrying it; unreadable uploads 400; templates to download; what of the county is loaded."""

from __future__ import annotations

import sqlalchemy as sa

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _post(client, headers, kind, path, **data):
    with open(path, "rb") as fh:
        return client.post(
            f"/api/import/{kind}", headers=headers, files={"file": (path.name, fh, XLSX)}, data=data
        )


def test_an_admin_checks_a_file_and_reads_the_report(client, auth, loaded, county_files):
    r = _post(client, auth("admin"), "villages", county_files.villages, dry_run="true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "checked" and not body["written"]
    assert body["rows"] == 300 and body["changes"]["unchanged"] == 300  # the sample loader's villages
    assert body["columns"]["population"] == "人口（人）"


def test_rejected_rows_are_a_problem_carrying_the_report(client, auth, loaded, tmp_path):
    bad = tmp_path / "村.csv"
    bad.write_text(
        "村名称,村代码,乡镇,人口,经度,纬度\n甲村,360799100299,石岐镇,很多,114.95,25.78\n", encoding="utf-8"
    )
    r = _post(client, auth("admin"), "villages", bad)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert "1 row(s) rejected" in body["detail"]
    assert body["report"]["errors"] == [
        {"where": "line 2", "line": 2, "field": "population", "value": "很多", "reason": "not a number"}
    ]


def test_an_unreadable_upload_is_a_bad_request(client, auth, loaded, tmp_path):
    junk = tmp_path / "村.xlsx"
    junk.write_bytes(b"\x00junk" * 50)
    r = _post(client, auth("admin"), "villages", junk)
    assert r.status_code == 400 and "not a readable XLSX workbook" in r.json()["detail"]
    shp = tmp_path / "村.shp"
    shp.write_bytes(b"\x00" * 100)
    r = _post(client, auth("admin"), "villages", shp)
    assert r.status_code == 400 and "upload them zipped" in r.json()["detail"]
    r = _post(client, auth("admin"), "volcanoes", junk)
    assert r.status_code == 400 and "unknown kind" in r.json()["detail"]


def test_only_admins_import(client, auth, loaded, county_files):
    assert _post(client, {}, "villages", county_files.villages).status_code == 401
    assert _post(client, auth("operator"), "villages", county_files.villages).status_code == 403


def test_an_import_over_http_is_audited_under_the_admins_name(client, auth, loaded, county_files, engine):
    # earlier tests may have edited a responsible person: the first import puts the roster back,
    # the second changes nothing
    r = _post(client, auth("admin"), "recipients", county_files.recipients)
    assert r.status_code == 200, r.text
    r = _post(client, auth("admin"), "recipients", county_files.recipients)
    assert r.status_code == 200, r.text
    assert r.json()["written"] and r.json()["changes"]["unchanged"] == r.json()["rows"]
    with engine.connect() as c:
        actor = c.execute(
            sa.text("SELECT actor FROM audit_log WHERE action = 'import.recipients' ORDER BY id DESC LIMIT 1")
        ).scalar()
    assert actor == "t-admin"


def test_templates_kinds_and_the_county_summary(client, auth, loaded):
    admin = auth("admin")
    r = client.get("/api/import/templates/shelters.xlsx", headers=admin)
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = client.get("/api/import/templates/villages.csv", headers=admin)
    assert r.text.lstrip("\ufeff").startswith("*村代码 code,*村名称 name")
    kinds = client.get("/api/import/kinds", headers=admin).json()
    assert [k["kind"] for k in kinds][:3] == ["county", "townships", "villages"]
    s = client.get("/api/import/summary", headers=auth("operator")).json()
    assert s["loaded"]["townships"] == 19 and s["county"]["name"] == "云岭县"
