"""The service's door (docs/security.md): body limits before the body is read, authentication
before any body is decoded, security headers and CORS, throttled sign-in and acknowledgement links,
secrets kept out of logs and compared in constant time."""

from __future__ import annotations

import ast
import asyncio
import logging
import re
from pathlib import Path

import pytest

BACKEND = Path(__file__).resolve().parents[2] / "backend"


@pytest.fixture()
def settings(tmp_path):
    from backend.config import get_settings

    return get_settings().model_copy(update={"data_dir": tmp_path})


@pytest.fixture()
def app(settings):
    from backend.app import create_app

    return create_app(settings)


def bearer(settings, role="operator") -> bytes:
    """A token this service signed (the gate checks only that; the route checks the user)."""
    from backend.auth.service import issue_token
    from backend.models import AppUser

    token, _ = issue_token(settings, AppUser(username="gate-test", role=role, password_hash="x"))
    return b"Bearer " + token.encode()


def call(app, method: str, path: str, headers: list[tuple[bytes, bytes]], chunks=()) -> tuple[dict, int]:
    """One request straight through the ASGI app: (the response, how many body chunks were read)."""
    chunks = list(chunks)
    read = 0
    out = {"status": None, "headers": {}, "body": b""}

    async def receive():
        nonlocal read
        if read < len(chunks):
            read += 1
            return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return out, read


JSON = (b"content-type", b"application/json")
HUGE = (b"content-length", str(200 * 1024 * 1024).encode())


# ---- body limits and authentication before the body -------------------------------------------


def test_an_anonymous_200_mb_post_is_refused_with_401_without_reading_its_body(app):
    r, read = call(app, "POST", "/api/warnings", [JSON, HUGE], chunks=[b"[" * 65536] * 4)
    assert r["status"] == 401 and read == 0
    assert r["headers"]["content-type"] == "application/problem+json"
    assert r["headers"]["www-authenticate"] == "Bearer"
    assert "content-security-policy" in r["headers"]  # the door's answers carry the headers too
    # a forged or foreign token is no better
    r, read = call(app, "POST", "/api/warnings", [JSON, HUGE, (b"authorization", b"Bearer a.b.c")])
    assert (r["status"], read) == (401, 0) and b"invalid token" in r["body"]


def test_a_signed_in_oversized_body_is_refused_with_413_before_it_is_read(app, settings):
    r, read = call(app, "POST", "/api/warnings", [JSON, HUGE, (b"authorization", bearer(settings))])
    assert r["status"] == 413 and read == 0
    assert r["headers"]["content-type"] == "application/problem+json"
    assert b"1 MB" in r["body"] and b"/api/warnings" in r["body"]
    # sign-in takes no token but the same small limit
    r, read = call(app, "POST", "/api/auth/token", [HUGE])
    assert (r["status"], read) == (413, 0)


def test_a_streamed_body_is_cut_off_as_soon_as_it_passes_the_limit(app, settings):
    chunk = b" " * 65536
    headers = [JSON, (b"transfer-encoding", b"chunked"), (b"authorization", bearer(settings))]
    r, read = call(app, "POST", "/api/warnings", headers, chunks=[chunk] * 80)  # 5 MB
    assert r["status"] == 413
    assert read == 17  # 1 MB / 64 KB + the one that passed it: the other 63 never read
    assert r["headers"]["content-type"] == "application/problem+json"


def test_imports_have_the_larger_upload_limit_and_bad_lengths_are_400(app, settings):
    from backend.security.asgi import BodyLimit

    limit = BodyLimit(None, settings.max_json_bytes, [("/api/import/", settings.max_upload_bytes)])
    assert limit.limit_for("/api/import/villages") == settings.max_upload_bytes == 50 * 1024 * 1024
    assert limit.limit_for("/api/warnings") == settings.max_json_bytes == 1024 * 1024
    size = (b"content-length", str(5 * 1024 * 1024).encode())
    auth = (b"authorization", bearer(settings, "admin"))
    r, _ = call(app, "POST", "/api/import/villages", [size, auth, (b"content-type", b"text/csv")])
    assert r["status"] != 413  # passes the door (no such route in this branch: 404 or 405)
    r, _ = call(app, "POST", "/api/warnings", [(b"content-length", b"lots"), auth])
    assert r["status"] == 400


def test_every_route_that_takes_a_body_needs_a_token_or_is_listed_public(app):
    from backend.auth.gate import PUBLIC_WITH_BODY

    for path, ops in app.openapi()["paths"].items():
        for method, op in ops.items():
            if "requestBody" in op and not path.startswith(PUBLIC_WITH_BODY):
                assert op.get("security"), f"{method.upper()} {path} takes a body without a token"


# ---- headers and CORS ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/healthz", "/api/runs", "/api/nope", "/ack/unknown-token-0000000000000"]
)
def test_every_answer_carries_the_security_headers(client, path):
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    assert "access-control-allow-origin" not in r.headers


def test_signed_in_answers_are_not_stored_and_the_docs_get_their_own_policy(client, auth):
    assert client.get("/api/auth/me", headers=auth("viewer")).headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/api/runs").headers.get("cache-control", "")
    docs = client.get("/docs").headers["content-security-policy"]
    assert "'unsafe-inline'" in docs and "frame-ancestors 'none'" in docs


def test_cors_is_closed_by_default_and_open_only_to_the_configured_origins(client, settings):
    from fastapi.testclient import TestClient

    from backend.app import create_app

    preflight = {"Origin": "https://duty.example.org", "Access-Control-Request-Method": "GET"}
    r = client.options("/api/runs", headers=preflight)
    assert "access-control-allow-origin" not in r.headers
    assert (
        "access-control-allow-origin"
        not in client.get("/api/runs", headers={"Origin": "https://x.org"}).headers
    )
    opened = settings.model_copy(update={"cors_origins": "https://duty.example.org, https://b.example.org"})
    with TestClient(create_app(opened)) as c:
        r = c.options("/api/runs", headers=preflight)
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://duty.example.org"
        r = c.get("/api/runs", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in r.headers
        r = c.get("/api/runs", headers={"Origin": "https://b.example.org"})
        assert r.headers["access-control-allow-origin"] == "https://b.example.org"


# ---- throttles -------------------------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_repeated_failed_sign_ins_lock_the_name_then_let_it_in_after_the_lockout(client, users):
    from backend.security.throttle import LoginThrottle

    clock = FakeClock()
    client.app.state.login_throttle = LoginThrottle(3, 10, window_s=900, lockout_s=300, clock=clock)
    name = users["operator"]
    for _ in range(3):
        r = client.post("/api/auth/token", data={"username": name, "password": "guess-guess"})
        assert r.status_code == 401
    # locked: even the right password is refused, without being checked
    r = client.post("/api/auth/token", data={"username": name, "password": "correct horse"})
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"] == "300" and "300 s" in r.json()["detail"]
    # another name from the same address is not locked (yet)
    assert (
        client.post(
            "/api/auth/token", data={"username": users["viewer"], "password": "correct horse"}
        ).status_code
        == 200
    )
    clock.t += 301
    assert (
        client.post("/api/auth/token", data={"username": name, "password": "correct horse"}).status_code
        == 200
    )


def test_failures_across_many_names_lock_the_source_address(client, users):
    from backend.security.throttle import LoginThrottle

    clock = FakeClock()
    client.app.state.login_throttle = LoginThrottle(3, 5, window_s=900, lockout_s=120, clock=clock)
    for i in range(5):
        r = client.post("/api/auth/token", data={"username": f"nobody-{i}", "password": "guess-guess"})
        assert r.status_code == 401
    r = client.post("/api/auth/token", data={"username": users["admin"], "password": "correct horse"})
    assert r.status_code == 429 and r.headers["retry-after"] == "120"


def test_a_throttle_forgets_old_failures_and_bounds_its_memory():
    from backend.security.throttle import Throttle

    clock = FakeClock()
    t = Throttle(3, window_s=60, lockout_s=30, clock=clock, max_keys=100)
    t.failure("a"), t.failure("a")
    clock.t += 61  # the window ran out: the count starts again
    assert t.failure("a") == 0 and t.failure("a") == 0 and t.failure("a") == 30
    clock.t += 29.5
    assert t.retry_after("a") == 1
    clock.t += 1
    assert t.retry_after("a") == 0
    for i in range(1000):  # a flood of addresses
        t.failure(f"10.0.{i // 256}.{i % 256}")
    assert len(t) <= 100


# ---- secrets ----------------------------------------------------------------------------------


def test_no_token_or_password_reaches_the_logs(client, users, caplog):
    from backend.dispatch.channels import LoggingSmsProvider

    caplog.set_level(logging.INFO)
    token = "Zm9yZ2VkLXRva2VuLWZvci1sb2dzLXRlc3Q"
    password = "a-secret-that-must-not-be-logged"
    client.get(f"/ack/{token}")
    client.post(f"/api/ack/{token}")
    client.post("/api/auth/token", data={"username": users["viewer"], "password": password})
    ok = client.post("/api/auth/token", data={"username": users["viewer"], "password": "correct horse"})
    bearer_token = ok.json()["access_token"]
    client.get("/api/auth/me", headers={"Authorization": f"Bearer {bearer_token}"})
    LoggingSmsProvider().send("13812345678", f"红色预警 http://127.0.0.1:8000/ack/{token} 请确认", "ref-1")
    # everything the service logged (httpx's lines are the test client's own requests)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name != "httpx")
    assert "/ack/***" in logged and "138****5678" in logged
    for secret in (token, password, bearer_token, "13812345678", "correct horse"):
        assert secret not in logged


def test_webhook_signatures_are_checked_in_constant_time():
    from backend.dispatch.channels import verify_webhook_signature, webhook_signature

    sig = webhook_signature("k", "1700000000", b"{}")
    assert verify_webhook_signature("k", "1700000000", b"{}", sig)
    assert not verify_webhook_signature("k", "1700000000", b"{}", sig[:-1] + "0")


SECRET_NAME = re.compile(r"token|secret|signature|password|digest|mac\b|stamp", re.I)


def _name(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        # Model.column == value is SQL, compared by the database: not a Python comparison
        if isinstance(node.value, ast.Name) and node.value.id[:1].isupper():
            return ""
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def test_no_secret_is_compared_with_equals_anywhere_in_the_backend():
    """Tokens, signatures and password stamps are compared with hmac.compare_digest (constant
    time), never ``==`` (whose early exit leaks how much of a guess was right)."""
    offending = []
    for path in BACKEND.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and any(isinstance(o, ast.Eq | ast.NotEq) for o in node.ops):
                names = [_name(node.left), *(_name(c) for c in node.comparators)]
                if any(SECRET_NAME.search(n) for n in names if n):
                    offending.append(f"{path.relative_to(BACKEND)}:{node.lineno}")
    assert offending == []
