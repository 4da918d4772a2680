"""Import kinds of places: villages, shelters and hazard sites (the county and its townships are
in ``areas.py``).

Each is a declarative :class:`Kind` (fields with their Chinese and English headers) plus the
hooks its table needs: township and village references, the township a place lies in and the
county it must lie inside (SQL), values derived the way the sample county derives them (a
shelter's capacity from its area, a township's population from its villages).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import sqlalchemy as sa

from backend.imports import refs
from backend.imports.spec import Batch, Field, Kind
from backend.models.places import HAZARD_SITE_KINDS, SHELTER_CLASSES, SHELTER_STATUSES
from backend.sql import query

#: persons per m² of usable area when a shelter gives its area but no capacity (Sphere: 3.5 m²
#: covered space per person; GB 21734-2008 asks at least 1.5 m² — the stricter figure is used)
M2_PER_PERSON = 3.5

TOWNSHIP_REFS = (
    Field("township_code", "code12", "乡镇代码", "township code", pad_from=(9,), example="360799100000"),
    Field(
        "township",
        "ref",
        "乡镇",
        "township (name or code)",
        example="石岐镇",
        help="a township's name or code; without either, the township the place lies in",
    ),
)
VILLAGE_REFS = (
    Field("village_code", "code12", "村代码", "village code", example="360799100200"),
    Field("village", "ref", "村", "village (name or code)", example="南垅村"),
)
POINT_STAGE = {"located": "boolean"}


# ---- villages ---------------------------------------------------------------------------------


def _prepare_villages(batch: Batch) -> None:
    f = batch.frame
    for i, (pop, old) in enumerate(zip(f.population.tolist(), f.elderly.tolist(), strict=True)):
        if pop is not None and old is not None and old > pop:
            batch.error(i, "elderly", old, f"more elderly than people ({pop})")


def _check_villages(conn, batch: Batch) -> None:
    refs.locate(conn, batch, required=True)


def _finish_villages(conn, batch: Batch) -> None:
    needs = conn.execute(
        sa.text(
            "SELECT EXISTS (SELECT 1 FROM township t WHERE t.population = 0 AND EXISTS "
            "(SELECT 1 FROM village v WHERE v.township_id = t.id AND v.population > 0))"
        )
    ).scalar()
    if needs:
        conn.execute(query("import_township_population_from_villages"))
        batch.extras.setdefault("also_changed", []).append("township")
        batch.note("townships without population now count their villages' people")


VILLAGES = Kind(
    name="villages",
    zh="行政村（社区）",
    en="villages",
    table="village",
    key="code",
    geometry="point",
    columns=("code", "township_id", "name", "population", "elderly", "households"),
    stage_extra=POINT_STAGE,
    fields=(
        Field(
            "code",
            "code12",
            "村代码",
            "village code",
            required=True,
            aliases=("村代码", "村编码", "行政村代码", "村(社区)代码", "村级代码"),
            example="360799100200",
        ),
        Field(
            "name",
            "text",
            "村名称",
            "name",
            required=True,
            aliases=(
                "村名",
                "村名称",
                "村",
                "行政村",
                "村(社区)",
                "村(社区)名称",
                "村庄名称",
                "社区",
                "village",
            ),
            example="南垅村",
        ),
        *TOWNSHIP_REFS,
        Field("population", "count", "人口", "population", required=True, example=3324),
        Field(
            "elderly",
            "count",
            "老年人口",
            "elderly",
            default=0,
            example=692,
            help="people aged 60 and over (moved first)",
        ),
        Field("households", "count", "户数", "households", default=0, example=1118),
    ),
    prepare=_prepare_villages,
    resolve=refs.townships,
    check=_check_villages,
    finish=_finish_villages,
    help="villages and communities with their people; the township may be left to their position",
)


# ---- shelters ---------------------------------------------------------------------------------

SHELTER_CLASS_NAMES = {
    "紧急": "emergency",
    "应急": "emergency",
    "临时": "emergency",
    "紧急避难场所": "emergency",
    "紧急避难点": "emergency",
    "短期": "short",
    "短期固定": "short",
    "短期安置": "short",
    "固定": "medium",
    "固定避难场所": "medium",
    "中期": "medium",
    "中期固定": "medium",
    "长期": "long",
    "长期固定": "long",
    "中心": "central",
    "中心避难场所": "central",
    **{c: c for c in SHELTER_CLASSES},
}
SHELTER_STATUS_NAMES = {
    "开放": "open",
    "启用": "open",
    "正常": "open",
    "可用": "open",
    "关闭": "closed",
    "停用": "closed",
    "封闭": "closed",
    "已满": "full",
    "满员": "full",
    **{s: s for s in SHELTER_STATUSES},
}


def _derived_code(prefix: str, batch: Batch, parts: list[pd.Series]) -> pd.Series:
    keys = []
    for values in zip(*[p.tolist() for p in parts], strict=True):
        text = "|".join("" if v is None else str(v) for v in values)
        keys.append(prefix + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12].upper())
    return pd.Series(keys, dtype=object)


def _position_key(batch: Batch) -> pd.Series:
    geoms = batch.geometry if batch.geometry is not None else [None] * len(batch)
    return pd.Series([None if g is None else f"{g.x:.5f},{g.y:.5f}" for g in geoms], dtype=object)


def _shelter_key(batch: Batch) -> pd.Series:
    return _derived_code("SH", batch, [batch.frame["name"], _position_key(batch)])


def _prepare_shelters(batch: Batch) -> None:
    f = batch.frame
    capacity, area = f.capacity.tolist(), f.area_m2.tolist()
    derived = zero = 0
    for i in range(len(batch)):
        if capacity[i] is None and area[i] is not None:
            capacity[i] = int(np.floor(area[i] / M2_PER_PERSON))
            derived += 1
        elif capacity[i] is None:
            capacity[i] = 0
            zero += 1
            batch.warn(i, "capacity", None, "no capacity and no area: stored as 0 (see riskmap county show)")
        if area[i] is None:
            area[i] = 0.0
    f["capacity"] = pd.Series(capacity, dtype=object)
    f["area_m2"] = pd.Series(area, dtype=object)
    if derived:
        batch.note(f"{derived} shelter(s) without capacity: area ÷ {M2_PER_PERSON} m² per person")
    for i, (cap, occ) in enumerate(zip(f.capacity.tolist(), f.occupancy.tolist(), strict=True)):
        if cap is not None and occ is not None and occ > cap > 0:
            batch.warn(i, "occupancy", occ, f"more people sheltered than its capacity ({cap})")


def _check_located(conn, batch: Batch) -> None:
    refs.locate(conn, batch, required=False)


SHELTERS = Kind(
    name="shelters",
    zh="避灾安置场所",
    en="shelters",
    table="shelter",
    key="code",
    geometry="point",
    columns=("code", "township_id", "name", "class", "area_m2", "capacity", "occupancy", "status"),
    stage_extra=POINT_STAGE,
    fields=(
        Field(
            "code",
            "code",
            "场所编号",
            "code",
            aliases=("场所编号", "场所代码"),
            example="SH00001",
            help="without one: derived from the name and position (stable on re-import)",
        ),
        Field(
            "name",
            "text",
            "场所名称",
            "name",
            required=True,
            aliases=("场所名称", "避难场所名称", "安置点名称", "安置场所名称", "避灾点名称"),
            example="县体育中心",
        ),
        Field(
            "class",
            "choice",
            "场所类型",
            "class",
            choices=SHELTER_CLASS_NAMES,
            default="emergency",
            aliases=("场所类型", "场所类别", "场所等级", "类别", "类型", "等级", "type"),
            example="中心",
            help="GB 51143-2015: 紧急 emergency, 短期/中期/长期固定 short/medium/long, 中心 central",
        ),
        Field("area_m2", "float", "有效面积(㎡)", "area (m²)", example=23420),
        Field(
            "capacity",
            "count",
            "可容纳人数",
            "capacity",
            example=6691,
            help=f"persons; without it: area ÷ {M2_PER_PERSON} m²",
        ),
        Field("occupancy", "count", "已安置人数", "occupancy", default=0, example=0),
        Field(
            "status", "choice", "状态", "status", choices=SHELTER_STATUS_NAMES, default="open", example="开放"
        ),
        *TOWNSHIP_REFS,
    ),
    prepare=_prepare_shelters,
    resolve=refs.townships,
    check=_check_located,
    derive_key=_shelter_key,
    help="shelters (避灾安置场所) with their capacity",
)


# ---- hazard sites -----------------------------------------------------------------------------

HAZARD_KIND_NAMES = {
    "滑坡": "landslide",
    "不稳定斜坡": "landslide",
    "崩塌": "collapse",
    "危岩": "collapse",
    "危岩体": "collapse",
    "泥石流": "debris_flow",
    "易涝点": "flood_point",
    "内涝点": "flood_point",
    "积水点": "flood_point",
    "渍涝点": "flood_point",
    "debris flow": "debris_flow",
    "flood point": "flood_point",
    **{k: k for k in HAZARD_SITE_KINDS},
}


def _resolve_sites(conn, batch: Batch) -> None:
    refs.townships(conn, batch)
    refs.villages(conn, batch)


HAZARD_SITES = Kind(
    name="hazard-sites",
    zh="地质灾害隐患点",
    en="hazard sites",
    table="hazard_site",
    key="code",
    geometry="point",
    columns=("code", "kind", "name", "township_id", "village_id", "threatened_people", "threat_radius_m"),
    stage_extra=POINT_STAGE,
    fields=(
        Field(
            "code",
            "code",
            "统一编号",
            "code",
            required=True,
            aliases=("统一编号", "隐患点编号", "灾害点编号", "野外编号"),
            example="DZ36079900001",
        ),
        Field(
            "kind",
            "choice",
            "灾种",
            "kind",
            required=True,
            choices=HAZARD_KIND_NAMES,
            aliases=("灾种", "灾害类型", "隐患类型", "灾害种类", "类型", "类别", "type"),
            example="滑坡",
            help="滑坡 landslide, 崩塌 collapse, 泥石流 debris_flow, 易涝点 flood_point",
        ),
        Field(
            "name",
            "text",
            "隐患点名称",
            "name",
            required=True,
            aliases=("隐患点名称", "灾害点名称"),
            example="安岩村2组滑坡",
        ),
        *TOWNSHIP_REFS,
        *VILLAGE_REFS,
        Field("threatened_people", "count", "威胁人数", "threatened people", default=0, example=19),
        Field(
            "threat_radius_m",
            "float",
            "威胁半径(米)",
            "threat radius (m)",
            default=300.0,
            positive=True,
            example=380,
        ),
    ),
    resolve=_resolve_sites,
    check=_check_located,
    help="geological hazard sites (隐患点) and the people they threaten",
)
