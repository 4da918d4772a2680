"""The door under an oversized body: a 200 MB JSON POST to /api/warnings, anonymous (Content-Length
and chunked) and signed in, against `uvicorn backend.app:build` on loopback.

Printed per case: the answer, seconds to it, megabytes the client got to send before it, the
server's RSS before / at peak / after, and the worst /healthz latency meanwhile (is the service
stalled?). ``--baseline-ref REF`` runs the same against the tree of a git commit (e.g. the one
before the limits) side by side. Bounded: one request per case, loopback only.

    .venv/bin/python bench/bench_body_limit.py [--mb 200] [--baseline-ref 97c1fb6]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import use_bench_database  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve(tree: Path, env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "backend.app:build",
        "--factory",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(
        cmd, cwd=tree, env=env | {"PYTHONPATH": str(tree)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return proc, port
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start in {tree}: {proc.stderr.read().decode()[-2000:]}")


def big_post(port: int, pid: int, mb: int, chunked: bool, token: str | None) -> dict:
    unit = b'{"n":1,"s":"ab"},'
    chunk = unit * (1024 * 1024 // len(unit))
    pieces = [b"[" + chunk] + [chunk] * (mb - 2) + [chunk[:-1] + b"]"]
    size = sum(map(len, pieces))
    peak = [rss_mb(pid)]
    worst_health = [0.0]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            t = time.perf_counter()
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=60)
            worst_health[0] = max(worst_health[0], time.perf_counter() - t)
            time.sleep(0.05)

    before = rss_mb(pid)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    head = "POST /api/warnings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {size}\r\n\r\n"
    s = socket.create_connection(("127.0.0.1", port))
    t0 = time.perf_counter()
    s.sendall(head.encode())
    sent, resp = 0, b""
    for piece in pieces:
        data = (f"{len(piece):x}\r\n".encode() + piece + b"\r\n") if chunked else piece
        try:
            s.setblocking(True)
            s.sendall(data)
        except OSError:
            break
        sent += len(piece)
        s.setblocking(False)
        try:
            got = s.recv(65536)
            resp += got
            if b"\r\n\r\n" in resp or not got:
                break
        except BlockingIOError:
            pass
    else:
        if chunked:
            s.setblocking(True)
            s.sendall(b"0\r\n\r\n")
    s.setblocking(True)
    s.settimeout(600)
    try:
        while b"\r\n\r\n" not in resp:
            got = s.recv(65536)
            if not got:
                break
            resp += got
    except OSError:
        pass
    seconds = time.perf_counter() - t0
    s.close()
    time.sleep(1.0)
    stop.set()
    watcher.join()
    status = resp.split(b"\r\n", 1)[0].split(b" ")[1].decode() if resp else "none"
    return {
        "status": status,
        "s": seconds,
        "sent_mb": sent / 1048576,
        "rss": (before, peak[0], rss_mb(pid)),
        "health_s": worst_health[0],
    }


def run_tree(label: str, tree: Path, env: dict, mb: int, token: str) -> list[tuple[str, dict]]:
    rows = []
    for case, chunked, tok in (
        ("anonymous, Content-Length", False, None),
        ("anonymous, chunked", True, None),
        ("signed in, Content-Length", False, token),
    ):
        proc, port = serve(tree, env)  # a fresh server per case: RSS from the same start
        try:
            rows.append((f"{label:<9} {case}", big_post(port, proc.pid, mb, chunked, tok)))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--baseline-ref", help="a git commit to compare with (its tree, same venv)")
    args = ap.parse_args()
    url = use_bench_database("riskmap_bench_door")
    from backend.auth.service import issue_token
    from backend.config import get_settings
    from backend.models import AppUser

    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ, RISKMAP_DATABASE_URL=url, RISKMAP_DATA_DIR=data)
        settings = get_settings().model_copy(update={"data_dir": Path(data)})
        token, _ = issue_token(settings, AppUser(username="bench", role="operator", password_hash="x"))
        rows = []
        if args.baseline_ref:
            with tempfile.TemporaryDirectory() as base:
                archive = subprocess.run(
                    ["git", "-C", str(ROOT), "archive", args.baseline_ref], capture_output=True, check=True
                ).stdout
                subprocess.run(["tar", "-x", "-C", base], input=archive, check=True)
                rows += run_tree(args.baseline_ref[:9], Path(base), env, args.mb, token)
        rows += run_tree("this tree", ROOT, env, args.mb, token)
    print(f"{args.mb} MB JSON POST to /api/warnings (server RSS in MB; worst /healthz meanwhile)")
    print(
        f"{'':<37} {'answer':>6} {'seconds':>8} {'sent MB':>8} {'RSS before':>11} {'peak':>7} "
        f"{'after':>7} {'healthz s':>10}"
    )
    for name, r in rows:
        b, p, a = r["rss"]
        print(
            f"{name:<37} {r['status']:>6} {r['s']:>8.2f} {r['sent_mb']:>8.1f} {b:>11.0f} {p:>7.0f} {a:>7.0f} "
            f"{r['health_s']:>10.3f}"
        )


if __name__ == "__main__":
    main()
