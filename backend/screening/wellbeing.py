"""The wellbeing scores of one set of answers (baseline screening or follow-up). Pure; no I/O.

Both instruments carry the same items under the same linkIds (ONS4 and UCLA-3), so the scores
of a baseline and of its follow-up pair by key.
"""

from __future__ import annotations

from typing import Any

from backend.screening.rules import enabled_answers

ONS4 = ("ons4-life-satisfaction", "ons4-worthwhile", "ons4-happy", "ons4-anxious")
UCLA3 = ("ucla-companionship", "ucla-left-out", "ucla-isolated")
UCLA3_KEY = "ucla3"


def _score(item: dict[str, Any] | None, answer: Any) -> int | None:
    """The chosen option's score; None for an option without one (declined), or no answer."""
    if item is None or not isinstance(answer, str):
        return None
    option = next((o for o in item.get("options", []) if o["code"] == answer), None)
    return option.get("score") if option is not None else None


def scores(instrument: dict[str, Any], answers: dict[str, Any]) -> dict[str, int | None]:
    """Each ONS4 item's 0–10 value (None when declined, unanswered or not enabled, e.g. without
    the client's agreement) and `ucla3`, the UCLA-3 sum 3–9 (None unless all three answered)."""
    items = {item["linkId"]: item for item in instrument["items"]}
    counted = enabled_answers(instrument, answers)
    out: dict[str, int | None] = {key: _score(items.get(key), counted.get(key)) for key in ONS4}
    ucla = [_score(items.get(key), counted.get(key)) for key in UCLA3]
    out[UCLA3_KEY] = sum(s for s in ucla if s is not None) if all(s is not None for s in ucla) else None
    return out
