from __future__ import annotations

import pytest
from litestar import Request
from litestar_htmx import HTMXRequest

from backend.accounts.passwords import hash_password, verify_password
from backend.web import is_htmx, safe_next, wants_fragment


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
