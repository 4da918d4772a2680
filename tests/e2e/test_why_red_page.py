"""Item 4 of issue #18 in a real Chromium: click any point of the map for each hazard's level and
its inputs there (GET /api/point); the township panel shows every hazard's level, the villages by
level and the free places in safe shelters (shelters in orange/red excluded)."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from tests.e2e import page_helpers
from tests.e2e.page_helpers import COMBOS, Page

csp_server = page_helpers.csp_server

pytestmark = pytest.mark.e2e


def red_point(engine, run_id):
    with engine.connect() as c:
        return c.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM risk_zone "
                "WHERE run_id = :r AND hazard = 'onemap' AND level = 4 AND detail = 2 "
                "ORDER BY ST_Area(geom) DESC LIMIT 1) x"
            ),
            {"r": run_id},
        ).one()


@pytest.mark.parametrize(("size", "lang"), COMBOS)
def test_clicking_a_red_place_says_why(csp_server, browser, engine, published, size, lang):
    run_id = published.run_id  # the session's sample run (other tests publish runs of their own)
    lon, lat = red_point(engine, run_id)
    p = Page(browser, csp_server, size, lang).open(run=published.run_id)
    page = p.page
    page.evaluate("([lon, lat]) => window.riskmap.map.jumpTo({center: [lon, lat], zoom: 12})", [lon, lat])
    p.idle()
    # hide the markers so the click lands on the map itself
    page.evaluate(
        "['villages', 'shelters', 'hazard_sites', 'routes'].forEach(l => window.riskmap.map.getLayer(l)"
        " && window.riskmap.map.setLayoutProperty(l, 'visibility', 'none'))"
    )
    xy = page.evaluate(
        "([lon, lat]) => { const q = window.riskmap.map.project([lon, lat]); return [q.x, q.y]; }", [lon, lat]
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    pop = page.locator(".popup.point[data-level]")
    pop.wait_for(timeout=20_000)
    assert pop.get_attribute("data-level") == "4"
    answer = page.evaluate("window.riskmap.point")
    api = httpx.get(
        f"{csp_server}/api/point",
        params={"lon": answer["lon"], "lat": answer["lat"], "run": run_id},
    ).json()
    assert api["hazards"] == answer["hazards"]
    rain = pop.locator('[data-hazard="rain"]')
    cells = rain.locator("table.acc td").all_inner_texts()
    assert len(cells) == 5 and all(c.replace(",", "").replace(".", "").isdigit() for c in cells)
    assert rain.locator(".thresholds li").count() == 4
    assert pop.locator('[data-hazard="fire"] .codes').inner_text().startswith("FWI")
    assert pop.locator('[data-hazard="geohazard"]').count() == 1
    text = pop.inner_text()
    assert ("最近的村" if lang == "zh" else "nearest village") in text
    p.shot("why-red")
    # the township panel of the place: every hazard's level, villages by level, safe free places
    p.open_panel()  # on a phone the answer is the popup; the panel opens with ☰
    panel = page.locator("#township-panel")
    panel.wait_for(state="visible")
    assert panel.get_attribute("data-code") == answer["township"]["code"]
    assert panel.locator(".hazard-levels li").count() == 3
    page.wait_for_selector("#tp-villages .village-level")
    page.wait_for_selector("#tp-shelters .safe-free b[data-free]")
    shelters = httpx.get(
        f"{csp_server}/api/shelters", params={"township": answer["township"]["code"], "run": run_id}
    ).json()
    safe_free = sum(
        f["properties"]["free"]
        for f in shelters["features"]
        if f["properties"]["safe"] and f["properties"]["status"] == "open"
    )
    assert int(page.locator("#tp-shelters b[data-free]").get_attribute("data-free")) == safe_free
    unsafe = [f["properties"]["name"] for f in shelters["features"] if not f["properties"]["safe"]]
    listed = page.locator("#tp-shelters .shelter-list .name").all_inner_texts()
    assert not set(unsafe) & set(listed)
    villages = httpx.get(
        f"{csp_server}/api/townships/{answer['township']['code']}/villages", params={"run": run_id}
    ).json()
    shown = {
        int(x)
        for x in page.locator("#tp-villages .village-level").evaluate_all(
            "els => els.map(e => e.dataset.level)"
        )
    }
    assert shown == {v["level"] for v in villages["villages"]}
    panel.scroll_into_view_if_needed()
    p.shot("township-panel")
    p.close()
