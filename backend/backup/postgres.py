"""PostgreSQL for backups: connections without passwords on command lines, pg_dump / pg_restore
of the server's version, the tables and their row counts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from backend.db import parse_url
from backend.errors import RiskmapError

#: schemas that PostgreSQL and its extensions own
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "topology", "tiger", "tiger_data")


class BackupError(RiskmapError):
    title = "Backup or restore failed"


def libpq(database_url: str, database: str | None = None) -> tuple[str, dict]:
    """A libpq URL without the password, and the environment that carries it (PGPASSWORD), so
    that no password appears on a command line (``ps`` shows those to every user)."""
    url = parse_url(database_url)
    if database is not None:
        url = url.set(database=database)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, env


def connect(database_url: str, database: str | None = None, **kw) -> psycopg.Connection:
    dsn, env = libpq(database_url, database)
    try:
        return psycopg.connect(dsn, password=env.get("PGPASSWORD"), connect_timeout=5, **kw)
    except psycopg.OperationalError as exc:
        where = parse_url(database_url).set(password=None).render_as_string(hide_password=True)
        raise BackupError(f"cannot connect to {where}: {str(exc).strip().splitlines()[0]}") from exc


def tool_version(path: Path) -> tuple[int, str]:
    out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"(\d+)(?:\.(\d+))?", out)
    if not m:
        raise BackupError(f"{path} --version said {out.strip()!r}, not a PostgreSQL version")
    return int(m.group(1)), out.strip()


def find_tool(name: str, server_major: int, pg_bin_dir: Path | None = None) -> Path:
    """``pg_dump`` or ``pg_restore`` of the server's major version or newer: RISKMAP_PG_BIN_DIR,
    then Debian's /usr/lib/postgresql/<major>/bin, then PATH. An older one cannot read the
    server's catalogue (pg_dump refuses), so it is refused here, with what to install."""
    candidates = []
    if pg_bin_dir is not None:
        candidates.append(Path(pg_bin_dir) / name)
    candidates.append(Path(f"/usr/lib/postgresql/{server_major}/bin") / name)
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    older = []
    for path in candidates:
        if not (path.is_file() and os.access(path, os.X_OK)):
            continue
        major, said = tool_version(path)
        if major >= server_major:
            return path
        older.append(f"{path} ({said})")
    looked = ", ".join(str(p.parent) for p in candidates) + ("" if on_path else ", PATH")
    found = f"; found only older ones: {'; '.join(older)}" if older else ""
    raise BackupError(
        f"{name} for PostgreSQL {server_major} not found (looked in {looked}){found}: install the "
        f"PostgreSQL {server_major} client (Debian: apt-get install postgresql-client-{server_major}) "
        "or set RISKMAP_PG_BIN_DIR to the directory holding it"
    )


def run_tool(args: list, env: dict, what: str) -> None:
    done = subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or done.stdout).strip().splitlines() if ln.strip()]
        raise BackupError(f"{what} failed (exit {done.returncode}): {' / '.join(lines[-3:]) or 'no message'}")


def server_major(conn: psycopg.Connection) -> int:
    return int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000


def user_tables(conn: psycopg.Connection) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT schemaname, tablename FROM pg_tables WHERE NOT (schemaname = ANY(%s)) "
        "ORDER BY schemaname, tablename",
        [list(SYSTEM_SCHEMAS)],
    ).fetchall()
    return [(s, t) for s, t in rows]


def table_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Rows of every table (``schema.table``), PostGIS's spatial_ref_sys included."""
    counts = {}
    for schema, table in user_tables(conn):
        q = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        counts[f"{schema}.{table}"] = conn.execute(q).fetchone()[0]
    return counts


def revision(conn: psycopg.Connection) -> str | None:
    if conn.execute("SELECT to_regclass('public.alembic_version')").fetchone()[0] is None:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None
