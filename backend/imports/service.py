"""One import from file to tables: read, match columns, parse and check every row, stage the valid
rows in a temporary table, check them against what is loaded (in SQL), and only then write —
upserting by the natural key, only where something differs, in one transaction, audited.

With errors nothing is written (unless the caller asked for the valid rows anyway, ``partial``);
a dry run does everything but the commit, so its report says what an import would change.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.db import connect_or_explain
from backend.imports import coords, readers, rows
from backend.imports.kinds import kind_of
from backend.imports.rejects import write_rejects
from backend.imports.spec import Batch, ImportUsageError, Kind, Options, Report
from backend.models import loading
from backend.models.audit import audit

STAGE = "import_stage"


def _native(v):
    if v is None:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    return v.item() if hasattr(v, "item") else v


def county_area(conn):
    """The county as one shapely geometry (its boundary, else its townships), or None."""
    wkb = conn.execute(
        sa.text(
            "SELECT ST_AsBinary(coalesce((SELECT ST_Union(geom) FROM county), "
            "(SELECT ST_Union(geom) FROM township)))"
        )
    ).scalar()
    return shapely.from_wkb(bytes(wkb)) if wkb is not None else None


def _stage(conn, batch: Batch) -> list[int]:
    """Copy the rows without errors into ``import_stage``; returns their batch indices."""
    kind = batch.kind
    rejected = batch.rejected
    ok = [i for i in range(len(batch)) if i not in rejected]
    extra = {"i": "integer", **kind.stage_extra}
    f = batch.frame
    geoms = None
    if kind.geometry:
        geoms = shapely.to_wkb(np.asarray([batch.geometry[i] for i in ok], dtype=object), hex=True)

    values = {c: f[c].tolist() for c in kind.columns}
    extras = {c: (f[c].tolist() if c in f else None) for c in kind.stage_extra}

    def data():
        for k, i in enumerate(ok):
            row = [_native(values[c][i]) for c in kind.columns]
            if geoms is not None:
                row.append(geoms[k])
            row.append(i)
            row += [
                False if t == "boolean" else None if extras[c] is None else _native(extras[c][i])
                for c, t in kind.stage_extra.items()
            ]
            yield row

    loading.stage(conn, STAGE, kind.table, kind.columns, data(), geom=bool(kind.geometry), extra=extra)
    return ok


def _keep_absent(conn, batch: Batch) -> None:
    """Fields the file has no column for keep the stored values of rows already loaded."""
    kind = batch.kind
    if not kind.keep_absent:
        return
    absent = [c for c in kind.columns if c != kind.key and kind.field(c) is not None and not batch.given(c)]
    if not absent:
        return
    sets = ", ".join(f'"{c}" = t."{c}"' for c in absent)
    kept = conn.execute(
        sa.text(f'UPDATE {STAGE} s SET {sets} FROM {kind.table} t WHERE t."{kind.key}" = s."{kind.key}"')
    ).rowcount
    if kept:
        batch.note(f"{', '.join(absent)}: not in the file, kept as stored for {kept} row(s) already loaded")


def _fill_keys(batch: Batch) -> None:
    kind = batch.kind
    if kind.derive_key is None:
        return
    keys = batch.frame[kind.key]
    missing = [i for i, v in enumerate(keys.tolist()) if v is None]
    if not missing:
        return
    derived = kind.derive_key(batch)
    values = keys.tolist()
    for i in missing:
        values[i] = derived[i]
    batch.frame[kind.key] = values
    batch.note(f"{len(missing)} row(s) without {kind.key}: a stable one derived (e.g. {derived[missing[0]]})")


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_options(options: Options) -> None:
    if options.coords not in coords.SYSTEMS:
        raise ImportUsageError(f"--coords {options.coords!r}: one of {', '.join(coords.SYSTEMS)}")


def run_import(
    engine,
    kind_name: str,
    path: Path,
    options: Options,
    actor: str,
    rejects: Path | None = None,
    display_name: str | None = None,
) -> Report:
    """Import ``path`` as ``kind_name``; the report says what was found and done.

    Raises :class:`ImportUsageError` for an unreadable file or options that cannot apply; rows
    with faults are not raised but reported (``report.status`` is then ``rejected`` or, with
    ``options.partial``, ``partial``)."""
    start = time.perf_counter()
    check_options(options)
    kind = kind_of(kind_name)
    path = Path(path)
    name = display_name or path.name
    source = readers.read(path, kind, options)
    batch = rows.build(kind, source, options)
    with connect_or_explain(engine) as conn:
        loading.bulk_settings(conn)
        batch.area_of = lambda: county_area(conn)
        if kind.prepare:
            kind.prepare(batch)
        _fill_keys(batch)
        rows.check_duplicates(batch, kind.key)
        if kind.resolve:
            kind.resolve(conn, batch)
        _stage(conn, batch)
        _keep_absent(conn, batch)
        if kind.check:
            kind.check(conn, batch)
        rejected = sorted(batch.rejected)
        if rejected:
            conn.execute(sa.text(f"DELETE FROM {STAGE} WHERE i = ANY(:r)"), {"r": rejected})
        geom = bool(kind.geometry)
        changes = loading.compare(
            conn, kind.table, kind.key, kind.columns, STAGE, geom=geom, replace_all=kind.replace_all
        )
        report = _report(kind, batch, name, options, changes)
        blocked = bool(batch.file_errors) or (bool(rejected) and not options.partial)
        if options.dry_run or blocked:
            conn.rollback()
        else:
            before = loading.counts(conn, [kind.table])[kind.table]
            loading.apply(
                conn,
                kind.table,
                kind.key,
                kind.columns,
                STAGE,
                changes,
                geom=geom,
                replace_all=kind.replace_all,
            )
            changed = {kind.table} if changes.changed else set()
            if changes.changed and kind.finish:
                kind.finish(conn, batch)
                changed |= set(batch.extras.pop("also_changed", []))
            loading.refresh_derived(conn, changed)
            after = loading.counts(conn, [kind.table])[kind.table]
            with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
                audit(
                    session,
                    actor,
                    f"import.{kind.name}",
                    kind.table,
                    None,
                    {"rows": before},
                    {"rows": after, "file": name, "sha256": _file_digest(path), **_summary(report)},
                )
                session.commit()
            conn.commit()
            report.written = True
            report.notes = batch.notes
    if rejects is not None and rejected:
        write_rejects(rejects, batch)
        report.rejects_file = str(rejects)
    report.seconds = time.perf_counter() - start
    return report


def _summary(report: Report) -> dict:
    return {
        "format": report.format,
        "rows": report.rows,
        "rejected": report.rejected,
        "changes": report.changes,
        "options": {"crs": report.crs, "coords": report.coords, "layer": report.layer},
    }


def _report(kind: Kind, batch: Batch, name: str, options: Options, changes) -> Report:
    n = len(batch)
    rejected = len(batch.rejected)
    extras = {k: v for k, v in batch.extras.items() if k == "graph"}
    return Report(
        kind=kind.name,
        file=name,
        format=batch.source.format,
        rows=n,
        valid=n - rejected,
        rejected=rejected,
        dry_run=options.dry_run,
        changes=changes.to_json(),
        columns=dict(batch.columns),
        crs=batch.crs,
        coords=options.coords,
        layer=batch.source.layer,
        errors=sorted(batch.errors, key=lambda p: (p.row is not None, p.row or 0)),
        warnings=batch.warnings,
        notes=batch.notes,
        extras=extras,
    )
