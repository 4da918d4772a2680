"""`riskmap import` and `riskmap county show` as a person runs them: exit 0 imported or checked,
1 rows rejected (each named), 2 unreadable file or bad usage."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from backend.cli import app

runner = CliRunner()


def test_a_dry_run_of_a_good_file_exits_0(loaded, county_files):
    r = runner.invoke(app, ["import", "villages", str(county_files.villages), "--dry-run", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["status"] == "checked" and report["changes"]["unchanged"] == 300


def test_rejected_rows_exit_1_and_are_named(loaded, tmp_path):
    bad = tmp_path / "村.csv"
    bad.write_text("名称,代码,人口,经度,纬度\n甲村,360799100299,-5,114.95,25.78\n", encoding="utf-8")
    r = runner.invoke(app, ["import", "villages", str(bad)])
    assert r.exit_code == 1
    assert "line 2" in r.output and "negative count" in r.output and "nothing written" in r.output


def test_unreadable_files_and_bad_usage_exit_2(loaded, tmp_path):
    junk = tmp_path / "村.gpkg"
    junk.write_bytes(b"not a geopackage" * 10)
    r = runner.invoke(app, ["import", "villages", str(junk)])
    assert r.exit_code == 2 and "村.gpkg: not a readable file" in r.output
    good = tmp_path / "v.csv"
    good.write_text("名称,代码\n甲村,360799100299\n", encoding="utf-8")
    r = runner.invoke(app, ["import", "villages", str(good), "--map", "nonsense"])
    assert r.exit_code == 2 and "COLUMN=FIELD" in r.output
    r = runner.invoke(app, ["import", "villages", str(good)])
    assert r.exit_code == 2 and "columns are: 名称, 代码" in r.output
    r = runner.invoke(app, ["import", "villages", str(good), "--coords", "mars"])
    assert r.exit_code == 2


def test_template_writes_a_file(tmp_path):
    r = runner.invoke(app, ["import", "template", "recipients", "--out", str(tmp_path / "责任人.xlsx")])
    assert r.exit_code == 0 and (tmp_path / "责任人.xlsx").stat().st_size > 1000
    r = runner.invoke(app, ["import", "template", "recipients", "--out", str(tmp_path / "x.txt")])
    assert r.exit_code == 2


def test_county_show_says_what_is_loaded_and_missing(loaded):
    r = runner.invoke(app, ["county", "show", "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["loaded"]["villages"] == 300 and s["loaded"]["county"] == 1
    assert s["missing"]["shelters_without_capacity"]["count"] == 0
    r = runner.invoke(app, ["county", "show"])
    assert "townships 乡镇" in r.output and "missing" in r.output
