"""One word for the self-check in each language (issue 17, item 11): the one its own page title
uses ("Meine Situation – Selbstcheck", « Ma situation – auto-évaluation »), in reports, the
poster, the login page and the callback alike."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from tests.support import ROOT

WORD = {"de": "Selbstcheck", "fr": "auto-évaluation"}
OTHERS = {
    "de": ("Selbst-Check", "Selbsttest", "Self-Check"),
    "fr": ("auto-test", "autotest", "autodiagnostic"),
}


@pytest.mark.parametrize("language", ["de", "fr"])
def test_the_self_check_has_one_name(language):
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    naming = []
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if not message.id or not any("self-check" in i.lower() for i in ids):
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        naming += [s for s in strings if s]
    assert len(naming) >= 6  # title, reports, filter, poster, login, callback
    for text in naming:
        assert not any(other.lower() in text.lower() for other in OTHERS[language]), text
        assert WORD[language].lower() in text.lower(), text
