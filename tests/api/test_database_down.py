"""A database that cannot be reached: 503 problem+json from the exception handlers registered for
the database's faults (not from the catch-all, which Starlette re-raises after answering: uvicorn
then logs a traceback and drops the keep-alive connection)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import free_port


def test_every_database_fault_is_a_clean_503():
    from backend.app import create_app
    from backend.config import Settings

    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing_listens_here"
    app = create_app(Settings(database_url=url, connect_timeout_s=1, pool_timeout_s=1))
    # raise_server_exceptions: an exception that escapes the handlers fails the test
    with TestClient(app, raise_server_exceptions=True) as client:
        for path in ("/api/runs/latest", "/api/townships/risk", "/tiles/townships/10/838/435.pbf", "/readyz"):
            r = client.get(path)
            assert r.status_code == 503, (path, r.text)
            assert r.headers["content-type"] == "application/problem+json"
        r = client.post("/api/ack/" + "x" * 43)
        assert r.status_code == 503 and r.json()["title"] in ("Database unavailable", "Service busy")
