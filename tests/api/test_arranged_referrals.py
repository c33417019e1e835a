"""Referrals to organisations that are not on Passerelle (issue 17, item 3): nothing is sent, the
referral is `ready` (to arrange by the nurse), its page shows the offer's contact and a letter in
the client's language, the nurse records the outcome, the reports count it; over HTTP, on both
databases."""

from __future__ import annotations

import httpx
import pytest

from tests.api.test_concurrency import _together
from tests.api.test_referrals import CARER, LONELY, Nurse
from tests.support import cli, csrf_from, login, offer_of

SRK = "Schweizerisches Rotes Kreuz Kanton Bern"  # in the demo directory, no account on Passerelle
RELIEF = "Entlastung für betreuende Angehörige"


@pytest.fixture
def nurse(server):
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "pflege")
        yield Nurse(http)


def _one(server, sql: str, **params: object):
    return server.database.execute(sql, **params)[0]


def _relief(server) -> str:
    return _one(
        server,
        "SELECT s.id FROM directory_service s JOIN directory_organization o ON o.id = s.organization_id "
        "WHERE o.name = :o AND s.name_de = :n AND o.organisation_id IS NULL",
        o=SRK,
        n=RELIEF,
    )[0]


def _arranged(server, nurse: Nurse, name: str, language: str = "de", **fields) -> tuple[str, str]:
    """A client, a screening and one referral to the Red Cross's carer relief: (screening, referral)."""
    client_id = nurse.client(name=name, language=language)
    screening_id = nurse.screening(client_id, CARER)
    sent = nurse.send(screening_id, [f"caring_relatives:{_relief(server)}"], accept_warnings="yes", **fields)
    assert sent.status_code == 303, sent.text[:800]
    referral_id = _one(server, "SELECT id FROM referral WHERE client_id = :c", c=client_id)[0]
    return screening_id, referral_id


def _record(nurse: Nurse, referral_id: str, outcome: str, note: str = "") -> httpx.Response:
    return nurse.http.post(
        f"/referrals/{referral_id}/outcome",
        data={"csrf_token": nurse.token, "outcome": outcome, "note": note},
    )


def test_choosing_an_offer_not_on_passerelle_says_so_and_the_referral_is_to_arrange(server, nurse):
    client_id = nurse.client(name="T. U.")
    screening_id = nurse.screening(client_id, {**LONELY, **CARER})
    service_id = _relief(server)
    summary = nurse.http.get(f"/screenings/{screening_id}/summary").text
    chunks = summary.split('<li class="offer">')[1:]
    ours = [c for c in chunks if f'value="caring_relatives:{service_id}"' in c]
    assert ours and all("Nicht auf Passerelle: Sie vermitteln selbst" in c for c in ours)
    linked = [c for c in chunks if "Pro Senectute Kanton Bern" in c]
    assert linked and not any("Nicht auf Passerelle" in c for c in linked)

    consent = nurse.http.post(
        f"/screenings/{screening_id}/consent",
        data={"csrf_token": nurse.token, "offer": f"caring_relatives:{service_id}"},
    )
    assert consent.status_code == 200
    assert "Diese Organisation ist nicht auf Passerelle" in consent.text

    sent = nurse.send(screening_id, [f"caring_relatives:{service_id}"], accept_warnings="yes")
    assert sent.status_code == 303, sent.text[:800]
    referral_id, status, receiving, due = _one(
        server,
        "SELECT id, status, receiving_organisation_id, due_at FROM referral WHERE client_id = :c",
        c=client_id,
    )
    assert (status, receiving, due) == ("ready", None, None)
    events = server.database.execute(
        "SELECT from_status, to_status FROM referral_event WHERE referral_id = :r", r=referral_id
    )
    assert [tuple(e) for e in events] == [(None, "ready")]
    # No coordinator is told: nobody receives it.
    assert _one(server, "SELECT count(*) FROM notification WHERE referral_id = :r", r=referral_id)[0] == 0
    # The tally counts it at its own stage, not as sent to an organisation.
    assert (
        _one(
            server,
            "SELECT coalesce(sum(count), 0) FROM report_referral_tally WHERE organization_id = "
            "(SELECT directory_organization_id FROM referral WHERE id = :r) AND stage = 'ready'",
            r=referral_id,
        )[0]
        >= 1
    )

    page = nurse.http.get(f"/referrals/{referral_id}")
    assert page.status_code == 200
    text = page.text
    assert "Selbst zu vermitteln" in text and "Was die Organisation erhalten hat" not in text
    assert "Nächster Schritt:" in text and "Sie vermitteln die Zuweisung selbst" in text
    assert 'href="tel:+41319190909"' in text and 'href="mailto:kvbe@srk-bern.ch"' in text
    assert 'href="https://www.srk-bern.ch"' in text and "Bernstrasse 162" in text
    assert "Einsätze nach Vereinbarung, auch abends" in text  # hours, as the directory holds them
    assert f'href="/referrals/{referral_id}/letter"' in text
    assert 'name="outcome" value="contacted"' in text and 'name="outcome" value="help_started"' in text
    listing = nurse.http.get("/referrals").text
    assert "status-ready" in listing

    handout = nurse.http.get(f"/screenings/{screening_id}/handout").text
    assert "Ihre Pflegefachperson" in handout and 'href="tel:+41319190909"' in handout
    assert "Bernstrasse 162" in handout and "kvbe@srk-bern.ch" in handout


def test_a_referral_to_an_organisation_on_passerelle_is_still_sent(server, nurse):
    client_id = nurse.client(name="V. W.")
    screening_id = nurse.screening(client_id, LONELY)
    service_id = offer_of(server, "Pro Senectute Kanton Bern", "loneliness")
    assert nurse.send(screening_id, [f"loneliness:{service_id}"], accept_warnings="yes").status_code == 303
    referral_id, status = _one(server, "SELECT id, status FROM referral WHERE client_id = :c", c=client_id)
    assert status == "requested"
    page = nurse.http.get(f"/referrals/{referral_id}").text
    assert "Was die Organisation erhalten hat" in page and "(auf Passerelle)" in page
    assert 'name="outcome"' not in page and "/letter" not in page
    refused = _record(nurse, referral_id, "help_started")
    assert refused.status_code == 409 and "Die empfangende Organisation hält fest" in refused.text
    assert nurse.http.get(f"/referrals/{referral_id}/letter").status_code == 409
    assert _one(server, "SELECT status FROM referral WHERE id = :r", r=referral_id)[0] == "requested"


def test_the_letter_is_in_the_clients_language_with_only_what_the_consent_allows(server, nurse):
    _, referral_id = _arranged(server, nurse, "X. Y.", language="fr", scope=["birth_year"], note="Le matin")
    letter = nurse.http.get(f"/referrals/{referral_id}/letter")
    assert letter.status_code == 200 and '<html lang="fr">' in letter.text
    assert letter.headers["cache-control"] == "no-store"
    text = letter.text
    assert "Spitex Demo Emmental" in text and "Petra Pflege" in text  # the sender
    assert "Relève pour proches aidants" in text and SRK in text and "+41 31 919 09 09" in text
    assert "1940" in text and "Le matin" in text  # year of birth and the note: agreed
    assert "X. Y." not in text and "079 123 45 67" not in text and "+41 79 123 45 67" not in text
    assert "<script" not in text.split("</header>", 1)[-1].split("<footer", 1)[0]
    audited = server.database.execute(
        "SELECT action FROM audit_event WHERE subject_type = 'referral' AND subject_id = :r ORDER BY id",
        r=referral_id,
    )
    assert [a[0] for a in audited] == ["create", "view"]
    # A client speaking neither language: the nurse's.
    _, other = _arranged(server, nurse, "Z. A.", language="it")
    letter = nurse.http.get(f"/referrals/{other}/letter").text
    assert '<html lang="de">' in letter and "Z. A." in letter and "Zuweisung" in letter


def test_the_nurse_records_the_outcome_and_the_reports_count_it(server, nurse):
    _, referral_id = _arranged(server, nurse, "B. C.")
    org = _one(server, "SELECT directory_organization_id FROM referral WHERE id = :r", r=referral_id)[0]

    def completed() -> int:
        return _one(
            server,
            "SELECT coalesce(sum(count), 0) FROM report_referral_tally WHERE organization_id = :o "
            "AND stage = 'completed' AND detail = 'help_started'",
            o=org,
        )[0]

    before = completed()
    missing = _record(nurse, referral_id, "")
    assert missing.status_code == 422 and "Wählen Sie aus, was geschehen ist" in missing.text
    assert 'aria-invalid="true"' in missing.text and 'id="outcome-error"' in missing.text
    assert 'aria-describedby="outcome-error"' in missing.text
    unknown = _record(nurse, referral_id, "teleported")
    assert unknown.status_code == 422 and "Wählen Sie aus, was geschehen ist" in unknown.text
    long = _record(nurse, referral_id, "contacted", note="x" * 901)
    assert long.status_code == 422 and 'id="note-error"' in long.text and "Höchstens 900 Zeichen" in long.text
    assert _one(server, "SELECT status FROM referral WHERE id = :r", r=referral_id)[0] == "ready"

    assert _record(nurse, referral_id, "contacted").status_code == 303
    assert _one(server, "SELECT status, outcome FROM referral WHERE id = :r", r=referral_id) == (
        "in-progress",
        None,
    )
    again = _record(nurse, referral_id, "contacted")
    assert (
        again.status_code == 422 and "nicht von «In Bearbeitung» zu «In Bearbeitung» wechseln" in again.text
    )

    done = _record(nurse, referral_id, "help_started", note="Erster Einsatz am Montag")
    assert done.status_code == 303
    status, outcome, closed, reason = _one(
        server, "SELECT status, outcome, closed_at, status_reason FROM referral WHERE id = :r", r=referral_id
    )
    assert (status, outcome, reason) == ("completed", "help_started", "Erster Einsatz am Montag") and closed
    assert completed() == before + 1
    page = nurse.http.get(f"/referrals/{referral_id}").text
    assert "Abgeschlossen</span>: Hilfe begonnen" in page and 'name="outcome"' not in page
    closed_again = _record(nurse, referral_id, "not_reachable")
    assert (
        closed_again.status_code == 422
        and "abgeschlossen und kann sich nicht mehr ändern" in closed_again.text
    )

    # Not reachable closes as failed, with the existing outcome code.
    _, second = _arranged(server, nurse, "D. E.")
    assert _record(nurse, second, "not_reachable").status_code == 303
    assert _one(server, "SELECT status, outcome FROM referral WHERE id = :r", r=second) == (
        "failed",
        "not_reachable",
    )
    assert (
        _one(
            server,
            "SELECT coalesce(sum(count), 0) FROM report_referral_tally WHERE organization_id = :o "
            "AND stage = 'failed' AND detail = 'not_reachable'",
            o=org,
        )[0]
        >= 1
    )


def test_other_organisations_neither_see_nor_change_it(server, nurse):
    _, referral_id = _arranged(server, nurse, "F. G.")
    for user in ("spital", "soins", "koordination"):
        with httpx.Client(base_url=server.url, timeout=10) as http:
            login(http, user)
            token = csrf_from(http.get("/").text)
            if user != "koordination":  # nurses of other organisations
                assert http.get(f"/referrals/{referral_id}").status_code == 404
                assert http.get(f"/referrals/{referral_id}/letter").status_code == 404
                posted = http.post(
                    f"/referrals/{referral_id}/outcome", data={"csrf_token": token, "outcome": "help_started"}
                )
                assert posted.status_code == 404
            else:  # a coordinator: no such case in the inbox, no nurse pages
                assert http.get(f"/inbox/{referral_id}").status_code == 404
                assert http.get(f"/referrals/{referral_id}/letter").status_code in (403, 404)
    assert _one(server, "SELECT status FROM referral WHERE id = :r", r=referral_id)[0] == "ready"


def test_the_referral_outcomes_report_shows_referrals_to_arrange_as_their_own_stage(server, nurse):
    from backend.reports import service

    _arranged(server, nurse, "H. I.")
    token = cli("tokens", "create", "--user", "analyse", "--name", "arranged", env=server.env).stdout.strip()
    today = service.today()
    body = httpx.get(
        server.url + "/api/v1/reports/referral-outcomes",
        params={"from": today.replace(day=1).isoformat(), "to": today.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert "ready" in {row[0] for row in body["rows"]}
    with httpx.Client(base_url=server.url, timeout=10) as analyst:
        login(analyst, "analyse")
        page = analyst.get("/reports/referral-outcomes").text
    assert "Von der zuweisenden Stelle zu vermitteln" in page


def test_two_outcomes_recorded_at_the_same_moment_close_the_referral_once(server, nurse):
    """The same nurse on two devices (or two colleagues) records different outcomes at once: the
    referral's row is locked for the change, so the second reads the closed status and is refused
    (422) instead of closing it a second time over the first."""
    referrals = [_arranged(server, nurse, f"K. {letter}.")[1] for letter in "LMNOP"]
    with httpx.Client(base_url=server.url, timeout=30) as other:
        login(other, "pflege")
        devices = [nurse, Nurse(other)]
        choices = ["help_started", "not_reachable"]
        for referral_id in referrals:

            def record(i: int, referral_id: str = referral_id) -> int:
                return _record(devices[i], referral_id, choices[i]).status_code

            statuses = _together(2, record)
            assert sorted(statuses) == [303, 422], statuses
            closings = _one(
                server,
                "SELECT count(*) FROM referral_event WHERE referral_id = :r AND to_status IN ('completed', 'failed')",
                r=referral_id,
            )[0]
            assert closings == 1
            status, outcome = _one(
                server, "SELECT status, outcome FROM referral WHERE id = :r", r=referral_id
            )
            assert (status, outcome) in (("completed", "help_started"), ("failed", "not_reachable"))
