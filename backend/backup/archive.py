"""Backups: the database (pg_dump custom format) and the run rasters in one archive, and back.

A backup is one uncompressed tar file (its parts are compressed already) holding

- ``manifest.json`` — format, time, PostgreSQL version, Alembic revision, the row count of every
  table and the SHA-256 of every other member;
- ``database.dump`` — ``pg_dump --format=custom`` of the whole database, taken in the same
  snapshot as the row counts (``pg_export_snapshot``), so the counts are exact;
- ``data/runs/<id>/*.tif`` — every published run's rasters (COG GeoTIFFs) under the data directory;
- ``data/.secret_key`` — the key that signs access tokens and acknowledgement links, when it is
  kept in the data directory: links already sent keep working after a restore on a new machine.

The archive therefore holds password hashes, phone numbers and that key: it is written 0600 and
must be kept like the database itself. Restoring checks every checksum before anything is
touched, refuses a database or data directory that already holds data unless ``force`` is given
(then the database is dropped and created again and the old rasters are kept aside), restores in
one transaction, and verifies the row counts against the manifest.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from psycopg import sql

from backend.backup.postgres import (
    BackupError,
    connect,
    find_tool,
    libpq,
    revision,
    run_tool,
    server_major,
    table_counts,
    user_tables,
)
from backend.config import Settings
from backend.db import parse_url

FORMAT = "riskmap-backup/1"
DUMP = "database.dump"
MANIFEST = "manifest.json"
RUNS = "data/runs"
SECRET = "data/.secret_key"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stream_sha256(fh) -> str:
    h = hashlib.sha256()
    for block in iter(lambda: fh.read(1 << 20), b""):
        h.update(block)
    return h.hexdigest()


def data_files(data_dir: Path) -> dict[str, Path]:
    """Archive name → file: the published runs' rasters and the secret key, if kept here."""
    files: dict[str, Path] = {}
    runs = Path(data_dir) / "runs"
    if runs.is_dir():
        for run_dir in sorted(
            (d for d in runs.iterdir() if d.is_dir() and d.name.isdigit()), key=lambda d: int(d.name)
        ):
            for f in sorted(p for p in run_dir.rglob("*") if p.is_file()):
                files[f"{RUNS}/{f.relative_to(runs).as_posix()}"] = f
    secret = Path(data_dir) / ".secret_key"
    if secret.is_file():
        files[SECRET] = secret
    return files


# ---- backup -------------------------------------------------------------------------------------


def backup(settings: Settings, target: Path, say: Callable[[str], None] = lambda s: None) -> dict:
    """Write the archive to ``target`` (atomically: a temporary file renamed at the end)."""
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a directory; name the backup file, e.g. {target}/riskmap.backup")
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    url = parse_url(settings.database_url)
    with tempfile.TemporaryDirectory(prefix=".riskmap-backup-", dir=target.parent) as tmp:
        dump = Path(tmp) / DUMP
        with connect(settings.database_url) as conn:
            major = server_major(conn)
            pg_dump = find_tool("pg_dump", major, settings.pg_bin_dir)
            # one snapshot for the dump and the counts: the manifest says exactly what is inside
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            counts = table_counts(conn)
            rev = revision(conn)
            version = conn.execute("SHOW server_version").fetchone()[0]
            dsn, env = libpq(settings.database_url)
            say(f"dumping database {url.database} (PostgreSQL {version}, revision {rev})")
            run_tool(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={dump}", dsn], env, "pg_dump"
            )
            conn.rollback()
        files = data_files(settings.data_dir)
        say(f"adding {sum(1 for n in files if n.startswith(RUNS))} raster files of the runs")
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": {"name": url.database, "server_version": version, "revision": rev},
            "tables": counts,
            "files": {DUMP: sha256(dump)} | {name: sha256(path) for name, path in files.items()},
        }
        part = Path(tmp) / "archive.tar"
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with (
            os.fdopen(fd, "wb") as raw,
            tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            body = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(body))
            tar.add(dump, arcname=DUMP, recursive=False)
            for name, path in files.items():
                tar.add(path, arcname=name, recursive=False)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(part, target)
    size = target.stat().st_size
    return manifest | {"size_bytes": size, "seconds": round(time.perf_counter() - started, 2)}


# ---- restore ------------------------------------------------------------------------------------


def read_manifest(tar: tarfile.TarFile, source: Path) -> dict:
    try:
        member = tar.getmember(MANIFEST)
        manifest = json.load(tar.extractfile(member))
    except (KeyError, json.JSONDecodeError, AttributeError) as exc:
        raise BackupError(f"{source} is not a riskmap backup (no readable {MANIFEST})") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: unknown backup format {manifest.get('format')!r} (expected {FORMAT})")
    return manifest


def check_members(tar: tarfile.TarFile, manifest: dict, source: Path) -> None:
    """Every member listed, safe (no absolute paths, no ``..``, regular files) and intact."""
    listed = set(manifest["files"])
    present = set()
    for m in tar.getmembers():
        if m.name == MANIFEST:
            continue
        if m.name not in listed or not m.isfile() or m.name.startswith("/") or ".." in Path(m.name).parts:
            raise BackupError(f"{source}: unexpected member {m.name!r}; not restoring from it")
        if _stream_sha256(tar.extractfile(m)) != manifest["files"][m.name]:
            raise BackupError(f"{source}: {m.name} does not match its checksum (damaged archive)")
        present.add(m.name)
    if listed - present:
        raise BackupError(f"{source}: missing {', '.join(sorted(listed - present))}")


def database_state(settings: Settings) -> tuple[bool, list[str], str | None]:
    """(exists, its tables other than PostGIS's, its revision) of the target database."""
    name = parse_url(settings.database_url).database
    with connect(settings.database_url, "postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if not exists:
        return False, [], None
    with connect(settings.database_url) as conn:
        tables = [f"{s}.{t}" for s, t in user_tables(conn) if (s, t) != ("public", "spatial_ref_sys")]
        return True, tables, revision(conn)


def restore(
    settings: Settings, source: Path, force: bool = False, say: Callable[[str], None] = lambda s: None
) -> dict:
    """Restore the archive into the database of ``settings.database_url`` and its data directory."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    started = time.perf_counter()
    data_dir = Path(settings.data_dir)
    url = parse_url(settings.database_url)
    try:
        tar = tarfile.open(source, mode="r:")  # noqa: SIM115 - closed by the with block below
    except tarfile.TarError as exc:
        raise BackupError(f"{source} is not a riskmap backup (not a tar archive: {exc})") from exc
    with tar:
        manifest = read_manifest(tar, source)
        say(f"checking {len(manifest['files'])} files of the backup of {manifest['created_at']}")
        check_members(tar, manifest, source)

        exists, tables, current = database_state(settings)
        runs_dir = data_dir / "runs"
        old_runs = runs_dir.is_dir() and any(runs_dir.iterdir())
        secret_file = data_dir / ".secret_key"
        new_secret = tar.extractfile(SECRET).read() if SECRET in manifest["files"] else None
        secret_differs = (
            new_secret is not None
            and secret_file.is_file()
            and not hmac.compare_digest(secret_file.read_bytes(), new_secret)
        )
        busy = []
        if tables:
            busy.append(f"database {url.database} holds {len(tables)} tables (revision {current or 'none'})")
        if old_runs:
            busy.append(f"{runs_dir} holds run rasters")
        if secret_differs:
            busy.append(f"{secret_file} holds another secret key")
        if busy and not force:
            raise BackupError(
                "; ".join(busy) + ". Restoring replaces them: stop the service, then run "
                "`riskmap db restore FILE --force` (the database is dropped and created again; the "
                "old rasters and key are kept beside the new ones)"
            )

        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        with tempfile.TemporaryDirectory(prefix=".riskmap-restore-", dir=_mkdir(data_dir)) as tmp:
            staging = Path(tmp)
            for name in manifest["files"]:
                member = tar.getmember(name)
                dest = staging / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)

            with connect(settings.database_url, "postgres", autocommit=True) as admin:
                major = server_major(admin)
                pg_restore = find_tool("pg_restore", major, settings.pg_bin_dir)
                name = sql.Identifier(url.database)
                if exists and tables:
                    say(f"dropping database {url.database} (--force)")
                    admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))
                    exists = False
                if not exists:
                    admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
            dsn, env = libpq(settings.database_url)
            say(f"restoring database {url.database} from the dump (one transaction)")
            run_tool(
                [
                    pg_restore,
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    f"--dbname={dsn}",
                    staging / DUMP,
                ],
                env,
                "pg_restore",
            )

            kept = []
            if (staging / RUNS).is_dir() or old_runs:
                if runs_dir.exists():
                    aside = data_dir / f"runs.before-restore-{stamp}"
                    runs_dir.rename(aside)
                    kept.append(str(aside))
                if (staging / RUNS).is_dir():
                    (staging / RUNS).rename(runs_dir)
            if new_secret is not None and (secret_differs or not secret_file.is_file()):
                if secret_file.is_file():
                    aside = data_dir / f".secret_key.before-restore-{stamp}"
                    secret_file.rename(aside)
                    kept.append(str(aside))
                fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(new_secret)

    with connect(settings.database_url, autocommit=True) as conn:
        conn.execute("ANALYZE")  # pg_restore leaves the planner without statistics
        counts = table_counts(conn)
    wrong = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
    if wrong:
        detail = ", ".join(
            f"{t}: {want} in the backup, {got} restored" for t, (want, got) in sorted(wrong.items())
        )
        raise BackupError(f"the restored database differs from the backup: {detail}")
    return {
        "database": url.database,
        "revision": manifest["database"]["revision"],
        "tables": len(counts),
        "rows": sum(counts.values()),
        "files": len(manifest["files"]) - 1,
        "kept_aside": kept,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
