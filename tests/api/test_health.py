"""Service skeleton: health, readiness (including a database that is down), errors, CLI errors."""

from __future__ import annotations

import os
import subprocess
import sys

from fastapi.testclient import TestClient

from backend.app import create_app
from backend.config import Settings
from backend.migrate import head_revision

DOWN_URL = "postgresql+psycopg://postgres@127.0.0.1:1/riskmap"  # nothing listens on port 1


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_readyz_reports_postgis_and_schema(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready" and body["postgis"].startswith("3.")
    assert body["schema"] == head_revision()


def test_readyz_is_503_problem_json_when_the_database_is_down():
    with TestClient(create_app(Settings(database_url=DOWN_URL, connect_timeout_s=2))) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 503 and "unreachable" in r.json()["detail"]


def test_acknowledging_while_the_database_is_down_is_a_503_not_a_hang():
    settings = Settings(database_url=DOWN_URL, connect_timeout_s=1, pool_timeout_s=1.0)
    # raise_server_exceptions=False: what a client gets, not the re-raise TestClient adds after it
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        r = c.post("/api/ack/" + "x" * 43)
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert "database" in r.json()["detail"]


def test_unknown_path_is_a_problem_json_404(client):
    r = client.get("/api/nothing-here")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_the_page_and_openapi_are_served(client):
    assert "风险一张图" in client.get("/").text
    assert client.get("/openapi.json").json()["info"]["title"] == "riskmap"
    assert client.get("/docs").status_code == 200


def _riskmap(*args, url):
    env = {**os.environ, "RISKMAP_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_says_in_one_line_what_to_do_when_the_database_is_down():
    r = _riskmap("db", "check", url=DOWN_URL)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "cannot connect to PostgreSQL at 127.0.0.1:1" in lines[0]
    assert "pg_ctlcluster" in lines[0] and "docker compose" in lines[0]


def test_cli_rejects_a_url_that_is_not_postgres():
    r = _riskmap("db", "upgrade", url="mysql://root@localhost/x")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "needs PostgreSQL with PostGIS" in r.stderr


def test_cli_names_a_missing_sample_directory(tmp_path):
    r = _riskmap("sample", "load", str(tmp_path / "nope"), url=DOWN_URL)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "nope: no such directory" in r.stderr.replace("\n", "")
