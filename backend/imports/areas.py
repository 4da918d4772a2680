"""Import kinds of areas: the county boundary and its townships.

Townships are checked against each other and the county in SQL before anything is written: they
must not overlap, nor leave gaps, nor reach beyond the county boundary (each by more than a
digitising sliver); a township without a population counts its villages' people.
"""

from __future__ import annotations

from backend.imports.spec import Batch, Field, Kind
from backend.sql import query

#: overlaps and gaps between townships smaller than this are digitising slivers, not faults (1 ha)
SLIVER_M2 = 10_000.0


# ---- county -----------------------------------------------------------------------------------

COUNTY = Kind(
    name="county",
    zh="县界",
    en="county boundary",
    table="county",
    key="code",
    geometry="polygon",
    columns=("code", "name", "population"),
    fields=(
        Field(
            "code",
            "code12",
            "县代码",
            "county code",
            required=True,
            pad_from=(6,),
            aliases=("县代码", "县区划代码", "县(区)代码"),
            example="360799",
            help="6-digit county code (padded to 12) or the 12-digit form",
        ),
        Field(
            "name",
            "text",
            "县名称",
            "name",
            required=True,
            aliases=("县名", "县名称", "县(区)", "县(区)名称"),
            example="云岭县",
        ),
        Field("population", "count", "人口", "population", example=600000),
    ),
    help="the county's boundary; points and townships are checked against it",
)


# ---- townships --------------------------------------------------------------------------------


def _check_townships(conn, batch: Batch) -> None:
    filled = conn.execute(query("import_township_population")).all()
    if filled:
        batch.note(f"{len(filled)} township(s) without population: the sum of their villages used")
    for i, j, code, name, other_code, other_name, m2, lon, lat in conn.execute(
        query("import_township_overlaps"), {"min_m2": SLIVER_M2}
    ):
        where = f"{m2 / 1e4:,.1f} ha around {lon:.5f}, {lat:.5f}"
        if i is not None:
            batch.error(i, "geometry", f"{name} ({code})", f"overlaps {other_name} ({other_code}) by {where}")
        if j is not None:
            batch.error(j, "geometry", f"{other_name} ({other_code})", f"overlaps {name} ({code}) by {where}")
    for m2, lon, lat in conn.execute(query("import_township_gaps"), {"min_m2": SLIVER_M2}):
        batch.error(
            None,
            "geometry",
            f"{lon:.5f}, {lat:.5f}",
            f"the townships leave a gap of {m2 / 1e4:,.1f} ha around {lon:.5f}, {lat:.5f}",
        )
    for i, m2 in conn.execute(query("import_township_beyond_county"), {"min_m2": SLIVER_M2}):
        batch.error(i, "geometry", f"{m2 / 1e4:,.1f} ha", "reaches beyond the county boundary")


TOWNSHIPS = Kind(
    name="townships",
    zh="乡镇（街道）",
    en="townships",
    table="township",
    key="code",
    geometry="polygon",
    columns=("code", "name", "population"),
    fields=(
        Field(
            "code",
            "code12",
            "乡镇代码",
            "township code",
            required=True,
            pad_from=(9,),
            aliases=("乡镇代码", "乡镇编码", "乡镇区划代码", "乡镇(街道)代码"),
            example="360799100000",
            help="12-digit code (统计用区划代码); 9 digits are padded with 000",
        ),
        Field(
            "name",
            "text",
            "乡镇名称",
            "name",
            required=True,
            aliases=("乡镇", "乡镇名称", "乡镇(街道)", "乡镇街道", "乡镇(街道)名称", "township"),
            example="石岐镇",
        ),
        Field(
            "population",
            "count",
            "人口",
            "population",
            example=182519,
            help="without it: the sum over the township's villages",
        ),
    ),
    check=_check_townships,
    help="township boundaries; they must not overlap nor leave gaps",
)
