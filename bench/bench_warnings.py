"""Warnings at county scale: issue one red warning to every responsible person of the sample county
(≈1,500 and a broadcast per village), send every message to real receivers on loopback, then
acknowledge every delivery over HTTP with wrk at concurrency 50 (three bursts; the median shown).

Printed side by side:
- enqueue: the issue request (deliveries + outbox + procrastinate jobs in one transaction) against
  a row-at-a-time baseline (ORM add + flush per delivery and per outbox row, one job deferred per
  message, same transaction, rolled back), and against the target (< 1 s);
- send: messages per second through the procrastinate worker to aiosmtpd and an HTTP receiver;
- acks: requests per second and p95 latency against the targets (≥ 500/s, p95 < 50 ms).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import sample_run, use_bench_database  # noqa: E402
from bench_tiles import hammer, start  # noqa: E402

PORT = 8741
#: the acknowledgement burst is run this many times (acks reset between); the median is shown
ROUNDS = 3
#: jobs the worker runs at once
CONCURRENCY = 16
SEND_SPAN = "SELECT extract(epoch FROM max(sent_at) - min(sent_at)) FROM outbox"
ACKED = "SELECT count(*) FROM delivery WHERE warning_id = :w AND acked_at IS NOT NULL"
RESET = (
    "UPDATE delivery SET acked_at = NULL, acked_via = NULL, status = 'delivered' "
    "WHERE warning_id = :w AND channel <> 'broadcast'"
)
SAMPLE = Path(os.environ.get("RISKMAP_DATA_DIR", "data")) / "sample"


def row_at_a_time(engine, settings, warning_id: int) -> float:
    """The baseline: the same writes, one ORM row and one deferred job at a time; rolled back."""
    from sqlalchemy.orm import Session

    from backend.db import libpq_dsn
    from backend.dispatch.queue import NAMESPACE, defer_app, runtime_secret
    from backend.models import Delivery, Outbox
    from backend.warnings.acks import ack_token, token_hash
    from backend.warnings.outbox import RECIPIENTS, SEND_QUEUE, SEND_TASK, VILLAGES, choose_channel

    secret = runtime_secret(settings)
    app = defer_app(libpq_dsn(settings.database_url))
    with Session(engine) as s:
        towns = list(s.scalars(sa.text("SELECT id FROM township")))
        start_t = time.perf_counter()
        people = s.execute(RECIPIENTS, {"townships": towns}).all()
        villages = s.execute(VILLAGES, {"townships": towns}).all()
        raw = s.connection().connection.driver_connection
        send = app.configure_task(f"{NAMESPACE}:{SEND_TASK}", queue=SEND_QUEUE, connection=raw)
        for p in people:
            channel, address = choose_channel(settings, p)
            d = Delivery(warning_id=warning_id, recipient_id=p.id, village_id=p.village_id, channel=channel)
            s.add(d)
            s.flush()
            d.ack_token_hash = token_hash(ack_token(secret, d.id))
            o = Outbox(
                kind="alert",
                idempotency_key=f"base-{d.id}",
                warning_id=warning_id,
                delivery_id=d.id,
                payload={"channel": channel, "address": address, "key": f"base-{d.id}"},
            )
            s.add(o)
            s.flush()
            send.defer(outbox_id=o.id)
        for v in villages:
            d = Delivery(warning_id=warning_id, village_id=v.id, channel="broadcast")
            s.add(d)
            s.flush()
            o = Outbox(
                kind="alert",
                idempotency_key=f"base-{d.id}",
                warning_id=warning_id,
                delivery_id=d.id,
                payload={"channel": "broadcast", "address": v.code, "key": f"base-{d.id}"},
            )
            s.add(o)
            s.flush()
            send.defer(outbox_id=o.id)
        elapsed = time.perf_counter() - start_t
        s.rollback()
    return elapsed


def main() -> None:
    from backend.auth.service import add_user
    from backend.config import get_settings
    from backend.db import get_engine
    from backend.dispatch import queue
    from backend.warnings.acks import ack_token

    use_bench_database("riskmap_bench_warnings")
    run = sample_run(SAMPLE)
    engine = get_engine()
    with engine.begin() as c:
        c.execute(sa.text("TRUNCATE outbox, delivery, warning_township, warning CASCADE"))
        c.execute(sa.text("DELETE FROM procrastinate_jobs"))
        c.execute(sa.text("DELETE FROM app_user WHERE username = 'bench-operator'"))
    from sqlalchemy.orm import Session

    with Session(engine) as s, s.begin():
        add_user(s, "bench-operator", "bench password", "operator", actor="bench")

    receivers = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "receivers.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    ports = json.loads(receivers.stdout.readline())
    smtp_port, hook_port = ports["smtp"], ports["http"]
    data_dir = Path(tempfile.mkdtemp(prefix="riskmap-bench-"))
    env = {
        **os.environ,
        "RISKMAP_DATA_DIR": str(data_dir),
        "RISKMAP_LOG_LEVEL": "WARNING",
        "RISKMAP_SMTP_PORT": str(smtp_port),
        "RISKMAP_WEBHOOK_URL": f"http://127.0.0.1:{hook_port}/hook",
        "RISKMAP_PERSON_CHANNELS": "email,webhook",
        "RISKMAP_PUBLIC_URL": f"http://127.0.0.1:{PORT}",
    }
    os.environ.update(env)
    get_settings.cache_clear()
    settings = get_settings()
    cmd = [
        str(ROOT / ".venv" / "bin" / "uvicorn"),
        "backend.app:build",
        "--factory",
        "--port",
        str(PORT),
        "--log-level",
        "warning",
        "--workers",
        os.environ.get("BENCH_WORKERS", "1"),
    ]
    proc = start(cmd, env, PORT)
    base = f"http://127.0.0.1:{PORT}"
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            token = http.post(
                "/api/auth/token", data={"username": "bench-operator", "password": "bench password"}
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            codes = [
                c for (c,) in engine.connect().execute(sa.text("SELECT code FROM township ORDER BY code"))
            ]
            draft = http.post(
                "/api/warnings", headers=headers, json={"hazard": "rain", "level": 4, "township_codes": codes}
            ).json()
            spare = http.post(
                "/api/warnings", headers=headers, json={"hazard": "rain", "level": 4, "township_codes": codes}
            ).json()
            t0 = time.perf_counter()
            issued = http.post(f"/api/warnings/{draft['id']}/issue", headers=headers)
            enqueue_s = time.perf_counter() - t0
            issued.raise_for_status()
            counts = issued.json()["dissemination"]
        baseline_s = row_at_a_time(engine, settings, spare["id"])

        n_messages = counts["messages"]
        t0 = time.perf_counter()
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "riskmap"), "worker", "--once", "--concurrency", str(CONCURRENCY)],
            env=env,
            check=True,
        )
        worker_s = time.perf_counter() - t0
        with engine.connect() as c:
            by_status = dict(c.execute(sa.text("SELECT status, count(*) FROM outbox GROUP BY status")).all())
            send_s = float(c.execute(sa.text(SEND_SPAN)).scalar())
            ids = list(
                c.execute(
                    sa.text("SELECT id FROM delivery WHERE warning_id = :w AND channel <> 'broadcast'"),
                    {"w": draft["id"]},
                ).scalars()
            )
        received = httpx.get(f"http://127.0.0.1:{hook_port}/counts").json()
        secret = queue.runtime_secret(settings)
        paths = [f"/api/ack/{ack_token(secret, i)}" for i in ids]
        rounds, acked = [], []
        for _ in range(ROUNDS):
            if rounds:  # the same burst again: every delivery back to unacknowledged
                with engine.begin() as c:
                    c.execute(sa.text(RESET), {"w": draft["id"]})
            rounds.append(hammer(base, paths, concurrency=50, threads=2, seconds=30, method="POST"))
            with engine.connect() as c:
                acked.append(c.execute(sa.text(ACKED), {"w": draft["id"]}).scalar())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        receivers.communicate(timeout=10)  # closing its stdin stops it

    print(
        f"issue to {counts['recipients']} responsible persons + {counts['broadcast_villages']} village "
        f"broadcasts ({n_messages} messages), sample county, run {run}"
    )
    print(f"{'':28}{'riskmap':>12}{'baseline':>12}{'ratio':>8}   baseline")
    print(
        f"{'enqueue (issue request) s':28}{enqueue_s:12.3f}{baseline_s:12.3f}{baseline_s / enqueue_s:7.1f}×"
        "   row at a time (DB work only, no HTTP)"
    )
    print(f"{'enqueue s vs target':28}{enqueue_s:12.3f}{1.0:12.3f}{1.0 / enqueue_s:7.1f}×   target < 1 s")
    sent = by_status.get("sent", 0)
    print(
        f"{'send msg/s (worker ×' + str(CONCURRENCY) + ')':28}{sent / send_s:12.0f}{'':>12}{'':>8}   "
        f"{sent}/{n_messages} sent, first to last in {send_s:.2f} s (`riskmap worker --once` "
        f"{worker_s:.1f} s with start-up): e-mail {received['email']} (aiosmtpd), webhook "
        f"{received['webhook']} (HTTP), broadcast {n_messages - received['email'] - received['webhook']} "
        f"(log); {by_status}"
    )
    ack_rps, ack_p95, errors = sorted(rounds, key=lambda r: r[1])[len(rounds) // 2]  # the median p95
    each = ", ".join(f"{r:.0f}/s p95 {p:.1f} ms" for r, p, _ in rounds)
    print(f"{'ack requests/s (c=50)':28}{ack_rps:12.0f}{500:12.0f}{ack_rps / 500:7.2f}×   target ≥ 500/s")
    print(f"{'ack p95 ms':28}{ack_p95:12.1f}{50:12.1f}{50 / ack_p95:7.2f}×   target < 50 ms")
    print(
        f"acknowledged {acked} of {len(ids)} deliveries in {ROUNDS} bursts (the median burst shown; "
        f"each: {each}); wrk errors {sum(r[2] for r in rounds)}"
    )
    if any(a != len(ids) for a in acked) or sent != n_messages:
        raise SystemExit("not every message was sent or acknowledged")


if __name__ == "__main__":
    main()
