"""Templates a bureau fills in: one per kind, with bilingual headers (``*`` marks the required
ones; the importer recognises every header it writes), one example row, and — in XLSX — a second
sheet explaining each column and its allowed values."""

from __future__ import annotations

from pathlib import Path

from backend.imports.kinds import kind_of
from backend.imports.spec import Field, ImportUsageError, Kind

EXAMPLE_WKT = {
    "polygon": "POLYGON ((114.90 25.76, 114.95 25.76, 114.95 25.80, 114.90 25.80, 114.90 25.76))",
    "line": "LINESTRING (115.0088 25.7740, 115.0040 25.7743)",
}


def columns(kind: Kind) -> list[tuple[str, Field | None, object]]:
    """(header, field, example) for each column of the template."""
    out = [(f"{'*' if f.required else ''}{f.zh} {f.name}", f, f.example) for f in kind.fields]
    if kind.geometry == "point":
        out += [("*经度 lon", None, 114.916514), ("*纬度 lat", None, 25.780648)]
    elif kind.geometry:
        out += [("*几何 wkt", None, EXAMPLE_WKT[kind.geometry])]
    return out


def _explain(f: Field | None, header: str, kind: Kind) -> list[str]:
    if f is None:
        what = (
            "WGS84 longitude/latitude in degrees (or --crs / --coords gcj02)"
            if kind.geometry == "point"
            else "the shape as WKT, in WGS84 (or give a GeoPackage/Shapefile instead)"
        )
        return [header, "yes", "number" if kind.geometry == "point" else "WKT", what, ""]
    allowed = ", ".join(sorted(set((f.choices or {}).values()))) if f.choices else ""
    default = "" if f.default is None else f" (default {f.default})"
    return [header, "yes" if f.required else "", f.type, (f.help or f.en) + default, allowed]


def write_template(kind_name: str, path: Path) -> None:
    kind = kind_of(kind_name)
    path = Path(path)
    cols = columns(kind)
    headers = [c[0] for c in cols]
    example = ["" if c[2] is None else c[2] for c in cols]
    try:
        if path.suffix.lower() == ".csv":
            import csv

            with open(path, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh, lineterminator="\n")
                w.writerow(headers)
                w.writerow(example)
        elif path.suffix.lower() == ".xlsx":
            _write_xlsx(kind, path, cols, headers, example)
        else:
            raise ImportUsageError(f"--out {path}: give a .xlsx or .csv file name")
    except OSError as exc:
        raise ImportUsageError(f"--out {path}: cannot be written ({exc.strerror})") from exc


def _write_xlsx(kind: Kind, path: Path, cols, headers, example) -> None:
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = kind.zh[:31]
    sheet.append(headers)
    sheet.append(example)
    for j, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=j)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFF2CC" if header.startswith("*") else "EDEDED")
        sheet.column_dimensions[get_column_letter(j)].width = max(12, min(40, len(header) * 2))
        # codes stay text: Excel would otherwise round 12-digit codes and drop leading zeros
        field = cols[j - 1][1]
        if field is not None and field.type in ("code", "code12", "ref", "phone", "text"):
            for r in range(2, 1001):
                sheet.cell(row=r, column=j).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("说明 notes")
    notes.append(["列 column", "必填 required", "类型 type", "说明 meaning", "可选值 allowed values"])
    for c in notes[1]:
        c.font = Font(bold=True)
    for header, f, _ in cols:
        notes.append(_explain(f, header, kind))
    notes.append([])
    notes.append([f"riskmap import {kind.name} FILE — {kind.zh} {kind.en}: {kind.help}"])
    for j, width in enumerate((28, 10, 10, 70, 50), start=1):
        notes.column_dimensions[get_column_letter(j)].width = width
    book.save(path)
