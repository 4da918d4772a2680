"""The admin's 数据/Data panel in a real Chromium: hidden from operators, an admin uploads a file,
reads which rows are bad and why, then checks a good file (dry run: nothing written)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ARTIFACTS = Path(os.environ.get("RISKMAP_TEST_ARTIFACTS", "test-artifacts"))
pytestmark = pytest.mark.e2e


def _sign_in(page, server, name):
    page.goto(server)
    page.wait_for_function("() => document.body.dataset.mapReady === '1'", timeout=60_000)
    page.fill("#login-user", name)
    page.fill("#login-pass", "correct horse")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#whoami", state="visible")


def test_an_admin_uploads_a_file_and_reads_the_report(server, browser, users, tmp_path):
    bad = tmp_path / "villages.csv"
    bad.write_text(
        "村名称,村代码,乡镇,人口,经度,纬度\n"
        "南垅村,360799100200,石岐镇,很多,114.916514,25.780648\n"
        "塘岩村,360799100201,石岐镇,1033,99.5,25.777379\n",
        encoding="utf-8",
    )
    good = tmp_path / "good.csv"
    good.write_text(
        "村名称,村代码,乡镇,人口,经度,纬度\n新村,360799100299,石岐镇,120,114.93,25.78\n", encoding="utf-8"
    )

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, server, users["operator"])
    page.wait_for_selector("#operator-tools", state="visible")
    assert page.locator("#data-section").is_hidden()
    page.click("#sign-out")

    _sign_in(page, server, users["admin"])
    page.wait_for_selector("#data-section", state="visible")
    page.wait_for_selector("#county-status .county-counts")
    assert "云岭县" in page.locator("#county-status").inner_text()
    page.select_option("#import-kind", "villages")
    page.set_input_files("#import-file", str(bad))
    page.click("#import-submit")
    page.wait_for_selector("#import-report[data-status=rejected]")
    report = page.locator("#import-report").inner_text()
    assert "未导入：有误" in report
    assert "line 2" in report and "not a number" in report
    assert "line 3" in report and "outside the county" in report
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#side").screenshot(path=str(ARTIFACTS / "data-panel.png"))

    page.set_input_files("#import-file", str(good))
    page.click("#import-submit")
    page.wait_for_selector("#import-report[data-status=checked]")
    assert "将新增 1" in page.locator("#import-report").inner_text()  # a dry run: nothing written

    page.click("#lang-toggle")
    page.wait_for_function("() => document.querySelector('#data-section h2').textContent === 'Data'")
    assert not errors, errors
    page.close()
