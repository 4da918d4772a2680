"""Bulk loading shared by the sample loader (``sample_data.load``) and the importer
(``backend.imports``): rows are copied into a temporary stage table, compared with what the table
holds, and upserted by their natural key (a code, or a road id) only where something differs.

A re-load of the same data therefore rewrites no row and runs no writing statement at all, so the
tables' change counters (``data_version``, migration 0002, which tile caches key on) stay put.
Identifiers (table and column names) come from our own code, never from a file; values always
travel as COPY data or bound parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import shapely
import sqlalchemy as sa

from backend.models.base import SRID

#: tables of places and people a load may change, in the order they depend on each other
PLACE_TABLES = ("county", "township", "village", "shelter", "road", "hazard_site", "recipient", "river")


@dataclass
class Changes:
    """What an upsert did (or, before it, would do) to a table."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in ("inserted", "updated", "unchanged", "deleted")}


def bulk_settings(conn) -> None:
    """For the rest of this transaction: no statement timeout (a batch job, not a request), and no
    JIT compilation — PostGIS functions carry high costs, so PostgreSQL compiles even a 19-row
    overlap check (≈ 0.9 s of compiling for 15 ms of work)."""
    conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
    conn.execute(sa.text("SET LOCAL jit = off"))


def records(df: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows as plain Python values (None for missing) plus hex WKB of the geometry (``wkb``)."""
    part = df[columns].copy()
    for c in part.columns:
        if c.endswith("_id"):
            part[c] = part[c].astype("Int64")
    out = [
        {k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in part.to_dict("records")
    ]
    if "geometry" in df.columns:
        for rec, g in zip(out, shapely.to_wkb(df.geometry.values, hex=True), strict=True):
            rec["wkb"] = g
    return out


def column_types(conn, table: str) -> dict[str, str]:
    """The SQL type of each column of ``table`` (e.g. ``character varying(12)``)."""
    rows = conn.execute(
        sa.text(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped"
        ),
        {"t": table},
    ).all()
    return dict(rows)


def stage(
    conn,
    name: str,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence],
    geom: bool = True,
    extra: dict[str, str] | None = None,
) -> None:
    """A temporary table ``name`` (dropped at commit or rollback) holding ``rows``, with the types
    ``table`` has for ``columns``, then ``geom`` (hex WKB in the row's last-but-extra place, stored
    in SRID 4326 and made Multi where the table's geometry is), then ``extra`` columns of its own.

    Rows go in by COPY; a temporary table has no triggers, so staging changes no data version.
    """
    types = column_types(conn, table)
    extra = extra or {}
    defs = [f'"{c}" {types[c]}' for c in columns]
    names = list(columns)
    if geom:
        defs.append("geom geometry")
        names.append("geom")
    defs += [f'"{c}" {t}' for c, t in extra.items()]
    names += list(extra)
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(sa.text(f"CREATE TEMP TABLE {name} ({', '.join(defs)}) ON COMMIT DROP"))
    raw = conn.connection.dbapi_connection
    quoted = ", ".join(f'"{n}"' for n in names)
    with raw.cursor() as cur, cur.copy(f"COPY {name} ({quoted}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
    if geom:
        multi = "MULTI" in types.get("geom", "").upper()
        shape = "ST_Multi(ST_SetSRID(geom, :srid))" if multi else "ST_SetSRID(geom, :srid)"
        conn.execute(sa.text(f"UPDATE {name} SET geom = {shape}"), {"srid": SRID})


#: geometries whose vertices all lie within this many degrees (≈ 1 cm) of each other are the
#: same: a file that prints fewer digits (Excel's 15, a survey's millimetres, OSM's 7 decimals)
#: does not make a village move
SAME_GEOM_DEG = 1e-7


def _differs(a: str, b: str, cols: list[str]) -> str:
    """SQL true where row ``a`` differs from row ``b`` in ``cols`` (geometry within tolerance)."""
    plain = [c for c in cols if c != "geom"]
    parts = []
    if plain:
        mine = ", ".join(f'{a}."{c}"' for c in plain)
        theirs = ", ".join(f'{b}."{c}"' for c in plain)
        parts.append(f"ROW({mine}) IS DISTINCT FROM ROW({theirs})")
    if "geom" in cols:
        parts.append(
            f"NOT ({a}.geom = {b}.geom OR (ST_NPoints({a}.geom) = ST_NPoints({b}.geom) "
            f"AND ST_HausdorffDistance({a}.geom, {b}.geom) <= {SAME_GEOM_DEG!r}))"
        )
    return "(" + " OR ".join(parts) + ")"


def compare(
    conn,
    table: str,
    key: str,
    columns: Sequence[str],
    stage_name: str,
    geom: bool = True,
    replace_all: bool = False,
) -> Changes:
    """What upserting ``stage_name`` into ``table`` would change (nothing is written)."""
    cols = [c for c in columns if c != key] + (["geom"] if geom else [])
    differs = _differs(table, stage_name, cols)
    row = conn.execute(
        sa.text(
            f'SELECT count(*) FILTER (WHERE {table}."{key}" IS NULL), '
            f'count(*) FILTER (WHERE {table}."{key}" IS NOT NULL AND {differs}), '
            f'count(*) FILTER (WHERE {table}."{key}" IS NOT NULL AND NOT {differs}) '
            f'FROM {stage_name} LEFT JOIN {table} ON {table}."{key}" = {stage_name}."{key}"'
        )
    ).one()
    deleted = 0
    if replace_all:
        deleted = conn.execute(
            sa.text(
                f"SELECT count(*) FROM {table} WHERE NOT EXISTS "
                f'(SELECT 1 FROM {stage_name} s WHERE s."{key}" = {table}."{key}")'
            )
        ).scalar()
    return Changes(int(row[0]), int(row[1]), int(row[2]), int(deleted))


def apply(
    conn,
    table: str,
    key: str,
    columns: Sequence[str],
    stage_name: str,
    changes: Changes,
    geom: bool = True,
    replace_all: bool = False,
) -> None:
    """Upsert the staged rows that differ (and, with ``replace_all``, delete the rows the stage
    lacks); runs no statement at all when ``changes`` says nothing differs."""
    if replace_all and changes.deleted:
        conn.execute(
            sa.text(
                f"DELETE FROM {table} WHERE NOT EXISTS "
                f'(SELECT 1 FROM {stage_name} s WHERE s."{key}" = {table}."{key}")'
            )
        )
    if not (changes.inserted or changes.updated):
        return
    cols = list(columns) + (["geom"] if geom else [])
    updates = [c for c in cols if c != key]
    quoted = ", ".join(f'"{c}"' for c in cols)
    sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in updates)
    conn.execute(
        sa.text(
            f'INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {stage_name} ORDER BY "{key}" '
            f'ON CONFLICT ("{key}") DO UPDATE SET {sets} '
            f"WHERE {_differs(table, 'EXCLUDED', updates)}"
        )
    )


def upsert(
    conn,
    table: str,
    key: str,
    columns: list[str],
    rows: list[dict],
    geom: bool = True,
    replace_all: bool = False,
) -> Changes:
    """Stage ``rows`` (dicts from :func:`records`) and upsert them into ``table`` by ``key``,
    writing only rows that differ; ``replace_all`` also deletes rows the load lacks."""
    name = f"stage_{table}"
    data = ([r[c] for c in columns] + ([r["wkb"]] if geom else []) for r in rows)
    stage(conn, name, table, columns, data, geom=geom)
    changes = compare(conn, table, key, columns, name, geom=geom, replace_all=replace_all)
    apply(conn, table, key, columns, name, changes, geom=geom, replace_all=replace_all)
    conn.execute(sa.text(f"DROP TABLE {name}"))
    return changes


def refresh_derived(conn, changed: Iterable[str]) -> None:
    """Keep what is derived from places current after a load changed the tables ``changed``: the
    county outline of the map (the union of the townships) and the planner's statistics."""
    changed = set(changed)
    if "township" in changed:
        conn.execute(sa.text("REFRESH MATERIALIZED VIEW county_outline"))
    for table in PLACE_TABLES:
        if table in changed:
            conn.execute(sa.text(f"ANALYZE {table}"))


def counts(conn, tables: Iterable[str] = PLACE_TABLES) -> dict[str, int]:
    return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}
