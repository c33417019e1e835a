"""Answers from an HTML form (`a-<linkId>` fields) into typed answers. Pure."""

from __future__ import annotations

from typing import Any

PREFIX = "a-"


def parse(instrument: dict[str, Any], form: dict[str, list[str]]) -> dict[str, Any]:
    """Typed answers for every item the form carries; a cleared field becomes None (skipped).
    Wrongly typed values are passed on as they are, for answer_problems to name."""
    answers: dict[str, Any] = {}
    for item in instrument["items"]:
        key = PREFIX + item["linkId"]
        present = key in form or f"{key}-present" in form
        if not present:
            continue
        values = [v for v in form.get(key, []) if v != ""]
        kind = item["type"]
        if kind == "multiple-choice":
            answers[item["linkId"]] = values or None
        elif not values:
            answers[item["linkId"]] = None
        elif kind == "yes-no":
            answers[item["linkId"]] = {"true": True, "false": False}.get(values[0], values[0])
        elif kind == "integer":
            raw = values[0].strip()
            answers[item["linkId"]] = int(raw) if raw.lstrip("-").isdigit() else raw
        else:
            answers[item["linkId"]] = values[0]
    return answers
