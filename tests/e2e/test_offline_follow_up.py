"""A follow-up recorded during a home visit without network (issue 19): the nurse takes the
client with a due follow-up along, records it offline from the precached follow-up form, and it
arrives on the server once the tablet is online again."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from tests.api.test_followups import _follow_ups, _helped, _make_due_now
from tests.e2e.helpers import log_in, serious_violations
from tests.e2e.offline_helpers import outbox_rows, prepare_device, wait_until_sent
from tests.support import cli


def _taken_along_when_due(server, page: Page, name: str) -> tuple[str, str]:
    """A client whose referral closed with help started, her follow-up due now, taken along by
    the logged-in nurse for today's visits. Returns (client id, follow-up id)."""
    token = cli("tokens", "create", "--user", "pflege", "--name", "e2e-fu", env=server.env).stdout.strip()
    client_id, follow_up_id = _helped(server, token, name)
    _make_due_now(server, follow_up_id)
    log_in(page, server.url, "pflege")
    page.goto(f"{server.url}/clients/{client_id}")
    page.get_by_role("button", name=re.compile("Für die heutigen Besuche mitnehmen")).click()
    expect(page.locator("#take-along-note")).to_have_text(
        "Für 24 Stunden verschlüsselt auf diesem Gerät gespeichert."
    )
    return client_id, follow_up_id


def test_a_due_follow_up_is_recorded_offline_and_synced(make_server, page: Page):
    server = make_server()
    client_id, follow_up_id = _taken_along_when_due(server, page, "N. F.")
    page.goto(f"{server.url}/")
    expect(page.get_by_text("Nachfrage fällig: N. F., seit 3 Tagen")).to_be_visible()
    page.goto(f"{server.url}/offline/de/follow-up")  # precached with the other offline pages
    prepare_device(page, server, logged_in=True)

    page.context.set_offline(True)
    page.goto(f"{server.url}/offline/de/visit")
    link = page.get_by_role("link", name="Nachfrage fällig (Einsamkeit und soziale Isolation)")
    expect(link).to_be_visible()
    link.click()
    form = page.locator("#follow-up")
    expect(form).to_have_attribute("data-ready", "true")
    expect(page.locator("#follow-up-client")).to_have_text("N. F. · Einsamkeit und soziale Isolation")
    # The repeated questions of this follow-up's need only, each naming it.
    expect(page.locator('[id="q-need-change:loneliness"] legend')).to_contain_text(
        "Einsamkeit und soziale Isolation: "
    )
    expect(page.locator('[id="q-need-change:housing"]')).to_be_hidden()
    page.locator('[id="i-need-change:loneliness-better"]').check()
    page.locator('[id="i-offer-use:loneliness-using"]').check()
    page.locator('[id="i-what-helped:loneliness"]').fill("Besuchsdienst")
    expect(page.locator("#q-ons4-happy")).to_be_hidden()  # only with the client's agreement
    page.locator("#i-wellbeing-consent-yes").check()
    expect(page.locator("#q-ons4-happy")).to_be_visible()  # the scale items, drawn as online
    for item, value in (("ons4-life-satisfaction", "7"), ("ons4-worthwhile", "6"), ("ons4-happy", "8")):
        page.locator(f"#i-{item}-{value}").check()
    page.locator("#i-new-needs-false").check()
    page.locator("#follow-up button[type=submit]").click()
    expect(page.locator("#follow-up-saved")).to_be_visible()
    assert serious_violations(page) == []
    assert [(r["type"], r["state"]) for r in outbox_rows(page)] == [("follow_up", "pending")]
    assert _follow_ups(server, client_id)[0][4] == "due"
    # Saved: the visit page no longer offers it.
    page.goto(f"{server.url}/offline/de/visit")
    expect(page.locator("#visit")).to_have_attribute("data-ready", "true")
    expect(page.locator("a.follow-up-due")).to_have_count(0)

    page.context.set_offline(False)  # the online event sends at once
    wait_until_sent(page)
    row = _follow_ups(server, client_id)[0]
    assert row[4] == "done"
    answers = row[7] if isinstance(row[7], dict) else json.loads(row[7])
    assert answers["need-change:loneliness"] == "better" and answers["ons4-happy"] == "8"
    assert answers["new-needs"] is False
    page.goto(f"{server.url}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text("Nachfrage fällig: N. F.")).to_have_count(0)


def test_a_follow_up_skipped_offline_but_done_meanwhile_stays_rejected_with_its_reason(
    make_server, page: Page
):
    server = make_server()
    client_id, follow_up_id = _taken_along_when_due(server, page, "N. G.")
    prepare_device(page, server, logged_in=True)

    page.context.set_offline(True)
    page.goto(f"{server.url}/offline/de/visit")
    page.get_by_role("link", name=re.compile("^Nachfrage fällig")).click()
    expect(page.locator("#follow-up")).to_have_attribute("data-ready", "true")
    page.get_by_role("button", name="Nachfrage auslassen").click()
    expect(page.locator("#skip-error")).to_be_visible()  # a reason first
    page.get_by_label("Die Person ist weggezogen").check()
    page.get_by_role("button", name="Nachfrage auslassen").click()
    expect(page.locator("#follow-up-saved")).to_be_visible()
    # Meanwhile a colleague recorded it online.
    server.database.execute("UPDATE follow_up SET status = 'done' WHERE id = :f", f=follow_up_id)

    page.context.set_offline(False)
    page.goto(f"{server.url}/offline/de/outbox")
    record = page.locator(".outbox-record[data-state=rejected]")
    expect(record).to_be_visible(timeout=15000)
    expect(record.locator(".outbox-title")).to_have_text("Nachfrage")
    expect(record.locator(".outbox-error")).to_have_text(
        "Diese Nachfrage ist bereits erfasst oder ausgelassen."
    )
    # Nothing to correct: it can only be discarded.
    expect(record.get_by_role("link", name="Nachfrage korrigieren")).to_have_count(0)
    expect(record.locator("button[type=submit]")).to_have_count(0)
    expect(record.get_by_role("button", name="Diesen Eintrag verwerfen")).to_be_visible()
    assert [(r["type"], r["state"]) for r in outbox_rows(page)] == [("follow_up", "rejected")]
    assert _follow_ups(server, client_id)[0][6] is None  # the offline skip changed nothing


def test_a_follow_up_rejected_for_an_answer_is_corrected_in_its_form_and_stored_once(make_server, page: Page):
    """A text pasted with a vertical tab (a word processor's line break): the server refuses
    the control character; the nurse opens the follow-up from the outbox, sees the reason under
    the question with her answers kept, corrects it and it is stored once."""
    server = make_server()
    client_id, follow_up_id = _taken_along_when_due(server, page, "N. H.")
    page.goto(f"{server.url}/offline/fr/follow-up")  # precached; the French one for below
    prepare_device(page, server, logged_in=True)

    page.context.set_offline(True)
    page.goto(f"{server.url}/offline/de/visit")
    page.get_by_role("link", name=re.compile("^Nachfrage fällig")).click()
    expect(page.locator("#follow-up")).to_have_attribute("data-ready", "true")
    page.locator('[id="i-need-change:loneliness-same"]').check()
    page.locator('[id="i-offer-use:loneliness-using"]').check()
    page.locator('[id="i-what-helped:loneliness"]').fill("Besuchsdienst\x0bjeden Dienstag")
    page.locator("#i-new-needs-false").check()
    page.locator("#follow-up button[type=submit]").click()
    expect(page.locator("#follow-up-saved")).to_be_visible()

    page.context.set_offline(False)
    page.goto(f"{server.url}/offline/de/outbox")
    record = page.locator(".outbox-record[data-state=rejected]")
    expect(record).to_be_visible(timeout=15000)
    reason = "Die Eingabe enthält ein Steuerzeichen (zum Beispiel NUL), das nicht erlaubt ist."
    expect(record.locator(".outbox-error")).to_have_text(reason)
    assert serious_violations(page) == []
    (rejected,) = outbox_rows(page)
    assert _follow_ups(server, client_id)[0][4] == "due"  # nothing stored

    # The French outbox names the way to correct it too, and the form says why.
    page.goto(f"{server.url}/offline/fr/outbox")
    page.get_by_role("link", name="Corriger le suivi").click()
    expect(page.locator("#follow-up")).to_have_attribute("data-ready", "true")
    expect(page.locator("#follow-up-rejected")).to_contain_text("Le serveur n’a pas accepté ce suivi.")

    page.goto(f"{server.url}/offline/de/outbox")
    link = page.get_by_role("link", name="Nachfrage korrigieren")
    expect(link).to_have_attribute("href", f"/offline/de/follow-up#{follow_up_id}")
    link.click()
    form = page.locator("#follow-up")
    expect(form).to_have_attribute("data-ready", "true")
    expect(page.locator("#follow-up-client")).to_have_text("N. H. · Einsamkeit und soziale Isolation")
    expect(page.locator("#follow-up-rejected")).to_contain_text(
        "Der Server hat diese Nachfrage nicht angenommen."
    )
    # What she entered, with the server's reason under the question it names.
    expect(page.locator('[id="i-need-change:loneliness-same"]')).to_be_checked()
    expect(page.locator('[id="i-offer-use:loneliness-using"]')).to_be_checked()
    expect(page.locator("#i-new-needs-false")).to_be_checked()
    text = page.locator('[id="i-what-helped:loneliness"]')
    expect(text).to_have_value("Besuchsdienst\x0bjeden Dienstag")
    expect(text).to_have_attribute("aria-invalid", "true")
    expect(page.locator('[id="q-what-helped:loneliness"] .field-error')).to_have_text(reason)
    assert serious_violations(page) == []
    text.fill("Besuchsdienst jeden Dienstag")
    page.locator("#follow-up button[type=submit]").click()
    expect(page.locator("#follow-up-saved")).to_be_visible()
    wait_until_sent(page)

    row = _follow_ups(server, client_id)[0]
    assert row[4] == "done"
    answers = row[7] if isinstance(row[7], dict) else json.loads(row[7])
    assert answers["what-helped:loneliness"] == "Besuchsdienst jeden Dienstag"
    assert answers["need-change:loneliness"] == "same"
    # Sent again under its id: received once, recorded once.
    received = server.database.execute("SELECT id FROM sync_record WHERE type = 'follow_up'")
    assert [r[0] for r in received] == [rejected["id"]]
    updates = "SELECT count(*) FROM audit_event WHERE subject_type = 'follow_up' AND subject_id = :f AND action = 'update'"
    assert server.database.execute(updates, f=follow_up_id)[0][0] == 1
