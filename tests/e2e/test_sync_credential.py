"""Issue 17, item 4, "done when": a nurse closes the browser offline, reopens it later online and
sees her records arrive without typing her password. The device's own sync credential (issued
at login, sealed in IndexedDB like the records) sends them; the UI still asks for the password.
The admin sees the device and can revoke its credential; a revoked one asks for a login again."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.helpers import log_in, serious_violations, until
from tests.e2e.offline_helpers import fill_visit, outbox_rows, prepare_device, save_visit, server_counts
from tests.support import CHROMIUM, DEMO_PASSWORD, ROOT, cli

SHOTS = ROOT / "test-artifacts" / "devices"
ME_STATUS = """() => fetch("/api/v1/me", {cache: "no-store"}).then((r) => r.status)"""


def _files_contain(root: Path, needle: bytes) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_records_arrive_after_the_browser_was_closed_without_a_password(
    make_server, playwright, tmp_path, browser
):
    server = make_server()
    profile = tmp_path / "profile"

    def open_browser():
        return playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            locale="de-CH",
            viewport={"width": 1024, "height": 768},
        )

    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    prepare_device(page, server)  # logged in: the device got its credential
    assert page.evaluate("() => self.PasserelleOutbox.credentialHolders()") == ["pflege"]
    sealed = page.evaluate(
        """() => self.PasserelleOutbox.getMeta("credentials").then((map) =>
            Object.values(map).map((c) => c.sealed instanceof ArrayBuffer && !("token" in c)))"""
    )
    assert sealed == [True]
    assert "psd_" not in page.evaluate("() => JSON.stringify(Object.assign({}, localStorage))")
    live = server.database.execute(
        "SELECT count(*) FROM device_credential d JOIN user_account u ON u.id = d.user_id "
        "WHERE u.username = 'pflege' AND d.revoked_at IS NULL"
    )
    assert live == [(1,)]

    context.set_offline(True)
    page.goto(f"{server.url}/offline/de/visit")
    fill_visit(page, "Geschlossen Greta")
    save_visit(page)
    assert len(outbox_rows(page)) == 4
    context.close()  # between visits she closes the browser, still offline
    assert _files_contain(profile, b"psd_") == []  # the credential is on disk only sealed
    assert server_counts(server, "Geschlossen Greta")["clients"] == 0

    # Later, back in signal: she opens Passerelle (its start page) and does not log in.
    context = open_browser()
    context.clear_cookies()  # whatever the browser kept, the UI session is gone
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{server.url}/")
    expect(page.locator("#password")).to_be_visible()  # the UI still asks for the password
    until(
        page,
        lambda: server_counts(server, "Geschlossen Greta") == {"clients": 1, "screenings": 1, "referrals": 2},
        20,
        "the records did not arrive by themselves",
    )
    assert page.evaluate(ME_STATUS) == 401  # sent without any session
    sent_by = server.database.execute(
        "SELECT DISTINCT u.username FROM sync_record s JOIN user_account u ON u.id = s.user_id "
        "JOIN client c ON c.id = s.id WHERE c.display_name = 'Geschlossen Greta'"
    )
    assert sent_by == [("pflege",)]
    page.goto(f"{server.url}/offline/de/outbox")
    expect(page.locator("#outbox-empty")).to_be_visible(timeout=15_000)
    expect(page.locator("#outbox-status [data-login]")).to_be_hidden()
    assert outbox_rows(page) == []
    # Nothing says "session ended": the device could send, and still can.
    assert page.evaluate("() => self.PasserelleOutbox.status().then((s) => [s.login, s.credential])") == [
        False,
        True,
    ]

    # The admin sees the device and revokes its credential (a lost tablet).
    admin_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="de-CH")
    admin = admin_context.new_page()
    log_in(admin, server.url, "admin")
    admin.goto(f"{server.url}/admin/devices")
    row = admin.locator("tbody tr").filter(has_text="pflege")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Chrome")
    expect(row.locator("time")).to_have_count(3)  # created, last used, expires
    assert serious_violations(admin) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    admin.screenshot(path=str(SHOTS / "admin-devices-1280.png"), full_page=True)
    admin.set_viewport_size({"width": 360, "height": 740})
    admin.screenshot(path=str(SHOTS / "admin-devices-360.png"), full_page=True)
    button = row.get_by_role("button", name="Widerrufen").bounding_box()
    assert button and button["x"] + button["width"] <= 360  # reachable on a phone without scrolling sideways
    assert admin.evaluate("() => document.documentElement.scrollWidth") <= 360
    admin.set_viewport_size({"width": 1280, "height": 800})
    row.get_by_role("button", name="Widerrufen").click()
    expect(admin.locator(".alert[role=status]")).to_contain_text("widerrufen")
    expect(admin.locator("tbody tr").filter(has_text="pflege")).to_have_count(0)
    admin.screenshot(path=str(SHOTS / "admin-devices-revoked.png"), full_page=True)
    admin_context.close()

    # The next records wait, and the banner asks her to log in: the credential is refused.
    page.goto(f"{server.url}/offline/de/visit")
    fill_visit(page, "Widerrufen Wanda")
    save_visit(page)
    expect(page.locator("#outbox-status [data-login]")).to_be_visible(timeout=15_000)
    assert page.evaluate("() => self.PasserelleOutbox.credentialHolders()") == []
    assert server_counts(server, "Widerrufen Wanda")["clients"] == 0
    context.close()


def test_a_nurse_outside_home_care_asks_once_per_login_and_gets_none(make_server, page):
    server = make_server()
    cli("organisations", "create", "Verein Ohne Hausbesuche", "--type", "support", env=server.env)
    cli(
        "users", "create", "vereinspflege", "--role", "nurse", "--organisation", "Verein Ohne Hausbesuche",
        env=server.env, input=DEMO_PASSWORD + "\n",
    )  # fmt: skip
    asked: list[int] = []
    page.on(
        "response", lambda r: asked.append(r.status) if r.url.endswith("/api/v1/sync/credential") else None
    )
    log_in(page, server.url, "vereinspflege")
    expect(page.locator("body")).to_have_attribute("data-outbox", "ready")
    for _ in range(2):
        page.reload()
        expect(page.locator("body")).to_have_attribute("data-outbox", "ready")
    assert asked == [403]  # refused once, not asked again on every page
    assert page.evaluate("() => self.PasserelleOutbox.credentialHolders()") == []
    assert server.database.execute("SELECT count(*) FROM device_credential") == [(0,)]
