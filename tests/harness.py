"""The service as users run it, for the end-to-end (tests/serve) and fault (tests/faults) suites.

:class:`Service` starts ``.venv/bin/riskmap …`` (the README's command) as a subprocess, configured
only through ``RISKMAP_*`` environment variables, exactly as an operator configures it.
:class:`Sinks` are the loopback receivers every message goes to — an SMTP server (aiosmtpd), an
HTTP webhook receiver — plus the log lines of the default (logging) broadcast provider; they
count what arrived and parse the acknowledgement links out of it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import Mailbox, free_port

ROOT = Path(__file__).resolve().parent.parent
RISKMAP = str(Path(sys.executable).parent / "riskmap")  # .venv/bin/riskmap
PASSWORD = "correct horse"


class Service:
    """One ``riskmap`` command as a subprocess, its output in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path, port: int | None = None):
        self.args = args
        self.env = env
        self.log_path = log_path
        self.port = port
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 60.0) -> Service:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open while the process runs
        self.proc = subprocess.Popen(
            [RISKMAP, *self.args],
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a test's SIGINT does not reach it
        )
        if self.port is not None:
            self.wait_until(lambda: self.get("/healthz").status_code == 200, ready_timeout, "listening")
        return self

    def get(self, path: str, **kw) -> httpx.Response:
        return httpx.get(self.url + path, timeout=kw.pop("timeout", 5.0), **kw)

    def wait_until(self, ok, timeout: float, what: str) -> float:
        """Poll ``ok()`` until true; returns the seconds it took. Fails with the log's tail."""
        start = time.monotonic()
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"{self.args} exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if ok():
                    return time.monotonic() - start
            except (httpx.HTTPError, OSError):
                pass
            if time.monotonic() - start > timeout:
                raise AssertionError(f"{self.args}: not {what} after {timeout} s:\n{self.tail()}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, n: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-n:])

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (as systemd or Ctrl-C would), then SIGKILL if it does not stop in time."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        self._log.close()
        return code

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind (a crash, the OOM killer, a power cut of the process)."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self._log.close()


def base_env(**settings) -> dict[str, str]:
    """The environment of a riskmap subprocess: this process's (RISKMAP_DATABASE_URL names the
    test database) plus ``settings`` as RISKMAP_<NAME> (dicts as JSON)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    for name, value in settings.items():
        key = f"RISKMAP_{name.upper()}"
        if value is None:
            env.pop(key, None)
        else:
            env[key] = json.dumps(value) if isinstance(value, dict) else str(value)
    return env


# ---- the receivers ---------------------------------------------------------------------------------


@dataclass
class Received:
    channel: str  # email, webhook, broadcast
    key: str  # the idempotency key (Message-ID, Idempotency-Key, the provider reference)
    kind: str  # alert, resend, escalation, cancel_notice (from the key or the webhook event)
    text: str
    ack_token: str | None


ACK_LINK = re.compile(r"/ack/([A-Za-z0-9_-]{20,64})")
BROADCAST = re.compile(r"broadcast to village (\S+) \[([^\]]+)\]")


def kind_of(key: str) -> str:
    for suffix, kind in (("-alert", "alert"), ("-resend", "resend"), ("-cancel", "cancel_notice")):
        if key.endswith(suffix):
            return kind
    if "-esc-" in key:
        return "escalation"
    if key.endswith("-broadcast"):
        return "broadcast"
    return "?"


class Hook:
    """An HTTP webhook receiver (a messaging gateway) on loopback. ``status`` is what it answers;
    ``down()`` closes the port (connection refused), ``up()`` opens it again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.requests: list[tuple[dict, bytes]] = []
        self.status = 200
        self.server = None
        self.lock = threading.Lock()

    def up(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's hook name
                length = int(self.headers["Content-Length"])
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing was received
                    return
                status = receiver.status
                if 200 <= status < 300:
                    with receiver.lock:
                        receiver.requests.append((dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True

            def handle_error(self, request, client_address):  # a sender killed mid-request
                pass

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class Sinks:
    """Where every message goes: e-mail to aiosmtpd, the webhook gateway, and the broadcasts the
    default provider writes to the service's log (``log`` reads it)."""

    def __init__(self):
        self.mailbox = Mailbox()
        self.mailbox.start()
        self.hook = Hook()
        self.hook.up()
        self.logs: list = []  # Service objects whose logs carry broadcast lines

    def settings(self) -> dict:
        return {
            "smtp_port": self.mailbox.port,
            "webhook_url": self.hook.url,
            # everybody is reached by a real receiver: e-mail where the record has an address,
            # the messaging gateway otherwise
            "person_channels": "email,webhook",
        }

    def close(self) -> None:
        self.mailbox.stop()
        self.hook.down()

    def received(self) -> list[Received]:
        out = []
        for m in list(self.mailbox.messages):
            key = m["Message-ID"].strip("<>").removesuffix("@riskmap")
            body = m.get_body(("plain",)).get_content()
            link = ACK_LINK.search(body)
            out.append(Received("email", key, kind_of(key), body, link and link.group(1)))
        with self.hook.lock:
            requests = list(self.hook.requests)
        for headers, body in requests:
            data = json.loads(body)
            key = headers["Idempotency-Key"]
            link = ACK_LINK.search(data.get("ack_url") or "")
            out.append(Received("webhook", key, data["event"], body.decode(), link and link.group(1)))
        for service in self.logs:
            for village, key in BROADCAST.findall(service.log()):
                out.append(Received("broadcast", key, "alert", village, None))
        return out

    def of_warning(self, warning_id: int, kind: str | None = None) -> list[Received]:
        prefix = f"w{warning_id}-"
        return [r for r in self.received() if r.key.startswith(prefix) and (kind is None or r.kind == kind)]


def wait_for(ok, timeout: float, what: str, interval: float = 0.1):
    """Poll ``ok()`` until it returns something truthy (returned); fail naming ``what``."""
    start = time.monotonic()
    while True:
        value = ok()
        if value:
            return value
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not {what} after {timeout} s")
        time.sleep(interval)


def login(base_url: str, username: str) -> dict:
    r = httpx.post(f"{base_url}/api/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
