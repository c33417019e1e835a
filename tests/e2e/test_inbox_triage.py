"""The coordinator's inbox and case page in the browser (issue 17 item 8, issue 20 items 2 and 4).

A row tells enough to triage without opening the case (which marks it received): offer,
language, age band, municipality, source (the referring organisation, or a self-check callback
with the days and times asked), "Neu"/« Nouvelle » and the days waiting, never the name, phone
or year of birth. The filters show their whole labels at 1024, 1280 and 360 px. On the case
page a reason left out is said once, at the radio group it belongs to, behind an error summary
that takes focus, at the case's own address; offer names in the other language carry `lang`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from backend.i18n import translate
from tests.e2e.helpers import log_in, serious_violations
from tests.support import api_referral, cli

pytestmark = pytest.mark.e2e

SHOTS = "test-artifacts/inbox"

# What each coordinator receives: a nurse's referral and a self-check callback.
SETUP = {
    "de": {
        "nurse": "pflege",
        "coordinator": "koordination",
        "organization": "Pro Senectute Kanton Bern",
        "referrer": "Spitex Demo Emmental",
        "municipality": 902,
        "place": "Langnau im Emmental",
        "need": "loneliness",
        "answers": {  # Thun: a tired carer (PRODUCT.md); the district office is Pro Senectute
            "a-lonely-company": "often",
            "a-lonely-left-out": "often",
            "a-helper": "yes-tired",
            "a-hurt": "no",
            "place": "3600",
        },
        "callback_place": "Thun",
        "days": ["mon", "thu"],
        "time": "morning",
        "age_band": "older",
        "waiting": (3, 1),  # days the nurse's referral and the callback have waited
    },
    "fr": {
        "nurse": "soins",
        "coordinator": "coordination",
        "organization": "Pro Senectute Arc jurassien",
        "referrer": "Spitex Démo Jura bernois",
        "municipality": 446,
        "place": "Tramelan",
        "need": "administration",
        "answers": {
            "a-money": "no",
            "a-benefits": "no",
            "a-hurt": "no",
            "a-working-age": "false",
            "place": "Tramelan",
        },
        "callback_place": "Tramelan",
        "days": ["thu"],
        "time": "afternoon",
        "age_band": "adults",
        "waiting": (1, 2),
    },
}

FILTER_WIDTHS = """() => [...document.querySelectorAll('.inbox-filters .field')].map((field) => {
  const label = field.querySelector('label');
  const select = field.querySelector('select');
  const style = getComputedStyle(select);
  const context = document.createElement('canvas').getContext('2d');
  context.font = style.font;
  const text = select.options[select.selectedIndex].text;
  // the text, the paddings and Chromium's drop-down arrow (about 20 px)
  const needed = context.measureText(text).width + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + 20;
  return {label: label.textContent, labelCut: label.scrollWidth > label.clientWidth,
          text, needed: Math.ceil(needed), width: select.clientWidth};
})"""


def _cut(page: Page) -> list[dict]:
    return [f for f in page.evaluate(FILTER_WIDTHS) if f["labelCut"] or f["needed"] > f["width"]]


def _callback(server, language: str, s: dict) -> None:
    fields: dict[str, list[str]] = {}
    for key, value in s["answers"].items():
        if key.startswith("a-"):
            fields[f"{key}-present"] = ["1"]
        fields[key] = [value]
    fields.update(
        counted=["1"],
        age_band=[s["age_band"]],
        cb_name=["Anna Rückruf"],
        cb_phone=["+41 79 555 44 33"],
        cb_language=[language],
        cb_days=s["days"],
        cb_time=[s["time"]],
        cb_to=["office"],
        cb_consent=["yes"],
    )
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.post(f"/check/{language}/callback", data=fields).status_code == 200


def _arrived(server, referral_id: str, days: int) -> None:
    sent = datetime.now(UTC) - timedelta(days=days, minutes=5)
    server.database.execute("UPDATE referral SET created_at = :t WHERE id = :r", t=sent, r=referral_id)


def _set_up(server, language: str) -> tuple[str, str]:
    """The nurse's referral and the self-check callback for this language's coordinator."""
    s = SETUP[language]
    token = cli("tokens", "create", "--user", s["nurse"], "--name", "triage", env=server.env).stdout.strip()
    _, nurse_referral = api_referral(
        server,
        token,
        "R. Geheim",
        birth_year=1950,
        municipality=s["municipality"],
        language=language,
        phone="079 111 22 33",
        need=s["need"],
        organization=s["organization"],
    )
    before = {r[0] for r in server.database.execute("SELECT id FROM referral WHERE source = 'self-check'")}
    _callback(server, language, s)
    callback = next(
        r[0]
        for r in server.database.execute("SELECT id FROM referral WHERE source = 'self-check'")
        if r[0] not in before
    )
    _arrived(server, nurse_referral, s["waiting"][0])
    _arrived(server, callback, s["waiting"][1])
    return nurse_referral, callback


def _row(page: Page, referral_id: str):
    return page.locator("tr", has=page.locator(f'a[href="/inbox/{referral_id}"]'))


@pytest.mark.parametrize("language", ["de", "fr"])
def test_inbox_rows_tell_enough_to_triage(e2e_server, browser: Browser, language: str):
    def t(msgid: str) -> str:
        return translate(language, msgid)

    s = SETUP[language]
    nurse_referral, callback = _set_up(e2e_server, language)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=f"{language}-CH")
    log_in(page, e2e_server.url, s["coordinator"])
    page.goto(e2e_server.url + "/inbox")
    expect(page.locator("html")).to_have_attribute("lang", language)

    nurse_row, callback_row = _row(page, nurse_referral), _row(page, callback)
    new = {"de": "Neu", "fr": "Nouvelle"}[language]
    for row in (nurse_row, callback_row):
        expect(row.locator(".status")).to_have_text(new)
    # The nurse's client was born in 1950: the band of the age reached this year, never the age.
    phase = "older" if datetime.now(UTC).year - 1950 <= 79 else "very_old"
    labels = {
        "older": "Older people (65–79)",
        "very_old": "Very old people (80+)",
        "adults": "Adults (26–64)",
    }
    languages = {"de": "Deutsch", "fr": "Français"}
    expect(nurse_row).to_contain_text(s["place"])
    expect(nurse_row).to_contain_text(t(labels[phase]))
    expect(nurse_row).to_contain_text(s["referrer"])
    expect(nurse_row.locator(f'[lang="{language}"]')).to_have_text(languages[language])
    expect(callback_row).to_contain_text(s["callback_place"])
    expect(callback_row).to_contain_text(t(labels[s["age_band"]]))
    expect(callback_row).to_contain_text(t("Callback request from the self-check"))
    days = ", ".join(t({"mon": "Monday", "thu": "Thursday"}[day]) for day in s["days"])
    times = {"morning": "In the morning", "afternoon": "In the afternoon"}
    expect(callback_row.locator(".callback")).to_have_text(
        t("Call back: %(when)s") % {"when": f"{days} · {t(times[s['time']])}"}
    )
    waiting = {
        "de": {1: "Wartet seit 1 Tag", 2: "Wartet seit 2 Tagen", 3: "Wartet seit 3 Tagen"},
        "fr": {1: "En attente depuis 1 jour", 2: "En attente depuis 2 jours", 3: "En attente depuis 3 jours"},
    }[language]
    expect(nurse_row.locator(".waiting")).to_have_text(waiting[s["waiting"][0]])
    expect(callback_row.locator(".waiting")).to_have_text(waiting[s["waiting"][1]])
    # Nothing a row shows is more than the case page shows after consent; the name, phone and
    # year of birth only there.
    table = page.locator("table.referrals")
    for secret in ("R. Geheim", "Anna Rückruf", "1950", "79 111 22 33", "79 555 44 33"):
        expect(table).not_to_contain_text(secret)
    assert serious_violations(page) == []
    page.screenshot(path=f"{SHOTS}/after-list-{language}-1280.png", full_page=True)

    # The filters show their whole labels and selected options, at 1280, 1024 and 360 px.
    for width in (1280, 1024, 360):
        page.set_viewport_size({"width": width, "height": 900})
        assert _cut(page) == [], width
        if width == 360:  # stacked: one filter a line
            boxes = page.locator(".inbox-filters .field").evaluate_all(
                "(fields) => fields.map((f) => f.getBoundingClientRect().toJSON())"
            )
            lefts = {round(box["x"]) for box in boxes}
            assert len(lefts) == 1
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            expect(nurse_row.locator(".waiting")).to_be_visible()
            assert serious_violations(page) == []  # the rows as blocks, their column names shown
            page.screenshot(path=f"{SHOTS}/after-list-{language}-360.png", full_page=True)
    # The measure itself tells a cut-off label: in the old layout (the generic filter grid, four
    # equal columns at 1024 px) "Alle Verwaltungskreise" did not fit.
    if language == "de":
        page.set_viewport_size({"width": 1024, "height": 900})
        page.evaluate("() => document.querySelector('.inbox-filters').classList.remove('inbox-filters')")
        old = page.evaluate(FILTER_WIDTHS.replace(".inbox-filters .field", "form.filters .field"))
        assert any(f["text"] == "Alle Verwaltungskreise" and f["needed"] > f["width"] for f in old), old
    page.close()


def test_case_page_errors_and_languages(e2e_server, browser: Browser):
    """German UI: a reason left out on reject, an outcome left out on close; an offer known only
    in French is marked lang="fr" in the row, the filter, the heading and the proposals."""

    def t(msgid: str) -> str:
        return translate("de", msgid)

    s = SETUP["de"]
    token = cli("tokens", "create", "--user", "pflege", "--name", "errors", env=e2e_server.env).stdout.strip()
    _, referral_id = api_referral(e2e_server, token, "E. F.", municipality=902, need="loneliness")
    service_id = e2e_server.database.execute("SELECT service_id FROM referral WHERE id = :r", r=referral_id)[
        0
    ][0]
    e2e_server.database.execute(
        "UPDATE directory_service SET name_de = NULL, name_fr = 'Visites à domicile (démo)' WHERE id = :s",
        s=service_id,
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="de-CH")
    log_in(page, e2e_server.url, s["coordinator"])
    page.goto(e2e_server.url + "/inbox")
    expect(_row(page, referral_id).locator(".offer-name")).to_have_attribute("lang", "fr")
    expect(page.locator(f'#f-offer option[value="{service_id}"]')).to_have_attribute("lang", "fr")
    german = page.locator("#f-offer option[value]:not([value=''])").filter(has_not_text="Visites à domicile")
    assert german.count() > 0 and all(o.get_attribute("lang") is None for o in german.all())

    case_url = f"{e2e_server.url}/inbox/{referral_id}"
    page.goto(case_url)
    expect(page.locator("h1 [lang=fr]")).to_have_text("Visites à domicile (démo)")
    # Each proposal is marked when its name is shown in the other language, and only then.
    options = page.locator("#forward_to option[value]:not([value=''])")
    assert options.count() > 0
    names = {
        row[0]: (row[1], row[2])
        for row in e2e_server.database.execute("SELECT id, name_de, name_fr FROM directory_service")
    }
    for option in options.all():
        name_de, name_fr = names[option.get_attribute("value")]
        assert option.get_attribute("lang") == (None if name_de else "fr")

    # Reject without a reason: one message, at the radio group, behind a focused summary.
    page.locator("details.reject summary").click()
    page.get_by_role("button", name=t("Reject"), exact=True).click()
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.url == case_url
    group = page.locator("#reason-group")
    expect(group).to_have_attribute("aria-invalid", "true")
    expect(group).to_have_attribute("aria-describedby", "reject-error")
    expect(page.locator("#reject-error")).to_have_text(t("Choose a reason."))
    expect(page.get_by_text(t("Choose a reason."))).to_have_count(1)
    expect(page.get_by_role("group", name=t("Reason"))).to_have_accessible_description(t("Choose a reason."))
    assert serious_violations(page) == []
    page.screenshot(path=f"{SHOTS}/after-reject-error-de.png", full_page=True)
    page.locator("#error-summary a").click()
    expect(page.locator("#reason-not_our_offer")).to_be_focused()
    assert (
        e2e_server.database.execute("SELECT status FROM referral WHERE id = :r", r=referral_id)[0][0]
        == "received"
    )

    # Accepted: the contact attempts come before "close with an outcome".
    page.get_by_role("button", name=t("Accept"), exact=True).click()
    expect(page.locator(".page-head .status")).to_have_text(t("Accepted"))
    order = page.evaluate(
        "() => Boolean(document.getElementById('contacts-title').compareDocumentPosition("
        "document.getElementById('close-title')) & Node.DOCUMENT_POSITION_FOLLOWING)"
    )
    assert order is True
    assert serious_violations(page) == []
    page.screenshot(path=f"{SHOTS}/after-case-accepted-de.png", full_page=True)
    page.get_by_role("button", name=t("Close referral")).click()
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.url == case_url
    expect(page.locator("#outcome-group")).to_have_attribute("aria-describedby", "close-error")
    expect(page.get_by_text(t("Choose an outcome."))).to_have_count(1)
    assert serious_violations(page) == []
    page.close()
