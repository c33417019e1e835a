"""Consent as the nurse records it (referrals/consent.py): what is accepted, and what it lets a
receiving organisation see."""

from __future__ import annotations

from datetime import date

import pytest

from backend.referrals.consent import DEFAULT_SCOPE, NOTE_LIMIT, ConsentForm, shared_data

TODAY = date(2026, 3, 16)


def test_the_default_form_needs_only_the_confirmation():
    assert ConsentForm().scope == list(DEFAULT_SCOPE)
    form = ConsentForm(confirmed=True)
    clean = form.validate(TODAY)
    assert form.errors == {}
    assert clean == {
        "given_by": "client",
        "method": "verbal",
        "given_on": TODAY,  # no date entered: today
        "scope": ["contact", "birth_year"],
        "note": None,
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"confirmed": False}, "confirmed"),
        ({"given_by": "neighbour"}, "given_by"),
        ({"method": "telepathy"}, "method"),
        ({"given_on": "16.03.2026"}, "given_on"),
        ({"given_on": "2026-03-17"}, "given_on"),  # tomorrow
        ({"given_on": "2026-02-13"}, "given_on"),  # 31 days ago
        ({"scope": ["contact", "diagnosis"]}, "scope"),
        ({"note": "x" * (NOTE_LIMIT + 1)}, "note"),
    ],
)
def test_each_problem_is_named_on_its_field(changes, field):
    form = ConsentForm(**{"confirmed": True, **changes})
    form.validate(TODAY)
    assert list(form.errors) == [field]


@pytest.mark.parametrize(
    ("given_on", "expected"),
    [
        ("2026-03-16", date(2026, 3, 16)),
        (" 2026-02-14 ", date(2026, 2, 14)),  # 30 days ago: still valid
        ("", TODAY),
        ("   ", TODAY),
    ],
)
def test_dates_up_to_thirty_days_back_are_kept(given_on, expected):
    form = ConsentForm(confirmed=True, given_on=given_on)
    assert form.validate(TODAY)["given_on"] == expected
    assert form.errors == {}


def test_scope_comes_back_in_the_catalogue_order_and_the_note_trimmed():
    form = ConsentForm(
        confirmed=True, scope=["strengths", "contact"], note="  call after 5  ", method="written"
    )
    clean = form.validate(TODAY)
    assert clean["scope"] == ["contact", "strengths"]
    assert clean["note"] == "call after 5"
    assert clean["method"] == "written"
    assert ConsentForm(confirmed=True, note="x" * NOTE_LIMIT).validate(TODAY)["note"] == "x" * NOTE_LIMIT


CLIENT = {
    "display_name": "Margrit M.",
    "phone": "+41 34 402 12 34",
    "birth_year": 1941,
    "municipality": 902,
    "language": "de",
}
NEEDS = {"food": "urgent", "company": "wish"}
ALWAYS = {"need": {"domain": "food", "severity": "urgent"}, "municipality": 902, "language": "de"}


@pytest.mark.parametrize(
    ("scope", "strengths", "note", "expected"),
    [
        ([], None, None, ALWAYS),
        (["contact"], None, None, {**ALWAYS, "display_name": "Margrit M.", "phone": "+41 34 402 12 34"}),
        (["birth_year"], None, None, {**ALWAYS, "birth_year": 1941}),
        (["needs"], None, None, {**ALWAYS, "needs": NEEDS}),
        (["strengths"], "her daughter", None, {**ALWAYS, "strengths": "her daughter"}),
        (["strengths"], None, None, ALWAYS),  # nothing to share
        ([], "her daughter", None, ALWAYS),  # strengths outside the scope stay home
        ([], None, "ring twice", {**ALWAYS, "note": "ring twice"}),  # the note is written for them
    ],
)
def test_shared_data_reaches_as_far_as_the_consent(scope, strengths, note, expected):
    assert shared_data(scope, "food", NEEDS, CLIENT, strengths, note) == expected


def test_shared_data_copies_the_needs_and_tolerates_a_missing_phone():
    data = shared_data(["contact", "needs"], "housing", NEEDS, {**CLIENT, "phone": None}, None, None)
    assert data["need"] == {"domain": "housing", "severity": None}  # a need not in the screening
    assert data["phone"] is None
    data["needs"]["food"] = "wish"
    assert NEEDS["food"] == "urgent"
    without_phone = {k: v for k, v in CLIENT.items() if k != "phone"}
    assert shared_data(["contact"], "food", NEEDS, without_phone, None, None)["phone"] is None
