"""The public self-check over HTTP, as a browser without JavaScript uses it: every step is a
POST carrying all answers; nothing but counts is stored unless a callback is requested."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support import cli

# The man in Tramelan (PRODUCT.md journey 3): money is short, no supplementary benefits.
TRAMELAN = {
    "a-money": "no",
    "a-benefits": "no",
    "a-hurt": "no",
    "a-age": "65-79",
    "place": "Tramelan",
}


def form(answers: dict[str, str | list[str]], **extra: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for key, value in {**answers, **extra}.items():
        if key.startswith("a-"):
            fields[f"{key}-present"] = ["1"]
        fields[key] = value if isinstance(value, list) else [value]
    return fields


def counts(server) -> dict[str, int]:
    tables = ("referral", "referral_event", "client", "screening", "consent", "audit_event")
    return {t: server.database.execute(f"SELECT count(*) FROM {t}")[0][0] for t in tables}


def tallies(server) -> dict[tuple[str, str, str], int]:
    rows = server.database.execute("SELECT district, age_band, need_domain, count FROM selfcheck_tally")
    return {(r[0], r[1], r[2]): r[3] for r in rows}


def current_step(html: str) -> str:
    return re.search(r'name="at" value="([^"]+)"', html).group(1)


@pytest.fixture
def fresh(server) -> httpx.Client:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


def test_short_address_leads_to_the_language_and_sets_no_cookie(fresh):
    response = fresh.get("/check", headers={"Accept-Language": "fr-CH"})
    assert response.status_code == 302 and response.headers["location"] == "/check/fr"
    page = fresh.get("/check/fr")
    assert page.status_code == 200
    assert "set-cookie" not in page.headers
    assert page.headers["cache-control"] == "no-cache"
    assert "anonyme" in page.text and 'lang="fr"' in page.text
    assert fresh.get("/check/it").status_code == 404


def test_steps_without_javascript_keep_answers_back_skip_and_language(fresh):
    start = fresh.post("/check/de", data=form({}, at="intro", go="next"))
    assert start.status_code == 200 and "set-cookie" not in start.headers
    assert current_step(start.text) == "home"
    assert "Frage 1 von" in start.text

    step = fresh.post("/check/de", data=form({"a-home": "ok"}, at="home", go="next"))
    assert current_step(step.text) == "money"
    skipped = fresh.post("/check/de", data=form({"a-home": "ok", "a-money": "no"}, at="money", go="skip"))
    assert current_step(skipped.text) == "benefits"
    assert 'id="i-money-no" name="a-money" value="no" checked' not in skipped.text  # skip clears it
    back = fresh.post("/check/de", data=form({"a-home": "ok"}, at="benefits", go="back"))
    assert current_step(back.text) == "money"
    assert 'value="ok" checked' in back.text

    # The follow-up "danger now?" appears only when "hurt" is not "no".
    after_no = fresh.post("/check/de", data=form({"a-hurt": "no"}, at="hurt", go="next"))
    assert current_step(after_no.text) == "age"
    after_yes = fresh.post("/check/de", data=form({"a-hurt": "yes"}, at="hurt", go="next"))
    assert current_step(after_yes.text) == "danger-now"
    danger = fresh.post(
        "/check/de", data=form({"a-hurt": "yes", "a-danger-now": "true"}, at="danger-now", go="next")
    )
    assert (
        'id="emergency"' in danger.text
        and 'id="emergency" role="alert" aria-labelledby="emergency-title" hidden' not in danger.text
    )

    # Switching language keeps the step and the answers.
    french = fresh.post("/check/fr", data=form({"a-home": "ok", "a-money": "just"}, at="money", go="stay"))
    assert current_step(french.text) == "money" and 'lang="fr"' in french.text
    assert 'id="i-money-just" name="a-money" value="just" checked' in french.text


def test_anonymous_run_stores_only_counts(server, fresh):
    before, tally_before = counts(server), tallies(server)
    result = fresh.post("/check/fr/result", data=form(TRAMELAN, go="result"))
    assert result.status_code == 200 and "set-cookie" not in result.headers
    assert result.headers["cache-control"] == "no-store"
    assert "prestations complémentaires" in result.text
    assert "Pro Senectute Arc jurassien" in result.text
    assert "<dt>Coût</dt><dd>Gratuit</dd>" in result.text and "Horaires" in result.text
    after = tallies(server)
    assert after.get(("JB", "older", "*"), 0) == tally_before.get(("JB", "older", "*"), 0) + 1
    assert after.get(("JB", "older", "finances"), 0) == tally_before.get(("JB", "older", "finances"), 0) + 1
    assert counts(server) == before  # no referral, client, screening, consent or audit row

    # The page's own language switch does not count the same run twice.
    again = fresh.post("/check/de/result", data=form(TRAMELAN, counted="1"))
    assert again.status_code == 200 and "Ergänzungsleistungen" in again.text
    assert tallies(server) == after


def _token(server, username: str) -> str:
    out = cli("tokens", "create", "--user", username, "--name", "selfcheck-test", env=server.env).stdout
    return re.search(r"\b[A-Za-z0-9_-]{32,}\b", out).group(0)


def test_callback_becomes_a_referral_for_the_district_office(server, fresh):
    result = fresh.post("/check/fr/result", data=form(TRAMELAN, go="result"))
    assert "Souhaitez-vous qu’on vous rappelle" in result.text or "rappelle" in result.text
    assert 'value="office"' in result.text
    before = counts(server)
    done = fresh.post(
        "/check/fr/callback",
        data=form(
            TRAMELAN,
            counted="1",
            cb_name="J. R.",
            cb_phone="032 487 12 34",
            cb_language="fr",
            cb_days="thu",
            cb_time="afternoon",
            cb_to="office",
            cb_consent="yes",
        ),
    )
    assert done.status_code == 200, done.text
    assert "Pro Senectute Arc jurassien" in done.text and "+41 32 487 12 34" in done.text
    assert counts(server)["referral"] == before["referral"] + 1
    assert counts(server)["client"] == before["client"]

    token = _token(server, "coordination")
    listed = httpx.get(server.url + "/api/v1/referrals", headers={"Authorization": f"Bearer {token}"}).json()
    mine = [r for r in listed if r["shared"].get("source") == "self-check"]
    assert mine, listed
    shared = mine[0]["shared"]
    assert shared["phone"] == "+41 32 487 12 34" and shared["display_name"] == "J. R."
    assert shared["callback"] == {"days": ["thu"], "time": "afternoon"}
    assert shared["municipality"] == 446 and shared["language"] == "fr"  # Tramelan
    assert shared["need"] == {"domain": "finances", "severity": "needed"} and "finances" in shared["needs"]
    assert "answers" not in shared and "money" not in str(shared)
    assert mine[0]["status"] == "requested" and mine[0]["history"][0]["status"] == "requested"
    row = server.database.execute(
        "SELECT source, client_id, organisation_id FROM referral WHERE id = :i", i=mine[0]["id"]
    )
    assert tuple(row[0]) == ("self-check", None, None)


def test_callback_in_german_for_thun(server, fresh):
    thun = {
        "a-lonely-company": "often",
        "a-lonely-left-out": "often",
        "a-helper": "yes-tired",
        "a-hurt": "no",
        "place": "3600",
    }
    result = fresh.post("/check/de/result", data=form(thun, go="result"))
    assert "Koordinationsstelle meines Bezirks" in result.text
    assert re.search(r'href="tel:\+?\d+"', result.text)  # tap to call
    done = fresh.post(
        "/check/de/callback",
        data=form(
            thun,
            counted="1",
            cb_name="Anna",
            cb_phone="+41 79 123 45 67",
            cb_language="de",
            cb_time="morning",
            cb_to="office",
            cb_consent="yes",
        ),
    )
    assert done.status_code == 200 and "Pro Senectute Kanton Bern" in done.text
    token = _token(server, "koordination")
    listed = httpx.get(server.url + "/api/v1/referrals", headers={"Authorization": f"Bearer {token}"}).json()
    assert any(
        r["shared"].get("display_name") == "Anna" and r["need_domain"] == "caring_relatives" for r in listed
    )
    # The coordinators are notified exactly as for a nurse's referral.
    referral_id = next(r["id"] for r in listed if r["shared"].get("display_name") == "Anna")
    queued = server.database.execute(
        "SELECT count(*) FROM notification WHERE referral_id = :r AND kind = 'new_referral'", r=referral_id
    )
    assert queued[0][0] >= 1


def test_callback_checks_every_field_and_stores_nothing_when_wrong(server, fresh):
    before = counts(server)
    response = fresh.post(
        "/check/fr/callback",
        data=form(TRAMELAN, counted="1", cb_name="", cb_phone="12", cb_to="somewhere", cb_language="xx"),
    )
    assert response.status_code == 422
    for field in ("cb_name", "cb_phone", "cb_to", "cb_consent"):
        assert f'id="e-{field}"' in response.text
    assert 'aria-invalid="true"' in response.text
    long_name = fresh.post(
        "/check/fr/callback",
        data=form(
            TRAMELAN,
            counted="1",
            cb_name="x" * 41,
            cb_phone="079 123 45 67",
            cb_to="office",
            cb_consent="yes",
        ),
    )
    assert long_name.status_code == 422 and 'id="e-cb_name"' in long_name.text
    assert counts(server) == before


def test_honeypot_and_rate_limit(make_server):
    server = make_server()
    with httpx.Client(base_url=server.url, timeout=10) as c:
        valid = form(
            TRAMELAN, counted="1", cb_name="Bot", cb_phone="079 123 45 67", cb_to="office", cb_consent="yes"
        )
        trapped = c.post("/check/fr/callback", data={**valid, "website": ["http://spam.example"]})
        assert trapped.status_code == 200
        assert server.database.execute("SELECT count(*) FROM referral WHERE source = 'self-check'")[0][0] == 0
        # Typing mistakes are answered (422) but never lock the person out (issue 20).
        mistakes = [
            c.post("/check/fr/callback", data=form(TRAMELAN, cb_phone="bad")).status_code for _ in range(8)
        ]
        assert mistakes == [422] * 8
        accepted = [c.post("/check/fr/callback", data=valid).status_code for _ in range(5)]
        assert accepted == [200] * 5
        made = server.database.execute("SELECT count(*) FROM referral WHERE source = 'self-check'")[0][0]
        assert made == 5
        blocked = c.post("/check/fr/callback", data=valid)
        assert blocked.status_code == 429 and "minutes" in blocked.text
        assert "Retour à mon résultat" in blocked.text and blocked.headers["retry-after"]
        assert server.database.execute("SELECT count(*) FROM referral WHERE source = 'self-check'")[0][0] == 5


def test_a_flood_of_refused_forms_is_limited_too(make_server):
    """Mistakes do not count towards the callback budget, but every attempt counts towards a
    wider one (30 an hour), so a script cannot post forms without end."""
    server = make_server()
    with httpx.Client(base_url=server.url, timeout=10) as c:
        statuses = [
            c.post("/check/de/callback", data=form(TRAMELAN, cb_phone="bad")).status_code for _ in range(31)
        ]
        assert statuses == [422] * 30 + [429]


def test_cross_site_posts_are_refused(fresh):
    response = fresh.post(
        "/check/de", data=form({}, at="intro", go="next"), headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(("lang", "words"), [("de", "Scannen"), ("fr", "Scannez")])
def test_poster_has_a_qr_code_per_language(fresh, lang, words):
    poster = fresh.get(f"/check/{lang}/poster")
    assert poster.status_code == 200 and "<svg" in poster.text and words in poster.text
    assert "/check" in poster.text


# --- where a self-check form may come from (issue 14) ----------------------------------------

STEP = form({}, at="intro", go="next")


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},  # a browser that sends Origin but not Sec-Fetch-Site
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Sec-Fetch-Site": "same-site", "Origin": "https://other.passerelle.example"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"},
        {"Referer": "https://evil.example/form.html"},  # neither header (Firefox < 70): Referer tells
    ],
    ids=["foreign-origin", "null-origin", "same-site", "origin-contradicts", "foreign-referer"],
)
def test_forms_from_other_sites_are_refused(server, fresh, headers):
    for path in ("/check/de", "/check/fr/callback"):
        before = counts(server)
        response = fresh.post(path, data={**STEP, "website": ["x"]}, headers=headers)
        assert response.status_code == 403, (path, headers)
        assert counts(server) == before


def test_forms_from_our_own_pages_are_taken(server, fresh):
    own = server.url
    for headers in (
        {"Sec-Fetch-Site": "same-origin", "Origin": own},  # today's browsers
        {"Origin": own},  # Origin only
        {"Referer": f"{own}/check/de"},  # neither header: our own page as Referer
        {},  # no browser at all: nothing of a visitor's to borrow
    ):
        step = fresh.post("/check/de", data=STEP, headers=headers)
        assert step.status_code == 200, headers
        # The honeypot answers without storing anything: enough to see the form was taken.
        called = fresh.post("/check/fr/callback", data={**STEP, "website": ["x"]}, headers=headers)
        assert called.status_code == 200, headers


def test_callback_limit_counts_an_ipv6_connection_by_its_64(make_server):
    """Behind a trusted proxy, addresses of one /64 share the callback budget (5 an hour)."""
    server = make_server(TRUSTED_PROXIES="127.0.0.1")
    with httpx.Client(base_url=server.url, timeout=10) as c:
        valid = form(
            TRAMELAN, counted="1", cb_name="M. T.", cb_phone="079 123 45 67", cb_to="office", cb_consent="yes"
        )
        statuses = [
            c.post(
                "/check/fr/callback", data=valid, headers={"X-Forwarded-For": f"2001:db8:1:2::{n:x}"}
            ).status_code
            for n in range(1, 7)
        ]
        assert statuses == [200] * 5 + [429]
        other = c.post(
            "/check/fr/callback",
            data=form(TRAMELAN, cb_phone="bad"),
            headers={"X-Forwarded-For": "2001:db8:1:3::1"},
        )
        assert other.status_code == 422  # another /64: a budget of its own


# --- one age question; per need a few offers, each reachable, each once to call back (issue 17) --

# Tramelan with seven needs: finances, loneliness, caring relatives, everyday help, mobility,
# letters and forms, phone and internet. Several offers serve more than one of them.
TRAMELAN_MANY = {
    **TRAMELAN,
    "a-lonely-company": "often",
    "a-lonely-left-out": "often",
    "a-lonely-isolated": "often",
    "a-helper": "yes-tired",
    "a-everyday": "more",
    "a-hard": ["letters", "going-out", "phone-internet"],
}


def test_the_age_is_asked_once_and_decides_the_question_about_work(server, fresh):
    from backend.i18n import translate

    age = fresh.post("/check/de", data=form({"a-hurt": "no"}, at="hurt", go="next"))
    assert current_step(age.text) == "age"
    assert age.text.count(translate("de", "How old are you?")) == 1
    assert 'name="age_band"' not in age.text and 'data-step="working-age"' not in age.text
    older = fresh.post("/check/de", data=form({"a-hurt": "no", "a-age": "65-79"}, at="age", go="next"))
    assert current_step(older.text) == "place"  # no question about work from 65 on
    younger = fresh.post("/check/de", data=form({"a-hurt": "no", "a-age": "26-64"}, at="age", go="next"))
    assert current_step(younger.text) == "work"
    back = fresh.post("/check/de", data=form({"a-age": "80-plus"}, at="place", go="back"))
    assert current_step(back.text) == "age"

    # The band the result filters by and counts is the one answered.
    before = tallies(server)
    fresh.post("/check/fr/result", data=form({**TRAMELAN, "a-age": "80-plus"}, go="result"))
    after = tallies(server)
    assert after.get(("JB", "very_old", "*"), 0) == before.get(("JB", "very_old", "*"), 0) + 1
    assert after.get(("JB", "older", "*"), 0) == before.get(("JB", "older", "*"), 0)


def _offer_items(html: str) -> list[tuple[str, str]]:
    """(service id, HTML) of each offer shown in full on a result page."""
    return re.findall(r'<li class="offer" id="offer-[^"]+" data-offer="([^"]+)">(.*?)</li>', html, re.S)


def test_result_lists_a_few_offers_per_need_with_their_contacts(server, fresh):
    page = fresh.post("/check/fr/result", data=form(TRAMELAN_MANY, go="result", counted="1"))
    assert page.status_code == 200
    sections = re.findall(r'<section class="card need[^"]*"(.*?)</section>', page.text, re.S)
    assert len(sections) == 7
    for section in sections:
        shown = section.split("<details", 1)[0]
        assert shown.count('<li class="offer') <= 2  # the rest is behind "more offers"
    assert page.text.count('<details class="more-offers">') >= 1

    items = _offer_items(page.text)
    assert items
    ids = sorted({service_id for service_id, _ in items})
    rows = server.database.execute(
        "SELECT s.id, s.phone, coalesce(s.email, o.email), s.url, s.city, o.website FROM directory_service s "
        "JOIN directory_organization o ON o.id = s.organization_id WHERE s.id IN ("
        + ", ".join(f"'{i}'" for i in ids)
        + ")"
    )
    directory = {r[0]: r[1:] for r in rows}
    for service_id, html in items:
        phone, email, url, city, website = directory[service_id]
        if phone:
            assert 'href="tel:' in html, service_id
        if email:
            assert f'href="mailto:{email}"' in html, service_id
        if url or website:
            assert re.search(r'href="https?://', html), service_id
        if city:
            assert city in html and 'href="https://www.openstreetmap.org/search?query=' in html, service_id
        if not any((phone, email, url, city, website)):
            assert "href=" not in html  # nothing invented
    # Offers that serve two needs are shown in full once; the second time a line points back.
    assert page.text.count('class="offer offer-repeat"') >= 1
    for target in re.findall(r'class="offer offer-repeat".*?href="#([^"]+)"', page.text, re.S):
        assert f'id="{target}"' in page.text

    # Each offer once among "who should call you?", even when it serves several needs.
    targets = re.findall(r'name="cb_to" value="([^"]+)"', page.text)
    offers = [t.partition(":")[2] for t in targets if t != "office"]
    assert offers and len(offers) == len(set(offers))


def test_callback_to_an_offer_that_serves_two_needs_makes_one_referral(server, fresh):
    page = fresh.post("/check/fr/result", data=form(TRAMELAN_MANY, go="result", counted="1"))
    targets = [t for t in re.findall(r'name="cb_to" value="([^"]+)"', page.text) if t != "office"]
    sections = re.findall(r'<section class="card need[^"]*"(.*?)</section>', page.text, re.S)
    listed = [set(re.findall(r'data-offer="([^"]+)"', section)) for section in sections]
    chosen = next(t for t in targets if sum(t.partition(":")[2] in ids for ids in listed) >= 2)
    domain, _, service_id = chosen.partition(":")
    fields = {"counted": "1", "cb_name": "R. M.", "cb_phone": "032 487 00 11", "cb_consent": "yes"}
    # The same offer under its other need is not a choice the page offered.
    domains = re.findall(r'<section class="card need[^"]*" aria-labelledby="need-([^"]+)"', page.text)
    other = next(d for d, ids in zip(domains, listed, strict=True) if d != domain and service_id in ids)
    assert domain == next(d for d, ids in zip(domains, listed, strict=True) if service_id in ids)
    refused = fresh.post(
        "/check/fr/callback", data=form(TRAMELAN_MANY, cb_to=f"{other}:{service_id}", **fields)
    )
    assert refused.status_code == 422
    done = fresh.post("/check/fr/callback", data=form(TRAMELAN_MANY, cb_to=chosen, **fields))
    assert done.status_code == 200, done.text
    rows = server.database.execute(
        "SELECT need_domain, service_id FROM referral WHERE source = 'self-check' AND CAST(shared AS TEXT) LIKE '%487 00 11%'"
    )
    assert [tuple(r) for r in rows] == [(domain, service_id)]
