"""Item 8 of issue #18 in a real Chromium: one language at a time — the page's own words and the
server's messages (problem details through Accept-Language and the page's language cookie)."""

from __future__ import annotations

import re

import pytest

from tests.e2e import page_helpers
from tests.e2e.page_helpers import COMBOS, Page

pytestmark = pytest.mark.e2e
csp_server = page_helpers.csp_server
CJK = re.compile(r"[\u4e00-\u9fff]")


def click_outside_the_county(p: Page):
    box = p.page.locator("#map").bounding_box()
    p.page.mouse.click(box["x"] + box["width"] - 25, box["y"] + 110)
    p.page.locator(".popup.point.error").wait_for(timeout=15_000)
    return p.page.locator(".popup.point.error").inner_text()


@pytest.mark.parametrize(("size", "lang"), COMBOS)
def test_one_language_at_a_time(csp_server, browser, users, size, lang, published):
    p = Page(browser, csp_server, size, lang).open(run=published.run_id)
    page = p.page
    zh = lang == "zh"
    # a server error, in the page's language
    assert ("不在本县范围内" if zh else "outside the county") in click_outside_the_county(p)
    page.keyboard.press("Escape")
    p.open_panel()
    page.fill("#login-user", users["viewer"])
    page.fill("#login-pass", "not the password")
    page.click("#login-form button[type=submit]")
    said = "用户名或密码错误" if zh else "wrong username or password"
    p.wait(f"document.getElementById('warn-status').textContent.includes({said!r})")
    if not zh:  # the page's own words: no Chinese outside place names
        for sel in ("#topbar h1", "#asof", "#legend", "#toggles", "#map-stamp .computed", "#summary"):
            assert not CJK.search(page.locator(sel).inner_text()), (sel, page.locator(sel).inner_text())
    p.shot("language")
    # switch: everything follows, the server included (the language cookie)
    page.click("#lang-toggle")
    other = "en" if zh else "zh"
    assert page.evaluate("document.documentElement.lang") == ("en" if zh else "zh-CN")
    assert f"riskmap_lang={other}" in page.evaluate("document.cookie")
    assert page.locator("#topbar h1").inner_text() == ("Risk one-map" if zh else "风险一张图")
    page.fill("#login-pass", "still not the password")
    page.click("#login-form button[type=submit]")
    said2 = "wrong username or password" if zh else "用户名或密码错误"
    p.wait(f"document.getElementById('warn-status').textContent.includes({said2!r})")
    if zh:
        for sel in ("#topbar h1", "#asof", "#legend", "#toggles", "#map-stamp .computed"):
            assert not CJK.search(page.locator(sel).inner_text()), (sel, page.locator(sel).inner_text())
    assert ("outside the county" if zh else "不在本县范围内") in click_outside_the_county(p)
    p.close()
