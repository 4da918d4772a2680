"""Reading flood-indicator tables (山洪灾害预警指标) as the platforms export them: long or wide,
CSV or XLSX, villages by code or by name; every bad row reported with its line and reason."""

from __future__ import annotations

import pandas as pd
import pytest

from backend.errors import InvalidInput
from backend.places.flood_indicators import Options, VillageRef, read, write_rejects

VILLAGES = {
    "360700000001": VillageRef(1, "360700000001", "上村", "城关镇"),
    "360700000002": VillageRef(2, "360700000002", "下村", "城关镇"),
    "360700000003": VillageRef(3, "360700000003", "下村", "石门乡"),  # the same name elsewhere
}


def test_a_wide_xlsx_with_chinese_headers_and_villages_by_name(tmp_path):
    p = tmp_path / "指标.xlsx"
    pd.DataFrame(
        {
            "乡镇": ["城关镇", "石门乡"],
            "村名": ["上村", "下村"],
            "准备转移1h(mm)": [30, 35],
            "立即转移1h(mm)": [45, 50],
            "3小时准备转移": [60, ""],
            "3小时立即转移": [80, ""],
            "备注": ["", "沿河"],
        }
    ).to_excel(p, sheet_name="预警指标", index=False)
    rows, report = read(p, Options(villages=VILLAGES))
    assert report.ok and report.layout == "wide" and report.where == "row"
    assert [(r["village_id"], r["hours"], r["prepare_mm"], r["move_mm"]) for r in rows] == [
        (1, 1, 30.0, 45.0),
        (1, 3, 60.0, 80.0),
        (3, 1, 35.0, 50.0),
    ]
    assert report.villages == 2 and report.windows_h == [1, 3]


def test_bad_rows_are_each_named_and_can_be_saved_with_a_reason(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text(
        "village_code,hours,prepare_mm,move_mm\n"
        "360700000001,1,30,45\n"
        "360700000001,1,31,46\n"  # the same window again
        "360700000002,100,30,45\n"  # window out of range
        "360700000009,3,30,45\n"  # no such village
        "360700000002,6,-1,45\n"  # not positive
        "360700000002,24,,\n"  # no threshold
    )
    rows, report = read(p, Options(villages=VILLAGES))
    lines = report.lines()
    assert [r["row"] for r in rows] == [2]
    assert any("line 3: hours '1': village 360700000001 has this window also on line 2" in x for x in lines)
    assert any("line 4: hours '100': must be 1..72 hours" in x for x in lines)
    assert any("line 5: village_code '360700000009': no village with this code" in x for x in lines)
    assert any("line 6: prepare_mm '-1': must be a positive number of mm" in x for x in lines)
    assert any("line 7: prepare_mm '': no critical rainfall" in x for x in lines)
    out = tmp_path / "rejects.csv"
    assert write_rejects(p, Options(villages=VILLAGES), report, out) == 5
    saved = pd.read_csv(out, dtype=str)
    assert list(saved.columns)[-1] == "reason" and "must be 1..72 hours" in saved.loc[1, "reason"]


def test_an_ambiguous_name_and_a_file_without_the_needed_columns(tmp_path):
    p = tmp_path / "names.csv"
    p.write_text("村名,时段,准备转移,立即转移\n下村,1,30,40\n")
    _, report = read(p, Options(villages=VILLAGES))
    assert "several villages have this name" in report.problems[0].reason
    q = tmp_path / "cols.csv"
    q.write_text("村名,雨量\n上村,30\n")
    with pytest.raises(InvalidInput, match="cols.csv: no window column .*村名, 雨量"):
        read(q, Options(villages=VILLAGES))
    with pytest.raises(InvalidInput, match="--map 雨量=rain: the field is one of"):
        read(q, Options(mapping={"雨量": "rain"}, villages=VILLAGES))
