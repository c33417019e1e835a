from __future__ import annotations

import pytest
from litestar import Request
from litestar_htmx import HTMXRequest

from backend.accounts.passwords import hash_password, verify_password
from backend.i18n import shown_language
from backend.web import is_htmx, make_environment, safe_next, wants_fragment


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin", "/admin"),
        ("/offline/fr?x=1", "/offline/fr?x=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
        ("admin", "/"),
    ],
)
def test_safe_next_keeps_people_on_passerelle(target, expected):
    assert safe_next(target) == expected


def request_with(headers: dict[str, str], request_class: type[Request] = HTMXRequest) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return request_class({"type": "http", "method": "GET", "path": "/", "headers": raw, "query_string": b""})


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, False),  # a plain request: the page
        ({"HX-Request": "true", "HX-Target": "results"}, True),  # htmx swapping part of the page
        ({"HX-Request": "true"}, True),
        ({"HX-Request": "true", "HX-Boosted": "true"}, False),  # a boosted link replaces the body
        ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, False),  # back button, cache miss
        ({"HX-Target": "results"}, False),  # not sent by htmx
    ],
)
def test_one_place_decides_page_or_fragment(headers, fragment):
    assert wants_fragment(request_with(headers)) is fragment
    assert wants_fragment(request_with(headers, Request)) is fragment  # without the HTMX plugin too
    assert is_htmx(request_with(headers)) is ("HX-Request" in headers)


def test_argon2_hashes_verify_and_reject():
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "wrong horse battery")
    assert not verify_password(None, "passerelle-timing-equaliser")  # unknown user never passes


class _Hit:
    def __init__(self, name_de: str | None, name_fr: str | None) -> None:
        self.name_de, self.name_fr = name_de, name_fr


@pytest.mark.parametrize(
    ("item", "locale", "expected"),
    [
        (_Hit("Entlastung", None), "fr", "de"),
        (_Hit("Entlastung", None), "de", "de"),
        (_Hit("Entlastung", "Relève"), "fr", "fr"),
        (_Hit(None, "Relève"), "de", "fr"),
        (_Hit(None, None), "fr", "fr"),
    ],
)
def test_an_offer_text_is_shown_in_its_own_language(item, locale, expected):
    assert shown_language(item, "name", locale) == expected


def test_shown_language_reads_a_records_text_mapping():
    from backend.directory.records import ServiceRecord

    record = ServiceRecord(id="s", organization_id="o", texts={"hours": {"de": "Mo–Fr", "fr": None}})
    assert shown_language(record, "hours", "fr") == "de"
    assert shown_language(record, "name", "fr") == "fr"  # nothing to mark when there is no text


def test_lang_attr_marks_only_text_in_the_other_language():
    from backend.pwa.assets import Assets

    env = make_environment(Assets())
    template = env.from_string('<p{{ lang_attr(hit) }}>x</p><p{{ lang_attr("fr") }}>y</p>')
    assert template.render(locale="fr", hit=_Hit("Entlastung", None)) == '<p lang="de">x</p><p>y</p>'
    assert template.render(locale="de", hit=_Hit("Entlastung", None)) == '<p>x</p><p lang="fr">y</p>'
