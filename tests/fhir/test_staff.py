"""Practitioner and PractitionerRole, minimal: a colleague's name and role, for the caller's own
organisation only (another organisation's people answer 404, as unknown ids do)."""

from __future__ import annotations

from tests.fhir.conftest import assert_valid


def test_colleagues_are_practitioners_of_their_organisation_only(server, fhir):
    besuchsdienst, pflege = (
        server.database.execute("SELECT id FROM user_account WHERE username = :u", u=name)[0][0]
        for name in ("besuchsdienst", "pflege")
    )
    coordinator = fhir("koordination")
    person = coordinator.get(f"/Practitioner/{besuchsdienst}")
    assert person.status_code == 200, person.text
    assert assert_valid(person.json())["name"] == [{"text": "Beat Besuchsdienst"}]
    role = assert_valid(coordinator.get(f"/PractitionerRole/{besuchsdienst}").json())
    assert role["practitioner"]["reference"] == f"Practitioner/{besuchsdienst}"
    assert role["code"][0]["coding"][0]["code"] == "coordinator"
    assert role["organization"]["reference"].startswith("Organization/passerelle-")

    for path in (
        f"/Practitioner/{pflege}",
        f"/PractitionerRole/{pflege}",
        "/Practitioner/999999",
        "/Practitioner/x",
    ):
        refused = coordinator.get(path)
        assert refused.status_code == 404, path
        assert assert_valid(refused.json())["issue"][0]["code"] == "not-found"
        assert "Petra" not in refused.text
    assert fhir("analyse").get(f"/Practitioner/{besuchsdienst}").status_code == 403
