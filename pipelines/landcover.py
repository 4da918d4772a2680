"""Land-cover classes: the few riskmap's rules use, and the mapping from a land-cover product's codes.

The rules (fire danger's burnable mask, geohazard susceptibility points, water) speak of seven
classes, stored as these codes on the analysis grid:

=====  ==========  ====================================================================
code   class       meaning
=====  ==========  ====================================================================
0      other       no data, snow/ice, moss, anything unmapped
1      forest      tree cover (burnable)
2      shrub       shrubland and grassland (burnable)
3      cropland    cropland, paddy fields
4      built       built-up land (cut slopes)
5      water       open water and wetland (no fire, lowest susceptibility)
6      bare        bare or sparse vegetation
=====  ==========  ====================================================================

A land-cover raster's own codes are mapped onto them by a class mapping:

- ``worldcover`` (the default for ``--landcover FILE``): ESA WorldCover 10 m v100/v200 codes —
  10 tree cover → forest, 20 shrubland → shrub, 30 grassland → shrub, 40 cropland → cropland,
  50 built-up → built, 60 bare/sparse vegetation → bare, 70 snow and ice → other, 80 permanent
  water bodies → water, 90 herbaceous wetland → water, 95 mangroves → forest, 100 moss and
  lichen → other (Zanaga et al. 2022, *ESA WorldCover 10 m 2021 v200*, Product User Manual);
- ``riskmap``: the codes above as they are (the sample county's ``landcover.tif``, and the default
  for a terrain directory);
- a file (``--landcover-classes FILE``): TOML or YAML with a table ``classes`` mapping each source
  code to a class name (``[classes]`` / ``10 = "forest"``), or CSV with columns ``code,class``.
  Codes the mapping does not name count as ``other``.
"""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import numpy as np

from backend.errors import InvalidInput

OTHER, FOREST, SHRUB, CROPLAND, BUILT, WATER, BARE = 0, 1, 2, 3, 4, 5, 6
CLASSES: dict[str, int] = {
    "other": OTHER,
    "forest": FOREST,
    "shrub": SHRUB,
    "cropland": CROPLAND,
    "built": BUILT,
    "water": WATER,
    "bare": BARE,
}
CLASS_NAMES = {v: k for k, v in CLASSES.items()}

WORLDCOVER: dict[int, int] = {
    10: FOREST,
    20: SHRUB,
    30: SHRUB,
    40: CROPLAND,
    50: BUILT,
    60: BARE,
    70: OTHER,
    80: WATER,
    90: WATER,
    95: FOREST,
    100: OTHER,
}
RISKMAP: dict[int, int] = {code: code for code in CLASSES.values() if code}
BUILTIN = {"worldcover": WORLDCOVER, "riskmap": RISKMAP}


def class_code(name: str, where: str) -> int:
    key = str(name).strip().lower()
    if key not in CLASSES:
        raise InvalidInput(f"{where}: unknown land-cover class {name!r}; known: {', '.join(CLASSES)}")
    return CLASSES[key]


def read_mapping(source: str | Path) -> dict[int, int]:
    """A class mapping by name (``worldcover``, ``riskmap``) or from a file (see the module doc)."""
    if isinstance(source, str) and source.lower() in BUILTIN:
        return dict(BUILTIN[source.lower()])
    path = Path(source)
    if not path.is_file():
        raise InvalidInput(f"{path}: file not found (a land-cover class mapping, or worldcover / riskmap)")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with open(path, newline="", encoding="utf-8-sig") as fh:
                rows = list(csv.DictReader(fh))
            if not rows or not {"code", "class"} <= {k.strip().lower() for k in rows[0]}:
                raise InvalidInput(f"{path}: expected the columns code,class")
            pairs = [({k.strip().lower(): v for k, v in r.items()}) for r in rows]
            raw = {p["code"]: p["class"] for p in pairs}
        elif suffix == ".toml":
            raw = tomllib.loads(path.read_text(encoding="utf-8")).get("classes")
        elif suffix in (".yaml", ".yml"):
            import yaml

            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            raw = doc.get("classes") if isinstance(doc, dict) else None
        else:
            raise InvalidInput(f"{path}: a class mapping is .toml, .yaml or .csv")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput(f"{path}: unreadable class mapping ({str(exc).splitlines()[0]})") from exc
    except Exception as exc:  # noqa: BLE001 - yaml's errors have no common public base besides YAMLError
        if type(exc).__module__.startswith("yaml"):
            raise InvalidInput(f"{path}: unreadable class mapping ({str(exc).splitlines()[0]})") from exc
        raise
    if not isinstance(raw, dict) or not raw:
        raise InvalidInput(f"{path}: no class mapping (expected a table 'classes': code = class name)")
    out = {}
    for code, name in raw.items():
        try:
            c = int(str(code).strip())
        except ValueError:
            raise InvalidInput(f"{path}: classes.{code}: a source code must be a whole number") from None
        out[c] = class_code(name, f"{path}: classes.{code}")
    return out


def apply_mapping(codes: np.ndarray, mapping: dict[int, int], nodata=None) -> tuple[np.ndarray, float]:
    """Our class per cell (uint8) and the share of valid cells whose code the mapping does not name."""
    valid = np.ones(codes.shape, dtype=bool) if nodata is None else codes != nodata
    if np.issubdtype(codes.dtype, np.integer) and codes.dtype.itemsize <= 2:
        lut_size = 1 << (8 * codes.dtype.itemsize)
        lut = np.full(lut_size, 255, dtype=np.uint16)
        for src, dst in mapping.items():
            if 0 <= src < lut_size:
                lut[src] = dst
        idx = codes.astype(np.int64) & (lut_size - 1)  # signed int16 wraps to its bit pattern
        out = lut[idx]
    else:
        values, inverse = np.unique(codes, return_inverse=True)
        table = np.array([mapping.get(int(v), 255) for v in values], dtype=np.uint16)
        out = table[inverse.reshape(codes.shape)]
    unmapped = (out == 255) & valid
    n_valid = int(valid.sum())
    share = float(unmapped.sum()) / n_valid if n_valid else 0.0
    out = np.where(valid & ~unmapped, out, OTHER).astype(np.uint8)
    return out, share
