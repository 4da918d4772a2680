"""From a file's rows to a :class:`Batch`: columns matched to fields, every cell parsed (each bad
one named in the report), defaults filled, geometry built, duplicate keys found."""

from __future__ import annotations

import pandas as pd

from backend.imports import geometry, headers
from backend.imports.spec import Batch, Kind, Options, Source
from backend.imports.values import Bad, parse


def build(kind: Kind, source: Source, options: Options) -> Batch:
    columns = headers.match_columns(kind, source.headers, options.mapping, source.path.name)
    headers.require(
        kind,
        columns,
        source.headers,
        source.path.name,
        has_geometry=source.geometry is not None,
        parsed=set(source.parsed),
    )
    batch = Batch(kind, source, options, columns)
    for f in kind.fields:
        if f.name in source.parsed:
            batch.frame[f.name] = source.parsed[f.name].reset_index(drop=True).astype(object)
            continue
        values: list = [None] * len(batch)
        if f.name in columns:
            for i, raw in enumerate(source.frame[columns[f.name]].tolist()):
                try:
                    values[i] = parse(f, raw)
                except Bad as exc:
                    batch.error(i, f.name, raw, str(exc))
                    continue
                if values[i] is None and f.required:
                    batch.error(i, f.name, raw, "missing")
        missing = [i for i, v in enumerate(values) if v is None]
        if missing and f.default is not None:
            for i in missing:
                values[i] = f.default
            if f.name not in columns:
                batch.note(f"no column for {f.name} ({f.zh}): {f.default} for rows not yet loaded")
        batch.frame[f.name] = pd.Series(values, dtype=object)
    geometry.build(batch)
    return batch


def check_duplicates(batch: Batch, key: str) -> None:
    """Two rows with the same key: both are named (the first keeps its place in the report)."""
    values = batch.frame[key]
    seen: dict = {}
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and pd.isna(v)):
            continue
        if v in seen:
            first = seen[v]
            batch.error(i, key, v, f"duplicate {key} (also {batch.source.where[first]})")
            if not any(p.row == first and p.reason.startswith(f"duplicate {key}") for p in batch.errors):
                batch.error(first, key, v, f"duplicate {key} (also {batch.source.where[i]})")
        else:
            seen[v] = i
