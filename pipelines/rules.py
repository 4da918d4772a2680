"""A county's hazard rules: every threshold the pipelines apply, read from a rules file.

The shipped default is ``pipelines/rules_default.toml`` (the CMA rainstorm signals, the EFFIS FWI
classes, the geohazard susceptibility and effective-rainfall tables, and the levels of the village
flash-flood indicators; each documented there and in its pipeline's module). A county file (TOML or
YAML, same keys) holds only what it changes: tables merge key by key onto the default, a list or a
value replaces the default's. Every key is checked; an unknown key, a wrong type or an impossible
value is an :class:`~backend.errors.InvalidInput` naming the file and the key, e.g.
``county.toml: rain.rules[2].hours: must be a whole number of hours from 1 to 168 (got 0)``.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backend.errors import InvalidInput
from pipelines import landcover
from pipelines.fire import FireDangerClasses
from pipelines.geohazard import SusceptibilityRule, TriggerThresholds
from pipelines.rainfall import RainstormRule, RainstormThresholds

DEFAULT_FILE = Path(__file__).with_name("rules_default.toml")
LEVEL_NAMES = {
    "none": 0, "blue": 1, "yellow": 2, "orange": 3, "red": 4,
    "无": 0, "蓝": 1, "黄": 2, "橙": 3, "红": 4, "蓝色": 1, "黄色": 2, "橙色": 3, "红色": 4,
}  # fmt: skip
SCHEMA: dict = {
    "rain": {"rules": None},
    "fire": {"bounds": None, "levels": None, "national": None, "burnable": None},
    "geohazard": {
        "susceptibility": {
            "slope_breaks_deg": None,
            "landcover_points": None,
            "water_class": None,
            "near_site_m": None,
            "near_site_points": None,
            "around_site_m": None,
            "around_site_points": None,
            "class_breaks": None,
        },
        "trigger": {"decay": None, "days": None, "thresholds_mm": None},
    },
    "flood": {"prepare": None, "move": None},
}


@dataclass(frozen=True)
class Rules:
    rain: RainstormThresholds
    fire: FireDangerClasses
    burnable: tuple[int, ...]
    susceptibility: SusceptibilityRule
    trigger: TriggerThresholds
    flood_prepare: int
    flood_move: int
    source: str  # "default" or the county file
    table: dict  # the merged rules as applied (recorded in the run's parameters)

    def to_json(self) -> dict:
        return {"source": self.source, "rules": self.table}


class _Checker:
    def __init__(self, path: str):
        self.path = path

    def fail(self, key: str, why: str):
        raise InvalidInput(f"{self.path}: {key}: {why}")

    def number(self, v, key, low=None, high=None, low_open=False) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v):
            self.fail(key, f"must be a number (got {v!r})")
        if low is not None and (v < low or (low_open and v == low)):
            self.fail(key, f"must be {'>' if low_open else '≥'} {low:g} (got {v!r})")
        if high is not None and v > high:
            self.fail(key, f"must be ≤ {high:g} (got {v!r})")
        return float(v)

    def whole(self, v, key, low, high, what="a whole number") -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            self.fail(key, f"must be {what} from {low} to {high} (got {v!r})")
        return int(v)

    def level(self, v, key, low=0) -> int:
        if isinstance(v, str) and v.strip().lower() in LEVEL_NAMES:
            lv = LEVEL_NAMES[v.strip().lower()]
        elif isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 4:
            lv = int(v)
        else:
            self.fail(key, f"must be a level: none, blue, yellow, orange, red (or 0..4) (got {v!r})")
        if lv < low:
            self.fail(key, f"must be blue, yellow, orange or red (got {v!r})")
        return lv

    def numbers(self, v, key, length=None, increasing=False, non_decreasing=False, low=None) -> list[float]:
        if not isinstance(v, list):
            self.fail(key, f"must be a list of numbers (got {v!r})")
        if length is not None and len(v) != length:
            self.fail(key, f"must list {length} numbers (got {len(v)})")
        out = [self.number(x, f"{key}[{i}]", low=low) for i, x in enumerate(v)]
        d = np.diff(out)
        if increasing and (d <= 0).any():
            self.fail(key, f"must increase from left to right (got {v!r})")
        if non_decreasing and (d < 0).any():
            self.fail(key, f"must not decrease from left to right (got {v!r})")
        return out

    def table(self, v, key) -> dict:
        if not isinstance(v, dict):
            self.fail(key, f"must be a table (got {v!r})")
        return v


def _known_keys(doc: dict, schema: dict, prefix: str, check: _Checker) -> None:
    for key, value in doc.items():
        where = f"{prefix}{key}"
        if key not in schema:
            known = ", ".join(f"{prefix}{k}" for k in schema)
            check.fail(where, f"unknown key (known here: {known})")
        if schema[key] is not None:
            _known_keys(check.table(value, where), schema[key], f"{where}.", check)


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _stringify_keys(doc):
    if isinstance(doc, dict):
        return {str(k): _stringify_keys(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_stringify_keys(v) for v in doc]
    return doc


def _read(path: Path) -> dict:
    if not path.is_file():
        raise InvalidInput(f"{path}: file not found (a rules file, TOML or YAML)")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: a rules file must be UTF-8 text") from None
    if suffix == ".toml":
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"{path}: not valid TOML ({exc})") from exc
    elif suffix in (".yaml", ".yml"):
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
        doc = {} if doc is None else doc
    else:
        raise InvalidInput(f"{path}: a rules file is .toml, .yaml or .yml (got {suffix or 'no suffix'})")
    if not isinstance(doc, dict):
        raise InvalidInput(f"{path}: a rules file is a table of sections (rain, fire, geohazard, flood)")
    return _stringify_keys(doc)


def _build(table: dict, check: _Checker, source: str) -> Rules:
    rain_rules = table["rain"]["rules"]
    if not isinstance(rain_rules, list) or not rain_rules:
        check.fail("rain.rules", "must be a non-empty list of {level, hours, mm}")
    rules = []
    for i, r in enumerate(rain_rules):
        key = f"rain.rules[{i}]"
        r = check.table(r, key)
        extra = set(r) - {"level", "hours", "mm"}
        if extra or not {"level", "hours", "mm"} <= set(r):
            check.fail(key, f"must have exactly level, hours and mm (got {', '.join(sorted(r)) or 'none'})")
        rules.append(
            RainstormRule(
                check.level(r["level"], f"{key}.level", low=1),
                check.whole(r["hours"], f"{key}.hours", 1, 168, "a whole number of hours"),
                check.number(r["mm"], f"{key}.mm", low=0, low_open=True),
            )
        )
    rules.sort(key=lambda r: r.level)  # later (higher) rules win; see RainstormThresholds

    fire = table["fire"]
    bounds = check.numbers(fire["bounds"], "fire.bounds", length=5, increasing=True, low=0)
    levels = fire["levels"]
    if not isinstance(levels, list) or len(levels) != 6:
        check.fail("fire.levels", f"must list 6 levels, very low .. extreme (got {levels!r})")
    fire_levels = [check.level(v, f"fire.levels[{i}]") for i, v in enumerate(levels)]
    if (np.diff(fire_levels) < 0).any():
        check.fail("fire.levels", "must not decrease from very low to extreme")
    national = fire["national"]
    if not isinstance(national, list) or len(national) != 6:
        check.fail("fire.national", f"must list 6 national levels 1..5 (got {national!r})")
    nat = [check.whole(v, f"fire.national[{i}]", 1, 5) for i, v in enumerate(national)]
    burnable = fire["burnable"]
    if not isinstance(burnable, list):
        check.fail("fire.burnable", f"must be a list of land-cover classes (got {burnable!r})")
    burn = tuple(sorted({landcover.class_code(c, f"{check.path}: fire.burnable") for c in burnable}))

    s = table["geohazard"]["susceptibility"]
    sk = "geohazard.susceptibility"
    points = check.table(s["landcover_points"], f"{sk}.landcover_points")
    lc_points = {
        landcover.class_code(name, f"{check.path}: {sk}.landcover_points"): check.number(
            v, f"{sk}.landcover_points.{name}"
        )
        for name, v in points.items()
    }
    near = check.number(s["near_site_m"], f"{sk}.near_site_m", low=0)
    around = check.number(s["around_site_m"], f"{sk}.around_site_m", low=0)
    if around < near:
        check.fail(f"{sk}.around_site_m", f"must be ≥ near_site_m ({near:g})")
    susceptibility = SusceptibilityRule(
        slope_breaks_deg=tuple(
            check.numbers(s["slope_breaks_deg"], f"{sk}.slope_breaks_deg", increasing=True, low=0)
        ),
        landcover_points=lc_points,
        water_class=landcover.class_code(s["water_class"], f"{check.path}: {sk}.water_class"),
        near_site_m=near,
        near_site_points=check.number(s["near_site_points"], f"{sk}.near_site_points", low=0),
        around_site_m=around,
        around_site_points=check.number(s["around_site_points"], f"{sk}.around_site_points", low=0),
        class_breaks=tuple(check.numbers(s["class_breaks"], f"{sk}.class_breaks", length=4, increasing=True)),
    )

    t = table["geohazard"]["trigger"]
    tk = "geohazard.trigger"
    by_class = {c: (np.inf,) * 4 for c in range(1, 6)}
    for cls, row in check.table(t["thresholds_mm"], f"{tk}.thresholds_mm").items():
        key = f"{tk}.thresholds_mm.{cls}"
        if cls not in {"1", "2", "3", "4", "5"}:
            check.fail(key, "a susceptibility class is 1..5")
        if row == []:
            continue  # this class never warns
        by_class[int(cls)] = tuple(check.numbers(row, key, length=4, non_decreasing=True, low=0))
    trigger = TriggerThresholds(
        decay=check.number(t["decay"], f"{tk}.decay", low=0, high=1, low_open=True),
        days=check.whole(t["days"], f"{tk}.days", 1, 30, "a whole number of days"),
        by_class=by_class,
    )

    prepare = check.level(table["flood"]["prepare"], "flood.prepare", low=1)
    move = check.level(table["flood"]["move"], "flood.move", low=1)
    if move < prepare:
        check.fail("flood.move", "must be at least the level of flood.prepare")

    return Rules(
        rain=RainstormThresholds(tuple(rules)),
        fire=FireDangerClasses(bounds=tuple(bounds), national=tuple(nat), level=tuple(fire_levels)),
        burnable=burn,
        susceptibility=susceptibility,
        trigger=trigger,
        flood_prepare=prepare,
        flood_move=move,
        source=source,
        table=table,
    )


def load_rules(path: Path | None = None) -> Rules:
    """The default rules, or a county's rules file merged onto them (validated; see the module doc)."""
    default = _read(DEFAULT_FILE)
    if path is None:
        return _build(default, _Checker(str(DEFAULT_FILE)), "default")
    path = Path(path)
    own = _read(path)
    check = _Checker(str(path))
    _known_keys(own, SCHEMA, "", check)
    return _build(_merge(default, own), check, str(path))
