"""Both languages are first class: every message translated, none fuzzy; negotiation order."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po

from backend import i18n
from tests.support import ROOT

LOCALES = ROOT / "locales"


def _catalog(language: str):
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def _template_ids() -> set[str]:
    with (LOCALES / "messages.pot").open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def test_template_is_current(tmp_path):
    """messages.pot holds every message in the code: `make i18n` was run after the last change."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "--no-location",
            "-k",
            "N_",
            "-k",
            "ntranslate:2,3",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as f:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    missing = extracted - _template_ids()
    assert not missing, f"run `make i18n`; not in messages.pot: {sorted(missing)}"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_translated_and_not_fuzzy(language):
    catalog = _catalog(language)
    by_id = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}

    def translated(message) -> bool:
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        return all(forms)

    missing = sorted(i for i in _template_ids() if i not in by_id or not translated(by_id[i]))
    fuzzy = sorted(i for i, m in by_id.items() if m.fuzzy)
    assert not missing, f"{language}: untranslated: {missing}"
    assert not fuzzy, f"{language}: fuzzy: {fuzzy}"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_placeholders_survive_translation(language):
    import re

    for message in _catalog(language):
        if not message.id or not isinstance(message.id, str):
            continue
        expected = sorted(re.findall(r"%\((\w+)\)s", message.id))
        assert sorted(re.findall(r"%\((\w+)\)s", message.string)) == expected, message.id
    for message in _catalog(language):
        if message.id and isinstance(message.id, tuple):
            expected = set(re.findall(r"%\((\w+)\)s", message.id[1]))
            for form in message.string:
                assert set(re.findall(r"%\((\w+)\)s", form)) == expected, message.id


def test_french_uses_the_typographic_apostrophe():
    """One apostrophe in French text: ’, never ' (issue 20, item 9). HTML tags in a message may
    quote their attributes as they need; the text around them may not."""
    import re

    straight = []
    for message in _catalog("fr"):
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            if message.id and "'" in re.sub(r"<[^>]*>", "", form or ""):
                straight.append(form)
    assert not straight, f"French messages with a straight apostrophe: {straight}"


@pytest.mark.parametrize(
    ("saved", "cookie", "header", "expected"),
    [
        ("fr", "de", "de-CH", "fr"),  # the saved preference wins
        (None, "fr", "de-CH,de;q=0.9", "fr"),  # then the switcher's cookie
        (None, None, "fr-CH, fr;q=0.9, de;q=0.8", "fr"),  # then the browser
        (None, None, "en-US,en;q=0.9,fr;q=0.5,de;q=0.7", "de"),  # q-values count
        (None, None, "it-CH, en", "de"),  # nothing we speak: German
        (None, "xx", None, "de"),  # junk is ignored
        (None, None, "fr;q=0", "de"),  # q=0 means "not this"
    ],
)
def test_locale_negotiation(saved, cookie, header, expected):
    assert i18n.negotiate(saved, cookie, header) == expected


def test_swiss_formats():
    moment = datetime(2026, 3, 5, 13, 30, tzinfo=UTC)  # 14:30 in Bern
    assert i18n.format_date(moment, "de") == "05.03.2026, 14:30:00"
    assert "14:30" in i18n.format_date(moment, "fr")
    assert i18n.format_money(1234.5, "de") == "CHF\xa01'234.50"
    assert i18n.format_money(1234.5, "fr").replace("\u202f", " ").endswith("CHF")


def test_translate_fills_parameters():
    text = i18n.translate(
        "fr", "Too many failed attempts. Please wait %(minutes)s minutes and try again.", minutes=3
    )
    assert "3 minutes" in text and text.startswith("Trop")


def test_days_are_bern_days():
    late = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)  # already 6 March in Bern
    assert i18n.format_day(late, "de") == "06.03.2026"
    assert "6 mars 2026" in i18n.format_day(late, "fr")
