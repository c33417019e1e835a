"""What happens in the public self-check, as domain events (see backend/events.py). Nothing
personal: the needs flagged, the place and age band given, the language."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SelfCheckFinished:
    """A self-check's result was shown for the first time. `unmet` are the flagged needs its
    result found no offer for (None when the municipality is not known)."""

    needs: dict[str, str]  # need domain → severity
    municipality: int | None  # BFS number
    age_band: str
    language: str
    unmet: set[str] | None
