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
from backend.models.loading import PLACE_TABLES, bulk_settings, counts, records, refresh_derived, upsert

#: file → (required columns, geometry type)
LAYERS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "county.gpkg": (("code", "name", "population"), "MultiPolygon"),
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
TABLES = PLACE_TABLES


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
    "county.gpkg": "county",
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


def load(directory: Path, engine=None) -> dict[str, tuple[int, int]]:
    """Validate all files, then upsert them in one transaction (into ``engine``'s database, by
    default the configured one). Returns {table: (before, after)}."""
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

    engine = engine or get_engine()
    with connect_or_explain(engine) as conn:
        before = counts(conn)
        # one transaction (autobegun): an error anywhere rolls back everything
        try:
            bulk_settings(conn)
            changed = _write(conn, layers)
            refresh_derived(conn, changed)
            conn.commit()
        except IntegrityError as exc:
            conn.rollback()
            table = getattr(getattr(exc.orig, "diag", None), "table_name", None)
            source = next((directory / f for f, t in TABLE_OF.items() if t == table), directory)
            raise InvalidInput(
                f"{source}: conflicts with data already in the database "
                f"({str(exc.orig).splitlines()[0]}); nothing was loaded"
            ) from exc
        after = counts(conn)
    return {t: (before[t], after[t]) for t in TABLES}


def _write(conn, layers: dict[str, pd.DataFrame]) -> set[str]:
    """Upsert every layer; returns the tables that changed."""
    changed: set[str] = set()

    def put(table, key, df, columns, geom=True, replace_all=False):
        rows = records(df, columns)
        if upsert(conn, table, key, columns, rows, geom=geom, replace_all=replace_all).changed:
            changed.add(table)

    put("county", "code", layers["county.gpkg"], ["code", "name", "population"])
    put("township", "code", layers["townships.gpkg"], ["code", "name", "population"])
    town_id = dict(conn.execute(sa.text("SELECT code, id FROM township")).all())

    def town(df):
        unknown = set(df.township_code.dropna()) - set(town_id)
        if unknown:
            codes = ", ".join(sorted(unknown)[:5])
            raise InvalidInput(f"{df.attrs.get('path', 'a layer')}: unknown township code(s) {codes}")
        return df.township_code.map(town_id)

    v = layers["villages.gpkg"].assign(township_id=town)
    put("village", "code", v, ["code", "township_id", "name", "population", "elderly", "households"])
    village_id = dict(conn.execute(sa.text("SELECT code, id FROM village")).all())

    s = layers["shelters.gpkg"].assign(township_id=town)
    put("shelter", "code", s,
        ["code", "township_id", "name", "class", "area_m2", "capacity", "occupancy", "status"])

    # the road graph is replaced as a whole: edges missing from the file go
    put("road", "id", layers["roads.gpkg"],
        ["id", "source", "target", "name", "class", "speed_kmh", "length_m", "closed"], replace_all=True)

    h = layers["hazard_sites.gpkg"].assign(
        township_id=town, village_id=lambda d: d.village_code.map(village_id)
    )
    put("hazard_site", "code", h,
        ["code", "kind", "name", "township_id", "village_id", "threatened_people", "threat_radius_m"])

    p = layers["recipients.csv"]
    p = p.assign(township_id=p.township_code.map(town_id), village_id=p.village_code.map(village_id))
    put("recipient", "code", p,
        ["code", "name", "role", "title", "township_id", "village_id", "phone", "email"], geom=False)

    rv = layers["rivers.gpkg"].reset_index(drop=True)
    rv = rv.assign(id=rv.index + 1)
    put("river", "id", rv, ["id", "kind"], replace_all=True)
    return changed
