"""The offline visit groups the nurse instrument's questions by need domain (issue 17, item 7):
every question exactly once, in the instrument's order, under a translated heading."""

from __future__ import annotations

from backend.offline.pages import AGE_ITEM, QUESTION_GROUPS, question_groups
from backend.screening.instruments import all_instruments, translated
from backend.screening.service import NURSE_INSTRUMENT


def test_every_question_once_in_order_under_a_heading():
    instrument = translated(all_instruments()[NURSE_INSTRUMENT], "fr")
    intro, groups = question_groups(instrument, "fr")
    shown = [item["linkId"] for item in intro] + [item["linkId"] for g in groups for item in g["items"]]
    assert shown == [item["linkId"] for item in instrument["items"]]
    assert [item["type"] for item in intro] == ["display"]
    assert len(groups) == len(QUESTION_GROUPS)
    assert groups[0]["heading"] == "Logement" and groups[0]["id"] == "g-housing"
    assert len({g["id"] for g in groups}) == len(groups)
    # The grouping names only questions the instrument has (a renamed one would go unnoticed).
    known = {item["linkId"] for item in instrument["items"]}
    assert {link_id for _, ids in QUESTION_GROUPS for link_id in ids} <= known
    assert AGE_ITEM in known


def test_a_question_missing_from_the_grouping_joins_the_group_before_it():
    instrument = {"items": [{"linkId": "housing-situation"}, {"linkId": "new-one"}, {"linkId": "carer"}]}
    _, groups = question_groups(instrument, "de")
    assert [[i["linkId"] for i in g["items"]] for g in groups] == [
        ["housing-situation", "new-one"],
        ["carer"],
    ]
