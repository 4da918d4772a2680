"""Item 2 of issue #18 in a real Chromium: the 叫应 ledger per warning, township and person —
sent, delivered, acknowledged, overdue, escalated — with name, role and phone (tel: links),
sortable, the silent first; CSV (UTF-8 with BOM) and print."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import Clock
from tests.e2e import page_helpers
from tests.e2e.page_helpers import COMBOS, PASSWORD, Page

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ledger_server(published, loaded, data_dir, users, engine):
    """A server with a settable clock, and one red warning issued with a few acknowledgements."""
    from backend.config import Settings
    from backend.dispatch.queue import runtime_secret
    from backend.warnings.acks import ack_token

    with engine.begin() as c:
        c.execute(sa.text("TRUNCATE outbox, delivery, warning_township, warning CASCADE"))
        codes = list(c.execute(sa.text("SELECT code FROM township ORDER BY code LIMIT 2")).scalars())
    clock = Clock()
    settings = Settings(data_dir=data_dir, dem_path=loaded / "dem.tif", **page_helpers.SMALL_POOLS)
    srv, thread, url = page_helpers.start_server(settings, clock)
    tok = httpx.post(f"{url}/api/auth/token", data={"username": users["operator"], "password": PASSWORD})
    h = {"Authorization": f"Bearer {tok.json()['access_token']}"}
    d = httpx.post(
        f"{url}/api/warnings", json={"hazard": "rain", "level": 4, "township_codes": codes}, headers=h
    )
    wid = d.json()["id"]
    assert httpx.post(f"{url}/api/warnings/{wid}/issue", headers=h).status_code == 200
    with engine.begin() as c:  # the worker sent them (it does not run here)
        c.execute(
            sa.text("UPDATE delivery SET status = 'sent', sent_at = :t WHERE warning_id = :w"),
            {"w": wid, "t": clock.now},
        )
        ids = list(
            c.execute(
                sa.text(
                    "SELECT id FROM delivery WHERE warning_id = :w AND channel <> 'broadcast' "
                    "ORDER BY id LIMIT 3"
                ),
                {"w": wid},
            ).scalars()
        )
    secret = runtime_secret(settings)
    for i in ids:
        assert httpx.post(f"{url}/api/ack/{ack_token(secret, i)}").status_code == 200
    clock.advance(minutes=20)  # past the red deadline: the silent are overdue
    yield url, wid
    srv.should_exit = True
    thread.join(timeout=10)
    with engine.begin() as c:  # leave no active warning behind for the other page tests
        c.execute(sa.text("TRUNCATE outbox, delivery, warning_township, warning CASCADE"))


@pytest.mark.parametrize(("size", "lang"), COMBOS)
def test_the_ledger_lists_the_silent_first_with_phones(
    ledger_server, browser, users, size, lang, tmp_path, published
):
    url, wid = ledger_server
    p = Page(browser, url, size, lang).open(run=published.run_id)
    page = p.page
    p.sign_in(users["operator"])
    page.click("#open-ledger")
    page.wait_for_selector("table.ledger-persons tr.person")
    assert page.locator("#ledger-warning").input_value() == str(wid)
    summary = page.locator(".ledger-summary")
    assert summary.get_attribute("data-acknowledged") == "3"
    states = page.locator("tr.person").evaluate_all("rows => rows.map(r => r.dataset.state)")
    assert states[0] == "overdue" and states[-3:] == ["acknowledged"] * 3
    assert set(states[:-3]) == {"overdue"}
    towns = page.locator("table.ledger-towns tbody tr")
    assert towns.count() == 2
    tel = page.locator("tr.person a.tel").first
    assert tel.get_attribute("href").startswith("tel:") and tel.inner_text()
    word = "超时未应" if lang == "zh" else "overdue"
    assert page.locator("tr.person .state").first.inner_text() == word
    p.shot("ledger")
    if size == "phone":  # rows as cards, the phone number big enough to tap
        box = tel.bounding_box()
        assert box["height"] >= 18
    # sortable: by name (the column's header on a desk, the sort menu on a phone), then by state
    if size == "desktop":
        page.click('button[data-sort="name"]')
        assert page.locator('button[data-sort="name"]').get_attribute("aria-sort") == "ascending"
    else:
        page.select_option("#ledger-sort", "name")
    names = page.locator("tr.person td:nth-child(4) b").all_inner_texts()
    locale = "zh-CN" if lang == "zh" else "en"
    assert names == page.evaluate("([n, l]) => [...n].sort((a, b) => a.localeCompare(b, l))", [names, locale])
    page.select_option("#ledger-sort", "state")
    assert page.locator("tr.person").first.get_attribute("data-state") == "overdue"
    # one township only
    page.locator("table.ledger-towns button[data-town]").first.click()
    chosen = page.locator("table.ledger-towns tr.chosen").get_attribute("data-township")
    assert chosen and page.locator("tr.person").count() < len(states)
    page.click("#ledger-all")
    # CSV from the signed-in browser (the sign-in cookie), UTF-8 with BOM
    with page.expect_download() as dl:
        page.click("#ledger-csv")
    with open(dl.value.path(), "rb") as fh:
        raw = fh.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == len(states) + 1
    assert rows[0][0] == ("乡镇代码" if lang == "zh" else "township code")
    # print: only the ledger
    page.emulate_media(media="print")
    assert page.locator("#map").is_hidden() and page.locator("table.ledger-persons").is_visible()
    p.shot("ledger-print")
    page.emulate_media(media="screen")
    p.close()
