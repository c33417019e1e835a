"""The rule language, evaluated (authoritative) on the server. Pure; no I/O.

The browser has the same interpreter in frontend/static/js/rules.js; both are tested against
the same vectors (backend/screening/vectors.json). Conditions:
  {"answered": id} | {"question": id, "equals"|"in"|"includes"|"gte"|"lte"|"gt"|"lt": v}
  | {"sum": [ids], "gte"|"lte"|"gt"|"lt": n} | {"all": [c]} | {"any": [c]} | {"not": c}
A condition about an unanswered or disabled question is false (so `not` of it is true).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SEVERITY_ORDER = {"wish": 1, "needed": 2, "urgent": 3}
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "gte": lambda a, b: a >= b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "lt": lambda a, b: a < b,
}

Answers = dict[str, Any]


def _value(item: dict[str, Any] | None, answer: Any) -> float:
    """What an answer adds to a sum: the option's score, or the number itself."""
    if answer is None or item is None:
        return 0
    if item["type"] == "choice":
        score: float = next((o.get("score", 0) for o in item["options"] if o["code"] == answer), 0)
        return score
    if item["type"] == "multiple-choice":
        total: float = sum(o.get("score", 0) for o in item["options"] if o["code"] in answer)
        return total
    if item["type"] == "integer" and isinstance(answer, int) and not isinstance(answer, bool):
        return answer
    return 0


def holds(condition: dict[str, Any], answers: Answers, items: dict[str, dict[str, Any]]) -> bool:
    if "all" in condition:
        return all(holds(c, answers, items) for c in condition["all"])
    if "any" in condition:
        return any(holds(c, answers, items) for c in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], answers, items)
    if "answered" in condition:
        return answers.get(condition["answered"]) not in (None, "", [])
    if "sum" in condition:
        total = sum(_value(items.get(i), answers.get(i)) for i in condition["sum"])
        return any(COMPARISONS[op](total, condition[op]) for op in COMPARISONS if op in condition)
    answer = answers.get(condition["question"])
    if answer is None:
        return False
    if "equals" in condition:
        return answer == condition["equals"] and type(answer) is type(condition["equals"])
    if "in" in condition:
        return any(answer == v and type(answer) is type(v) for v in condition["in"])
    if "includes" in condition:
        return isinstance(answer, list) and condition["includes"] in answer
    for op, compare in COMPARISONS.items():
        if op in condition:
            return isinstance(answer, int) and not isinstance(answer, bool) and compare(answer, condition[op])
    return False


def enabled_answers(instrument: dict[str, Any], answers: Answers) -> Answers:
    """The answers that count: those to items whose enableWhen holds, in item order, so a
    follow-up depends only on what is itself enabled."""
    items = {item["linkId"]: item for item in instrument["items"]}
    counted: Answers = {}
    for item in instrument["items"]:
        condition = item.get("enableWhen")
        if condition is None or holds(condition, counted, items):
            if item["linkId"] in answers and item["type"] != "display":
                counted[item["linkId"]] = answers[item["linkId"]]
    return counted


def enabled_items(instrument: dict[str, Any], answers: Answers) -> list[str]:
    items = {item["linkId"]: item for item in instrument["items"]}
    counted = enabled_answers(instrument, answers)
    return [
        item["linkId"]
        for item in instrument["items"]
        if item.get("enableWhen") is None or holds(item["enableWhen"], counted, items)
    ]


def evaluate(instrument: dict[str, Any], answers: Answers) -> dict[str, Any]:
    """{"needs": {domain: severity}, "emergency": bool, "rules": [fired rule ids]}"""
    items = {item["linkId"]: item for item in instrument["items"]}
    counted = enabled_answers(instrument, answers)
    needs: dict[str, str] = {}
    fired: list[str] = []
    emergency = False
    for rule in instrument["rules"]:
        if not holds(rule["when"], counted, items):
            continue
        fired.append(rule["id"])
        emergency = emergency or bool(rule.get("emergency"))
        current = needs.get(rule["domain"])
        if current is None or SEVERITY_ORDER[rule["severity"]] > SEVERITY_ORDER[current]:
            needs[rule["domain"]] = rule["severity"]
    return {"needs": needs, "emergency": emergency, "rules": fired}
