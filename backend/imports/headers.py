"""Which column of a file is which field: headers recognised in Chinese and English, ``--map``
overriding them, and a clear error naming the file's headers when a required field is missing.

A header is normalised before matching (NFKC, so full-width ``（人）`` becomes ``(人)``; lower
case; a ``*`` required-marker, units in brackets and spaces removed), and bilingual headers such
as ``名称 name``, ``人口/population`` or ``容纳人数(人) capacity`` match through any of their parts.
"""

from __future__ import annotations

import re
import unicodedata

from backend.imports.spec import Field, ImportUsageError, Kind

#: headers every kind recognises for a field of that name (a kind's own aliases come first)
SHARED: dict[str, tuple[str, ...]] = {
    "code": ("代码", "编码", "编号", "统一编号", "行政区划代码", "区划代码", "统计用区划代码", "code"),
    "name": ("名称", "名字", "name"),
    "population": ("人口", "人口数", "总人口", "户籍人口", "常住人口", "population", "pop"),
    "households": ("户数", "总户数", "households", "hh"),
    "elderly": ("老年人口", "老年人", "老人", "60岁以上人口", "60岁以上老人", "elderly"),
    "lon": ("经度", "lon", "lng", "long", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "x": ("x", "x坐标", "横坐标", "easting", "东坐标"),
    "y": ("y", "y坐标", "纵坐标", "northing", "北坐标"),
    "wkt": ("wkt", "geometry", "geom", "几何", "空间范围"),
    "capacity": ("容纳人数", "可容纳人数", "容量", "设计容量", "安置容量", "可安置人数", "capacity"),
    "area_m2": ("面积", "占地面积", "有效面积", "可用面积", "使用面积", "area", "area_m2"),
    "occupancy": ("已安置人数", "在场人数", "当前安置人数", "occupancy"),
    "status": ("状态", "启用状态", "status"),
    "township_code": (
        "乡镇代码",
        "乡镇编码",
        "所属乡镇代码",
        "乡镇区划代码",
        "乡镇(街道)代码",
        "township_code",
    ),
    "township": ("乡镇", "所属乡镇", "乡镇名称", "乡镇(街道)", "乡镇街道", "township"),
    "village_code": ("村代码", "村编码", "行政村代码", "村(社区)代码", "村级代码", "village_code"),
    "village": ("村", "行政村", "所属村", "村名", "村(社区)", "村名称", "所属村(社区)", "village"),
    "phone": (
        "手机",
        "手机号",
        "手机号码",
        "移动电话",
        "电话",
        "联系电话",
        "联系方式",
        "phone",
        "mobile",
        "tel",
        "telephone",
    ),
    "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail", "mail"),
    "role": ("角色", "责任人类型", "人员类别", "责任类型", "role"),
    "title": ("职务", "职位", "title", "position"),
    "threatened_people": (
        "威胁人数",
        "威胁人口",
        "受威胁人数",
        "威胁人员",
        "threatened_people",
        "threatened",
    ),
    "threat_radius_m": ("威胁半径", "影响半径", "影响范围", "threat_radius_m", "radius"),
    "speed_kmh": ("速度", "限速", "设计速度", "设计时速", "车速", "speed", "speed_kmh", "maxspeed"),
    "closed": ("封闭", "是否封闭", "中断", "closed"),
    "source": ("source", "起点", "起点节点"),
    "target": ("target", "终点", "终点节点"),
}

_UNITS = re.compile(r"[(\[][^)\]]*[)\]]")
_SPLIT = re.compile(r"[\s/|、;；,，]+")


def normalise(header: str) -> str:
    text = unicodedata.normalize("NFKC", str(header)).strip().lower()
    text = text.replace("*", "").replace("＊", "")
    return re.sub(r"[\s_\-]+", "", text)


def candidates(header: str) -> list[str]:
    """The header whole, without units in brackets, and each of its parts."""
    text = unicodedata.normalize("NFKC", str(header)).strip().lower().replace("*", "")
    out = [normalise(text)]
    bare = _UNITS.sub(" ", text)
    out.append(normalise(bare))
    out += [normalise(p) for p in _SPLIT.split(bare) if p.strip()]
    seen, unique = set(), []
    for c in out:
        if c and c not in seen:
            seen.add(c)
            unique.append(c)
    return unique


def aliases(f: Field) -> list[str]:
    return [normalise(a) for a in (*f.aliases, *SHARED.get(f.name, ()), f.name)]


def geometry_fields(kind: Kind) -> list[Field]:
    """The coordinate fields a kind's tables may carry (besides a file's own geometry)."""
    if kind.geometry == "point":
        return [
            Field("lon", "float", "经度", "longitude"),
            Field("lat", "float", "纬度", "latitude"),
            Field("x", "float", "X坐标", "x (projected)"),
            Field("y", "float", "Y坐标", "y (projected)"),
            Field("wkt", "text", "WKT", "geometry as WKT"),
        ]
    if kind.geometry:
        return [Field("wkt", "text", "WKT", "geometry as WKT")]
    return []


def all_fields(kind: Kind) -> list[Field]:
    return [*kind.fields, *geometry_fields(kind)]


def match_columns(kind: Kind, headers: list[str], explicit: dict[str, str], file: str) -> dict[str, str]:
    """{field: header}. ``explicit`` ({header: field}, from ``--map``) wins; every other header is
    matched by its aliases, the field whose alias list names it earliest winning."""
    fields = all_fields(kind)
    known = {f.name for f in fields}
    out: dict[str, str] = {}
    by_form = {unicodedata.normalize("NFKC", h).strip(): h for h in headers}
    for given, name in explicit.items():
        header = (
            given if given in headers else by_form.get(unicodedata.normalize("NFKC", given).strip(), given)
        )
        if name not in known:
            raise ImportUsageError(
                f"--map {given}={name}: {kind.name} has no field {name!r}; fields: {', '.join(sorted(known))}"
            )
        if header not in headers:
            raise ImportUsageError(
                f"--map {given}={name}: {file} has no column {given!r}; its columns: {', '.join(headers)}"
            )
        out[name] = header
    taken = set(out.values())
    table = [(f, aliases(f)) for f in fields]
    best: dict[str, tuple[int, int, str]] = {}  # field → (alias rank, column position, header)
    for pos, header in enumerate(headers):
        if header in taken:
            continue
        cands = candidates(header)
        hit = None
        for f, names in table:
            for rank, alias in enumerate(names):
                if alias in cands and (hit is None or rank < hit[1]):
                    hit = (f.name, rank)
                    break
        if hit is None:
            continue
        name, rank = hit
        if name in out:
            continue
        if name not in best or (rank, pos) < best[name][:2]:
            best[name] = (rank, pos, header)
    for name, (_, _, header) in best.items():
        out.setdefault(name, header)
    return out


def require(
    kind: Kind,
    columns: dict[str, str],
    headers: list[str],
    file: str,
    has_geometry: bool,
    parsed: set[str] = frozenset(),
) -> None:
    """Every required field has a column (or the reader gave it), else a clear error."""
    missing = [f for f in kind.fields if f.required and f.name not in columns and f.name not in parsed]
    if kind.geometry and not has_geometry:
        if kind.geometry == "point":
            if not ({"lon", "lat"} <= set(columns) or {"x", "y"} <= set(columns) or "wkt" in columns):
                missing.append(Field("lon", "float", "经度", "longitude"))
                missing.append(Field("lat", "float", "纬度", "latitude"))
        elif "wkt" not in columns:
            missing.append(Field("wkt", "text", "WKT", "geometry"))
    if missing:
        names = ", ".join(f"{f.name} ({f.zh})" for f in missing)
        raise ImportUsageError(
            f"{file}: no column for required field(s) {names}; the file's columns are: "
            f"{', '.join(headers) or '(none)'}; name one with --map COLUMN=FIELD"
        )
