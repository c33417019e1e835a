"""Pure directory logic: offer validation, search-term sanitising, places."""

from __future__ import annotations

import pytest

from backend.directory import fts
from backend.directory.records import ServiceRecord, area_rank, validate
from backend.geo.reference import find_municipality


def _valid() -> ServiceRecord:
    return ServiceRecord(
        id="x",
        organization_id="o",
        texts={"name": {"de": "Besuchsdienst", "fr": None}, "description": {"de": "Besuche.", "fr": None}},
        service_type="visiting",
        need_domains=["loneliness"],
        life_phases=["older"],
        access_modes=["home_visit"],
        languages=["de"],
        areas=[("district", "EM")],
    )


def test_a_complete_offer_is_valid():
    assert validate(_valid()) == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"texts": {"name": {"de": None, "fr": None}, "description": {"de": "x", "fr": None}}}, "name"),
        ({"service_type": "massage"}, "service_type"),
        ({"need_domains": []}, "need_domains"),
        ({"need_domains": ["happiness"]}, "need_domains"),
        ({"life_phases": ["teen"]}, "life_phases"),
        ({"languages": []}, "languages"),
        ({"languages": ["german"]}, "languages"),
        ({"areas": []}, "areas"),
        ({"areas": [("municipality", "9999")]}, "areas"),
        ({"areas": [("district", "ZH")]}, "areas"),
        ({"minimum_age": 70, "maximum_age": 60}, "maximum_age"),
        ({"minimum_age": 300}, "minimum_age"),
        ({"phone": "call me"}, "phone"),
        ({"email": "nobody"}, "email"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"capacity_status": "maybe"}, "capacity_status"),
    ],
)
def test_invalid_offers_name_the_field(change, field):
    record = _valid()
    for key, value in change.items():
        setattr(record, key, value)
    assert field in validate(record)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Einsamkeit", ["einsamkeit"]),
        ("proches aidants", ["proches", "aidants"]),
        ('"); DROP TABLE x; --', ["drop", "table", "x"]),
        ("a AND b OR NEAR(c) * ^", ["a", "and", "b", "or", "near", "c"]),
        ("x" * 5000, ["x" * 40]),
        ("", []),
    ],
)
def test_search_terms_are_words_only(query, expected):
    assert fts.terms(query) == expected


def test_match_expressions_quote_every_word():
    assert fts.sqlite_match(["or", "near"]) == '"or"* AND "near"*'
    assert fts.pg_tsquery(["proches", "aidants"]) == "proches:* & aidants:*"


def test_specificity_order():
    assert area_rank("municipality") < area_rank("district") < area_rank("canton")


@pytest.mark.parametrize(
    ("typed", "bfs"),
    [
        ("Langnau im Emmental", 902),
        ("3550", 902),
        ("3550 Langnau im Emmental", 902),
        ("saint-imier", 443),
        ("2722", 446),
        ("902", 902),
        ("Atlantis", None),
        ("0000", None),
    ],
)
def test_places_from_what_people_type(typed, bfs):
    found = find_municipality(typed)
    assert (found.bfs_number if found else None) == bfs
