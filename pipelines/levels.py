"""The four warning levels: one table, used at the edges (maps, CAP, UI) and nowhere else.

Inside riskmap a level is an ordered integer: 0 none, 1 blue (Ⅳ) … 4 red (Ⅰ). Level Ⅰ (red) is the
most severe (GB/T 20000-series practice and DOMAIN.md); never compare colour strings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    value: int
    colour: str  # English colour word
    hex: str  # map colour
    roman: str  # Chinese warning grade
    zh: str  # 蓝/黄/橙/红
    zh_meaning: str
    cap_severity: str  # OASIS CAP 1.2 severity
    rgba: tuple[int, int, int, int]


NONE, BLUE, YELLOW, ORANGE, RED = 0, 1, 2, 3, 4

LEVELS: dict[int, Level] = {
    NONE: Level(0, "none", "#00000000", "", "无", "无", "Unknown", (0, 0, 0, 0)),
    BLUE: Level(1, "blue", "#1E6FD9", "Ⅳ", "蓝", "一般", "Minor", (30, 111, 217, 255)),
    YELLOW: Level(2, "yellow", "#F5D000", "Ⅲ", "黄", "较重", "Moderate", (245, 208, 0, 255)),
    ORANGE: Level(3, "orange", "#FF8C00", "Ⅱ", "橙", "严重", "Severe", (255, 140, 0, 255)),
    RED: Level(4, "red", "#E02020", "Ⅰ", "红", "特别严重", "Extreme", (224, 32, 32, 255)),
}

#: the hazards of a run; the order breaks ties when two hazards share the highest level of a cell
HAZARDS: tuple[str, ...] = ("rain", "geohazard", "fire")
HAZARD_CODES: dict[str, int] = {h: i + 1 for i, h in enumerate(HAZARDS)}  # 0 = none
HAZARD_ZH = {"rain": "暴雨", "geohazard": "地质灾害", "fire": "森林火险", "onemap": "综合风险"}


def colour_table() -> dict[int, tuple[int, int, int, int]]:
    """GDAL colour table (QGIS shows the four colours from it)."""
    return {v: lvl.rgba for v, lvl in LEVELS.items()}
