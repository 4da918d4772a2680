"""The strict Content-Security-Policy in a real Chromium: the one-map page, the 叫应 page and the
printable transfer sheet work under it with not one violation (the browser reports each refused
script, style, worker, image or connection as a ``securitypolicyviolation`` event)."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.e2e

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(
  `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile || ''}:${e.lineNumber || ''}`));
"""


def open_recording(browser, url, **viewport):
    page = browser.new_page(viewport=viewport or {"width": 1280, "height": 800})
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto(url)
    return page, response, console


def login(server, users, role="operator") -> dict:
    r = httpx.post(f"{server}/api/auth/token", data={"username": users[role], "password": "correct horse"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_the_one_map_page_runs_under_the_strict_policy(server, browser, published):
    page, response, console = open_recording(browser, server + "/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp and "frame-ancestors 'none'" in csp
    page.wait_for_function("() => document.body.dataset.mapReady === '1'", timeout=60_000)
    page.wait_for_function(
        "() => window.riskmap.map.loaded() && window.riskmap.map.areTilesLoaded()", timeout=60_000
    )
    # computed colours reach the legend and the summary through the CSSOM (no style attributes)
    swatch = page.locator("#legend rm-swatch").first
    assert swatch.evaluate("e => getComputedStyle(e).backgroundColor") not in ("", "rgba(0, 0, 0, 0)")
    chip = page.locator("#summary .chip rm-swatch").first
    assert chip.evaluate("e => getComputedStyle(e).backgroundColor") not in ("", "rgba(0, 0, 0, 0)")
    page.mouse.click(640, 400)  # a township panel or a popup: more computed styles
    page.wait_for_timeout(500)
    assert page.evaluate("window.__csp") == [] and console == []
    # and the recorder does see a violation: an inline style attribute is refused
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<b style=\"color:red\">x</b>')")
    page.wait_for_function("() => window.__csp.length === 1")
    assert page.evaluate("window.__csp")[0].startswith("style-src")


def test_the_ack_page_and_the_transfer_sheet_run_under_the_strict_policy(
    server, browser, users, engine, data_dir, published
):
    from backend.config import Settings
    from backend.dispatch.queue import runtime_secret
    from backend.warnings.acks import ack_token

    h = login(server, users)
    with engine.connect() as c:
        code = c.execute(sa.text("SELECT code FROM township ORDER BY code LIMIT 1")).scalar()
    r = httpx.post(
        f"{server}/api/warnings", json={"hazard": "rain", "level": 3, "township_codes": [code]}, headers=h
    )
    assert r.status_code == 201, r.text
    wid = r.json()["id"]
    assert httpx.post(f"{server}/api/warnings/{wid}/issue", headers=h).status_code == 200
    with engine.connect() as c:
        delivery = c.execute(
            sa.text("SELECT min(id) FROM delivery WHERE warning_id = :w AND channel <> 'broadcast'"),
            {"w": wid},
        ).scalar()
    try:
        token = ack_token(runtime_secret(Settings(data_dir=data_dir)), delivery)

        page, response, console = open_recording(browser, f"{server}/ack/{token}", width=375, height=740)
        assert response.headers["referrer-policy"] == "no-referrer"
        band = page.locator(".band")
        assert band.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 140, 0)"  # orange
        assert page.locator("#ack").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(10, 122, 50)"
        page.click("#ack")
        page.wait_for_selector("#done")
        assert page.evaluate("window.__csp") == [] and console == []

        plan = httpx.post(
            f"{server}/api/evacuation/plans", json={"run_id": published.run_id}, headers=h, timeout=120
        ).json()
        sheet = httpx.get(f"{server}/api/evacuation/plans/{plan['id']}/sheet", headers=h)
        assert "'sha256-" in sheet.headers["content-security-policy"]
        page, _, console = open_recording(browser, "about:blank")
        page.set_extra_http_headers(h)
        page.goto(f"{server}/api/evacuation/plans/{plan['id']}/sheet")
        head = page.locator("th").first
        # styled by the sheet's own stylesheet (the header table's cells are #f4f4f4, the rows' #eee)
        styled = ("rgb(244, 244, 244)", "rgb(238, 238, 238)")
        assert head.evaluate("e => getComputedStyle(e).backgroundColor") in styled
        assert page.evaluate("window.__csp") == [] and console == []
    finally:  # no warning left behind for the tests after this one (tiles show them)
        with engine.begin() as c:
            c.execute(sa.text("TRUNCATE outbox, delivery, warning_township, warning CASCADE"))
            c.execute(sa.text("DELETE FROM procrastinate_jobs"))
