"""Load a sample directory into PostGIS: ``riskmap sample load DIR``.

Every file is read and checked before anything is written; then everything is upserted by its
natural key (codes, road ids) in one transaction, so loading twice changes nothing and a bad
file loads nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import sqlalchemy as sa
from pyogrio.errors import DataSourceError
from sqlalchemy.exc import IntegrityError

from backend.db import connect_or_explain, get_engine
from backend.errors import InvalidInput
from backend.models.base import SRID

#: file → (required columns, geometry type)
LAYERS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "townships.gpkg": (("code", "name", "population"), "MultiPolygon"),
    "villages.gpkg": (
        ("code", "township_code", "name", "population", "elderly", "households"),
        "Point",
    ),
    "shelters.gpkg": (
        ("code", "name", "class", "area_m2", "capacity", "occupancy", "status", "township_code"),
        "Point",
    ),
    "roads.gpkg": (
        ("id", "source", "target", "name", "class", "speed_kmh", "length_m", "closed"),
        "LineString",
    ),
    "hazard_sites.gpkg": (
        (
            "code",
            "kind",
            "name",
            "township_code",
            "village_code",
            "threatened_people",
            "threat_radius_m",
        ),
        "Point",
    ),
    "rivers.gpkg": (("kind",), ("LineString", "MultiLineString")),
    "recipients.csv": (
        ("code", "name", "role", "title", "township_code", "village_code", "phone", "email"),
        None,
    ),
}
TABLES = ("township", "village", "shelter", "road", "hazard_site", "recipient", "river")


def read_layer(path: Path, columns: tuple[str, ...],
               geom_type: str | tuple[str, ...] | None) -> pd.DataFrame:
    """Read one file, naming it and the fault in any error."""
    if not path.is_file():
        raise InvalidInput(f"{path}: file is missing; run `riskmap sample generate --out {path.parent}`")
    try:
        if geom_type is None:
            df = pd.read_csv(
                path, dtype={"phone": str, "township_code": str, "village_code": str, "code": str}
            )
        else:
            df = gpd.read_file(path, engine="pyogrio")
    except (
        DataSourceError,
        pyogrio.errors.DataLayerError,
        UnicodeDecodeError,
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
    ) as exc:
        reason = str(exc).splitlines()[0]
        if "failed: " in reason:  # SQLite's statement, then why: keep the why
            reason = "damaged or cut short: " + reason.rsplit("failed: ", 1)[1].split(";")[0]
        raise InvalidInput(
            f"{path}: not a readable {'CSV' if geom_type is None else 'GeoPackage'} ({reason})"
        ) from exc
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InvalidInput(f"{path}: missing column(s) {', '.join(missing)}")
    check_values(path, df, "row" if geom_type is None else "feature")
    df.attrs["path"] = str(path)  # for errors found later, when rows are matched to the database
    if geom_type is not None:
        if df.crs is None:
            raise InvalidInput(f"{path}: layer has no CRS")
        if df.crs.to_epsg() != SRID:
            df = df.to_crs(SRID)
        allowed = (geom_type,) if isinstance(geom_type, str) else geom_type
        bad = ~df.geometry.geom_type.isin(allowed)
        if bad.any():
            raise InvalidInput(f"{path}: {int(bad.sum())} feature(s) are not {' or '.join(allowed)}")
        invalid = ~shapely.is_valid(df.geometry.values)
        if invalid.any():
            raise InvalidInput(
                f"{path}: {int(invalid.sum())} invalid geometr(y/ies), first at row {int(invalid.argmax())}"
            )
    return df


TABLE_OF = {
    "townships.gpkg": "township",
    "villages.gpkg": "village",
    "shelters.gpkg": "shelter",
    "roads.gpkg": "road",
    "hazard_sites.gpkg": "hazard_site",
    "rivers.gpkg": "river",
    "recipients.csv": "recipient",
}
INT_RANGE = {sa.SmallInteger: 2**15 - 1, sa.BigInteger: 2**63 - 1, sa.Integer: 2**31 - 1}


def check_values(path: Path, df: pd.DataFrame, unit: str) -> None:
    """Every value fits the column it is loaded into (as the table declares it): present where the
    table requires one, a number where it holds numbers (whole and in range for integers), not longer
    than a bounded text — so a bad value is named here, by file, column and row, not by PostgreSQL."""
    from backend.models import Base

    table = Base.metadata.tables[TABLE_OF[path.name]]
    first = 2 if unit == "row" else 1  # a CSV's first row is its header; features count from 1

    def where(mask) -> str:
        i = int(np.argmax(np.asarray(mask)))
        return f"{unit} {i + first}"

    for col in table.columns:
        if col.name not in df.columns or col.name == "geom":
            continue
        values = df[col.name]
        if not col.nullable and values.isna().any():
            raise InvalidInput(f"{path}: column {col.name} is empty at {where(values.isna())}")
        kind = next((k for k in INT_RANGE if isinstance(col.type, k)), None)
        if kind is not None or isinstance(col.type, sa.Float):
            numbers = pd.to_numeric(values, errors="coerce")
            bad = numbers.isna() & values.notna()
            if bad.any():
                raise InvalidInput(
                    f"{path}: column {col.name} must be a number; {where(bad)} has "
                    f"{str(values[bad].iloc[0])[:40]!r}"
                )
            if kind is not None:
                bad = numbers.notna() & ((numbers % 1 != 0) | (numbers.abs() > INT_RANGE[kind]))
                if bad.any():
                    raise InvalidInput(
                        f"{path}: column {col.name} must be a whole number within ±{INT_RANGE[kind]:,}; "
                        f"{where(bad)} has {numbers[bad].iloc[0]!r}"
                    )
        length = getattr(col.type, "length", None)
        if length and values.dtype == object:
            bad = values.notna() & (values.astype(str).str.len() > length)
            if bad.any():
                raise InvalidInput(
                    f"{path}: column {col.name} holds at most {length} characters; {where(bad)} has more"
                )


def _records(df: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows as plain Python values (None for missing) plus hex WKB of the geometry."""
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


def _upsert(conn, table: str, key: str, columns: list[str], rows: list[dict], geom: bool = True,
            multi: bool = False) -> None:
    """INSERT … ON CONFLICT (key) DO UPDATE only where something differs (no churn on reload)."""
    if not rows:
        return
    cols = columns + (["geom"] if geom else [])
    shape = f"ST_GeomFromWKB(decode(:wkb, 'hex'), {SRID})"
    values = [f":{c}" for c in columns] + ([f"ST_Multi({shape})" if multi else shape] if geom else [])
    updates = [c for c in cols if c != key]
    quoted = [f'"{c}"' for c in cols]
    mine = ", ".join(f'{table}."{c}"' for c in updates)
    theirs = ", ".join(f'EXCLUDED."{c}"' for c in updates)
    sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in updates)
    sql = (
        f"INSERT INTO {table} ({', '.join(quoted)}) VALUES ({', '.join(values)}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {sets} WHERE ({mine}) IS DISTINCT FROM ({theirs})"
    )
    conn.execute(sa.text(sql), rows)


def load(directory: Path) -> dict[str, tuple[int, int]]:
    """Validate all files, then upsert them in one transaction. Returns {table: (before, after)}."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InvalidInput(
            f"{directory}: no such directory; run `riskmap sample generate --out {directory}` first"
        )
    layers = {name: read_layer(directory / name, cols, gt) for name, (cols, gt) in LAYERS.items()}
    manifest = directory / "manifest.json"
    if manifest.is_file():
        try:
            json.loads(manifest.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InvalidInput(f"{manifest}: not valid JSON ({exc})") from exc

    engine = get_engine()
    with connect_or_explain(engine) as conn:
        before = _counts(conn)
        # one transaction (autobegun): an error anywhere rolls back everything
        try:
            _write(conn, layers)
            conn.commit()
        except IntegrityError as exc:
            conn.rollback()
            table = getattr(getattr(exc.orig, "diag", None), "table_name", None)
            source = next((directory / f for f, t in TABLE_OF.items() if t == table), directory)
            raise InvalidInput(
                f"{source}: conflicts with data already in the database "
                f"({str(exc.orig).splitlines()[0]}); nothing was loaded"
            ) from exc
        after = _counts(conn)
        for table in TABLES:
            conn.execute(sa.text(f"ANALYZE {table}"))
        conn.commit()
    return {t: (before[t], after[t]) for t in TABLES}


def _counts(conn) -> dict[str, int]:
    return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}


def _write(conn, layers: dict[str, pd.DataFrame]) -> None:
    t = layers["townships.gpkg"]
    tcols = ["code", "name", "population"]
    _upsert(conn, "township", "code", tcols, _records(t, tcols))
    town_id = dict(conn.execute(sa.text("SELECT code, id FROM township")).all())

    def town(df):
        unknown = set(df.township_code.dropna()) - set(town_id)
        if unknown:
            codes = ", ".join(sorted(unknown)[:5])
            raise InvalidInput(f"{df.attrs.get('path', 'a layer')}: unknown township code(s) {codes}")
        return df.township_code.map(town_id)

    v = layers["villages.gpkg"].assign(township_id=town)
    vcols = ["code", "township_id", "name", "population", "elderly", "households"]
    _upsert(conn, "village", "code", vcols, _records(v, vcols))
    village_id = dict(conn.execute(sa.text("SELECT code, id FROM village")).all())

    s = layers["shelters.gpkg"].assign(township_id=town)
    scols = ["code", "township_id", "name", "class", "area_m2", "capacity", "occupancy", "status"]
    _upsert(conn, "shelter", "code", scols, _records(s, scols))

    r = layers["roads.gpkg"]
    # the road graph is replaced as a whole: edges missing from the file go
    conn.execute(sa.text("DELETE FROM road WHERE NOT (id = ANY(:ids))"), {"ids": [int(i) for i in r["id"]]})
    rcols = ["id", "source", "target", "name", "class", "speed_kmh", "length_m", "closed"]
    _upsert(conn, "road", "id", rcols, _records(r, rcols))

    h = layers["hazard_sites.gpkg"].assign(
        township_id=town, village_id=lambda d: d.village_code.map(village_id)
    )
    hcols = ["code", "kind", "name", "township_id", "village_id", "threatened_people", "threat_radius_m"]
    _upsert(conn, "hazard_site", "code", hcols, _records(h, hcols))

    p = layers["recipients.csv"]
    p = p.assign(township_id=p.township_code.map(town_id), village_id=p.village_code.map(village_id))
    pcols = ["code", "name", "role", "title", "township_id", "village_id", "phone", "email"]
    _upsert(conn, "recipient", "code", pcols, _records(p, pcols), geom=False)

    rv = layers["rivers.gpkg"].reset_index(drop=True)
    rv = rv.assign(id=rv.index + 1)
    conn.execute(sa.text("DELETE FROM river WHERE id > :n"), {"n": len(rv)})
    _upsert(conn, "river", "id", ["id", "kind"], _records(rv, ["id", "kind"]), multi=True)
    # the county outline (for the map) is the union of the townships
    conn.execute(sa.text("REFRESH MATERIALIZED VIEW county_outline"))
