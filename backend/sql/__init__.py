"""SQL that is better as SQL, kept in files and loaded by name (values always bound, never formatted)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa

_DIR = Path(__file__).resolve().parent


@cache
def query(name: str) -> sa.TextClause:
    return sa.text((_DIR / f"{name}.sql").read_text(encoding="utf-8"))
