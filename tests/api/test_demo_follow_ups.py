"""The demo data has follow-ups (issue 19): due ones on the demo nurses' start pages, recorded
ones with ONS4/UCLA-3 answers at baseline and follow-up (readable through FHIR), a baseline
where the wellbeing questions were declined; the same rows on every seed (deterministic, and
seeding twice adds nothing)."""

from __future__ import annotations

import json

import httpx

from backend.demo.followups import CLIENTS, _id
from tests.support import cli, login


def _in(kind: str) -> str:
    """A literal IN list of the demo ids (fixed uuid5 values, nothing from outside)."""
    return "(" + ", ".join(f"'{_id(kind, nurse, name)}'" for nurse, name, *_ in CLIENTS) + ")"


def _rows(server) -> list:
    return server.database.execute(
        "SELECT c.display_name, f.status, f.id FROM follow_up f JOIN client c ON c.id = f.client_id "
        f"WHERE c.id IN {_in('client')} ORDER BY c.display_name"
    )


def test_the_demo_nurses_see_due_follow_ups_and_recorded_ones_have_wellbeing(server):
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "pflege")
        start = http.get("/").text
    assert "Nachfrage fällig: E. B., seit 2 Tagen" in start
    assert "A. Z." not in start.split("Nachfrage fällig")[-1].split("</ul>")[0]  # recorded: not due
    with httpx.Client(base_url=server.url, timeout=10) as http:
        login(http, "soins")
        assert "C. V." in http.get("/").text

    baselines = dict(
        server.database.execute(
            "SELECT c.display_name, s.answers FROM screening s JOIN client c ON c.id = s.client_id "
            f"WHERE s.id IN {_in('screening')}"
        )
    )
    assert len(baselines) == len(CLIENTS)
    answers = {k: v if isinstance(v, dict) else json.loads(v) for k, v in baselines.items()}
    assert answers["R. K."]["wellbeing-consent"] == "no" and "ons4-happy" not in answers["R. K."]
    assert answers["E. B."]["wellbeing-consent"] == "yes" and answers["E. B."]["ons4-happy"].isdigit()

    token = cli("tokens", "create", "--user", "pflege", "--name", "demo", env=server.env).stdout.strip()
    recorded = _id("follow-up", "pflege", "A. Z.")
    with httpx.Client(
        base_url=server.url + "/fhir", timeout=10, headers={"Authorization": f"Bearer {token}"}
    ) as fhir:
        goal = fhir.get(f"/Goal/{recorded}-loneliness").json()
        assert goal["achievementStatus"]["coding"][0]["code"] == "improving"
        ucla = fhir.get(f"/Observation/{recorded}-ucla3").json()
        assert ucla["valueInteger"] == 2 + 1 + 2  # less lonely than at baseline (3 + 2 + 3)
        assert fhir.get(f"/Observation/{recorded}-ons4-happy").json()["valueInteger"] >= 0


def test_seeding_again_adds_nothing_and_the_ids_are_fixed(server):
    before = _rows(server)
    assert [(name, status) for name, status, _ in before] == sorted(
        (name, "done" if state == "done" else "due") for _, name, _, _, _, state, *_ in CLIENTS
    )
    cli("demo", "seed", env=server.env)
    assert _rows(server) == before
