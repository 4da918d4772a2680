"""Headers recognised in Chinese and English, --map winning; cells as people type them."""

from __future__ import annotations

import pytest

from backend.imports.headers import match_columns
from backend.imports.kinds import KINDS
from backend.imports.spec import Field, ImportUsageError
from backend.imports.values import Bad, parse


def test_chinese_english_and_bilingual_headers_are_recognised():
    cols = match_columns(
        KINDS["shelters"],
        ["序号", "*场所名称 name", "可容纳人数（人）", "面积(㎡)", "经度", "Latitude", "所属乡镇", "备注"],
        {},
        "f.xlsx",
    )
    assert cols == {
        "name": "*场所名称 name",
        "capacity": "可容纳人数（人）",
        "area_m2": "面积(㎡)",
        "lon": "经度",
        "lat": "Latitude",
        "township": "所属乡镇",
    }
    people = match_columns(KINDS["recipients"], ["姓名", "职务", "手机", "电话", "邮箱", "村"], {}, "p.csv")
    assert people == {"name": "姓名", "title": "职务", "phone": "手机", "email": "邮箱", "village": "村"}


def test_explicit_mapping_wins_and_is_checked():
    cols = match_columns(
        KINDS["villages"], ["名称", "总户数", "常住人口"], {"常住人口": "households"}, "v.csv"
    )
    assert cols["households"] == "常住人口" and "population" not in cols
    with pytest.raises(ImportUsageError, match="has no field 'people'"):
        match_columns(KINDS["villages"], ["名称"], {"名称": "people"}, "v.csv")
    with pytest.raises(ImportUsageError, match=r"has no column '村名'; its columns: 名称"):
        match_columns(KINDS["villages"], ["名称"], {"村名": "name"}, "v.csv")


@pytest.mark.parametrize(
    ("type_", "raw", "value"),
    [
        ("count", "1,234人", 1234),
        ("count", 3324.0, 3324),
        ("float", "23420㎡", 23420.0),
        ("code", 360799100200, "360799100200"),
        ("code", "360799100200.0", "360799100200"),
        ("bool", "是", True),
        ("bool", "否", False),
        ("count", "/", None),
        ("text", "无", None),
        ("phone", 13243277691, "13243277691"),
    ],
)
def test_cells_as_people_type_them(type_, raw, value):
    assert parse(Field("f", type_, "字段"), raw) == value


@pytest.mark.parametrize(
    ("type_", "raw", "reason"),
    [
        ("count", "abc", "not a number"),
        ("count", -3, "negative count"),
        ("count", 2.5, "not a whole number"),
        ("code", "3.60799E+11", "exponent form"),
        ("phone", "call me", "not a phone number"),
        ("email", "nobody", "not an e-mail address"),
        ("bool", "maybe", "not yes/no"),
    ],
)
def test_bad_cells_say_why(type_, raw, reason):
    with pytest.raises(Bad, match=reason):
        parse(Field("f", type_, "字段"), raw)


def test_codes_are_padded_to_twelve_digits_where_the_level_allows():
    township = KINDS["townships"].field("code")
    assert parse(township, "360799100") == "360799100000"
    with pytest.raises(Bad, match="12-digit"):
        parse(KINDS["villages"].field("code"), "360799100")


def test_degrees_minutes_seconds():
    from backend.imports.values import degrees

    assert degrees("115°30'36\"E") == pytest.approx(115.51)
    assert degrees("25度48分") == pytest.approx(25.8)
    assert degrees("-12.5") == -12.5
    with pytest.raises(Bad):
        degrees("北纬二十五度")


def test_choices_accept_chinese_names():
    assert parse(KINDS["shelters"].field("class"), "中心") == "central"
    assert parse(KINDS["hazard-sites"].field("kind"), "泥石流") == "debris_flow"
    assert parse(KINDS["roads"].field("class"), "乡道") == "township"
    assert parse(KINDS["recipients"].field("role"), "网格员") == "grid_worker"
    with pytest.raises(Bad, match="one of central, emergency"):
        parse(KINDS["shelters"].field("class"), "豪华")
