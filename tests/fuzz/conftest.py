"""The world the API fuzzer works in: the published sample run, an evacuation plan, a draft and an
issued warning with its acknowledgement links, and users of each role.

Fuzzing changes data (it adds users, recipients, drafts; closes roads; issues and cancels warnings), so
these tests run after every other test of the session, which shares the database.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

PASSWORD = "fuzz-password-1"


def pytest_collection_modifyitems(session, config, items):
    fuzz = [item for item in items if "tests/fuzz/" in item.nodeid.replace("\\", "/")]
    if fuzz:
        rest = [item for item in items if item not in fuzz]
        items[:] = rest + fuzz


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The XYZ tile (Web Mercator) holding a point."""
    import math

    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


@pytest.fixture(scope="session")
def fuzz_world(published, data_dir, engine):
    """The app (in-process, as the fuzzer calls it), tokens by role, and ids that exist."""
    import sqlalchemy as sa
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from backend.app import create_app
    from backend.auth.service import add_user, issue_token
    from backend.config import get_settings
    from backend.dispatch.queue import runtime_secret
    from backend.models import AppUser
    from backend.warnings.acks import ack_token

    settings = get_settings().model_copy(
        update={
            "data_dir": data_dir,
            "public_url": "http://testserver",
            # one request at a time: a small pool leaves the shared PostgreSQL its connections
            "pool_size": 2,
            "max_overflow": 1,
            "ack_pool_size": 1,
        }
    )
    tokens = {}
    with Session(engine) as s, s.begin():
        for role in ("viewer", "operator", "admin"):
            name = f"fuzz-{role}"
            user = s.scalar(sa.select(AppUser).where(AppUser.username == name))
            user = user or add_user(s, name, PASSWORD, role)
            tokens[role] = {"Authorization": f"Bearer {issue_token(settings, user)[0]}"}
        # one the fuzzer may change (role, password, active) without locking itself out
        if s.scalar(sa.select(AppUser).where(AppUser.username == "fuzz-victim")) is None:
            add_user(s, "fuzz-victim", PASSWORD, "viewer")

    run_id = published.run_id
    with TestClient(create_app(settings)) as c:
        op = tokens["operator"]
        plan = c.post("/api/evacuation/plans", json={"run_id": run_id}, headers=op)
        assert plan.status_code == 201, plan.text
        codes = [t["code"] for t in c.get("/api/townships/risk").json()["townships"]][:2]
        draft = {"hazard": "rain", "level": 2, "township_codes": codes, "run_id": run_id}
        warnings = []
        for _ in range(3):
            r = c.post("/api/warnings", json=draft, headers=op)
            assert r.status_code == 201, r.text
            warnings.append(r.json()["id"])
        issued = c.post(f"/api/warnings/{warnings[1]}/issue", headers=op)
        assert issued.status_code == 200, issued.text

    with engine.connect() as conn:
        deliveries = conn.execute(
            sa.text("SELECT id FROM delivery WHERE warning_id = :w ORDER BY id LIMIT 3"), {"w": warnings[1]}
        ).scalars()
        acks = [ack_token(runtime_secret(settings), d) for d in deliveries]
        shelter = conn.execute(sa.text("SELECT min(id) FROM shelter")).scalar()
        road = conn.execute(sa.text("SELECT min(id) FROM road")).scalar()
        recipient = conn.execute(sa.text("SELECT min(code) FROM recipient")).scalar()
        lon, lat = conn.execute(
            sa.text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(geom)) c FROM township) t")
        ).one()
    assert acks, "the issued warning has no deliveries"
    z, x, y = tile_of(lon, lat, 11)

    return SimpleNamespace(
        settings=settings,
        tokens=tokens,
        known={
            # path parameters
            "run_id": [run_id],
            "plan_id": [plan.json()["id"]],
            "warning_id": warnings,
            "shelter_id": [shelter],
            "road_id": [road],
            "code": [recipient],
            "username": ["fuzz-victim"],
            "token": acks,
            "z": [z],
            "x": [x],
            "y": [y],
            # query parameters
            "run": [run_id],
            "from_run": [run_id],
            "plan": [plan.json()["id"]],
            "against": [plan.json()["id"]],
            "township": codes,
        },
    )
