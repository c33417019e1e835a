"""Offers chosen on the summary, consent, referrals with status `requested`, the duplicate,
capacity and area checks, cancelling, the client's printable summary; over HTTP."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import httpx
import pytest

from tests.support import csrf_from, login

LONELY = {"ucla-companionship": "often", "ucla-left-out": "often", "ucla-isolated": "often"}
CARER = {"carer": "yes-exhausted"}


def _form(answers: dict, token: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {"csrf_token": [token]}
    for link_id, value in answers.items():
        fields[f"a-{link_id}-present"] = ["1"]
        fields[f"a-{link_id}"] = [str(value)]
    return fields


class Nurse:
    """A logged-in nurse with the few steps these tests repeat."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.token = csrf_from(http.get("/").text)

    def client(self, place: str = "Langnau im Emmental", language: str = "de", name: str = "A. B.") -> str:
        created = self.http.post(
            "/clients/new",
            data={
                "display_name": name,
                "birth_year": "1940",
                "municipality": place,
                "language": language,
                "phone": "079 123 45 67",
                "csrf_token": self.token,
            },
        )
        assert created.status_code == 303, created.text[:500]
        return created.headers["location"].rsplit("/", 1)[1]

    def screening(self, client_id: str, answers: dict) -> str:
        started = self.http.post(f"/clients/{client_id}/screenings", data={"csrf_token": self.token})
        path = started.headers["location"]
        assert self.http.post(f"{path}/answers", data=_form(answers, self.token)).status_code == 303
        done = self.http.post(
            f"{path}/complete", data={"csrf_token": self.token, "strengths": "Nachbarin hilft"}
        )
        assert done.status_code == 303
        return path.rsplit("/", 1)[1]

    def offers(self, screening_id: str) -> list[str]:
        page = self.http.get(f"/screenings/{screening_id}/summary").text
        return re.findall(r'name="offer" value="([^"]+)"(?! disabled)', page)

    def send(self, screening_id: str, offers: list[str], **fields: str | list[str]) -> httpx.Response:
        data = {
            "csrf_token": self.token,
            "offer": offers,
            "given_by": "client",
            "method": "verbal",
            "scope": ["contact", "birth_year"],
            "confirmed": "yes",
            **fields,
        }
        return self.http.post(f"/screenings/{screening_id}/referrals", data=data)


@pytest.fixture
def nurse(server):
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "pflege")
        yield Nurse(http)


def _rows(server, sql: str, **params: object) -> list:
    return server.database.execute(sql, **params)


def _json(value: object) -> dict:
    return value if isinstance(value, dict) else json.loads(value)


def test_two_referrals_with_verbal_consent(server, nurse):
    client_id = nurse.client()
    screening_id = nurse.screening(client_id, {**LONELY, **CARER})
    offers = nurse.offers(screening_id)
    lonely = next(o for o in offers if o.startswith("loneliness:"))
    carer = next(o for o in offers if o.startswith("caring_relatives:"))

    consent = nurse.http.post(
        f"/screenings/{screening_id}/consent", data={"csrf_token": nurse.token, "offer": [lonely, carer]}
    )
    assert consent.status_code == 200
    assert "Einwilligung" in consent.text and consent.text.count('name="offer"') == 2

    # Without the consent box ticked nothing is sent, and nothing is saved.
    refused = nurse.send(screening_id, [lonely, carer], confirmed="")
    assert refused.status_code == 422
    assert "Ohne Einwilligung kann keine Zuweisung gesendet werden" in refused.text
    assert _rows(server, "SELECT count(*) FROM referral WHERE client_id = :c", c=client_id)[0][0] == 0
    assert _rows(server, "SELECT count(*) FROM consent WHERE client_id = :c", c=client_id)[0][0] == 0

    sent = nurse.send(screening_id, [lonely, carer], note="Bitte am Vormittag anrufen")
    assert sent.status_code == 303 and sent.headers["location"].startswith(
        f"/screenings/{screening_id}/summary"
    )
    referrals = _rows(
        server,
        "SELECT id, status, need_domain, shared, consent_id, receiving_organisation_id FROM referral "
        "WHERE client_id = :c ORDER BY need_domain",
        c=client_id,
    )
    # Sent to an organisation on Passerelle; to arrange by the nurse for one that is not.
    assert [(r[1], r[2]) for r in referrals] == [
        ("requested" if referrals[0][5] else "ready", "caring_relatives"),
        ("requested" if referrals[1][5] else "ready", "loneliness"),
    ]
    shared = _json(referrals[0][3])
    assert shared["display_name"] == "A. B." and shared["phone"] == "+41 79 123 45 67"
    assert shared["need"] == {"domain": "caring_relatives", "severity": "needed"}
    assert (
        shared["note"] == "Bitte am Vormittag anrufen" and "strengths" not in shared and "needs" not in shared
    )
    consent_row = _rows(
        server, "SELECT given_by, method, given_on, scope FROM consent WHERE id = :i", i=referrals[0][4]
    )[0]
    assert consent_row[:2] == ("client", "verbal") and str(consent_row[2]) == date.today().isoformat()
    events = _rows(
        server,
        "SELECT from_status, to_status, user_id FROM referral_event WHERE referral_id = :r",
        r=referrals[0][0],
    )
    assert len(events) == 1 and events[0][0] is None and events[0][1] == referrals[0][1] and events[0][2]

    summary = nurse.http.get(f"/screenings/{screening_id}/summary").text
    assert "Gesendete Zuweisungen" in summary
    assert summary.count("status-requested") + summary.count("status-ready") == 2
    listing = nurse.http.get("/referrals").text
    assert all(r[0] in listing for r in referrals)
    detail = nurse.http.get(f"/referrals/{referrals[0][0]}")
    assert detail.status_code == 200 and "Bitte am Vormittag anrufen" in detail.text
    audited = _rows(
        server,
        "SELECT action FROM audit_event WHERE subject_type = 'referral' AND subject_id = :r ORDER BY id",
        r=referrals[0][0],
    )
    assert [a[0] for a in audited] == ["create", "view"]


def test_consent_scope_limits_what_is_shared(server, nurse):
    client_id = nurse.client(name="C. D.")
    screening_id = nurse.screening(client_id, LONELY)
    offer = nurse.offers(screening_id)[0]
    assert nurse.send(screening_id, [offer], scope=["needs", "strengths"]).status_code == 303
    shared = _json(_rows(server, "SELECT shared FROM referral WHERE client_id = :c", c=client_id)[0][0])
    assert "display_name" not in shared and "phone" not in shared and "birth_year" not in shared
    assert shared["needs"] == {"loneliness": "needed"} and shared["strengths"] == "Nachbarin hilft"
    assert shared["municipality"] == 902 and shared["language"] == "de"


def test_bad_consent_and_choices_are_explained(server, nurse):
    client_id = nurse.client(name="E. F.")
    screening_id = nurse.screening(client_id, LONELY)
    offer = nurse.offers(screening_id)[0]
    service_id = offer.split(":", 1)[1]

    none_chosen = nurse.http.post(f"/screenings/{screening_id}/consent", data={"csrf_token": nurse.token})
    assert none_chosen.status_code == 422 and "Wählen Sie mindestens ein Angebot" in none_chosen.text
    future = (date.today() + timedelta(days=1)).isoformat()
    response = nurse.send(screening_id, [offer], given_on=future)
    assert response.status_code == 422 and "nicht in der Zukunft" in response.text
    response = nurse.send(screening_id, [offer], method="telepathy")
    assert response.status_code == 422 and "Geben Sie an, wie die Einwilligung gegeben wurde" in response.text
    response = nurse.send(screening_id, [f"housing:{service_id}"])
    assert response.status_code == 422 and "wurde in der Abklärung nicht festgestellt" in response.text
    response = nurse.send(screening_id, ["loneliness:00000000-0000-4000-8000-000000000000"])
    assert response.status_code == 422 and "nicht mehr im Verzeichnis" in response.text
    assert _rows(server, "SELECT count(*) FROM referral WHERE client_id = :c", c=client_id)[0][0] == 0
    # The same in French for a French-speaking nurse.
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "soins")
        other = http.post(
            f"/screenings/{screening_id}/consent",
            data={"csrf_token": csrf_from(http.get("/").text), "offer": offer},
        )
        assert (
            other.status_code == 404 and "Cette évaluation n’existe pas dans votre organisation" in other.text
        )


def test_duplicate_referral_is_warned_and_linked(server, nurse):
    client_id = nurse.client(name="G. H.")
    first = nurse.screening(client_id, LONELY)
    offer = nurse.offers(first)[0]
    assert nurse.send(first, [offer]).status_code == 303
    existing = _rows(server, "SELECT id FROM referral WHERE client_id = :c", c=client_id)[0][0]

    second = nurse.screening(client_id, LONELY)
    page = nurse.http.post(f"/screenings/{second}/consent", data={"csrf_token": nurse.token, "offer": offer})
    assert "Für diese Person besteht bereits eine offene Zuweisung" in page.text
    assert f'href="/referrals/{existing}"' in page.text
    held = nurse.send(second, [offer])
    assert held.status_code == 422 and 'name="accept_warnings"' in held.text
    assert nurse.send(second, [offer], accept_warnings="yes").status_code == 303
    assert _rows(server, "SELECT count(*) FROM referral WHERE client_id = :c", c=client_id)[0][0] == 2


def test_offer_outside_the_area_is_a_warning_not_a_block(server, nurse):
    client_id = nurse.client(name="I. J.")
    screening_id = nurse.screening(client_id, LONELY)
    elsewhere = _rows(
        server,
        "SELECT a.service_id FROM directory_service_area a JOIN directory_service s ON s.id = a.service_id "
        "WHERE a.scope = 'district' AND a.code = 'BB' AND s.capacity_status <> 'not_accepting' "
        "AND NOT EXISTS (SELECT 1 FROM directory_service_area b WHERE b.service_id = a.service_id "
        "AND (b.scope = 'canton' OR b.code = 'EM' OR b.code = '902'))",
    )[0][0]
    held = nurse.send(screening_id, [f"loneliness:{elsewhere}"])
    assert held.status_code == 422 and "Langnau im Emmental" in held.text and "Einzugsgebiet" in held.text
    assert nurse.send(screening_id, [f"loneliness:{elsewhere}"], accept_warnings="yes").status_code == 303


def test_paused_offer_takes_no_referral_until_its_end_date(server, nurse):
    client_id = nurse.client(name="K. L.")
    screening_id = nurse.screening(client_id, CARER)
    offer = nurse.offers(screening_id)[0]
    service_id = offer.split(":", 1)[1]
    until = date.today() + timedelta(days=3)
    _rows(
        server,
        "UPDATE directory_service SET capacity_status = 'not_accepting', capacity_until = :u WHERE id = :s",
        u=until,
        s=service_id,
    )
    try:
        blocked = nurse.send(screening_id, [offer], accept_warnings="yes")
        assert blocked.status_code == 422 and "nimmt keine neuen Zuweisungen an bis" in blocked.text
        _rows(
            server,
            "UPDATE directory_service SET capacity_until = :u WHERE id = :s",
            u=date.today() - timedelta(days=1),
            s=service_id,
        )
        assert nurse.send(screening_id, [offer], accept_warnings="yes").status_code == 303
    finally:
        _rows(
            server,
            "UPDATE directory_service SET capacity_status = 'accepting', capacity_until = NULL WHERE id = :s",
            s=service_id,
        )


def test_nurse_cancels_her_referral_with_a_reason(server, nurse):
    client_id = nurse.client(name="M. N.")
    screening_id = nurse.screening(client_id, LONELY)
    assert nurse.send(screening_id, nurse.offers(screening_id)[:1]).status_code == 303
    referral_id = _rows(server, "SELECT id FROM referral WHERE client_id = :c", c=client_id)[0][0]

    no_reason = nurse.http.post(
        f"/referrals/{referral_id}/cancel", data={"csrf_token": nurse.token, "reason": " "}
    )
    assert no_reason.status_code == 422 and "Bitte geben Sie einen Grund an" in no_reason.text
    done = nurse.http.post(
        f"/referrals/{referral_id}/cancel", data={"csrf_token": nurse.token, "reason": "Klientin ins Heim"}
    )
    assert done.status_code == 303
    assert _rows(server, "SELECT status, status_reason FROM referral WHERE id = :r", r=referral_id)[0] == (
        "cancelled",
        "Klientin ins Heim",
    )
    again = nurse.http.post(
        f"/referrals/{referral_id}/cancel", data={"csrf_token": nurse.token, "reason": "x"}
    )
    assert again.status_code == 422 and "abgeschlossen" in again.text
    assert referral_id in nurse.http.get("/referrals?status=closed").text
    assert referral_id not in nurse.http.get("/referrals").text
    # Another organisation neither sees nor cancels it.
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "soins")
        assert http.get(f"/referrals/{referral_id}").status_code == 404
        assert referral_id not in http.get("/referrals?status=all").text


def test_handout_is_in_the_clients_language(server, nurse):
    client_id = nurse.client(name="O. P.", language="fr")
    screening_id = nurse.screening(client_id, LONELY)
    assert nurse.send(screening_id, nurse.offers(screening_id)[:1]).status_code == 303
    handout = nurse.http.get(f"/screenings/{screening_id}/handout")
    assert handout.status_code == 200 and '<html lang="fr">' in handout.text
    assert "Vos offres de soutien" in handout.text and "Ce qui se passe ensuite" in handout.text
    assert handout.headers["cache-control"] == "no-store"


def test_a_forward_proposal_is_sent_only_with_new_consent(server, nurse):
    """The receiving side rejects and proposes another offer: a draft the nurse sends after asking."""
    client_id = nurse.client(name="Q. R.")
    screening_id = nurse.screening(client_id, LONELY)
    service_id = _rows(
        server,
        "SELECT s.id FROM directory_service s JOIN directory_organization o ON o.id = s.organization_id "
        "JOIN directory_service_tag t ON t.service_id = s.id WHERE o.name = 'Pro Senectute Kanton Bern' "
        "AND t.kind = 'need_domain' AND t.value = 'loneliness' AND s.capacity_status = 'accepting' ORDER BY s.id LIMIT 1",
    )[0][0]
    assert nurse.send(screening_id, [f"loneliness:{service_id}"], accept_warnings="yes").status_code == 303
    referral_id = _rows(server, "SELECT id FROM referral WHERE client_id = :c", c=client_id)[0][0]
    other = next(o.split(":", 1)[1] for o in nurse.offers(screening_id) if o.split(":", 1)[1] != service_id)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "koordination")
        token = csrf_from(http.get(f"/inbox/{referral_id}").text)
        no_reason = http.post(f"/inbox/{referral_id}/reject", data={"csrf_token": token, "forward_to": other})
        assert no_reason.status_code == 422 and "Wählen Sie einen Grund" in no_reason.text
        rejected = http.post(
            f"/inbox/{referral_id}/reject",
            data={"csrf_token": token, "reason": "no_capacity", "forward_to": other},
        )
        assert rejected.status_code == 303
    proposal = _rows(
        server, "SELECT id, status, shared, service_id FROM referral WHERE forwarded_from = :r", r=referral_id
    )[0]
    assert proposal[1] == "draft" and _json(proposal[2]) == {} and proposal[3] == other
    page = nurse.http.get(f"/referrals/{proposal[0]}").text
    assert "Vorgeschlagen von Pro Senectute Kanton Bern" in page
    refused = nurse.http.post(f"/referrals/{proposal[0]}/send", data={"csrf_token": nurse.token})
    assert refused.status_code == 422 and "Ohne Einwilligung" in refused.text
    assert _rows(server, "SELECT status FROM referral WHERE id = :r", r=proposal[0])[0][0] == "draft"
    sent = nurse.http.post(
        f"/referrals/{proposal[0]}/send",
        data={
            "csrf_token": nurse.token,
            "confirmed": "yes",
            "given_by": "client",
            "method": "verbal",
            "scope": "contact",
        },
    )
    assert sent.status_code == 303
    status, shared = _rows(server, "SELECT status, shared FROM referral WHERE id = :r", r=proposal[0])[0]
    linked = _rows(
        server,
        "SELECT o.organisation_id FROM directory_service s JOIN directory_organization o "
        "ON o.id = s.organization_id WHERE s.id = :s",
        s=other,
    )[0][0]
    assert status == ("requested" if linked else "ready") and _json(shared)["display_name"] == "Q. R."
    reason = _rows(server, "SELECT reject_reason, status FROM referral WHERE id = :r", r=referral_id)[0]
    assert reason == ("no_capacity", "rejected")
