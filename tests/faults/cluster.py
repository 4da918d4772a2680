"""A PostgreSQL cluster of the fault tests' own, which they stop and start at will.

``initdb`` + ``pg_ctl`` in a temporary directory, listening on a free loopback port. PostgreSQL
refuses to run as root, so as root the cluster belongs to the ``postgres`` system user (its files,
``runuser``); PostGIS comes from the system-wide extension files.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.harness import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


class Cluster:
    def __init__(self):
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="riskmap-faults-pg-"))
        self.data = self.root / "data"
        self.logfile = self.root / "postgres.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.root, pg.pw_uid, pg.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.stopped_at: float | None = None
        self.started_at: float | None = None

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.as_user, *args], capture_output=True, text=True, check=check, timeout=120
        )

    def init(self) -> Cluster:
        self._run(
            str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.root}'\n"
                "max_connections = 100\nshared_buffers = 64MB\n"
                "fsync = off\nfull_page_writes = off\n"  # a test cluster: speed over crash safety
                # commits that do not wait for their WAL (synchronous_commit = off) wait for the WAL
                # writer: every 10 s here instead of 200 ms, so a crash meets them reliably
                "wal_writer_delay = 10s\n"
            )
        return self

    def start(self) -> float:
        """Start (waiting until it accepts connections); returns the seconds it took."""
        t = time.monotonic()
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-w", "start")
        self.started_at = time.monotonic()
        return self.started_at - t

    def stop(self, mode: str = "fast") -> float:
        """``fast``: clients are disconnected, a clean shutdown; ``immediate``: like a crash
        (recovery from the WAL at the next start). Returns the seconds it took."""
        t = time.monotonic()
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
        self.stopped_at = time.monotonic()
        return self.stopped_at - t

    def running(self) -> bool:
        return self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "status", check=False).returncode == 0

    def destroy(self) -> None:
        if self.running():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
