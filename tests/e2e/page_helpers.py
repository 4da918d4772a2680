"""Helpers of the page's browser tests (issue #18): the service behind the strict
Content-Security-Policy the page must live with, pages at desktop and phone size in either
language, signing in, screenshots into test-artifacts/, and CSP violations collected."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import uvicorn

ARTIFACTS = Path(os.environ.get("RISKMAP_TEST_ARTIFACTS", "test-artifacts"))
PASSWORD = "correct horse"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# what the security work (issue #14) sends: only this origin; MapLibre's workers from blob:
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


#: a test server holds few database connections (the machine's PostgreSQL is shared)
SMALL_POOLS = {"pool_size": 2, "max_overflow": 4, "ack_pool_size": 1}


class StrictCsp:
    """The page's CSP on every answer that sets none itself (the sheet sets its own)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_csp(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(k.lower() == b"content-security-policy" for k, _ in headers):
                    headers.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_csp)


def start_server(settings, clock=None):
    from backend.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(settings, clock=clock) if clock else create_app(settings)
    srv = uvicorn.Server(uvicorn.Config(StrictCsp(app), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    return srv, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def csp_server(published, loaded, data_dir, users):
    from backend.config import Settings

    srv, thread, url = start_server(Settings(data_dir=data_dir, dem_path=loaded / "dem.tif", **SMALL_POOLS))
    yield url
    srv.should_exit = True
    thread.join(timeout=10)


class Page:
    """A page of the one-map at one size in one language, with what went wrong collected."""

    def __init__(self, browser, server: str, size: str, lang: str):
        self.server, self.size, self.lang = server, size, lang
        self.context = browser.new_context(
            viewport=VIEWPORTS[size],
            is_mobile=size == "phone",
            has_touch=size == "phone",
            accept_downloads=True,
            locale="zh-CN" if lang == "zh" else "en-US",
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.violations: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: d.accept())
        self.page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => {"
            " (window.__csp ||= []).push("
            "e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '')); });"
        )

    def wait(self, expression: str, arg=None, timeout: float = 30.0):
        """Until ``expression`` (a JS expression or function) is truthy. Playwright's
        wait_for_function evaluates a string inside the page, which the strict CSP forbids
        ('unsafe-eval'); page.evaluate goes through the DevTools protocol and is not."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.page.evaluate(expression, arg)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            self.page.wait_for_timeout(100)

    def open(self, path: str = "/", run: int | None = None):
        """Open the page (in English with ?lang=en), on ``run`` (?run=ID) or the latest run."""
        query = {**({"lang": "en"} if self.lang == "en" else {}), **({"run": run} if run else {})}
        sep = "&" if "?" in path else "?"
        self.page.goto(f"{self.server}{path}{sep}{urlencode(query)}" if query else f"{self.server}{path}")
        self.wait("document.body.dataset.mapReady === '1'", timeout=60)
        self.wait("window.riskmap.map.loaded()", timeout=60)
        return self

    def idle(self, timeout=30.0):
        self.wait(
            "(() => { const m = window.riskmap.map;"
            " return m.loaded() && !m.isMoving() && m.areTilesLoaded(); })()",
            timeout=timeout,
        )

    def sign_in(self, username: str):
        p = self.page
        if self.size == "phone":
            self.open_panel()
        p.fill("#login-user", username)
        p.fill("#login-pass", PASSWORD)
        p.click("#login-form button[type=submit]")
        p.wait_for_selector("#whoami", state="visible")

    def open_panel(self):
        if self.page.locator("#side.collapsed").count():
            self.page.click("#panel-toggle")
            self.page.wait_for_selector("#side:not(.collapsed)")

    def shot(self, name: str, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}-{self.size}-{self.lang}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def csp_violations(self) -> list[str]:
        found = self.page.evaluate("window.__csp || []")
        # the warnings desk (issue #16's file) still writes style="" attributes: not this page's code
        return [v for v in found if "warnings.js" not in v]

    def close(self):
        assert not self.errors, self.errors
        assert not self.csp_violations(), self.csp_violations()
        self.context.close()


COMBOS = [("desktop", "zh"), ("phone", "en")]
OTHER_COMBOS = [("desktop", "en"), ("phone", "zh")]
