"""Reading the files bureaus have: GeoPackage, Shapefile (plain or zipped), GeoJSON, CSV and XLSX.

Each reader returns a :class:`Source`: the rows with their original headers, a label per row for
the report (``sheet 村 row 7``, ``line 12``, ``feature 3``) and, for vector files, the geometry in
the file's CRS. Shapefile text is decoded by its ``.cpg`` when there is one (GDAL honours it);
without one, the ``.dbf`` bytes are tested: UTF-8 if they decode as such, else GB18030 (the
superset of GBK that Chinese GIS software writes) when that yields Chinese text.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS

from backend.imports.spec import ImportUsageError, Kind, Options, Source

VECTOR = (".gpkg", ".shp", ".geojson", ".json", ".zip")
TABLE = (".csv", ".txt", ".xlsx", ".xlsm")
_HEADER_SCAN_ROWS = 10


def suffix(path: Path) -> str:
    name = path.name.lower()
    for long in (".osm.pbf",):
        if name.endswith(long):
            return long
    return path.suffix.lower()


def read(path: Path, kind: Kind, options: Options) -> Source:
    """The rows of ``path`` for ``kind`` (by the file's suffix); unreadable files are
    :class:`ImportUsageError` naming the file and the fault."""
    path = Path(path)
    if not path.is_file():
        raise ImportUsageError(f"{path}: no such file")
    ext = suffix(path)
    if ext in kind.readers:
        return kind.readers[ext](path, options)
    if ext in (".osm.pbf", ".pbf", ".osm"):
        raise ImportUsageError(f"{path.name}: OpenStreetMap files bring roads only (riskmap import roads)")
    if ext in VECTOR:
        return read_vector(path, kind, options)
    if ext in (".csv", ".txt"):
        return read_csv(path, options)
    if ext in (".xlsx", ".xlsm"):
        return read_xlsx(path, kind, options)
    if ext == ".xls":
        raise ImportUsageError(f"{path.name}: the old Excel format (.xls) is not read; save it as .xlsx")
    raise ImportUsageError(
        f"{path.name}: unknown file type {ext or '(none)'}; give a GeoPackage, Shapefile (.shp or .zip), "
        "GeoJSON, CSV or XLSX file" + (" or an OpenStreetMap extract (.osm.pbf)" if kind.readers else "")
    )


# ---- vector files -----------------------------------------------------------------------------


def _dbf_bytes(path: Path) -> tuple[bytes | None, str | None]:
    """(the .dbf's bytes, the .cpg's text) of a shapefile, plain or inside a zip."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            dbf = next((n for n in names if n.lower().endswith(".dbf")), None)
            cpg = next((n for n in names if n.lower().endswith(".cpg")), None)
            return (z.read(dbf) if dbf else None), (z.read(cpg).decode("ascii", "ignore") if cpg else None)
    dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.is_file()), None)
    cpg = next((p for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if p.is_file()), None)
    return (dbf.read_bytes() if dbf else None), (cpg.read_text("ascii", "ignore") if cpg else None)


def detect_dbf_encoding(data: bytes) -> str | None:
    """UTF-8, GB18030 or None (plain ASCII, or nothing recognisable: leave it to GDAL)."""
    if len(data) < 32:
        return None
    header_len = int.from_bytes(data[8:10], "little")
    body = data[32:header_len] + data[header_len:]  # field names and records
    if all(b < 0x80 for b in body):
        return None
    try:
        body.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        decoded = body.decode("gb18030")
    except UnicodeDecodeError:
        return None
    cjk = sum(1 for ch in decoded if "\u4e00" <= ch <= "\u9fff")
    high = sum(1 for b in body if b >= 0x80)
    return "GB18030" if cjk * 2 >= high * 0.8 else None


def _choose_layer(path: Path, kind: Kind, options: Options) -> str | None:
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except (DataSourceError, DataLayerError) as exc:
        raise ImportUsageError(f"{path.name}: not a readable file ({_first_line(exc)})") from exc
    if options.sheet:
        if options.sheet not in layers:
            raise ImportUsageError(f"{path.name}: no layer {options.sheet!r}; layers: {', '.join(layers)}")
        return options.sheet
    if len(layers) <= 1:
        return layers[0] if layers else None
    wanted = {kind.name, kind.table, kind.name.replace("-", "_")}
    for name in layers:
        if name.lower() in wanted:
            return name
    raise ImportUsageError(f"{path.name} has layers {', '.join(layers)}; choose one with --sheet NAME")


def read_vector(path: Path, kind: Kind, options: Options) -> Source:
    notes = []
    encoding = options.encoding
    ext = path.suffix.lower()
    if ext in (".shp", ".zip") and encoding is None:
        dbf, cpg = _dbf_bytes(path)
        if cpg:
            notes.append(f"text decoded as {cpg.strip()} (its .cpg)")
        elif dbf is not None:
            encoding = detect_dbf_encoding(dbf)
            if encoding:
                notes.append(f"no .cpg: text detected as {encoding}")
    layer = _choose_layer(path, kind, options)
    try:
        df = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, on_invalid="ignore")
    except (DataSourceError, DataLayerError, UnicodeDecodeError, LookupError, ValueError) as exc:
        raise ImportUsageError(f"{path.name}: not a readable file ({_first_line(exc)})") from exc
    geoms = np.asarray(df.geometry.values, dtype=object) if "geometry" in df.columns else None
    crs = CRS.from_user_input(df.crs) if getattr(df, "crs", None) is not None else None
    if crs is None and ext in (".geojson", ".json"):
        crs = CRS.from_epsg(4326)  # RFC 7946: GeoJSON is WGS84
    frame = pd.DataFrame(df.drop(columns=["geometry"], errors="ignore"))
    n = len(frame)
    if geoms is not None:
        geoms = shapely.force_2d(np.where(pd.isna(geoms), None, geoms))
    return Source(
        path=path,
        format={".gpkg": "gpkg", ".shp": "shapefile", ".zip": "shapefile (zip)"}.get(ext, "geojson"),
        frame=frame.reset_index(drop=True),
        where=[f"feature {i + 1}" for i in range(n)],
        line=[i + 1 for i in range(n)],
        geometry=geoms,
        crs=crs,
        layer=layer,
        notes=notes,
    )


# ---- tables -----------------------------------------------------------------------------------


def _decode(data: bytes, encoding: str | None, name: str) -> tuple[str, str]:
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise ImportUsageError(f"{name}: cannot be read as {encoding} ({exc})") from exc
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise ImportUsageError(f"{name}: neither UTF-8 nor GB18030 text; say which with --encoding NAME")


def read_csv(path: Path, options: Options) -> Source:
    text, encoding = _decode(path.read_bytes(), options.encoding, path.name)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, sep=sep, skip_blank_lines=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportUsageError(f"{path.name}: not a readable CSV file ({_first_line(exc)})") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.loc[~(frame.apply(lambda r: all(str(v).strip() == "" for v in r), axis=1))]
    lines = [int(i) + 2 for i in frame.index]  # header is line 1
    frame = frame.reset_index(drop=True)
    notes = [] if encoding in ("utf-8-sig", "utf-8") else [f"text read as {encoding}"]
    return Source(path, "csv", frame, [f"line {n}" for n in lines], lines, notes=notes)


def _header_row(rows: list[tuple], kind: Kind) -> int:
    """The header row among the first rows: the one most of whose cells are known headers
    (official sheets often carry a title row, e.g. 云岭县避灾安置场所名单, above the headers)."""
    from backend.imports.headers import aliases, all_fields, candidates

    known = {a for f in all_fields(kind) for a in aliases(f)}
    best, best_score = None, 0
    for i, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        cells = [c for c in row if c is not None and str(c).strip()]
        score = sum(1 for c in cells if set(candidates(str(c))) & known)
        if score > best_score:
            best, best_score = i, score
    if best is not None:
        return best
    return next((i for i, row in enumerate(rows) if any(c is not None and str(c).strip() for c in row)), 0)


def read_xlsx(path: Path, kind: Kind, options: Options) -> Source:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ImportUsageError(f"{path.name}: not a readable XLSX workbook ({_first_line(exc)})") from exc
    try:
        if options.sheet:
            if options.sheet not in book.sheetnames:
                raise ImportUsageError(
                    f"{path.name}: no sheet {options.sheet!r}; sheets: {', '.join(book.sheetnames)}"
                )
            sheet = book[options.sheet]
        else:
            sheet = book.worksheets[0]
        rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
        title = sheet.title
    finally:
        book.close()
    if not rows:
        raise ImportUsageError(f"{path.name}: sheet {title!r} is empty")
    h = _header_row(rows, kind)
    raw_headers = rows[h]
    headers, keep = [], []
    for j, c in enumerate(raw_headers):
        if c is None or not str(c).strip():
            continue
        name = " ".join(str(c).split())  # as the sheet shows it, line breaks made spaces
        while name in headers:
            name += "_"
        headers.append(name)
        keep.append(j)
    data, numbers = [], []
    for r, row in enumerate(rows[h + 1 :], start=h + 2):
        cells = [row[j] if j < len(row) else None for j in keep]
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        data.append(cells)
        numbers.append(r)
    frame = pd.DataFrame(data, columns=headers, dtype=object)
    notes = [f"sheet {title!r}, headers in row {h + 1}"] if h else []
    return Source(
        path, "xlsx", frame, [f"sheet {title} row {n}" for n in numbers], numbers, layer=title, notes=notes
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
