"""What happens to screenings, as domain events (see backend/events.py): recorded by the
screening service inside its transaction; reports subscribe (the anonymous tallies)."""

from __future__ import annotations

from dataclasses import dataclass

from backend.clients.models import Client
from backend.screening.models import Screening


@dataclass(frozen=True)
class ScreeningCompleted:
    """A nurse's screening was completed (its needs evaluated); `client` as it is now."""

    screening: Screening
    client: Client | None
