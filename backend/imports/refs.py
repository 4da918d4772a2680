"""References from imported rows to places already loaded: a township or village named by its
code or by its name, and — in SQL, on the staged rows — the township a place lies in, the county
it must lie inside, the township it says against the one it is in."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from backend.imports.spec import Batch, ImportUsageError
from backend.sql import query


def _townships(conn) -> tuple[dict[str, int], dict[str, list[int]], dict[int, str]]:
    rows = conn.execute(sa.text("SELECT id, code, name FROM township")).all()
    by_code = {c: i for i, c, _ in rows}
    by_name: dict[str, list[int]] = {}
    for i, _, n in rows:
        by_name.setdefault(n, []).append(i)
    return by_code, by_name, {i: c for i, c, _ in rows}


def townships(conn, batch: Batch, required: bool = False) -> None:
    """``township_id`` from ``township_code`` or ``township`` (a code or a name); an unknown one
    is an error of its row. Rows naming none are left for :func:`locate` (or stay without)."""
    by_code, by_name, _ = _townships(conn)
    fields = [f for f in ("township_code", "township") if f in batch.frame]
    named = any(v is not None for f in fields for v in batch.frame[f])
    if not by_code and (named or required):
        raise ImportUsageError(
            f"{batch.source.path.name}: its {batch.kind.en} belong to townships, but none are loaded "
            "yet; import them first: riskmap import townships FILE"
        )
    ids: list = [None] * len(batch)
    for field in ("township_code", "township"):
        if field not in batch.frame:
            continue
        for i, value in enumerate(batch.frame[field].tolist()):
            if value is None or ids[i] is not None:
                continue
            if value in by_code:
                ids[i] = by_code[value]
            elif field == "township" and value in by_name:
                if len(by_name[value]) > 1:
                    batch.error(i, field, value, "township name is not unique; give township_code")
                else:
                    ids[i] = by_name[value][0]
            else:
                batch.error(i, field, value, "unknown township")
    batch.frame["township_id"] = pd.Series(ids, dtype=object)


def villages(conn, batch: Batch) -> None:
    """``village_id`` from ``village_code`` or ``village`` (a code, or a name — unique in the
    row's township or the county); a village also gives its row's township when none is named."""
    rows = conn.execute(sa.text("SELECT id, code, name, township_id FROM village")).all()
    by_code = {c: (i, t) for i, c, _, t in rows}
    by_name: dict[str, list[tuple[int, int]]] = {}
    for i, _, n, t in rows:
        by_name.setdefault(n, []).append((i, t))
    town = batch.frame["township_id"].tolist() if "township_id" in batch.frame else [None] * len(batch)
    ids: list = [None] * len(batch)
    for field in ("village_code", "village"):
        if field not in batch.frame:
            continue
        for i, value in enumerate(batch.frame[field].tolist()):
            if value is None or ids[i] is not None:
                continue
            hit = by_code.get(value)
            if hit is None and field == "village":
                found = [m for m in by_name.get(value, []) if town[i] is None or m[1] == town[i]]
                if len(found) > 1:
                    batch.error(i, field, value, "village name is not unique; give village_code")
                    continue
                hit = found[0] if found else None
            if hit is None:
                batch.error(i, field, value, "unknown village")
                continue
            ids[i] = hit[0]
            if town[i] is None:
                town[i] = hit[1]
            elif town[i] != hit[1]:
                batch.warn(i, field, value, "the village belongs to another township than the row names")
    batch.frame["village_id"] = pd.Series(ids, dtype=object)
    batch.frame["township_id"] = pd.Series(town, dtype=object)


def locate(conn, batch: Batch, required: bool) -> None:
    """On the staged points: outside the county is an error; a row without a township gets the
    one it lies in (spatial join in SQL); a stated township that does not contain its point is
    a warning."""
    outside = set()
    for i, lon, lat, against in conn.execute(query("import_outside_county")).all():
        outside.add(i)
        reason = "outside the county " + ("boundary" if against == "county" else "(in no township)")
        batch.error(i, "geometry", f"{lon:.6f}, {lat:.6f}", reason)
    located = conn.execute(query("import_locate_township")).all()
    n_found = 0
    for i, township_id in located:
        if township_id is not None:
            n_found += 1
        elif i not in outside and required:
            batch.error(i, "township", None, "no township given and none contains the point")
    if n_found:
        batch.note(f"{n_found} row(s) without a township: given the township they lie in")
    for i, stated_code, stated_name, lies_code, lies_name in conn.execute(query("import_township_mismatch")):
        if i in outside:
            continue
        there = f"{lies_name} ({lies_code})" if lies_code else "no township"
        batch.warn(i, "township", f"{stated_name} ({stated_code})", f"the point lies in {there}")
