"""Cell values as the data model wants them, and why a cell cannot be one.

Spreadsheets written by people hold ``1,234``, ``1234人``, ``3.60799E+11`` (a code Excel turned
into a number), ``/`` or ``无`` for "nothing", ``是``/``否`` … Each parser takes one raw cell and
returns the value or raises :class:`Bad` with the reason the report shows.
"""

from __future__ import annotations

import math
import re
import unicodedata

from backend.imports.spec import Field

EMPTY = {"", "-", "--", "—", "/", "\\", "无", "空", "null", "none", "nan", "n/a", "na", "#n/a"}
_UNIT = re.compile(r"(人|户|个|处|座|间|㎡|m²|m2|平方米|平米|米|m|km/h|公里/小时|千米/小时)$", re.IGNORECASE)
_DMS = re.compile(
    r"^\s*([+-]?\d+(?:\.\d+)?)\s*[°度:]\s*(?:(\d+(?:\.\d+)?)\s*['′分:]?\s*)?"
    r"(?:(\d+(?:\.\d+)?)\s*(?:\"|″|''|秒)?\s*)?([NSEWnsew东西南北])?\s*$"
)
TRUE = {"1", "true", "t", "yes", "y", "是", "封闭", "关闭", "中断", "closed"}
FALSE = {"0", "false", "f", "no", "n", "否", "开放", "通行", "畅通", "open"}


class Bad(ValueError):
    """A cell that cannot become the field's value; the message is the report's reason."""


def is_empty(raw) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    try:
        import pandas as pd

        if raw is pd.NA or raw is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(raw, str) and unicodedata.normalize("NFKC", raw).strip().lower() in EMPTY


def text(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return unicodedata.normalize("NFKC", str(raw)).strip() if isinstance(raw, str) else str(raw).strip()


def code(raw) -> str:
    """A code kept as text: integers from Excel lose no digits; Excel's rounded exponent form
    (``3.60799E+11``) is refused, because the digits it dropped are gone."""
    if isinstance(raw, bool):
        raise Bad("not a code")
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if not raw.is_integer():
            raise Bad("not a code (a number with decimals)")
        return str(int(raw))
    value = text(raw)
    if re.fullmatch(r"\d+(\.\d+)?[eE]\+?\d+", value):
        raise Bad("a code shown in exponent form (Excel rounded it); format the column as text")
    if value.endswith(".0") and value[:-2].isdigit():
        value = value[:-2]
    return value


def code12(raw, f: Field) -> str:
    value = code(raw)
    if value.isdigit() and len(value) in f.pad_from:
        value = value.ljust(12, "0")
    if not re.fullmatch(r"\d{12}", value):
        raise Bad("not a 12-digit administrative code")
    return value


def number(raw) -> float:
    if isinstance(raw, bool):
        raise Bad("not a number")
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise Bad("not a number")
        return float(raw)
    value = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "").replace(" ", "")
    value = _UNIT.sub("", value)
    try:
        out = float(value)
    except ValueError:
        raise Bad("not a number") from None
    if not math.isfinite(out):
        raise Bad("not a number")
    return out


def count(raw) -> int:
    value = number(raw)
    if value < 0:
        raise Bad("negative count")
    if not float(value).is_integer():
        raise Bad("not a whole number")
    return int(value)


def integer(raw) -> int:
    value = number(raw)
    if not float(value).is_integer():
        raise Bad("not a whole number")
    return int(value)


def nonneg(raw, f: Field) -> float:
    value = number(raw)
    if value < 0 or (f.positive and value == 0):
        raise Bad("must be positive" if f.positive else "negative value")
    return value


def degrees(raw) -> float:
    """Decimal degrees, or degrees-minutes-seconds (``115°30'20.5"E``, ``115度30分20.5秒``)."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return number(raw)
    value = unicodedata.normalize("NFKC", str(raw)).strip()
    try:
        return float(value)
    except ValueError:
        pass
    m = _DMS.match(value)
    if not m:
        raise Bad("not a coordinate (decimal degrees or 度分秒)")
    deg, minutes, seconds, hemi = m.groups()
    out = abs(float(deg)) + float(minutes or 0) / 60 + float(seconds or 0) / 3600
    if float(minutes or 0) >= 60 or float(seconds or 0) >= 60:
        raise Bad("minutes or seconds of 60 or more")
    negative = deg.startswith("-") or (hemi or "").upper() in ("S", "W") or hemi in ("西", "南")
    return -out if negative else out


def boolean(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    value = text(raw).lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise Bad("not yes/no (是/否, true/false, 1/0)")


_CHOICES: dict[int, tuple[Field, dict[str, str]]] = {}


def _choice_table(f: Field) -> dict[str, str]:
    hit = _CHOICES.get(id(f))
    if hit is not None and hit[0] is f:
        return hit[1]
    table = {normal_choice(k): v for k, v in (f.choices or {}).items()}
    for v in (f.choices or {}).values():
        table.setdefault(normal_choice(v), v)
    _CHOICES[id(f)] = (f, table)
    return table


def choice(raw, f: Field) -> str:
    value = normal_choice(text(raw))
    table = _choice_table(f)
    if value in table:
        return table[value]
    allowed = sorted(set((f.choices or {}).values()))
    raise Bad(f"unknown {f.name}; one of {', '.join(allowed)} (or their Chinese names)")


def normal_choice(value: str) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", value).strip().lower())


def phone(raw) -> str:
    from backend.places.people import PHONE

    value = code(raw) if isinstance(raw, (int, float)) else text(raw)
    if not PHONE.match(value):
        raise Bad("not a phone number")
    return value


def email(raw) -> str:
    from backend.places.people import EMAIL

    value = text(raw)
    if not EMAIL.match(value):
        raise Bad("not an e-mail address")
    return value


def parse(f: Field, raw):
    """The value of ``raw`` for field ``f`` (None when the cell is empty)."""
    if is_empty(raw):
        return None
    t = f.type
    if t == "text" or t == "ref":
        return text(raw) if t == "text" else code(raw)
    if t == "code":
        return code(raw)
    if t == "code12":
        return code12(raw, f)
    if t == "count":
        return count(raw)
    if t == "int":
        return integer(raw)
    if t == "float":
        return nonneg(raw, f)
    if t == "bool":
        return boolean(raw)
    if t == "choice":
        return choice(raw, f)
    if t == "phone":
        return phone(raw)
    if t == "email":
        return email(raw)
    raise AssertionError(t)  # pragma: no cover - Field checks its type
