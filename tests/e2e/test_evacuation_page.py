"""Item 3 of issue #18 in a real Chromium: plan from the current run with the options a person
changes, see the result on the map (clickable routes), shelters' planned fill, compare with the
previous plan, and open the per-township sheet from the signed-in browser."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e import page_helpers
from tests.e2e.page_helpers import COMBOS, PASSWORD, Page

pytestmark = pytest.mark.e2e
csp_server = page_helpers.csp_server


@pytest.fixture(scope="module")
def before(csp_server, users, published):
    """The run's plan with the default options (the one the page compares against)."""
    tok = httpx.post(
        f"{csp_server}/api/auth/token", data={"username": users["operator"], "password": PASSWORD}
    )
    h = {"Authorization": f"Bearer {tok.json()['access_token']}"}
    r = httpx.post(
        f"{csp_server}/api/evacuation/plans",
        json={"run_id": published.run_id},
        headers=h,
        timeout=120,
    )
    return r.json()


# what the person changes: on the desk everyone in orange moves with a small fleet; on the phone
# only red moves (a smaller plan, quicker)
CHANGES = {"desktop": ("3", "all", "4", "30"), "phone": ("3", "none", "6", "40")}


@pytest.mark.parametrize(("size", "lang"), COMBOS)
def test_plan_an_evacuation_from_the_page(csp_server, browser, users, before, size, lang, published):
    level, rule, buses, seats = CHANGES[size]
    p = Page(browser, csp_server, size, lang).open(run=published.run_id)
    page = p.page
    p.sign_in(users["operator"])
    page.wait_for_selector("#evac-form")
    assert int(page.locator("#plan-summary").get_attribute("data-plan")) >= before["id"]
    first = page.evaluate("window.riskmap.plan.id")
    page.select_option(f'#evac-form select[data-policy="{level}"]', rule)
    page.fill("#evac-buses", buses)
    page.fill("#evac-seats", seats)
    page.click("#evac-plan")
    p.wait(f"Number(document.querySelector('#plan-summary')?.dataset.plan) > {first}", timeout=90)
    plan = page.evaluate("window.riskmap.plan")
    assert plan["options"]["fleet"] == {"buses": int(buses), "seats": int(seats)}
    assert plan["options"]["policy"].get("3", "none") == rule
    more = plan["totals"]["people_to_move"] > before["totals"]["people_to_move"]
    assert more if rule == "all" else not more
    # compared with the previous plan of the run
    changes = page.locator("#plan [data-changes]")
    assert int(changes.get_attribute("data-changes")) > 0
    assert page.locator(".fill li[data-shelter]").count() > 0  # shelters' planned fill
    # the routes on the map: click one
    p.wait("window.riskmap.map.getLayer('routes') && window.riskmap.map.getSource('routes')", timeout=30)
    a = next(x for x in plan["assignments"] if x["reason"] == "bus")
    page.evaluate(
        "([lon, lat]) => window.riskmap.map.jumpTo({center: [lon, lat], zoom: 12})", [a["lon"], a["lat"]]
    )
    p.idle()
    xy = p.wait(
        """() => { const m = window.riskmap.map;
                   const f = m.queryRenderedFeatures({layers: ['routes']})[0];
                   if (!f) return null;
                   const g = f.geometry;
                   const c = g.type === 'MultiLineString' ? g.coordinates[0] : g.coordinates;
                   const mid = c[Math.floor(c.length / 2)]; const q = m.project(mid); return [q.x, q.y]; }""",
        timeout=30,
    )
    for name in ("villages", "shelters", "hazard_sites"):
        page.evaluate(f"window.riskmap.map.setLayoutProperty('{name}', 'visibility', 'none')")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    pop = page.locator('.popup[data-kind="route"]')
    pop.wait_for(timeout=10_000)
    assert "→" in pop.inner_text() and ("分钟" if lang == "zh" else "min") in pop.inner_text()
    p.shot("evacuation-route")
    p.open_panel()
    page.locator("#plan-section").scroll_into_view_if_needed()
    p.shot("evacuation-panel")
    # the per-township sheet, from the signed-in browser (the cookie; no bearer header)
    link = page.locator(".sheet-list a[data-township]").first
    with page.context.expect_page() as popup:
        link.click()
    sheet = popup.value
    sheet.wait_for_load_state()
    text = sheet.locator("body").inner_text()
    assert "人员转移安排表" in text and "审核人" in text and "北京时间" in text
    assert sheet.locator("section.town").count() == 1
    nowrap = sheet.locator("table.rows td.keep").first.evaluate("e => getComputedStyle(e).whiteSpace")
    assert nowrap == "nowrap"
    sheet.screenshot(path=str(page_helpers.ARTIFACTS / f"sheet-{size}-{lang}.png"))
    if size == "desktop":
        pdf = sheet.pdf(format="A4")
        assert pdf.count(b"/Type /Page") >= 1
    sheet.close()
    p.close()
