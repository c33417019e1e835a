"""Answers from an HTML form into typed answers (screening/form.py)."""

from __future__ import annotations

import pytest

from backend.screening.form import parse

INSTRUMENT = {
    "items": [
        {"linkId": "intro", "type": "display"},
        {"linkId": "alone", "type": "yes-no"},
        {"linkId": "meals", "type": "choice"},
        {"linkId": "help", "type": "multiple-choice"},
        {"linkId": "age", "type": "integer"},
        {"linkId": "note", "type": "text"},
    ]
}


@pytest.mark.parametrize(
    ("form", "answers"),
    [
        ({}, {}),  # nothing on the form: nothing answered, nothing cleared
        ({"a-alone": ["true"]}, {"alone": True}),
        ({"a-alone": ["false"]}, {"alone": False}),
        ({"a-alone": ["maybe"]}, {"alone": "maybe"}),  # passed on for answer_problems to name
        ({"a-meals": ["daily"]}, {"meals": "daily"}),
        ({"a-meals": ["daily", "weekly"]}, {"meals": "daily"}),  # one choice: the first
        ({"a-help": ["family", "neighbours"]}, {"help": ["family", "neighbours"]}),
        ({"a-help": ["", "family"]}, {"help": ["family"]}),
        ({"a-help-present": ["1"]}, {"help": None}),  # every box unticked: cleared
        ({"a-age": ["82"]}, {"age": 82}),
        ({"a-age": [" 82 "]}, {"age": 82}),
        ({"a-age": ["-1"]}, {"age": -1}),  # typed; the range is answer_problems' to check
        ({"a-age": ["eighty"]}, {"age": "eighty"}),
        ({"a-age": [""]}, {"age": None}),  # a cleared field: skipped
        ({"a-note": ["lives alone"]}, {"note": "lives alone"}),
        ({"a-note-present": ["1"]}, {"note": None}),
        ({"a-unknown": ["x"], "csrf_token": ["t"]}, {}),  # only the instrument's items
        (
            {"a-alone": ["true"], "a-meals": ["rarely"], "a-help": [], "a-age": ["70"]},
            {"alone": True, "meals": "rarely", "help": None, "age": 70},
        ),
    ],
)
def test_parse_types_each_answer(form, answers):
    assert parse(INSTRUMENT, form) == answers
