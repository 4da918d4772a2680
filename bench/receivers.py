"""Loopback receivers for bench_warnings, in a process of their own (as a mail relay and a
messaging gateway would be): an SMTP server (aiosmtpd) and an HTTP webhook receiver that both
accept everything and count.

Prints one JSON line with the ports, then serves until stdin closes. ``GET /counts`` on the
HTTP port answers ``{"email": N, "webhook": M}``.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

COUNTS = {"email": 0, "webhook": 0}
LOCK = threading.Lock()


class Mailbox:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with LOCK:
            COUNTS["email"] += 1
        return "250 OK"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real gateway

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        with LOCK:
            COUNTS["webhook"] += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):  # noqa: N802
        body = json.dumps(COUNTS).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    print(json.dumps({"smtp": smtp.port, "http": http.server_address[1]}), flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
    http.shutdown()
    smtp.stop()


if __name__ == "__main__":
    main()
