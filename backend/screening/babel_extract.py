"""Babel extractor for instrument files, so `make i18n` puts their texts into the catalogs:
title, description, item texts and help, option texts (not codes, rules or sources)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any


def extract_instrument(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[tuple[int, str, str, list[str]]]:
    instrument = json.load(fileobj)
    where = instrument.get("id", "?")
    yield 1, "gettext", instrument["title"], [f"instrument {where}: title"]
    if instrument.get("description"):
        yield 1, "gettext", instrument["description"], [f"instrument {where}: description"]
    for item in instrument.get("items", []):
        note = f"instrument {where}, item {item.get('linkId')}"
        yield 1, "gettext", item["text"], [note]
        if item.get("help"):
            yield 1, "gettext", item["help"], [f"{note}: help"]
        for option in item.get("options", []):
            yield 1, "gettext", option["text"], [f"{note}: option {option.get('code')}"]
