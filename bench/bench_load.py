"""A typhoon night against the service as users start it: `riskmap serve` (the dispatch worker
in-process, the default), loopback only, locust headless, a fixed time per step.

    .venv/bin/python bench/bench_load.py        # make bench runs it; needs make bench-tools

First a red warning goes to the whole sample county (≈1,500 responsible persons and a broadcast
per village) and the in-process worker sends every message to loopback receivers. Then, at
50, 200 and 500 concurrent users (locust users, bench/locust_load.py): recipients open their
叫应 link and acknowledge (acknowledgements reset before each step, so each step's come first),
duty officers pan the map (tiles of onemap/townships/villages/shelters/roads, z8–12 cached —
warmed before the first step — and now and then a z13–14 tile never asked for before), the
page's API calls, operators polling the delivery report. The ladder runs ROUNDS times in the
same server, to show whether its memory grows.

Printed per step: requests/s, errors, CPU of the server, of locust and of the whole machine,
server RSS before and after; per endpoint class p50/p95/p99 as locust saw them and p99 inside
the server (its access log's ms). The machine has 2 cores, shared: the load generator competes
with the server (and PostgreSQL, and anyone else's work), so by default the server is pinned to
CPU 0 and locust to CPU 1 (taskset), and the columns say who used what: CPU of the server, of
its PostgreSQL backends, of locust and of the whole machine, and how long the server's event
loop waited for a CPU while it had work (/proc schedstat). Linux shares the CPUs fairly between
sessions (autogroup), so on a busy machine the bench's session gets its share, not what it asks.

Environment: BENCH_LOAD_SECONDS (60 per step), BENCH_LOAD_USERS ("50,200,500"),
BENCH_LOAD_ROUNDS (2), BENCH_LOAD_PIN (1; 0 lets the scheduler place both), BENCH_LOAD_BASELINE
(1: one round with RISKMAP_GC_TUNING=false first; 0: none), BENCH_LOAD_BASELINE_REF (a git commit
whose service is the baseline instead), BENCH_LOAD_PYSPY (1: profile the server
at the top step).
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import resource
import shutil
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
from bench_tiles import tiles_over  # noqa: E402

SAMPLE = Path(os.environ.get("RISKMAP_DATA_DIR", "data")) / "sample"
LOCUST = ROOT / ".venv-bench" / "bin" / "locust"
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))
USERS = [int(u) for u in os.environ.get("BENCH_LOAD_USERS", "50,200,500").split(",")]
ROUNDS = int(os.environ.get("BENCH_LOAD_ROUNDS", "2"))
PIN = os.environ.get("BENCH_LOAD_PIN", "1") == "1" and (os.cpu_count() or 1) >= 2
#: first one round with CPython's default collector (RISKMAP_GC_TUNING=false), side by side
BASELINE = os.environ.get("BENCH_LOAD_BASELINE", "1") == "1"
#: or the service as it was at a git commit (e.g. before the collector was tuned and request
#: sessions gated): its tree is exported and `riskmap serve` imports it first
BASELINE_REF = os.environ.get("BENCH_LOAD_BASELINE_REF")
SEED = 20260701
DATABASE = "riskmap_bench_load"
#: layers a duty officer's map shows (bench scope); those drawn for a run are asked ?run=ID as the page does
LAYERS = {"onemap": True, "townships": True, "villages": True, "shelters": True, "roads": False}
CACHED_ZOOMS, UNCACHED_ZOOMS = range(8, 13), range(13, 15)
#: share of a pan's tiles that are new (bounded by the z13–14 tiles not yet asked for)
UNCACHED_SHARE = 0.05
CLASSES = [
    "ack",
    "ack page",
    "tile cached",
    "tile uncached",
    "deliveries",
    "api runs/latest",
    "api townships/risk",
    "api shelters",
    "api runs",
    "api basemap",
    "api plans",
    "api warnings",
]
TARGETS = {"ack": 50.0, "tile cached": 50.0}  # p99 ms at the top step
CLEAR = "TRUNCATE outbox, delivery, warning_township, warning, procrastinate_jobs CASCADE"
ACKED = "SELECT count(*) FROM delivery WHERE warning_id = :w AND acked_at IS NOT NULL"
RESET = (
    "UPDATE delivery SET acked_at = NULL, acked_via = NULL, status = 'delivered' "
    "WHERE warning_id = :w AND channel <> 'broadcast'"
)
ACCESS = re.compile(r"riskmap\.http: (\w+) (\S+)\s+status=(\d+) ms=([\d.]+)")
GC_PAUSE = re.compile(
    r"riskmap\.gc: garbage collection of generation (\d) .* ms=([\d.]+) cpu_ms=([\d.]+) .*oldest=(\d+)"
)
HZ = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def run_delay_s(pid: int) -> float:
    """Seconds the process's main thread (the event loop) has waited for a CPU while runnable."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9


def pg_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to ``database`` (ours only)."""
    out = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f" {database} " not in (proc / "cmdline").read_bytes().decode(errors="replace"):
                continue
            out[int(proc.name)] = cpu_s(int(proc.name))
        except OSError:
            continue
    return out


def machine_busy_s() -> float:
    """CPU seconds the whole machine spent busy (all cores, all processes)."""
    v = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / HZ


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def server_side(log: Path, offset: int, uncached: set[str], warning: int):
    """Server log lines written since ``offset``: (new offset, access-log ms by class, 5xx answers,
    garbage-collection pauses in ms logged by backend.heap)."""
    by: dict[str, list[float]] = {}
    fives = 0
    with log.open("rb") as fh:
        fh.seek(offset)
        data = fh.read()
    text = data.decode("utf-8", "replace")
    for m in ACCESS.finditer(text):
        method, path, status, ms = m.group(1), m.group(2), int(m.group(3)), float(m.group(4))
        fives += status >= 500
        if path.startswith(("/api/ack/", "/ack/")):
            cls = "ack" if method == "POST" else "ack page"
        elif path.startswith("/tiles/"):
            cls = "tile uncached" if path in uncached else "tile cached"
        elif path == f"/api/warnings/{warning}/deliveries":
            cls = "deliveries"
        elif path.startswith("/api/"):
            cls = "page api"
        else:
            continue
        by.setdefault(cls, []).append(ms)
    pauses = [
        (int(m.group(1)), float(m.group(2)), float(m.group(3)), int(m.group(4)))
        for m in GC_PAUSE.finditer(text)
    ]
    return offset + len(data), by, fives, pauses


def locust_stats(prefix: str) -> dict[str, dict]:
    out = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out[row["Name"]] = row
    return out


def run_step(base, plan, users, cpu_locust):
    """One locust run of ``users`` for SECONDS; returns its per-class stats."""
    prefix = str(Path(plan["counts_out"]).with_suffix(""))
    plan_path = f"{prefix}.plan.json"
    Path(plan_path).write_text(json.dumps(plan), encoding="utf-8")
    cmd = [
        str(LOCUST),
        "-f",
        str(ROOT / "bench" / "locust_load.py"),
        "--headless",
        "--host",
        base,
        "-u",
        str(users),
        "-r",
        str(max(users // 2, 1)),  # all users within 2 s
        "-t",
        f"{SECONDS}s",
        "--stop-timeout",
        "10",
        "--csv",
        prefix,
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    if cpu_locust is not None:
        cmd = ["taskset", "-c", str(cpu_locust), *cmd]
    env = {**os.environ, "BENCH_LOAD_PLAN": plan_path}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 1: some requests failed (counted and shown)
        raise SystemExit(f"locust failed ({done.returncode}):\n{done.stderr[-3000:]}")
    stats = locust_stats(prefix)
    with open(f"{prefix}_failures.csv", encoding="utf-8") as fh:
        stats["_failures"] = [
            (r["Name"], r["Error"][:100], int(r["Occurrences"])) for r in csv.DictReader(fh)
        ]
    return stats, json.loads(Path(plan["counts_out"]).read_text())


def prepare() -> dict:
    """The bench database with the sample county and a run; what every session needs."""
    from sqlalchemy.orm import Session

    from backend.auth.service import add_user
    from backend.db import get_engine

    use_bench_database(DATABASE)
    run = sample_run(SAMPLE)
    engine = get_engine()
    with engine.begin() as c:
        c.execute(sa.text(CLEAR))
        c.execute(sa.text("DELETE FROM app_user WHERE username = 'bench-operator'"))
        codes = list(c.execute(sa.text("SELECT code FROM township ORDER BY code")).scalars())
        bounds = c.execute(
            sa.text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) e FROM county_outline) s"
            )
        ).one()
    with Session(engine) as s, s.begin():
        add_user(s, "bench-operator", "bench password", "operator", actor="bench")

    def paths(zooms) -> list[str]:
        out = []
        for z, x, y in tiles_over(bounds, zooms):
            for layer, by_run in LAYERS.items():
                out.append(f"/tiles/{layer}/{z}/{x}/{y}.pbf" + (f"?run={run}" if by_run else ""))
        return out

    fresh = paths(UNCACHED_ZOOMS)
    random.Random(SEED).shuffle(fresh)
    return {"engine": engine, "run": run, "codes": codes, "cached": paths(CACHED_ZOOMS), "fresh": fresh}


def session(label: str, extra_env: dict, rounds: int, prep: dict) -> list[dict]:
    """Start `riskmap serve` afresh, issue the county-wide red warning, run the ladder ``rounds``
    times; returns one row per step."""
    from backend.config import get_settings
    from backend.dispatch import queue
    from backend.warnings.acks import ack_token

    engine, run, codes, cached, fresh = (prep[k] for k in ("engine", "run", "codes", "cached", "fresh"))
    with engine.begin() as c:
        c.execute(sa.text(CLEAR))
    receivers = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "receivers.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    ports = json.loads(receivers.stdout.readline())
    work = Path(tempfile.mkdtemp(prefix="riskmap-bench-load-"))
    port = free_port()
    env = {
        **os.environ,
        "RISKMAP_DATA_DIR": str(work / "data"),  # its own secret key and relief cache
        "RISKMAP_DEM_PATH": str(SAMPLE.resolve() / "dem.tif"),
        "RISKMAP_SMTP_PORT": str(ports["smtp"]),
        "RISKMAP_WEBHOOK_URL": f"http://127.0.0.1:{ports['http']}/hook",
        "RISKMAP_PERSON_CHANNELS": "email,webhook",
        "RISKMAP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        # no reminders or escalation while the bench resets acknowledgements between steps
        "RISKMAP_ACK_DEADLINES_MIN": '{"4": 1440, "3": 1440, "2": 1440, "1": 1440}',
        **extra_env,
    }
    os.environ.update(env)
    get_settings.cache_clear()
    settings = get_settings()
    log = work / "server.log"
    cmd = [str(ROOT / ".venv" / "bin" / "riskmap"), "serve", "--port", str(port)]  # as users start it
    if PIN:
        cmd = ["taskset", "-c", "0", *cmd]
    with log.open("wb") as log_fh:
        proc = subprocess.Popen(cmd, env=env, stdout=log_fh, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        start_wait(proc, port)
        with httpx.Client(base_url=base, timeout=120) as http:
            bearer = http.post(
                "/api/auth/token", data={"username": "bench-operator", "password": "bench password"}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {bearer}"}
            draft = http.post(
                "/api/warnings", headers=headers, json={"hazard": "rain", "level": 4, "township_codes": codes}
            )
            draft.raise_for_status()
            warning = draft.json()["id"]
            issued = http.post(f"/api/warnings/{warning}/issue", headers=headers)
            issued.raise_for_status()
            counts = issued.json()["dissemination"]
            sent_s = wait_sent(engine, counts["messages"])
            with engine.connect() as c:
                ids = list(
                    c.execute(
                        sa.text("SELECT id FROM delivery WHERE warning_id = :w AND channel <> 'broadcast'"),
                        {"w": warning},
                    ).scalars()
                )
            tokens = [ack_token(queue.runtime_secret(settings), i) for i in ids]
            for p in cached:  # the county views everyone shares: in the tile cache before step 1
                http.get(p, headers={"Accept-Encoding": "gzip"}).raise_for_status()
            http.get("/api/basemap/relief.json").raise_for_status()  # rendered once, then kept
        rss_start = rss_mb(proc.pid)
        print(
            f"\n### {label}: riskmap serve (dispatch worker in-process, the default), pid {proc.pid}, "
            f"run {run}, warning {warning}: {counts['messages']} messages to {counts['recipients']} "
            f"persons + {counts['broadcast_villages']} village broadcasts, all sent by the in-process "
            f"worker in {sent_s:.1f} s; {len(tokens)} ack links; {len(cached)} cached tile paths (z8–12), "
            f"{len(fresh)} never-asked z13–14 paths; RSS after warm-up {rss_start:.0f} MB"
        )
        offset = log.stat().st_size
        next_fresh = 0
        for rnd in range(1, rounds + 1):
            for users in USERS:
                with engine.begin() as c:
                    c.execute(sa.text(RESET), {"w": warning})
                order = tokens[:]
                random.Random(SEED + rnd * 1000 + users).shuffle(order)
                share = fresh[next_fresh:]
                plan = {
                    "seed": SEED + users,
                    "tokens": order,
                    "cached_tiles": cached,
                    "uncached_tiles": share,
                    "uncached_share": UNCACHED_SHARE,
                    "run": run,
                    "townships": codes,
                    "warning": warning,
                    "bearer": bearer,
                    "counts_out": str(work / f"r{rnd}-u{users}.counts.json"),
                }
                rss0, cpu0, busy0 = rss_mb(proc.pid), cpu_s(proc.pid), machine_busy_s()
                wait0, pg0 = run_delay_s(proc.pid), pg_cpu(DATABASE)
                kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                spy = profile(proc.pid, work / f"r{rnd}-u{users}.spy") if users == max(USERS) else None
                t0 = time.monotonic()
                stats, sent = run_step(base, plan, users, 1 if PIN else None)
                wall = time.monotonic() - t0
                kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                rss1, cpu1, busy1 = rss_mb(proc.pid), cpu_s(proc.pid), machine_busy_s()
                wait1, pg1 = run_delay_s(proc.pid), pg_cpu(DATABASE)
                used = {p.split("?")[0] for p in share[: sent["uncached"]]}
                next_fresh += sent["uncached"]
                offset, inside, fives, pauses = server_side(log, offset, used, warning)
                with engine.connect() as c:
                    acked = c.execute(sa.text(ACKED), {"w": warning}).scalar()
                rows.append(
                    {
                        "round": rnd,
                        "users": users,
                        "stats": stats,
                        "inside": inside,
                        "fives": fives,
                        "pauses": pauses,
                        "server_cpu": (cpu1 - cpu0) / wall,
                        "locust_cpu": (kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime)
                        / wall,
                        "busy": (busy1 - busy0) / wall,
                        "loop_waited": (wait1 - wait0) / wall,
                        "pg_cpu": sum(v - pg0.get(k, 0.0) for k, v in pg1.items()) / wall,
                        "rss": (rss0, rss1),
                        "acked": acked,
                        "new_tile_bytes": sent["uncached_bytes"],
                        "rss_start": rss_start,
                    }
                )
                report_step(rows[-1], len(tokens))
                if spy is not None:
                    spy_report(spy)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print("riskmap serve did not stop within 30 s of SIGTERM; killed")
            proc.kill()
            proc.wait()
        receivers.communicate(timeout=10)  # closing its stdin stops it
        for key in extra_env:
            os.environ.pop(key, None)
    shutil.rmtree(work, ignore_errors=True)
    return rows


def profile(pid: int, out: Path):
    """py-spy record of the server through the step when BENCH_LOAD_PYSPY=1: the stacks of
    whichever thread holds the GIL (where its Python time goes)."""
    spy = ROOT / ".venv-bench" / "bin" / "py-spy"
    if os.environ.get("BENCH_LOAD_PYSPY") != "1" or not spy.is_file():
        return None
    cmd = [str(spy), "record", "-p", str(pid), "--gil", "-d", str(SECONDS), "-r", "97", "-f", "raw"]
    cmd += ["-o", str(out)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out


def spy_report(spy) -> None:
    proc, out = spy
    proc.wait(timeout=60)
    own: dict[str, int] = {}
    total = 0
    for line in out.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        total += int(n)
        leaf = stack.split(";")[-1]
        own[leaf] = own.get(leaf, 0) + int(n)
    print(f"   py-spy --gil, the server's hottest frames (own samples of {total}) and callers:")
    for leaf, n in sorted(own.items(), key=lambda kv: -kv[1])[:15]:
        print(f"   {100 * n / total:5.1f}%  {leaf[:110]}")
    by_route: dict[str, int] = {}
    for line in out.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        hit = next((f for f in frames if "backend/" in f or "/fastapi/routing.py" in f), frames[-1])
        key = hit.split(" (")[0] + (" (" + hit.split(" (")[1].split(":")[0] + ")" if " (" in hit else "")
        by_route[key] = by_route.get(key, 0) + int(n)
    print("   by first riskmap/fastapi frame:")
    for key, n in sorted(by_route.items(), key=lambda kv: -kv[1])[:15]:
        print(f"   {100 * n / total:5.1f}%  {key[:110]}")


def main() -> None:
    from backend.heap import YOUNG_THRESHOLD

    if not LOCUST.is_file():
        raise SystemExit("no locust in .venv-bench: run `make bench-tools`")
    prep = prepare()
    print(
        f"typhoon night, sample county: {SECONDS} s a step at {'/'.join(map(str, USERS))} users; "
        f"2 cores shared with other work — "
        + (
            "server pinned to CPU 0, locust to CPU 1 (PostgreSQL and anything else float)"
            if PIN
            else "no pinning (BENCH_LOAD_PIN=0): server, locust, PostgreSQL share both cores"
        )
        + "; the CPU columns say who used what"
    )
    sessions = {}
    if BASELINE_REF:
        tree = Path(tempfile.mkdtemp(prefix="riskmap-baseline-"))
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", BASELINE_REF], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        label = f"baseline: the service at {BASELINE_REF} (its GC pauses are not logged)"
        sessions["baseline"] = session(label, {"PYTHONPATH": str(tree)}, 1, prep)
        shutil.rmtree(tree, ignore_errors=True)
    elif BASELINE:
        label = "baseline: CPython's default collector (RISKMAP_GC_TUNING=false)"
        sessions["baseline"] = session(label, {"RISKMAP_GC_TUNING": "false"}, 1, prep)
    label = f"riskmap: start-up objects frozen, young generation every {YOUNG_THRESHOLD}, {ROUNDS} rounds"
    sessions["riskmap"] = session(label, {}, ROUNDS, prep)
    summary(sessions)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_wait(proc, port: int) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"riskmap serve exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("riskmap serve did not answer /healthz in 30 s")


def wait_sent(engine, messages: int, limit_s: float = 300) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        with engine.connect() as c:
            sent = c.execute(sa.text("SELECT count(*) FROM outbox WHERE status = 'sent'")).scalar()
        if sent >= messages:
            return time.monotonic() - t0
        time.sleep(0.5)
    raise SystemExit(f"the in-process worker sent {sent} of {messages} messages in {limit_s:.0f} s")


def describe(pauses: list[tuple]) -> str:
    """(generation, wall ms, CPU ms, objects in the oldest generation) of each logged pause."""
    if not pauses:
        return "0"
    longest = max(pauses, key=lambda p: p[1])
    return (
        f"{len(pauses)} (longest {longest[1]:.0f} ms, {longest[2]:.0f} ms of it on a CPU; most CPU in "
        f"one {max(p[2] for p in pauses):.0f} ms; generations {sorted({p[0] for p in pauses})}; "
        f"oldest generation up to {max(p[3] for p in pauses)} objects)"
    )


def report_step(r: dict, n_tokens: int) -> None:
    total = r["stats"].get("Aggregated", {})
    n, fails = int(total.get("Request Count", 0)), int(total.get("Failure Count", 0))
    pauses = r["pauses"]
    print(
        f"\n== round {r['round']}, {r['users']} users: {float(total.get('Requests/s', 0)):.0f} req/s "
        f"({n} requests), errors {fails} (5xx {r['fives']}); CPU cores: server {r['server_cpu']:.2f}, "
        f"its PostgreSQL backends {r['pg_cpu']:.2f}, locust {r['locust_cpu']:.2f}, whole machine "
        f"{r['busy']:.2f} of {os.cpu_count()}; the event loop's thread waited for a CPU "
        f"{100 * r['loop_waited']:.0f}% of the time; RSS {r['rss'][0]:.0f} → {r['rss'][1]:.0f} MB; "
        f"acknowledged {r['acked']}/{n_tokens}; GC pauses ≥ 50 ms: {describe(pauses)}"
    )
    print(f"   {'class':<20}{'n':>7}{'err':>5}{'p50':>7}{'p95':>7}{'p99':>7}{'srv p99':>9}   ms")
    for cls in CLASSES:
        s = r["stats"].get(cls)
        if s is None:
            continue
        inside = r["inside"].get(cls, [])
        srv = f"{percentile(inside, 0.99):>9.1f}" if inside else f"{'':>9}"
        print(
            f"   {cls:<20}{int(s['Request Count']):>7}{int(s['Failure Count']):>5}{s['50%']:>7}"
            f"{s['95%']:>7}{s['99%']:>7}{srv}"
        )
    for name, error, times in r["stats"]["_failures"][:8]:
        print(f"   failed {times}× {name}: {error}")
    api = r["inside"].get("page api", [])
    if api:
        print(f"   {'(all page api)':<20}{len(api):>7}{'':>26}{percentile(api, 0.99):>9.1f}")


def p99(r: dict, cls: str):
    return r["stats"][cls]["99%"] if cls in r["stats"] else "-"


def summary(sessions: dict[str, list[dict]]) -> None:
    top = max(USERS)
    print(
        f"\nSummary, {SECONDS} s a step: p99 ms as locust saw it (target < 50 ms for ack and cached "
        f"tile at {top} users)"
    )
    print(
        f"{'':<9}{'round':>5}{'users':>6}{'req/s':>7}{'errors':>7}{'5xx':>5}{'ack':>6}{'page':>6}{'tile$':>6}"
        f"{'tile':>6}{'deliv':>6}{'GC≥50':>6}{'srv CPU':>8}{'pg CPU':>7}{'machine':>8}{'waited':>7}"
        f"{'RSS MB':>7}"
    )
    for name, rows in sessions.items():
        for r in rows:
            agg = r["stats"]["Aggregated"]
            print(
                f"{name:<9}{r['round']:>5}{r['users']:>6}{float(agg['Requests/s']):>7.0f}"
                f"{int(agg['Failure Count']):>7}{r['fives']:>5}{p99(r, 'ack'):>6}{p99(r, 'ack page'):>6}"
                f"{p99(r, 'tile cached'):>6}{p99(r, 'tile uncached'):>6}{p99(r, 'deliveries'):>6}"
                f"{len(r['pauses']):>6}{r['server_cpu']:>8.2f}{r['pg_cpu']:>7.2f}{r['busy']:>8.2f}"
                f"{100 * r['loop_waited']:>6.0f}%{r['rss'][1]:>7.0f}"
            )
    print(
        "(errors = failed requests as locust saw them, 5xx = as the server logged them; "
        "page = the ack page; tile$ = a cached tile, tile = one never asked for before; GC≥50 = "
        "collections that stopped the server ≥ 50 ms; CPU in cores, machine = all processes; "
        "waited = share of the step the event loop's thread was runnable but had no CPU)"
    )
    rows = sessions["riskmap"]
    last = max(r["round"] for r in rows)
    if last > 1:
        end1 = [r for r in rows if r["round"] == 1][-1]["rss"][1]
        endn = rows[-1]["rss"][1]
        tiles_mb = sum(r["new_tile_bytes"] for r in rows if r["round"] > 1) / 2**20
        print(
            f"memory (riskmap): RSS {rows[0]['rss_start']:.0f} MB after warm-up, {end1:.0f} MB after "
            f"round 1, {endn:.0f} MB after round {last} ({endn - end1:+.0f} MB, while "
            f"{tiles_mb:.1f} MB of new tiles went into the tile cache, bounded by RISKMAP_TILE_CACHE_MB)"
        )
    for cls, limit in TARGETS.items():
        worst = max(float(r["stats"][cls]["99%"]) for r in rows if r["users"] == top and cls in r["stats"])
        print(
            f"target p99 {cls} at {top} users < {limit:.0f} ms: worst round {worst:.0f} ms "
            f"({'met' if worst < limit else 'NOT met'})"
        )
    starved = max(r["loop_waited"] for r in rows if r["users"] == top)
    if starved > 0.1:
        print(
            f"note: at {top} users the server's event loop had work but no CPU for up to "
            f"{100 * starved:.0f}% of a step (other work on this machine): its latencies are mostly that "
            "queue; judge the milliseconds on a quiet machine"
        )
    failed = [r for r in rows if int(r["stats"]["Aggregated"]["Failure Count"]) + r["fives"]]
    print(f"target zero errors at every step: {'met' if not failed else f'NOT met ({len(failed)} steps)'}")
    if failed:
        raise SystemExit("requests failed under load")


if __name__ == "__main__":
    main()
