"""Shared fixtures: a fresh PostGIS database per test session, and one generated sample county.

The database named by RISKMAP_DATABASE_URL (default: local PostgreSQL) is not touched; tests run in
``riskmap_test_<pid>``, created and migrated here and dropped at the end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from backend.config import DEFAULT_DATABASE_URL

_base = make_url(os.environ.get("RISKMAP_DATABASE_URL", DEFAULT_DATABASE_URL))
TEST_DB = f"riskmap_test_{os.getpid()}"
os.environ["RISKMAP_DATABASE_URL"] = _base.set(database=TEST_DB).render_as_string(False)
SEED = 20260701


@pytest.fixture(scope="session")
def database_url() -> str:
    """A migrated, empty test database; dropped after the session."""
    from backend import db
    from backend.config import get_settings
    from backend.migrate import upgrade

    get_settings.cache_clear()
    db.get_engine.cache_clear()
    upgrade()
    yield os.environ["RISKMAP_DATABASE_URL"]
    db.get_engine().dispose()
    import sqlalchemy as sa

    admin = sa.create_engine(
        _base.set(database="postgres", drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url):
    from backend.db import get_engine

    return get_engine()


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    from sample_data.generate import generate

    out = tmp_path_factory.mktemp("sample")
    generate(out, seed=SEED)
    return out


@pytest.fixture(scope="session")
def loaded(database_url, sample_dir) -> Path:
    """The sample county loaded into the test database."""
    from sample_data.load import load

    load(sample_dir)
    return sample_dir


@pytest.fixture()
def conn(engine):
    """A connection whose work is rolled back after the test."""
    with engine.connect() as c:
        trans = c.begin()
        yield c
        trans.rollback()


@pytest.fixture()
def client(database_url):
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.config import get_settings

    with TestClient(create_app(get_settings())) as c:
        yield c


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def published(loaded, engine, data_dir):
    """The sample scenario computed and published once for the session."""
    from pipelines.run import RunInputs, run_pipeline

    return run_pipeline(engine, RunInputs.sample(loaded), data_dir, force=True)


@pytest.fixture(scope="session")
def users(database_url):
    """A viewer, an operator and an admin (password 'correct horse')."""
    from sqlalchemy.orm import Session

    from backend.auth.service import add_user
    from backend.db import get_engine

    with Session(get_engine()) as s, s.begin():
        for name in ("viewer", "operator", "admin"):
            add_user(s, f"t-{name}", "correct horse", name)
    return {name: f"t-{name}" for name in ("viewer", "operator", "admin")}


@pytest.fixture()
def auth(client, users):
    """Authorization headers for a role."""

    def headers(role: str) -> dict:
        r = client.post("/api/auth/token", data={"username": users[role], "password": "correct horse"})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return headers


# ---- warnings: real receivers on loopback, a settable clock, the dispatch runtime ------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """A real SMTP server (aiosmtpd) on loopback that can be down, then up, on the same port."""

    def __init__(self):
        self.port = free_port()
        self.messages = []  # email.message.Message
        self.peers = []  # the client's (host, port) for each message: one port per SMTP session
        self.controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.peers.append(session.peer)
        return "250 OK"

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]


class WebhookReceiver:
    """A local HTTP server that records each POST (headers and body) and answers ``status``."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self
        self.requests = []
        self.status = 200

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Clock:
    """Now, settable: tests move time instead of sleeping."""

    def __init__(self):
        from datetime import UTC, datetime

        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self):
        return self.now

    def advance(self, **kw):
        from datetime import timedelta

        self.now += timedelta(**kw)
        return self.now


@pytest.fixture()
def mailbox():
    box = Mailbox()
    yield box
    box.stop()


@pytest.fixture()
def webhook():
    hook = WebhookReceiver()
    yield hook
    hook.close()


@pytest.fixture()
def warn(published, users, data_dir, mailbox, webhook):
    """A clean slate of warnings, an app with a settable clock, and the dispatch runtime wired to the
    loopback receivers (e-mail where a person has an address, the webhook gateway otherwise)."""
    from types import SimpleNamespace

    import sqlalchemy as sa
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.config import get_settings
    from backend.db import get_engine
    from backend.dispatch import queue
    from backend.worker import run_worker

    def clean_slate():
        with get_engine().begin() as c:
            c.execute(sa.text("TRUNCATE outbox, delivery, warning_township, warning CASCADE"))
            c.execute(sa.text("DELETE FROM procrastinate_jobs"))

    clean_slate()
    settings = get_settings().model_copy(
        update={
            "data_dir": data_dir,
            "smtp_port": mailbox.port,
            "webhook_url": webhook.url,
            "person_channels": "email,webhook",
            "dispatch_backoff_s": 30.0,
            "dispatch_backoff_cap_s": 300.0,
            "public_url": "http://testserver",
        }
    )
    clock = Clock()
    rt = queue.configure(settings, get_engine(), clock)

    def drain():
        """Work through the send jobs that are due now."""
        run_worker(settings, wait=False, queues=("dispatch",), concurrency=4)

    def retries_due():
        """Time passes for the queue: every retry waiting for its back-off is due now."""
        with get_engine().begin() as c:
            c.execute(
                sa.text(
                    "UPDATE procrastinate_jobs SET scheduled_at = now() "
                    "WHERE status = 'todo' AND scheduled_at > now()"
                )
            )

    with TestClient(create_app(settings, clock=clock)) as client:

        def login(role: str) -> dict:
            r = client.post("/api/auth/token", data={"username": users[role], "password": "correct horse"})
            assert r.status_code == 200, r.text
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        yield SimpleNamespace(
            client=client,
            settings=settings,
            clock=clock,
            runtime=rt,
            drain=drain,
            retries_due=retries_due,
            login=login,
            run_id=published.run_id if hasattr(published, "run_id") else published,
            mailbox=mailbox,
            webhook=webhook,
            engine=get_engine(),
        )
    clean_slate()  # no warning outlives its test (tiles and the page assume none)
