"""The rejected rows of an import, saved for fixing: the file's own columns as read, where each row
was (sheet/line/feature), and a ``reason`` column with every fault of the row. CSV (UTF-8 with a
byte-order mark, so Excel shows the Chinese) or XLSX by the file's suffix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import shapely

from backend.imports.spec import Batch, ImportUsageError


def rejected_frame(batch: Batch) -> pd.DataFrame:
    rows = sorted(batch.rejected)
    reasons: dict[int, list[str]] = {}
    for p in batch.errors:
        if p.row is not None:
            reasons.setdefault(p.row, []).append(
                f"{p.field}: {p.reason}" + (f" ({p.value})" if p.value else "")
            )
    out = batch.source.frame.iloc[rows].copy().reset_index(drop=True)
    if batch.source.geometry is not None and "wkt" not in out.columns:
        out["wkt"] = [
            None if g is None else shapely.to_wkt(g, rounding_precision=7)
            for g in batch.source.geometry[rows]
        ]
    out.insert(0, "where", [batch.source.where[i] for i in rows])
    out["reason"] = ["; ".join(reasons.get(i, [])) for i in rows]
    return out


def write_rejects(path: Path, batch: Batch) -> None:
    path = Path(path)
    frame = rejected_frame(batch)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame.to_excel(path, index=False, sheet_name="rejected", engine="openpyxl")
        else:
            frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    except OSError as exc:
        raise ImportUsageError(f"--rejects {path}: cannot be written ({exc.strerror})") from exc
