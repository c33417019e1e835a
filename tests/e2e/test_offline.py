"""Journey 1, "home visit, offline", in a real Chromium against a real server: the screening is
saved into the encrypted outbox, survives a closed browser, and arrives exactly once."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in, serious_violations, until
from tests.e2e.offline_helpers import (
    fill_visit,
    outbox_rows,
    prepare_device,
    save_visit,
    server_counts,
    wait_until_sent,
)
from tests.support import CHROMIUM


def _files_contain(root: Path, needle: bytes) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_three_visits_with_the_server_gone_survive_a_restart_and_arrive_once(
    make_server, playwright, tmp_path
):
    server = make_server()
    profile = tmp_path / "profile"

    def open_browser():
        return playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            locale="de-CH",
            viewport={"width": 800, "height": 1000},
        )

    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    prepare_device(page, server)
    server.stop()  # the farmhouse: no server to reach

    for number in range(3):
        page.goto(f"{server.url}/offline/de/visit")
        fill_visit(page, f"Muster Verena {number}")
        save_visit(page)
    expect(page.locator("#outbox-status [data-waiting]")).to_have_text("3 Besuche warten auf Übertragung")
    context.close()

    # The tablet restarts: the records are still there, sealed; no client name on disk in clear.
    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{server.url}/offline/de/outbox")
    expect(page.locator("#outbox-list")).to_have_attribute("data-ready", "true")
    rows = outbox_rows(page)
    assert sorted(r["type"] for r in rows) == ["client"] * 3 + ["referral"] * 6 + ["screening"] * 3
    assert all(r["sealed"] and r["state"] == "pending" for r in rows)
    expect(page.locator(".outbox-record")).to_have_count(12)
    expect(page.locator(".outbox-visit")).to_have_count(3)  # one line per visit
    assert _files_contain(profile, b"Muster Verena") == []
    assert server_counts(server, "Muster Verena") == {"clients": 0, "screenings": 0, "referrals": 0}

    server.start()  # back in signal, on the same address
    page.goto(f"{server.url}/offline/de/outbox")
    # The restart ended the browser session; the device's own sync credential (issue 17, item 4)
    # sends it all without a login.
    expect(page.locator("#outbox-empty")).to_be_visible(timeout=15_000)
    expect(page.locator("#outbox-status [data-login]")).to_be_hidden()
    assert outbox_rows(page) == []
    assert server_counts(server, "Muster Verena") == {"clients": 3, "screenings": 3, "referrals": 6}
    context.close()


def test_offline_visit_in_french_syncs_when_the_connection_returns(make_server, page: Page):
    server = make_server()
    prepare_device(page, server, "soins", "fr")
    page.context.set_offline(True)
    page.goto(f"{server.url}/offline/fr/visit")
    expect(page.locator("#outbox-status [data-offline]")).to_be_visible()
    fill_visit(page, "Rossel Jeanne", municipality="446")  # Tramelan
    save_visit(page)
    expect(page.locator("#outbox-status [data-waiting]")).to_have_text("1 visite en attente d’envoi")
    # Headless Chromium does not grant persistent storage: the nurse is told to send soon.
    expect(page.locator("#persist-note")).to_be_visible()
    assert serious_violations(page) == []
    assert server_counts(server, "Rossel Jeanne")["screenings"] == 0

    page.context.set_offline(False)  # the online event sends at once
    wait_until_sent(page)
    expect(page.locator("#outbox-status")).to_be_hidden()
    assert server_counts(server, "Rossel Jeanne") == {"clients": 1, "screenings": 1, "referrals": 2}
    # The referrals are real ones: the nurse sees them in her list like online-made ones.
    page.goto(f"{server.url}/referrals")
    expect(page.get_by_text("Rossel Jeanne").first).to_be_visible()


def test_a_rejected_record_stays_with_its_reason_and_syncs_after_correction(make_server, page: Page):
    server = make_server()
    prepare_device(page, server)
    page.context.set_offline(True)
    fill_visit(page, "Zu lang " + "x" * 80)  # the server allows 80 characters, the page more
    save_visit(page)
    page.goto(f"{server.url}/offline/de/visit")
    fill_visit(page, "Muster Hans")
    save_visit(page)
    page.context.set_offline(False)

    # The good visit arrives; the bad client is refused, and the screening and referrals that
    # depend on it wait with it instead of being lost.
    page.goto(f"{server.url}/offline/de/outbox")
    # One line for the visit (initials only), the refused record under it with the reason.
    visit = page.locator(".outbox-visit[data-state=rejected]")
    expect(visit).to_have_count(1, timeout=15_000)
    expect(visit.locator(".outbox-visit-title")).to_have_text(
        "Besuch bei Z. L. X. – nicht angenommen – bitte prüfen"
    )
    expect(page.locator("main")).not_to_contain_text("Zu lang")
    assert server_counts(server, "Muster Hans") == {"clients": 1, "screenings": 1, "referrals": 2}
    assert {r["state"] for r in outbox_rows(page)} == {"rejected"}
    client = visit.locator(".outbox-record[data-state=rejected]").filter(has_text="Klient")
    expect(client.locator(".outbox-error")).to_have_text("Bitte prüfen Sie die markierten Felder.")
    expect(client.locator(".outbox-fields .field-error")).to_have_text("Höchstens 80 Zeichen.")
    expect(page.locator("#outbox-status [data-rejected]")).to_contain_text("nicht angenommen")
    assert serious_violations(page) == []

    client.get_by_label("Name oder Initialen").fill("Zu lang korrigiert")
    client.get_by_role("button", name="Korrektur speichern und übertragen").click()
    expect(page.locator("#outbox-empty")).to_be_visible(timeout=15_000)
    assert server_counts(server, "Zu lang korrigiert") == {"clients": 1, "screenings": 1, "referrals": 2}


def test_a_waiting_record_is_locked_and_a_failing_server_keeps_it(make_server, page: Page):
    server = make_server()
    prepare_device(page, server)
    # One handler for the whole test (it also sees the worker's requests): no gap between modes.
    mode = {"now": "503"}
    seen: list[str] = []

    def server_trouble(route):
        seen.append(mode["now"])
        if mode["now"] == "503":
            route.fulfill(status=503, body="busy")
        elif mode["now"] == "timeout":
            route.abort("timedout")
        else:
            route.continue_()

    page.context.route("**/api/v1/sync", server_trouble)
    fill_visit(page, "Muster Anna")
    save_visit(page)
    page.goto(f"{server.url}/offline/de/outbox")
    expect(page.locator("#outbox-list")).to_have_attribute("data-ready", "true")
    page.locator("[data-sync-now]").click()
    until(page, lambda: "503" in seen and {r["state"] for r in outbox_rows(page)} == {"pending"})
    expect(page.locator(".outbox-record")).to_have_count(4)
    # Waiting records cannot be edited: there is no correction form for them.
    expect(page.locator(".outbox-fix:visible")).to_have_count(0)
    assert server_counts(server, "Muster Anna")["clients"] == 0

    mode["now"] = "timeout"
    page.locator("[data-sync-now]").click()
    until(page, lambda: "timeout" in seen and {r["state"] for r in outbox_rows(page)} == {"pending"})
    expect(page.locator(".outbox-record")).to_have_count(4)
    assert server_counts(server, "Muster Anna")["clients"] == 0

    mode["now"] = "pass"
    page.reload()  # the app's start sends what waits, whatever the backoff says
    expect(page.locator("#outbox-empty")).to_be_visible(timeout=15_000)
    assert server_counts(server, "Muster Anna") == {"clients": 1, "screenings": 1, "referrals": 2}


def test_an_expired_session_asks_for_a_login_and_keeps_the_records(make_server, page: Page):
    server = make_server()
    prepare_device(page, server)
    page.context.set_offline(True)
    fill_visit(page, "Muster Klara")
    save_visit(page)
    page.context.clear_cookies()  # the session ended while she was away
    server.database.execute(
        "UPDATE device_credential SET revoked_at = created_at"
    )  # and the device's credential
    page.context.set_offline(False)
    login_note = page.locator("#outbox-status [data-login]")
    expect(login_note).to_be_visible(timeout=15_000)
    assert len(outbox_rows(page)) == 4

    login_note.get_by_role("link").click()
    log_in(page, server.url, "pflege")
    expect(page.locator("body")).to_have_attribute("data-outbox", "ready")
    wait_until_sent(page)
    expect(page.locator("#outbox-status")).to_be_hidden()
    assert server_counts(server, "Muster Klara") == {"clients": 1, "screenings": 1, "referrals": 2}


def test_logging_out_with_unsent_records_asks_and_keeps_them(make_server, page: Page):
    server = make_server()
    prepare_device(page, server)
    page.context.set_offline(True)
    fill_visit(page, "Muster Lea")
    save_visit(page)
    page.goto(f"{server.url}/")  # the worker answers with the offline page
    page.context.set_offline(False)
    page.context.route("**/api/v1/sync", lambda route: route.fulfill(status=503))
    page.goto(f"{server.url}/")
    page.get_by_role("button", name="Abmelden").click()
    dialog = page.locator("#logout-unsent")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("1 Besuch auf diesem Gerät wurde noch nicht übertragen.")
    dialog.get_by_role("button", name="Trotzdem abmelden").click()
    expect(page).to_have_url(re.compile(r"/login"))
    assert len(outbox_rows(page)) == 4  # never wiped without a word

    page.context.unroute("**/api/v1/sync")
    log_in(page, server.url, "pflege")
    expect(page.locator("body")).to_have_attribute("data-outbox", "ready")
    wait_until_sent(page)
    assert server_counts(server, "Muster Lea")["referrals"] == 2


def test_todays_visits_and_the_draft(make_server, page: Page):
    """A known client taken along for today; the draft survives a closed tab."""
    server = make_server()
    log_in(page, server.url, "pflege")
    page.get_by_role("navigation").get_by_role("link", name="Klientinnen und Klienten").click()
    page.get_by_role("link", name="H. M.").click()
    page.get_by_role("button", name=re.compile("Für die heutigen Besuche mitnehmen")).click()
    expect(page.locator("#take-along-note")).to_have_text(
        "Für 24 Stunden verschlüsselt auf diesem Gerät gespeichert."
    )
    client_id = page.url.rsplit("/", 1)[1]
    before = server.database.execute("SELECT COUNT(*) FROM screening WHERE client_id = :c", c=client_id)[0][0]
    prepare_device(page, server, logged_in=True)

    page.context.set_offline(True)
    page.goto(f"{server.url}/offline/de/visit")
    expect(page.locator("#visit")).to_have_attribute("data-ready", "true")
    page.get_by_label(re.compile(r"^H\. M\., ")).check()
    expect(page.locator("#new-client")).to_be_hidden()
    page.locator("#q-ucla-companionship input[type=radio]").nth(2).check()
    # A closed tab keeps the draft: a new tab restores it.
    page.wait_for_timeout(400)
    second = page.context.new_page()
    page.close()
    second.goto(f"{server.url}/offline/de/visit")
    expect(second.locator("#visit-restored")).to_be_visible()
    expect(second.locator("#q-ucla-companionship input[type=radio]").nth(2)).to_be_checked()
    expect(second.get_by_label(re.compile(r"^H\. M\., "))).to_be_checked()
    for item in ("ucla-left-out", "ucla-isolated"):
        second.locator(f"#q-{item} input[type=radio]").nth(2).check()
    second.locator("#needs fieldset").first.locator("input[name=offer]:not([disabled])").first.check()
    second.locator("#confirmed").check()
    save_visit(second)
    assert serious_violations(second) == []

    second.context.set_offline(False)
    wait_until_sent(second)
    after = server.database.execute("SELECT COUNT(*) FROM screening WHERE client_id = :c", c=client_id)[0][0]
    assert after == before + 1
    # Her screening is on the server: the offline copy of her data is gone from the device.
    assert second.evaluate("() => self.PasserelleOutbox.visitIds()") == []
    # A client taken along yesterday is gone after 24 hours, even without a screening.
    expired = second.evaluate(
        """async () => {
            const outbox = self.PasserelleOutbox;
            await outbox.keepVisit({ id: "yesterday", display_name: "Alt", birth_year: 1930, municipality: 902, language: "de" });
            const kept = await outbox.visitIds();
            const db = await new Promise((ok, fail) => {
                const request = indexedDB.open("passerelle");
                request.onsuccess = () => ok(request.result);
                request.onerror = () => fail(request.error);
            });
            await new Promise((ok) => {
                const tx = db.transaction("visits", "readwrite");
                const store = tx.objectStore("visits");
                store.get("yesterday").onsuccess = (event) => store.put({ ...event.target.result, expires: Date.now() - 1 });
                tx.oncomplete = ok;
            });
            db.close();
            return [kept, await outbox.visitIds()];
        }"""
    )
    assert expired == [["yesterday"], []]


def test_offline_pages_are_served_by_the_worker_without_network(make_server, page: Page):
    server = make_server()
    prepare_device(page, server)
    page.goto(f"{server.url}/offline/fr/outbox")  # both languages were precached
    page.context.set_offline(True)
    for path in ("/offline/de/visit", "/offline/fr/visit", "/offline/de/outbox"):
        response = page.goto(server.url + path)
        assert response is not None and response.from_service_worker, path
    page.goto(f"{server.url}/offline/fr/visit")
    expect(page.locator("#visit")).to_have_attribute("data-ready", "true")
    expect(page.get_by_role("heading", level=1)).to_have_text("Évaluation sans réseau")
    # Offers come from the precached snapshot: Tramelan in French has offers for loneliness.
    fill_visit(page, "Essai", municipality="446", offers=1)
    assert page.locator("#needs input[name=offer]").count() > 0
    assert serious_violations(page) == []
