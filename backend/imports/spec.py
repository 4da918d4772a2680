"""The language an import kind is written in: its fields (a declarative spec), the working set of
rows an import carries through its steps, and the report it ends with.

A kind (``backend.imports.kinds``) is a :class:`Kind`: a target table and key, the fields a file
may give (with their Chinese and English headers, types, defaults and an example), and a few
hooks for what a table cannot say — derived values, references to other places, checks that need
the database, derived state after writing. Adding a kind is writing one of these and adding it to
the table in ``kinds.py``; the reading, header matching, coordinate handling, validation report,
staging, upsert, rejects file, template and HTTP route come with it. For example::

    FLOOD_INDICATORS = Kind(
        name="flood-indicators", zh="山洪灾害预警指标", en="flash-flood indicators",
        table="flood_indicator", key="code",
        columns=("code", "village_id", "hours", "prepare_mm", "move_mm"),
        fields=(
            Field("code", "code", "指标编号", "code", required=True),
            *VILLAGE_REFS,  # village_code / village (name), resolved by refs.villages
            Field("hours", "count", "时段(小时)", "duration (h)", required=True),
            Field("prepare_mm", "float", "准备转移雨量", "prepare (mm)", required=True),
            Field("move_mm", "float", "立即转移雨量", "move (mm)", required=True),
        ),
        resolve=refs.villages,
    )

Every column of ``columns`` is a field of the same name or is filled by a hook (``township_id``
by ``refs.townships``, a road's ``length_m`` by its ``prepare``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backend.errors import BadRequest

#: value types a field may have (parsed by ``backend.imports.values``)
TYPES = ("text", "code", "code12", "count", "int", "float", "bool", "choice", "phone", "email", "ref")


@dataclass(frozen=True)
class Field:
    """One column a file may give. ``name`` is the data-model name ``--map SRC=FIELD`` uses."""

    name: str
    type: str
    zh: str
    en: str = ""
    required: bool = False
    #: headers recognised for it beyond the shared ones (``backend.imports.headers``)
    aliases: tuple[str, ...] = ()
    #: accepted spellings → stored value, for ``choice`` fields (the stored values are accepted too)
    choices: Mapping[str, str] | None = None
    default: Any = None
    example: Any = None
    #: codes of fewer digits padded with zeros to 12 (``code12``: 6 for counties, 9 for townships)
    pad_from: tuple[int, ...] = ()
    positive: bool = False
    help: str = ""

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type}")


@dataclass(frozen=True)
class Kind:
    """What one ``riskmap import KIND`` brings in, and where it goes."""

    name: str
    zh: str
    en: str
    #: target table and natural key of the upsert
    table: str
    key: str
    fields: tuple[Field, ...]
    #: columns of ``table`` written (the key among them); the geometry is written when ``geometry``
    columns: tuple[str, ...]
    #: None, "point", "polygon" (stored Multi) or "line"
    geometry: str | None = None
    #: extra columns the stage carries for the hooks' SQL (name → SQL type)
    stage_extra: Mapping[str, str] = field(default_factory=dict)
    #: the file is the whole table: rows missing from it are removed (the road graph)
    replace_all: bool = False
    #: a field the file has no column for keeps its stored value in rows already loaded (a
    #: shelter list without occupancy does not empty the shelters); new rows take the default
    keep_absent: bool = True
    #: pure, before the database: derive values, check rows against each other (Batch → None)
    prepare: Callable[[Batch], None] | None = None
    #: with the database, before staging: look up references (conn, Batch → None)
    resolve: Callable[[Any, Batch], None] | None = None
    #: with the rows staged (table ``import_stage``): spatial joins and checks in SQL
    check: Callable[[Any, Batch], None] | None = None
    #: after writing, when the table changed: derived state (conn, Batch → None)
    finish: Callable[[Any, Batch], None] | None = None
    #: readers of its own by file suffix (e.g. roads from ``.osm.pbf``): (path, options) → Source
    readers: Mapping[str, Callable] = field(default_factory=dict)
    #: a stable key for rows whose file has none (e.g. from name and position): Batch → Series
    derive_key: Callable[[Batch], pd.Series] | None = None
    help: str = ""

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


@dataclass
class Options:
    """What the caller said besides the file (CLI flags or HTTP form fields)."""

    mapping: dict[str, str] = field(default_factory=dict)  # file header → field
    crs: str | None = None
    coords: str = "wgs84"
    sheet: str | None = None
    encoding: str | None = None
    dry_run: bool = False
    #: write the valid rows even when some are rejected (``--rejects FILE``)
    partial: bool = False


def parse_mapping(values: list[str] | None) -> dict[str, str]:
    """``--map COLUMN=FIELD`` items as {column: field}."""
    mapping = {}
    for item in values or []:
        src, sep, name = item.rpartition("=")
        if not sep or not src.strip() or not name.strip():
            raise ImportUsageError(f"--map {item!r}: write it as --map COLUMN=FIELD (e.g. --map 村名=name)")
        mapping[src.strip()] = name.strip()
    return mapping


@dataclass
class Source:
    """A file as read: its rows with the original headers, row labels, and geometry if it has any."""

    path: Path
    format: str
    frame: pd.DataFrame
    where: list[str]
    line: list[int | None]
    geometry: np.ndarray | None = None  # shapely geometries in ``crs``
    crs: Any = None  # pyproj CRS of ``geometry`` (None: the file gave none)
    layer: str | None = None
    notes: list[str] = field(default_factory=list)
    #: values the reader already parsed into fields (e.g. OSM tags → class), keyed by field name
    parsed: dict[str, pd.Series] = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


@dataclass
class Problem:
    where: str
    field: str
    value: str
    reason: str
    row: int | None = None  # index into the batch (None: the file as a whole)
    line: int | None = None  # row, line or feature number in the file

    def to_json(self) -> dict:
        return {
            "where": self.where,
            "line": self.line,
            "field": self.field,
            "value": self.value,
            "reason": self.reason,
        }


class Batch:
    """The rows of one import on their way in: parsed values by field (``frame``), geometry in
    EPSG:4326 (``geometry``), and every problem found, each naming its row."""

    def __init__(self, kind: Kind, source: Source, options: Options, columns: dict[str, str]):
        self.kind = kind
        self.source = source
        self.options = options
        self.columns = columns  # field → header it came from
        n = len(source.frame)
        self.frame = pd.DataFrame(index=pd.RangeIndex(n))
        self.geometry: np.ndarray | None = None
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.notes: list[str] = list(source.notes)
        self.extras: dict[str, Any] = {}
        self.crs: str | None = None
        #: () → the county area as a shapely geometry in EPSG:4326 (None: nothing loaded yet)
        self.area_of = lambda: None
        self._area: list = []

    def __len__(self) -> int:
        return len(self.frame)

    def _problem(self, i: int | None, field_name: str, value, reason: str) -> Problem:
        if i is None:
            return Problem(str(self.source.path.name), field_name, _show(value), reason)
        return Problem(
            self.source.where[i], field_name, _show(value), reason, row=int(i), line=self.source.line[i]
        )

    def error(self, i: int | None, field_name: str, value, reason: str) -> None:
        self.errors.append(self._problem(i, field_name, value, reason))

    def warn(self, i: int | None, field_name: str, value, reason: str) -> None:
        self.warnings.append(self._problem(i, field_name, value, reason))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    @property
    def rejected(self) -> set[int]:
        return {p.row for p in self.errors if p.row is not None}

    @property
    def file_errors(self) -> list[Problem]:
        return [p for p in self.errors if p.row is None]

    @property
    def area(self):
        """The county (its boundary, else its townships), looked up once when first asked for."""
        if not self._area:
            self._area.append(self.area_of())
        return self._area[0]

    def take(self, rows: list[int], geometry: list | None = None, suffix: list[str] | None = None) -> None:
        """Keep, repeat or drop rows: new row k is old row ``rows[k]`` (with ``geometry[k]`` and
        its label extended by ``suffix[k]``, e.g. a line split into its parts). Problems follow
        their row (to its first copy); problems of dropped rows are dropped."""
        rows = [int(r) for r in rows]
        first: dict[int, int] = {}
        for k, r in enumerate(rows):
            first.setdefault(r, k)
        src = self.source
        src.frame = src.frame.iloc[rows].reset_index(drop=True)
        src.where = [src.where[r] + (suffix[k] if suffix else "") for k, r in enumerate(rows)]
        src.line = [src.line[r] for r in rows]
        if src.geometry is not None:
            src.geometry = src.geometry[rows]
        src.parsed = {k: v.iloc[rows].reset_index(drop=True) for k, v in src.parsed.items()}
        self.frame = self.frame.iloc[rows].reset_index(drop=True)
        if geometry is not None:
            self.geometry = np.asarray(geometry, dtype=object)
        elif self.geometry is not None:
            self.geometry = self.geometry[rows]
        for problems in (self.errors, self.warnings):
            kept = []
            for p in problems:
                if p.row is None:
                    kept.append(p)
                elif p.row in first:
                    p.row = first[p.row]
                    kept.append(p)
            problems[:] = kept

    def given(self, name: str) -> bool:
        """The file has a column for ``name`` (or the reader filled it)."""
        return name in self.columns or name in self.source.parsed


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


@dataclass
class Report:
    """What an import found and did: the JSON the CLI prints with ``--json`` and HTTP answers."""

    kind: str
    file: str
    format: str
    rows: int = 0
    valid: int = 0
    rejected: int = 0
    written: bool = False
    dry_run: bool = False
    changes: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    crs: str | None = None
    coords: str = "wgs84"
    layer: str | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    rejects_file: str | None = None
    seconds: float = 0.0

    @property
    def status(self) -> str:
        if self.rejected or any(p.row is None for p in self.errors):
            return "rejected" if not self.written else "partial"
        return "checked" if self.dry_run else "imported"

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "file": self.file,
            "format": self.format,
            "layer": self.layer,
            "status": self.status,
            "dry_run": self.dry_run,
            "written": self.written,
            "rows": self.rows,
            "valid": self.valid,
            "rejected": self.rejected,
            "changes": self.changes,
            "columns": self.columns,
            "crs": self.crs,
            "coords": self.coords,
            "errors": [p.to_json() for p in self.errors],
            "warnings": [p.to_json() for p in self.warnings],
            "notes": self.notes,
            **({"rejects_file": self.rejects_file} if self.rejects_file else {}),
            **self.extras,
            "seconds": round(self.seconds, 3),
        }


class ImportUsageError(BadRequest):
    """The file cannot be read, or the request cannot be carried out as given (CLI exit 2)."""
