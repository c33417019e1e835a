"""Demo follow-ups (issue 19) for the demo nurses: clients with a completed baseline screening
that carries the wellbeing answers (most agreed to the ONS4 questions, one declined), some
follow-ups due now (the start page shows "Nachfrage fällig"), some recorded a few weeks ago
with plausible outcomes. Rows, not events: the demo year's tallies (reports/demo.py) already
count demo follow-ups, so these must not add to them. Deterministic: fixed ids and a seeded
random; idempotent (an existing client is left alone)."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from backend.accounts.models import User
from backend.clients.models import Client
from backend.followup.models import FollowUp
from backend.screening.instruments import all_instruments, repeat_key
from backend.screening.models import Screening
from backend.screening.rules import evaluate

SEED = 19
NURSE_INSTRUMENT = "social-situation-short"
FOLLOW_UP_INSTRUMENT = "follow-up"
LONELY = {"ucla-companionship": "often", "ucla-left-out": "some-of-the-time", "ucla-isolated": "often"}
BETTER = {
    "ucla-companionship": "some-of-the-time",
    "ucla-left-out": "hardly-ever",
    "ucla-isolated": "some-of-the-time",
}

# nurse, client, born, municipality (BFS), language, state: "due" (days overdue) or
# "done" (days ago recorded, change), wellbeing agreement at baseline.
CLIENTS: list[tuple[str, str, int, int, str, str, int, str, bool]] = [
    ("pflege", "E. B.", 1939, 902, "de", "due", 2, "", True),  # Langnau im Emmental
    ("pflege", "R. K.", 1943, 905, "de", "due", 0, "", False),  # wellbeing questions declined
    ("pflege", "A. Z.", 1937, 908, "de", "done", 20, "better", True),
    ("pflege", "F. L.", 1944, 902, "de", "done", 35, "same", True),
    ("soins", "C. V.", 1940, 446, "fr", "due", 1, "", True),  # Tramelan
    ("soins", "P. N.", 1935, 431, "fr", "done", 12, "better", True),
]


def _ons4(rng: random.Random, base: int) -> dict[str, str]:
    """Plausible ONS4 answers around a level (anxiety the other way round)."""

    def level(shift: int) -> str:
        return str(max(0, min(10, base + shift + rng.randint(-1, 1))))

    return {
        "wellbeing-consent": "yes",
        "ons4-life-satisfaction": level(0),
        "ons4-worthwhile": level(1),
        "ons4-happy": level(-1),
        "ons4-anxious": str(max(0, min(10, 10 - base + rng.randint(-1, 1)))),
    }


def _id(kind: str, nurse: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"passerelle:demo-follow-up:{kind}:{nurse}:{name}"))


def seed_follow_ups(session: Session, now: datetime, today: date) -> None:
    """Adds the demo follow-ups whose clients are missing."""
    instruments = all_instruments()
    nurse_instrument, follow_up_instrument = instruments[NURSE_INSTRUMENT], instruments[FOLLOW_UP_INSTRUMENT]
    rng = random.Random(SEED)
    for nurse_name, name, born, bfs, language, state, days, change, agreed in CLIENTS:
        wellbeing_base = rng.randint(3, 6)  # drawn for every row: later rows stay the same
        client_id = _id("client", nurse_name, name)
        if session.get(Client, client_id) is not None:
            continue
        nurse = session.exec(select(User).where(User.username == nurse_name)).first()
        if nurse is None or nurse.organisation_id is None:
            continue
        org = nurse.organisation_id
        screened = now - timedelta(weeks=10, days=days)
        session.add(
            Client(
                id=client_id,
                organisation_id=org,
                display_name=name,
                birth_year=born,
                municipality=bfs,
                language=language,
            )
        )
        answers: dict[str, Any] = dict(LONELY)
        answers.update(_ons4(rng, wellbeing_base) if agreed else {"wellbeing-consent": "no"})
        needs = evaluate(nurse_instrument, answers)["needs"]
        screening_id = _id("screening", nurse_name, name)
        session.add(
            Screening(
                id=screening_id,
                organisation_id=org,
                client_id=client_id,
                instrument_id=NURSE_INSTRUMENT,
                instrument_version=nurse_instrument["version"],
                status="completed",
                answers=answers,
                needs=needs,
                created_by=nurse.id,
                created_at=screened,
                updated_at=screened,
                completed_at=screened,
            )
        )
        session.flush()  # the client and screening rows first (PostgreSQL checks the keys)
        follow_up = FollowUp(
            id=_id("follow-up", nurse_name, name),
            organisation_id=org,
            client_id=client_id,
            screening_id=screening_id,
            reason="after-help",
            needs=["loneliness"],
            due_on=today - timedelta(days=days),
            created_at=screened,
            updated_at=screened,
        )
        if state == "done":
            recorded = now - timedelta(days=days)
            shift = {"better": 2, "same": 0}.get(change, -1)
            follow_up.answers = {
                repeat_key("need-change", "loneliness"): change,
                repeat_key("offer-use", "loneliness"): "using" if change == "better" else "stopped",
                "help-elsewhere": "no",
                **(_ons4(rng, wellbeing_base + shift) if agreed else {"wellbeing-consent": "no"}),
                **(BETTER if change == "better" else LONELY),
                "new-needs": False,
            }
            follow_up.status, follow_up.recorded_by, follow_up.recorded_at = "done", nurse.id, recorded
            follow_up.instrument_version = follow_up_instrument["version"]
            follow_up.due_on, follow_up.updated_at = today - timedelta(days=days + 3), recorded
        session.add(follow_up)
