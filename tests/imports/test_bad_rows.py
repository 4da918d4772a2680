"""Bad rows are named — sheet and row, field, value, reason — and with any of them nothing is written
(unless the valid rows are asked for, and the rejected ones saved with their reasons)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from backend.imports.service import run_import
from backend.imports.spec import ImportUsageError, Options
from tests.imports import formats


def _state(engine) -> dict:
    """xmin of every row of every place table and the data versions: any write changes them."""
    with engine.connect() as c:
        out = {
            t: c.execute(sa.text(f"SELECT md5(string_agg(xmin::text, ',' ORDER BY id)) FROM {t}")).scalar()
            for t in ("county", "township", "village", "shelter", "road", "hazard_site", "recipient")
        }
        out["versions"] = c.execute(
            sa.text("SELECT json_object_agg(table_name, version) FROM data_version")
        ).scalar()
        out["audit"] = c.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
    return out


def _bad_villages(county_files, tmp_path):
    """The sample's villages with one fault in each of rows 4–12 of the sheet (row 1 is a title,
    row 2 the headers, so data row k is sheet row k + 3)."""
    import openpyxl

    path = formats.villages_xlsx(county_files.sample, tmp_path, "bad.xlsx")
    book = openpyxl.load_workbook(path)
    ws = book["村"]
    col = {c.value: c.column for c in ws[2]}

    def put(k, header, value):
        ws.cell(row=k + 3, column=col[header]).value = value

    put(1, "人口（人）", "abc")
    put(2, "户数", -3)
    put(3, "村名称", None)
    put(4, "经度", 100.0)
    put(5, "所属乡镇", "不存在镇")
    put(6, "村代码", ws.cell(row=10, column=col["村代码"]).value)  # the code of data row 7
    put(8, "老年人口", 999_999)
    put(9, "纬度", "二十五度")
    book.save(path)
    return path


EXPECTED = [
    ("sheet 村 row 4", "population", "abc", "not a number"),
    ("sheet 村 row 5", "households", "-3", "negative count"),
    ("sheet 村 row 6", "name", "", "missing"),
    ("sheet 村 row 7", "geometry", "100.000000", "outside the county"),
    ("sheet 村 row 8", "township", "不存在镇", "unknown township"),
    ("sheet 村 row 9", "code", "", "duplicate code (also sheet 村 row 10)"),
    ("sheet 村 row 10", "code", "", "duplicate code (also sheet 村 row 9)"),
    ("sheet 村 row 11", "elderly", "999999", "more elderly than people"),
    ("sheet 村 row 12", "lat", "二十五度", "not a coordinate"),
]


def _matches(errors, expected):
    for where, field, value, reason in expected:
        hits = [
            e
            for e in errors
            if e["where"] == where
            and e["field"] == field
            and reason in e["reason"]
            and e["value"].startswith(value)
        ]
        assert hits, (where, field, reason, [e for e in errors if e["where"] == where])


def test_each_bad_row_is_named_and_nothing_is_written(own_county, tmp_path):
    path = _bad_villages(own_county.files, tmp_path)
    before = _state(own_county.engine)
    report = run_import(own_county.engine, "villages", path, Options(), "test").to_json()
    assert report["status"] == "rejected" and not report["written"]
    assert report["rejected"] == 9 and report["valid"] == 291
    _matches(report["errors"], EXPECTED)
    assert len(report["errors"]) == 9
    assert _state(own_county.engine) == before  # nothing written, not even an audit entry


def test_with_rejects_the_valid_rows_are_written_and_the_rejected_saved(own_county, tmp_path):
    path = _bad_villages(own_county.files, tmp_path)
    rejects = tmp_path / "rejected.csv"
    report = run_import(own_county.engine, "villages", path, Options(partial=True), "test", rejects=rejects)
    assert report.status == "partial" and report.written
    assert report.changes["unchanged"] == 291  # the valid rows are the sample's own
    saved = pd.read_csv(rejects, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert list(saved["where"]) == [e[0] for e in EXPECTED]
    assert "population: not a number (abc)" in saved.loc[0, "reason"]
    assert "村名称" in saved.columns and "reason" in saved.columns


def _townships(county_files, tmp_path, change) -> tuple:
    t = county_files.sample["townships"].to_crs(formats.GK)
    change(t)
    path = tmp_path / "乡镇.gpkg"
    gpd.GeoDataFrame({"代码": t.code, "名称": t.name}, geometry=t.geometry, crs=formats.GK).to_file(path)
    return path, t


def test_townships_that_overlap_or_leave_gaps_are_refused(own_county, tmp_path):
    def change(t):
        t.loc[0, "geometry"] = t.geometry[0].buffer(300)  # grows into its neighbours
        t.loc[5, "geometry"] = t.geometry[5].buffer(-300)  # leaves a gap around itself

    path, t = _townships(own_county.files, tmp_path, change)
    before = _state(own_county.engine)
    report = run_import(own_county.engine, "townships", path, Options(partial=True), "test").to_json()
    assert not report["written"]  # a gap is the file's fault, not a row's: nothing is written
    overlaps = [e for e in report["errors"] if "overlaps" in e["reason"]]
    assert overlaps and all(e["where"].startswith("feature ") for e in overlaps)
    assert any(e["where"] == "feature 1" and t.name[0] in e["value"] for e in overlaps)
    gaps = [e for e in report["errors"] if "gap" in e["reason"]]
    assert gaps and gaps[0]["line"] is None
    assert _state(own_county.engine) == before


def test_a_slightly_invalid_boundary_is_repaired_and_reported(own_county, tmp_path):
    def change(t):
        ring = list(t.geometry[2].geoms[0].exterior.coords)
        x, y = ring[10]
        ring[11:11] = [(x + 2, y + 2), (x - 2, y + 2), (x, y)]  # a 2 m loop: the ring touches itself
        t.loc[2, "geometry"] = shapely.MultiPolygon([shapely.Polygon(ring)])
        assert not t.geometry[2].is_valid

    path, _ = _townships(own_county.files, tmp_path, change)
    report = run_import(own_county.engine, "townships", path, Options(dry_run=True), "test").to_json()
    assert report["status"] == "checked", report["errors"]
    warned = [w for w in report["warnings"] if w["where"] == "feature 3"]
    assert warned and "repaired with make_valid" in warned[0]["reason"]


def test_a_boundary_that_cannot_be_repaired_safely_is_rejected(own_county, tmp_path):
    def change(t):
        x0, y0, x1, y1 = t.geometry[3].bounds
        t.loc[3, "geometry"] = shapely.MultiPolygon(
            [shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])]
        )

    path, _ = _townships(own_county.files, tmp_path, change)
    report = run_import(own_county.engine, "townships", path, Options(dry_run=True), "test").to_json()
    assert any(e["where"] == "feature 4" and "invalid geometry" in e["reason"] for e in report["errors"])


def test_a_required_field_without_a_column_names_the_files_headers(own_county, tmp_path):
    path = tmp_path / "v.csv"
    pd.DataFrame({"村名": ["甲村"], "代码": ["360799100299"], "经度": [115.0], "纬度": [25.8]}).to_csv(
        path, index=False
    )
    with pytest.raises(ImportUsageError, match=r"population \(人口\).*columns are: 村名, 代码, 经度, 纬度"):
        run_import(own_county.engine, "villages", path, Options(dry_run=True), "test")
    # --map names the column, and explicit mapping wins over the headers' own meaning
    path.write_text("名称,代码,户数,经度,纬度\n甲村,360799100299,5,115.0,25.8\n", encoding="utf-8")
    report = run_import(
        own_county.engine, "villages", path, Options(dry_run=True, mapping={"户数": "population"}), "test"
    )
    assert report.columns["population"] == "户数"
    assert report.status == "checked", report.to_json()["errors"]
    assert report.changes["inserted"] == 1


def test_an_unreadable_file_is_a_usage_error(own_county, tmp_path):
    bad = tmp_path / "村.xlsx"
    bad.write_bytes(b"this is no workbook")
    with pytest.raises(ImportUsageError, match=r"村\.xlsx: not a readable XLSX workbook"):
        run_import(own_county.engine, "villages", bad, Options(), "test")
    with pytest.raises(ImportUsageError, match="no such file"):
        run_import(own_county.engine, "villages", tmp_path / "missing.csv", Options(), "test")
