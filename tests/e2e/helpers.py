"""Small helpers shared by the browser tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.support import DEMO_PASSWORD


def log_in(page: Page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(base_url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("form.stack button[type=submit]").click()


def log_in_speaking(page: Page, base_url: str, username: str, language: str) -> None:
    """Logged in with the page in `language`: chosen every time, since an account keeps the
    language an earlier test may have chosen."""
    log_in(page, base_url, username)
    if page.locator("html").get_attribute("lang") != language:
        page.locator(f".language-switcher button[lang={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def serious_violations(page: Page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def wait_for_service_worker_control(page: Page) -> None:
    page.evaluate("() => navigator.serviceWorker.ready")
    # clients.claim() hands this page to the worker once it activates; a page whose navigation
    # was under way at that moment is controlled from its next load, as in real use.
    expect(page.locator("html")).to_be_attached()
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.wait_for_timeout(300)
        if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
            page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=10_000)


def until(page: Page, condition: Callable[[], object], timeout: float = 20.0, message: str = "") -> object:
    """Polls a Python-side condition while letting Playwright run route handlers and events;
    fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message or 'condition not met in time'} (last: {value!r})")
        page.wait_for_timeout(50)


def poll(page: Page, script: str, timeout: float = 20.0, message: str = "") -> object:
    """Evaluates `script` (it may be async) until it answers something truthy.
    `page.wait_for_function` would take an async function's promise as truthy at once and not
    wait at all."""
    return until(page, lambda: page.evaluate(script), timeout, message or script)
