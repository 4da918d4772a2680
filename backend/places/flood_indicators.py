"""Village flash-flood indicators (山洪灾害预警指标) from the county's tables: read, check, store.

A file (CSV in UTF-8 or GBK/GB18030, or XLSX) lists for each village its critical rainfall (临界雨量)
in mm over a window of hours for 准备转移 (prepare to move) and 立即转移 (move now), in either layout
the flash-flood platforms export:

- long, one row per village and window: 村代码/行政区划代码/village_code (or 村名/village with 乡镇/
  township where names repeat), 时段/预警时段/历时/hours (1, "3h", "6小时"), 准备转移/prepare_mm,
  立即转移/move_mm;
- wide, one row per village: a column per stage and window, e.g. ``准备转移1h``, ``1小时立即转移(mm)``,
  ``prepare_3h``, ``move_24h``.

Headers are matched without case, spaces or bracketed units; ``--map SRC=FIELD`` names a column
(FIELD: village_code, village, township, hours, prepare_mm, move_mm). Every row is checked before
anything is written — unknown village, window not a whole number of hours in 1..72, a threshold
missing (both), not a number or not positive, 准备转移 above 立即转移, a village and window twice —
and each fault is reported with its line (CSV) or sheet row (XLSX), field, value and reason.
Stored by village and window (upsert: the same file again changes nothing); audited.

The importer's interface: ``read(path, options) -> (rows, report)`` and ``write(session, rows)``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.errors import InvalidInput
from backend.models.audit import audit

FIELDS = ("village_code", "village", "township", "hours", "prepare_mm", "move_mm")
HEADERS: dict[str, tuple[str, ...]] = {
    "village_code": (
        "村代码", "村编码", "行政村代码", "行政区划代码", "行政区划编码", "区划代码", "村(社区)代码",
        "村社区代码", "village_code", "villagecode", "code", "代码", "编码",
    ),
    "village": (
        "村名", "村名称", "行政村", "村(社区)", "村社区", "村", "沿河村落", "village", "village_name", "name",
        "名称",
    ),
    "township": ("乡镇", "乡镇名称", "乡(镇)", "乡镇(街道)", "township", "town"),
    "hours": ("时段", "预警时段", "历时", "时长", "降雨历时", "hours", "window", "duration", "window_h"),
    "prepare_mm": ("准备转移", "准备转移雨量", "准备转移临界雨量", "prepare", "prepare_mm"),
    "move_mm": ("立即转移", "立即转移雨量", "立即转移临界雨量", "move", "move_mm", "move_now"),
}  # fmt: skip
_STAGE = {"prepare_mm": re.compile(r"准备|prepare"), "move_mm": re.compile(r"立即|move")}
_HOURS = re.compile(r"(\d+)\s*(?:h|hr|hour|hours|小时|时)(?![a-z])")
MAX_HOURS = 72


@dataclass
class VillageRef:
    id: int
    code: str
    name: str
    township: str


@dataclass
class Options:
    mapping: dict[str, str] = field(default_factory=dict)  # file header → field (--map SRC=FIELD)
    sheet: str | None = None
    encoding: str | None = None
    villages: dict[str, VillageRef] = field(default_factory=dict)  # by code (see village_index)


@dataclass
class Problem:
    row: int  # CSV line or sheet row (the header is 1)
    field: str
    value: str
    reason: str


@dataclass
class Report:
    file: str
    rows_read: int = 0
    indicators: int = 0  # valid (village, window) pairs
    villages: int = 0
    windows_h: list[int] = field(default_factory=list)
    layout: str = ""
    problems: list[Problem] = field(default_factory=list)
    where: str = "line"  # "line" (CSV) or "row" (XLSX)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict:
        return {**asdict(self), "ok": self.ok}

    def lines(self, limit: int = 50) -> list[str]:
        out = [f"{self.file}: {self.where} {p.row}: {p.field} {p.value!r}: {p.reason}" for p in self.problems]
        if len(out) > limit:
            out = out[:limit] + [f"… and {len(out) - limit} more"]
        return out


def village_index(session: Session) -> dict[str, VillageRef]:
    rows = session.execute(
        sa.text(
            "SELECT v.id, v.code, v.name, t.name AS township "
            "FROM village v JOIN township t ON t.id = v.township_id"
        )
    ).all()
    return {r.code: VillageRef(r.id, r.code, r.name, r.township) for r in rows}


def _norm(header) -> str:
    h = re.sub(r"[（(\[【].*?[)）\]】]", "", str(header))
    return re.sub(r"[\s_\-]+", "", h).lower()


def _table(path: Path, options: Options) -> tuple[pd.DataFrame, str]:
    if not path.is_file():
        raise InvalidInput(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            book = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a broken workbook
            raise InvalidInput(f"{path}: unreadable XLSX ({str(exc).splitlines()[0]})") from exc
        if options.sheet:
            if options.sheet not in book:
                raise InvalidInput(f"{path}: no sheet {options.sheet!r}; has {', '.join(book)}")
            return book[options.sheet], "row"
        return next(iter(book.values())), "row"
    if suffix not in (".csv", ".txt"):
        raise InvalidInput(f"{path}: flood indicators come as .csv or .xlsx (got {suffix or 'no suffix'})")
    for enc in [options.encoding] if options.encoding else ["utf-8-sig", "gb18030"]:
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc), "line"
        except UnicodeDecodeError:
            continue
        except LookupError:
            raise InvalidInput(f"{path}: unknown encoding {enc!r}") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InvalidInput(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from exc
    raise InvalidInput(f"{path}: not UTF-8 or GBK/GB18030 text (give --encoding)")


def _columns(df: pd.DataFrame, options: Options, path: Path):
    """(field → column) for the long layout, or (stage, hours) → column for the wide one."""
    headers = [str(c) for c in df.columns]
    cols: dict[str, str] = {}
    for src, dst in options.mapping.items():
        if dst not in FIELDS:
            raise InvalidInput(f"--map {src}={dst}: the field is one of {', '.join(FIELDS)}")
        if src not in headers:
            raise InvalidInput(f"{path}: --map {src}={dst}: no column {src!r}; has {', '.join(headers)}")
        cols[dst] = src
    normed = {_norm(h): h for h in headers}
    for ours, names in HEADERS.items():
        if ours in cols:
            continue
        for name in names:
            if _norm(name) in normed and normed[_norm(name)] not in cols.values():
                cols[ours] = normed[_norm(name)]
                break
    wide: dict[tuple[str, int], str] = {}
    if "hours" not in cols:
        for h in headers:
            if h in cols.values():
                continue
            m = _HOURS.search(h.lower())
            stage = next((s for s, rx in _STAGE.items() if rx.search(h.lower())), None)
            if m and stage:
                wide[(stage, int(m[1]))] = h
        if not wide:
            raise InvalidInput(
                f"{path}: no window column (时段/hours) and no columns per window such as 准备转移1h or "
                f"move_3h; the file has {', '.join(headers) or 'none'}"
            )
    elif not ({"prepare_mm", "move_mm"} & set(cols)):
        raise InvalidInput(
            f"{path}: no 准备转移/prepare_mm or 立即转移/move_mm column; has {', '.join(headers)}"
        )
    if "village_code" not in cols and "village" not in cols:
        raise InvalidInput(
            f"{path}: no village column (村代码/village_code or 村名/village); "
            f"the file has {', '.join(headers)}"
        )
    return cols, wide


def _mm(value: str) -> float | None | str:
    v = str(value).strip()
    if v in ("", "-", "/", "—"):
        return None
    try:
        x = float(v)
    except ValueError:
        return "not a number"
    if not np.isfinite(x) or x <= 0:
        return "must be a positive number of mm"
    return x


def _hours(value: str) -> int | str:
    v = str(value).strip().lower()
    m = re.fullmatch(r"(\d+(?:\.0+)?)\s*(?:h|hr|hours?|小时|时)?", v)
    if not m:
        return "not a whole number of hours"
    h = int(float(m[1]))
    if not 1 <= h <= MAX_HOURS:
        return f"must be 1..{MAX_HOURS} hours"
    return h


def read(path: Path, options: Options) -> tuple[list[dict], Report]:
    """Every valid indicator of the file, and the report (see the module docstring)."""
    path = Path(path)
    df, where = _table(path, options)
    report = Report(str(path), rows_read=len(df), where=where)
    if df.empty:
        raise InvalidInput(f"{path}: no rows")
    cols, wide = _columns(df, options, path)
    report.layout = "wide" if wide else "long"
    by_name: dict[tuple[str, str], list[VillageRef]] = {}
    for ref in options.villages.values():
        by_name.setdefault((ref.name, ""), []).append(ref)
        by_name.setdefault((ref.name, ref.township), []).append(ref)
    records: list[tuple[int, dict]] = []  # (row number, indicator)
    for i, rec in enumerate(df.to_dict("records")):
        row = i + 2
        before = len(report.problems)

        def bad(fld, value, reason, row=row):
            report.problems.append(Problem(row, fld, str(value), reason))

        ref = None
        if "village_code" in cols and str(rec[cols["village_code"]]).strip():
            code = str(rec[cols["village_code"]]).strip()
            ref = options.villages.get(code)
            if ref is None:
                bad(cols["village_code"], code, "no village with this code")
        elif "village" in cols and str(rec[cols["village"]]).strip():
            name = str(rec[cols["village"]]).strip()
            town = str(rec[cols["township"]]).strip() if "township" in cols else ""
            found = by_name.get((name, town), [])
            if len(found) == 1:
                ref = found[0]
            elif not found:
                bad(cols["village"], name, "no village of this name" + (f" in {town}" if town else ""))
            else:
                bad(
                    cols["village"],
                    name,
                    "several villages have this name; give the village code or township",
                )
        else:
            bad(cols.get("village_code") or cols["village"], "", "no village")
        pairs: list[tuple[int | str, object, object, str, str, str]] = []
        if wide:
            for h in sorted({h for _, h in wide}):
                pc, mc = wide.get(("prepare_mm", h)), wide.get(("move_mm", h))
                pairs.append((h, rec[pc] if pc else "", rec[mc] if mc else "", pc or "", mc or "", ""))
        else:
            p = rec[cols["prepare_mm"]] if "prepare_mm" in cols else ""
            m = rec[cols["move_mm"]] if "move_mm" in cols else ""
            h_raw = rec[cols["hours"]]
            pairs.append((_hours(h_raw), p, m, cols.get("prepare_mm", ""), cols.get("move_mm", ""), h_raw))
        for hours, p_raw, m_raw, pc, mc, h_raw in pairs:
            if isinstance(hours, str):
                bad(cols["hours"], h_raw, hours)
                continue
            prepare, move = _mm(p_raw), _mm(m_raw)
            if isinstance(prepare, str):
                bad(pc, p_raw, prepare)
            if isinstance(move, str):
                bad(mc, m_raw, move)
            if isinstance(prepare, str) or isinstance(move, str):
                continue
            if prepare is None and move is None:
                if not wide:
                    bad(pc or mc, "", "no critical rainfall for 准备转移 or 立即转移")
                continue
            if prepare is not None and move is not None and prepare > move:
                bad(pc, p_raw, f"准备转移 {prepare:g} mm is above 立即转移 {move:g} mm")
                continue
            if ref is not None:
                records.append(
                    (
                        row,
                        {
                            "village_id": ref.id,
                            "village_code": ref.code,
                            "hours": hours,
                            "prepare_mm": prepare,
                            "move_mm": move,
                        },
                    )  # fmt: skip
                )
        if (
            wide
            and len(report.problems) == before
            and ref is not None
            and not any(r == row for r, _ in records)
        ):
            bad("", "", "no critical rainfall in any window")
    seen: dict[tuple[int, int], int] = {}
    rows = []
    for row, r in records:
        key = (r["village_id"], r["hours"])
        if key in seen:
            report.problems.append(
                Problem(
                    row,
                    "hours",
                    str(r["hours"]),
                    f"village {r['village_code']} has this window also on {report.where} {seen[key]}",
                )
            )
            continue
        seen[key] = row
        rows.append({**r, "row": row})
    bad_rows = {p.row for p in report.problems}
    rows = [r for r in rows if r["row"] not in bad_rows]
    report.indicators = len(rows)
    report.villages = len({r["village_id"] for r in rows})
    report.windows_h = sorted({r["hours"] for r in rows})
    return rows, report


def write(session: Session, rows: list[dict], actor: str = "cli", source: str | None = None) -> dict:
    """Upsert by village and window; returns counts {inserted, updated, unchanged}."""
    if not rows:
        return {"inserted": 0, "updated": 0, "unchanged": 0}
    existing = {
        (r.village_id, r.hours): (r.prepare_mm, r.move_mm)
        for r in session.execute(
            sa.text("SELECT village_id, hours, prepare_mm, move_mm FROM flood_indicator")
        )
    }
    changes = [
        r for r in rows if existing.get((r["village_id"], r["hours"])) != (r["prepare_mm"], r["move_mm"])
    ]
    inserted = sum(1 for r in changes if (r["village_id"], r["hours"]) not in existing)
    if changes:
        session.execute(
            sa.text(
                "INSERT INTO flood_indicator (village_id, hours, prepare_mm, move_mm, source) "
                "VALUES (:village_id, :hours, :prepare_mm, :move_mm, :source) "
                "ON CONFLICT (village_id, hours) DO UPDATE SET prepare_mm = EXCLUDED.prepare_mm, "
                "move_mm = EXCLUDED.move_mm, source = EXCLUDED.source, updated_at = now()"
            ),
            [
                {**{k: r[k] for k in ("village_id", "hours", "prepare_mm", "move_mm")}, "source": source}
                for r in changes
            ],
        )
        audit(
            session,
            actor,
            "flood_indicator.import",
            "flood_indicator",
            None,
            {"indicators": len(existing)},
            {"file": source, "inserted": inserted, "updated": len(changes) - inserted, "rows": len(rows)},
        )
    return {"inserted": inserted, "updated": len(changes) - inserted, "unchanged": len(rows) - len(changes)}


def write_rejects(path: Path, options: Options, report: Report, out: Path) -> int:
    """The rejected rows of ``path`` as CSV at ``out``, each with a ``reason`` column; returns the count."""
    df, _ = _table(Path(path), options)
    reasons: dict[int, list[str]] = {}
    for p in report.problems:
        reasons.setdefault(p.row, []).append(f"{p.field} {p.value!r}: {p.reason}" if p.field else p.reason)
    picked = df.iloc[[r - 2 for r in sorted(reasons)]].copy()
    picked["reason"] = ["; ".join(reasons[r]) for r in sorted(reasons)]
    picked.to_csv(out, index=False, encoding="utf-8-sig")
    return len(picked)
