"""Item 6 of issue #18 in a real Chromium: the admin page — users (add with role and scope,
disable: "account disabled" at sign-in), responsible persons (add, edit), the audit log (filter by
who, what, when; export as CSV with BOM)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.e2e import page_helpers
from tests.e2e.page_helpers import COMBOS, PASSWORD, Page

pytestmark = pytest.mark.e2e
csp_server = page_helpers.csp_server


@pytest.mark.parametrize(("size", "lang"), COMBOS)
def test_an_admin_manages_users_people_and_reads_the_audit_log(
    csp_server, browser, users, engine, size, lang, published
):
    with engine.connect() as c:
        town = c.execute(sa.text("SELECT code FROM township ORDER BY code LIMIT 1 OFFSET 3")).scalar()
    p = Page(browser, csp_server, size, lang).open(run=published.run_id)
    page = p.page
    p.sign_in(users["admin"])
    page.click("#open-admin")
    page.wait_for_selector("table.admin-table.users")
    # add a user for one township, then disable them
    name = f"t-page-{size}"
    form = page.locator("#user-add")
    form.locator("input[name=username]").fill(name)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("select[name=role]").select_option("operator")
    form.locator("select[name=scope]").select_option(town)
    form.locator("button[type=submit]").click()
    row = page.locator(f'tr[data-user="{name}"]')
    row.wait_for()
    assert row.locator("select[data-field=scope]").input_value() == town
    row.locator("input[data-field=active]").uncheck()
    page.wait_for_selector(f'tr[data-user="{name}"].inactive')
    assert ("已停用" if lang == "zh" else "disabled") in page.locator("#admin-status").inner_text()
    p.shot("admin-users")
    # responsible persons: a township's, edit one's phone, add one
    page.click('button[data-tab="recipients"]')
    page.select_option("#recipient-town", town)
    page.wait_for_selector("table.recipients tr[data-code]")
    first = page.locator("table.recipients tbody tr[data-code]").first
    code = first.get_attribute("data-code")
    first.locator("button[data-act=edit]").click()
    editing = page.locator(f'tr.editing[data-code="{code}"]')
    phone = "13900001234" if size == "desktop" else "13900005678"
    editing.locator("input[data-field=phone]").fill(phone)
    editing.locator("button[data-act=save]").click()
    page.wait_for_selector(f'tr[data-code="{code}"]:not(.editing)')
    assert phone in page.locator(f'tr[data-code="{code}"]').inner_text()
    add = page.locator("#recipient-add")
    new_code = f"T-PAGE-{size}"
    add.locator("input[name=code]").fill(new_code)
    add.locator("input[name=name]").fill("测试责任人")
    add.locator("select[name=role]").select_option("township_leader")
    add.locator("input[name=phone]").fill("13900009999")
    add.locator("button[type=submit]").click()
    page.wait_for_selector(f'tr[data-code="{new_code}"]')
    p.shot("admin-recipients")
    # the audit log: what was just done, filtered; exported
    page.click('button[data-tab="audit"]')
    page.wait_for_selector("table.audit tbody tr")
    page.fill("#audit-filter input[name=what]", "recipient.update")
    page.fill("#audit-filter input[name=who]", users["admin"])
    page.click("#audit-filter button[type=submit]")
    p.wait(
        "(() => { const rs = [...document.querySelectorAll('table.audit tbody tr')];"
        " return rs.length > 0 && rs.every(r => r.dataset.action === 'recipient.update'); })()"
    )
    assert phone in page.locator("table.audit").inner_text()
    p.shot("admin-audit")
    with page.expect_download() as dl:
        page.click("#audit-csv")
    with open(dl.value.path(), "rb") as fh:
        raw = fh.read()
    assert raw.startswith(b"\xef\xbb\xbf") and phone.encode() in raw
    p.close()
    # the disabled user is told so, in the page's language
    q = Page(browser, csp_server, size, lang).open(run=published.run_id)
    if size == "phone":
        q.open_panel()
    q.page.fill("#login-user", name)
    q.page.fill("#login-pass", PASSWORD)
    q.page.click("#login-form button[type=submit]")
    told = "该账户已停用，请联系管理员。" if lang == "zh" else "this account is disabled"
    q.wait(f"document.getElementById('warn-status').textContent.includes({told!r})")
    q.close()
