"""Checking a set of answers against its instrument before anything is saved. Pure; no I/O.

Used by the screening pages, the API and (later) the offline sync, so that all three reject
the same things with the same messages.
"""

from __future__ import annotations

from typing import Any

from backend.i18n import N_
from backend.screening.rules import enabled_items

MAX_TEXT = 2000


def answer_problems(instrument: dict[str, Any], answers: dict[str, Any]) -> dict[str, str]:
    """linkId → msgid of what is wrong with that answer; empty when all fit."""
    items = {item["linkId"]: item for item in instrument["items"]}
    enabled = set(enabled_items(instrument, answers))
    problems: dict[str, str] = {}
    for link_id, answer in answers.items():
        item = items.get(link_id)
        if item is None:
            problems[link_id] = N_("This question is not part of the instrument.")
        elif item["type"] == "display":
            problems[link_id] = N_("This is information, not a question.")
        elif link_id not in enabled:
            problems[link_id] = N_("This question does not apply, given the earlier answers.")
        elif answer is None:
            continue  # skipped on purpose
        elif (problem := _type_problem(item, answer)) is not None:
            problems[link_id] = problem
    return problems


def _type_problem(item: dict[str, Any], answer: Any) -> str | None:
    kind = item["type"]
    codes = {option["code"] for option in item.get("options", [])}
    if kind == "choice" and not (isinstance(answer, str) and answer in codes):
        return N_("Choose one of the offered answers.")
    if kind == "multiple-choice":
        if not (isinstance(answer, list) and all(isinstance(a, str) and a in codes for a in answer)):
            return N_("Choose among the offered answers.")
        if len(set(answer)) != len(answer):
            return N_("An answer is chosen twice.")
    if kind == "yes-no" and not isinstance(answer, bool):
        return N_("Answer yes or no.")
    if kind == "integer":
        if not (isinstance(answer, int) and not isinstance(answer, bool)):
            return N_("Enter a whole number.")
        low, high = item.get("min"), item.get("max")
        if (low is not None and answer < low) or (high is not None and answer > high):
            return N_("This number is outside the possible range.")
    if kind == "text" and not (isinstance(answer, str) and len(answer) <= MAX_TEXT):
        return N_("The text is too long.")
    return None
