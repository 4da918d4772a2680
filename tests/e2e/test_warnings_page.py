"""The operator's warning panel in a real Chromium: sign in, propose from the run, issue, watch the
叫应 progress bars move as people acknowledge, see the warned township on the map, cancel."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

ARTIFACTS = Path(os.environ.get("RISKMAP_TEST_ARTIFACTS", "test-artifacts"))
pytestmark = pytest.mark.e2e


def test_an_operator_issues_a_warning_and_sees_acknowledgements_arrive(
    server, browser, users, engine, data_dir
):
    from backend.config import Settings
    from backend.dispatch.queue import runtime_secret
    from backend.warnings.acks import ack_token

    with engine.begin() as c:
        c.execute(sa.text("TRUNCATE outbox, delivery, warning_township, warning CASCADE"))
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: d.accept())
    page.goto(server)
    page.wait_for_function("() => document.body.dataset.mapReady === '1'", timeout=60_000)
    assert page.locator("#active-warnings").inner_text().strip() == "无生效预警"
    assert page.locator("#operator-tools").is_hidden()

    page.fill("#login-user", users["operator"])
    page.fill("#login-pass", "wrong password")
    page.click("#login-form button[type=submit]")
    # the server's message, in the page's language (Chinese): issue #18
    page.wait_for_function(
        "() => document.getElementById('warn-status').textContent.includes('用户名或密码错误')"
    )
    page.fill("#login-pass", "correct horse")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#operator-tools", state="visible")

    page.select_option("#propose-level", "4")
    page.click("#propose")
    page.wait_for_selector("#draft-list li.draft")
    drafts = page.locator("#draft-list li.draft")
    n_drafts = drafts.count()
    assert n_drafts > 0
    first = drafts.first
    assert "红色预警" in first.locator("[data-field=headline]").input_value()
    first.locator("button[data-act=issue]").click()
    page.wait_for_selector("#active-warnings li.warning .progress")
    assert page.locator("#draft-list li.draft").count() == n_drafts - 1
    progress = page.locator("#active-warnings .progress").first
    warning_id = int(progress.get_attribute("data-warning"))
    recipients = int(progress.get_attribute("data-recipients"))
    assert recipients > 0 and progress.get_attribute("data-acknowledged") == "0"

    secret = runtime_secret(Settings(data_dir=data_dir))
    with engine.connect() as c:
        ids = c.execute(
            sa.text(
                "SELECT id FROM delivery WHERE warning_id = :w AND channel <> 'broadcast' ORDER BY id LIMIT 3"
            ),
            {"w": warning_id},
        ).scalars()
        links = [ack_token(secret, i) for i in ids]
    for token in links:
        assert httpx.post(f"{server}/api/ack/{token}").status_code == 200
    # the bars follow without a reload (the panel polls)
    page.wait_for_function(
        f"() => document.querySelector('.progress[data-warning=\"{warning_id}\"]')"
        "?.dataset.acknowledged === '3'",
        timeout=15_000,
    )
    width = page.locator(".progress .acknowledged .bar > span").first.evaluate("e => e.style.width")
    assert width == f"{round(300 / recipients)}%"
    # the warned township is outlined in red on the map
    page.wait_for_function(
        """() => window.riskmap.map.querySourceFeatures('townships', {sourceLayer: 'townships'})
                 .some(f => f.properties.warning_level === 4)""",
        timeout=20_000,
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "warnings-panel.png"))

    # the mobile acknowledgement page, on a phone-sized screen, one big button
    with engine.connect() as c:
        last = c.execute(
            sa.text("SELECT max(id) FROM delivery WHERE warning_id = :w AND channel <> 'broadcast'"),
            {"w": warning_id},
        ).scalar()
    phone = browser.new_page(viewport={"width": 375, "height": 740})
    phone.goto(f"{server}/ack/{ack_token(secret, last)}")
    button = phone.locator("#ack")
    box = button.bounding_box()
    assert box["width"] > 300 and box["height"] > 60
    button.click()
    phone.wait_for_selector("#done")
    phone.screenshot(path=str(ARTIFACTS / "ack-page.png"))

    page.locator("#active-warnings button[data-act=cancel]").first.click()
    page.wait_for_function(
        "() => document.getElementById('active-warnings').textContent.includes('无生效预警')"
    )
    assert errors == []
