from __future__ import annotations

import pytest

from backend.accounts.passwords import hash_password, verify_password
from backend.web import safe_next


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


def test_argon2_hashes_verify_and_reject():
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "wrong horse battery")
    assert not verify_password(None, "passerelle-timing-equaliser")  # unknown user never passes
