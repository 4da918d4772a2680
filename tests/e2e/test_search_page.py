"""Item 5 of issue #18 in a real Chromium: one search box for townships, villages, shelters, hazard
sites and roads by name, code or pinyin initials, flying the map there."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.e2e import page_helpers
from tests.e2e.page_helpers import COMBOS, Page

csp_server = page_helpers.csp_server

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("size", "lang"), COMBOS)
def test_find_a_place_and_fly_there(csp_server, browser, engine, size, lang, published):
    from backend.places.search import pinyin_keys

    with engine.connect() as c:
        town_code, town = c.execute(
            sa.text("SELECT code, name FROM township ORDER BY code DESC LIMIT 1")
        ).one()
        village, vlon, vlat = c.execute(
            sa.text("SELECT name, ST_X(geom), ST_Y(geom) FROM village ORDER BY code LIMIT 1")
        ).one()
    p = Page(browser, csp_server, size, lang).open(run=published.run_id)
    page = p.page
    box = page.locator("rm-search input")
    assert box.is_visible()
    # a township by its pinyin initials
    box.fill(pinyin_keys(town)[0])
    page.wait_for_selector(".rm-search-results li[data-i]")
    hits = page.locator(".rm-search-results li[data-i]").all_inner_texts()
    assert any(town in h for h in hits)
    index = next(i for i, h in enumerate(hits) if town in h)
    for _ in range(index):
        box.press("ArrowDown")
    p.shot("search")
    box.press("Enter")
    p.wait("window.riskmap.searchHit && !window.riskmap.flying", timeout=15)
    hit = page.evaluate("window.riskmap.searchHit")
    assert hit["code"] == town_code and hit["kind"] == "township"
    inside = page.evaluate(
        "(b) => { const c = window.riskmap.map.getCenter();"
        " return c.lng > b[0] && c.lng < b[2] && c.lat > b[1] && c.lat < b[3]; }",
        hit["bbox"],
    )
    assert inside
    page.wait_for_selector("#township-panel[data-code]", state="attached")
    assert page.locator("#township-panel").get_attribute("data-code") == town_code
    # a village by its name: the map flies to it, close enough to see it
    box.fill(village)
    page.wait_for_selector(f".rm-search-results li[data-i]:has-text('{village}')")
    box.press("Enter")
    p.wait("window.riskmap.searchHit.kind === 'village' && !window.riskmap.flying", timeout=15)
    center = page.evaluate(
        "(() => { const m = window.riskmap.map, c = m.getCenter(); return [c.lng, c.lat, m.getZoom()]; })()"
    )
    assert abs(center[0] - vlon) < 0.01 and abs(center[1] - vlat) < 0.01 and center[2] >= 13
    box.fill("zzzzqqq")
    page.wait_for_selector(".rm-search-results li.muted")
    assert page.locator(".rm-search-results").inner_text() == (
        "没有找到" if lang == "zh" else "nothing found"
    )
    p.shot("search-village")
    p.close()
