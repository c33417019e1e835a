"""Instrument files: loading, validation (schema, then references), translation for display.

An invalid file stops the app at start-up with a message that names the file and the item.

Repeated items (`"repeat": "need"`, the follow-up): such an item is asked once per referred
need, and each answer is stored under the key `"<linkId>:<need domain>"` (see `repeat_key`),
e.g. `{"need-change:housing": "better", "need-change:food": "same"}`. The plain linkId is never
an answer key for a repeated item, and enableWhen or rules cannot refer to one (their answers
depend on the referrals, not on the instrument alone).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from backend.i18n import translate

DIRECTORY = Path(__file__).parent / "instruments"
SCHEMA = json.loads((Path(__file__).parent / "instrument.schema.json").read_text(encoding="utf-8"))


class InstrumentError(ValueError):
    """An instrument file is not valid; the message names the file and the item."""


REPEAT_SEPARATOR = ":"


def repeat_key(link_id: str, domain: str) -> str:
    """The answer key of a repeated item for one need: 'need-change' + 'housing' → 'need-change:housing'."""
    return f"{link_id}{REPEAT_SEPARATOR}{domain}"


def split_repeat_key(key: str) -> tuple[str, str | None]:
    """'need-change:housing' → ('need-change', 'housing'); a plain linkId → (linkId, None)."""
    link_id, separator, domain = key.partition(REPEAT_SEPARATOR)
    return (link_id, domain) if separator else (key, None)


def _version(text: str) -> tuple[int, ...] | None:
    parts = str(text).split(".")
    return tuple(int(p) for p in parts) if len(parts) == 3 and all(p.isdigit() for p in parts) else None


def serves(instrument: dict[str, Any], version: str) -> bool:
    """Whether the shipped instrument can read answers given to `version` of it. Only the newest
    file ships; a minor version only adds optional items and keeps every code and rule (an
    instrument's contract), so answers to an earlier minor of the same major still fit: drafts,
    completed screenings and tablets still holding the earlier form keep working after an upgrade.
    A new major version is a new questionnaire."""
    shipped, given = _version(instrument["version"]), _version(version)
    return shipped is not None and given is not None and given[0] == shipped[0] and given <= shipped


def _conditions(condition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("all", "any"):
        if key in condition:
            for inner in condition[key]:
                yield from _conditions(inner)
            return
    if "not" in condition:
        yield from _conditions(condition["not"])
        return
    yield condition


def problems(instrument: dict[str, Any]) -> list[str]:
    """Everything wrong with an instrument, each naming where: 'item housing-x: …'."""
    errors = []
    for error in Draft202012Validator(SCHEMA).iter_errors(instrument):
        path = list(error.absolute_path)
        where = "instrument"
        if len(path) >= 2 and path[0] in ("items", "rules") and isinstance(path[1], int):
            entries = instrument.get(path[0]) or []
            entry = entries[path[1]] if path[1] < len(entries) else {}
            name = entry.get("linkId") or entry.get("id") or f"#{path[1]}"
            where = f"{'item' if path[0] == 'items' else 'rule'} {name}"
        errors.append(f"{where}: {error.message} (at {'/'.join(map(str, path)) or '/'})")
    if errors:
        return errors

    items = {}
    for item in instrument["items"]:
        if item["linkId"] in items:
            errors.append(f"item {item['linkId']}: linkId used twice")
        items[item["linkId"]] = item
        codes = [o["code"] for o in item.get("options", [])]
        if len(codes) != len(set(codes)):
            errors.append(f"item {item['linkId']}: an option code is used twice")

    def check(condition: dict[str, Any], where: str, before: set[str] | None) -> None:
        for leaf in _conditions(condition):
            for ref in (
                ([leaf["question"]] if "question" in leaf else [])
                + leaf.get("sum", [])
                + ([leaf["answered"]] if "answered" in leaf else [])
            ):
                if ref not in items:
                    errors.append(f"{where}: refers to unknown item {ref}")
                elif "repeat" in items[ref]:
                    errors.append(f"{where}: cannot refer to the repeated item {ref}")
                elif before is not None and ref not in before:
                    errors.append(f"{where}: enableWhen must refer to an earlier item, not {ref}")
                elif items[ref]["type"] in ("choice", "multiple-choice"):
                    codes = {o["code"] for o in items[ref]["options"]}
                    wanted = leaf.get("in", []) + [leaf[k] for k in ("equals", "includes") if k in leaf]
                    for code in wanted:
                        if code not in codes:
                            errors.append(f"{where}: item {ref} has no option {code!r}")

    seen: set[str] = set()
    for item in instrument["items"]:
        if "enableWhen" in item:
            check(item["enableWhen"], f"item {item['linkId']}", seen)
        seen.add(item["linkId"])
    rule_ids = set()
    for rule in instrument["rules"]:
        if rule["id"] in rule_ids:
            errors.append(f"rule {rule['id']}: id used twice")
        rule_ids.add(rule["id"])
        check(rule["when"], f"rule {rule['id']}", None)
    return errors


def load_file(path: Path) -> dict[str, Any]:
    try:
        instrument: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise InstrumentError(f"{path.name}: not valid JSON: {error}") from None
    found = problems(instrument)
    if found:
        raise InstrumentError(f"{path.name}: " + "; ".join(found))
    return instrument


@cache
def all_instruments() -> dict[str, dict[str, Any]]:
    """Every instrument of the directory by id; raises InstrumentError on the first bad file."""
    loaded = {}
    for path in sorted(DIRECTORY.glob("*.json")):
        instrument = load_file(path)
        loaded[instrument["id"]] = instrument
    return loaded


def translated(instrument: dict[str, Any], language: str) -> dict[str, Any]:
    """The instrument with its texts in one language (rules and codes unchanged)."""

    def t(text: str) -> str:
        return translate(language, text)

    out = {**instrument, "language": language, "title": t(instrument["title"])}
    if "description" in instrument:
        out["description"] = t(instrument["description"])
    out["items"] = []
    for item in instrument["items"]:
        copy = {k: v for k, v in item.items() if k != "source"}
        copy["text"] = t(item["text"])
        if "help" in item:
            copy["help"] = t(item["help"])
        if "options" in item:
            copy["options"] = [{**o, "text": t(o["text"])} for o in item["options"]]
        out["items"].append(copy)
    return out


def rules_for_browser(instrument: dict[str, Any]) -> dict[str, Any]:
    """What rules.js needs (conditions, option codes and scores, rules), without texts or
    sources: the pages carry the texts in their language."""
    items = [
        {k: v for k, v in item.items() if k in ("linkId", "type", "enableWhen")}
        | (
            {"options": [{k: o[k] for k in ("code", "score") if k in o} for o in item["options"]]}
            if "options" in item
            else {}
        )
        for item in instrument["items"]
    ]
    return {
        "id": instrument["id"],
        "version": instrument["version"],
        "items": items,
        "rules": instrument["rules"],
    }
