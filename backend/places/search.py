"""Find a place by name, code or pinyin initials: townships, villages, shelters, hazard sites and
named roads, each with its kind and position (the search box flies the map there).

The names are read once into memory with their pinyin (pypinyin: full spelling and initials,
so ``ylx`` finds 云岭县 and ``chengguan`` finds 城关镇) and read again when one of the tables
changed (the ``data_version`` counters the tile cache uses too). A county has a few thousand
names: matching them in Python takes well under a millisecond.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.errors import InvalidInput
from backend.sql import query

TABLES = ("township", "village", "shelter", "road", "hazard_site")
KIND_ORDER = {"township": 0, "village": 1, "shelter": 2, "hazard_site": 3, "road": 4}


@dataclass(frozen=True)
class Entry:
    kind: str
    code: str
    name: str
    township: str | None
    lon: float
    lat: float
    bbox: tuple[float, float, float, float] | None
    initials: str  # 云岭县 → ylx
    spelled: str  # 云岭县 → yunlingxian

    def view(self) -> dict:
        out = {
            "kind": self.kind,
            "code": self.code,
            "name": self.name,
            "township": self.township,
            "lon": round(self.lon, 6),
            "lat": round(self.lat, 6),
        }
        if self.bbox:
            out["bbox"] = [round(v, 6) for v in self.bbox]
        return out


def pinyin_keys(name: str) -> tuple[str, str]:
    """(initials, full spelling) of a name, lower case, letters and digits only."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(name, style=Style.NORMAL, errors="default")
    initials = "".join(s[0] for s in syllables if s and s[0].isalnum()).lower()
    spelled = "".join(c for c in "".join(syllables).lower() if c.isalnum())
    return initials, spelled


class PlaceIndex:
    """The names in memory, reloaded when the places changed."""

    def __init__(self):
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._entries: list[Entry] = []

    def entries(self, session: Session) -> list[Entry]:
        version = tuple(
            session.execute(
                sa.text(
                    "SELECT table_name, version FROM data_version WHERE table_name = ANY(:t) "
                    "ORDER BY table_name"
                ),
                {"t": list(TABLES)},
            ).all()
        )
        with self._lock:
            if version != self._version or not self._entries:
                self._entries = load_entries(session)
                self._version = version
            return self._entries


def load_entries(session: Session) -> list[Entry]:
    out = []
    for r in session.execute(query("search_places")).mappings():
        initials, spelled = pinyin_keys(r["name"])
        bbox = (r["xmin"], r["ymin"], r["xmax"], r["ymax"]) if r["xmin"] is not None else None
        out.append(
            Entry(r["kind"], r["code"], r["name"], r["township"], r["lon"], r["lat"], bbox, initials, spelled)
        )
    return out


def score(e: Entry, q: str, q_ascii: bool) -> int | None:
    """Lower is better; None: no match."""
    name = e.name.lower()
    if name == q:
        return 0
    if name.startswith(q):
        return 1
    if q in name:
        return 2
    if e.code == q:
        return 1
    if q.isdigit() and len(q) >= 3 and e.code.startswith(q):
        return 4
    if q_ascii:
        if e.initials.startswith(q):
            return 2
        if e.spelled.startswith(q):
            return 3
        if len(q) >= 2 and q in e.initials:
            return 5
        if len(q) >= 3 and q in e.spelled:
            return 6
    return None


def search(
    index: PlaceIndex, session: Session, q: str, limit: int = 20, kinds: set[str] | None = None
) -> list[dict]:
    """Places matching ``q`` best first: the exact name, names starting with it, containing it,
    codes, pinyin initials and spellings; ties by kind (townships first), then name length."""
    text = "".join(q.split()).lower()
    if not text:
        raise InvalidInput("q: give a name, a code or pinyin initials")
    q_ascii = text.isascii() and text.isalnum()
    hits = []
    for e in index.entries(session):
        if kinds and e.kind not in kinds:
            continue
        s = score(e, text, q_ascii)
        if s is not None:
            hits.append((s, KIND_ORDER[e.kind], len(e.name), e.code, e))
    hits.sort(key=lambda h: h[:4])
    return [h[-1].view() for h in hits[:limit]]
