"""Item 7 of issue #18 in a real Chromium: north arrow, scale, the run's computed-at time and
the data attribution; hazard layers as exclusive choices with the legend following what is shown;
the phone layout (the map gets the screen and re-fits when the panel opens and closes); and the
first load of the page on the sample county (requests, bytes, time to an idle map)."""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e import page_helpers
from tests.e2e.page_helpers import ARTIFACTS, COMBOS, Page

csp_server = page_helpers.csp_server

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("size", "lang"), COMBOS)
def test_map_furniture_and_a_legend_that_follows_the_layers(csp_server, browser, published, size, lang):
    p = Page(browser, csp_server, size, lang).open(run=published.run_id)
    page = p.page
    zh = lang == "zh"
    assert page.locator(".rm-north").is_visible() and page.locator(".maplibregl-ctrl-scale").is_visible()
    page.evaluate("window.riskmap.map.setBearing(40)")
    assert "rotate(-40deg)" in page.locator(".rm-north svg").evaluate("e => e.style.transform")
    page.locator(".rm-north button").click()
    p.wait("Math.abs(window.riskmap.map.getBearing()) < 0.5")
    stamp = page.locator("#map-stamp .computed")
    assert stamp.get_attribute("data-run") == str(published.run_id)
    assert (
        ("计算于" in stamp.inner_text() and "北京时间" in stamp.inner_text())
        if zh
        else "computed" in stamp.inner_text()
    )
    if size == "desktop":
        assert ("云岭县应急管理局" if zh else "Emergency Management Bureau") in page.locator(
            "#map-stamp"
        ).inner_text()
    p.open_panel()
    # hazard layers: one at a time; the legend shows the chosen one's own thresholds
    page.locator('input[name="hazard-layer"][value="rain"]').check()
    vis = "(id) => window.riskmap.map.getLayoutProperty(id, 'visibility')"
    assert page.evaluate(vis, "rain-fill") == "visible" and page.evaluate(vis, "onemap-fill") == "none"
    legend = page.locator("#legend")
    assert ("3 小时 ≥ 100 毫米" if zh else "3 h ≥ 100 mm") in legend.inner_text()
    page.locator('input[name="hazard-layer"][value="fire"]').check()
    assert "FWI ≥ 50" in legend.inner_text() and page.evaluate(vis, "rain-fill") == "none"
    assert (
        legend.locator('[data-symbol="closed"]').count() == 1
        and legend.locator('[data-symbol="flooded"]').count() == 1
    )
    page.locator('input[data-layer="roads"]').uncheck()
    assert legend.locator('[data-symbol="closed"]').count() == 0
    assert page.evaluate(vis, "roads") == "none" and page.evaluate(vis, "roads-flooded") == "none"
    page.locator('input[name="hazard-layer"][value="none"]').check()
    assert legend.locator(".legend-head").count() == 0
    page.locator('input[name="hazard-layer"][value="onemap"]').check()
    page.locator('input[data-layer="roads"]').check()
    p.shot("legend")
    if size == "phone":
        # the map gets most of the screen; the panel opens over part of it and the map re-fits
        page.click("#panel-toggle")
        page.wait_for_selector("#side.collapsed", state="attached")
        p.wait("window.riskmap.map.getCanvas().clientHeight === document.getElementById('map').clientHeight")
        full = page.locator("#map").bounding_box()["height"]
        assert full > 0.7 * 844, full
        assert page.locator("#panel-toggle").get_attribute("aria-expanded") == "false"
        p.shot("phone-map")
        page.click("#panel-toggle")
        p.wait(f"document.getElementById('map').clientHeight < {full - 100}")
        p.wait("window.riskmap.map.getCanvas().clientHeight === document.getElementById('map').clientHeight")
        p.shot("phone-panel")
        page.click("#panel-toggle")
        p.wait(f"window.riskmap.map.getCanvas().clientHeight >= {full - 1}")
    else:
        p.shot("furniture")
    p.close()


def test_first_load_of_the_page(csp_server, browser, published):
    """Requests, bytes and time until the map is idle on the sample county (numbers written to
    test-artifacts/first-load.json for the report)."""
    p = Page(browser, csp_server, "desktop", "zh")
    responses = []
    p.page.on("requestfinished", lambda r: responses.append(r))
    start = time.perf_counter()
    p.page.goto(csp_server + "/")
    p.wait("document.body.dataset.mapReady === '1'", timeout=60)
    p.wait("window.riskmap.map.loaded() && window.riskmap.map.areTilesLoaded()", timeout=60)
    idle_s = time.perf_counter() - start
    sizes = [r.sizes() for r in responses]
    body = sum(s["responseBodySize"] for s in sizes)
    wire = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes)
    kinds = {}
    for r in responses:
        kind = "tile" if "/tiles/" in r.url else "api" if "/api/" in r.url else "static"
        kinds[kind] = kinds.get(kind, 0) + 1
    numbers = {
        "requests": len(responses),
        "body_bytes": body,
        "bytes_with_headers": wire,
        "seconds_to_idle_map": round(idle_s, 2),
        "by_kind": kinds,
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "first-load.json").write_text(json.dumps(numbers, indent=1))
    print("first load:", numbers)
    assert all(r.url.startswith(csp_server) or r.url.startswith(("data:", "blob:")) for r in responses)
    assert 5 < len(responses) < 400 and body < 10_000_000
    p.close()
