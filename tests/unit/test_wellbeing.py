"""The wellbeing block (issue 19): the ONS4 and UCLA-3 scores of a set of answers, hand-computed,
and the follow-up instrument that pairs with the baseline by linkId."""

from __future__ import annotations

import pytest

from backend.i18n import translate
from backend.screening.answers import answer_problems
from backend.screening.babel_extract import extract_instrument
from backend.screening.instruments import all_instruments, problems, repeat_key, split_repeat_key
from backend.screening.wellbeing import ONS4, UCLA3, scores

NURSE = "social-situation-short"
NONE = dict.fromkeys(ONS4)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, {**NONE, "ucla3": None}),
        (
            {
                "wellbeing-consent": "yes",
                "ons4-life-satisfaction": "7",
                "ons4-worthwhile": "0",  # 0 is a value, not "nothing"
                "ons4-happy": "declined",  # declined is None, never 0
                "ucla-companionship": "often",
                "ucla-left-out": "some-of-the-time",
                "ucla-isolated": "hardly-ever",
            },
            {
                "ons4-life-satisfaction": 7,
                "ons4-worthwhile": 0,
                "ons4-happy": None,
                "ons4-anxious": None,  # unanswered
                "ucla3": 3 + 2 + 1,
            },
        ),
        (
            {
                "wellbeing-consent": "yes",
                "ons4-anxious": "10",
                "ucla-companionship": "often",
                "ucla-left-out": "often",
            },
            {**NONE, "ons4-anxious": 10, "ucla3": None},  # UCLA-3 only with all three
        ),
        (
            # Without the agreement the four items are not enabled: their answers do not count.
            {
                "wellbeing-consent": "no",
                "ons4-happy": "8",
                "ucla-companionship": "hardly-ever",
                "ucla-left-out": "hardly-ever",
                "ucla-isolated": "hardly-ever",
            },
            {**NONE, "ucla3": 3},
        ),
        ({"ons4-happy": "8"}, {**NONE, "ucla3": None}),  # no agreement recorded at all
        (
            {"ucla-companionship": "often", "ucla-left-out": "often", "ucla-isolated": "often"},
            {**NONE, "ucla3": 9},
        ),
        (
            {"wellbeing-consent": "yes", "ons4-happy": None, "ons4-worthwhile": "eleven"},
            {**NONE, "ucla3": None},
        ),
    ],
)
def test_scores_by_hand(answers, expected):
    assert scores(all_instruments()[NURSE], answers) == expected


def test_follow_up_scores_pair_with_the_baseline():
    answers = {
        "wellbeing-consent": "yes",
        "ons4-worthwhile": "4",
        "ucla-companionship": "often",
        "ucla-left-out": "often",
        "ucla-isolated": "some-of-the-time",
    }
    instruments = all_instruments()
    assert scores(instruments["follow-up"], answers) == scores(instruments[NURSE], answers)
    assert scores(instruments["follow-up"], answers)["ucla3"] == 8


def test_follow_up_instrument():
    follow_up = all_instruments()["follow-up"]
    assert problems(follow_up) == []
    assert (follow_up["version"], follow_up["audience"], follow_up["rules"]) == ("1.0.0", "nurse", [])
    items = {item["linkId"]: item for item in follow_up["items"]}
    assert {k for k, item in items.items() if item.get("repeat") == "need"} == {
        "need-change",
        "offer-use",
        "what-helped",
    }
    assert items["what-helped"]["type"] == "text"
    assert items["new-needs"]["type"] == "yes-no"
    # The same linkIds, options, scores and conditions as the baseline, so the two pair.
    nurse = {item["linkId"]: item for item in all_instruments()[NURSE]["items"]}
    for link_id in ("wellbeing-consent", *ONS4, *UCLA3):
        for key in ("type", "options", "enableWhen", "layout"):
            assert items[link_id].get(key) == nurse[link_id].get(key), (link_id, key)


def test_ons4_items():
    nurse = {item["linkId"]: item for item in all_instruments()[NURSE]["items"]}
    for link_id in ONS4:
        item = nurse[link_id]
        assert item["layout"] == "scale" and item["enableWhen"] == {
            "question": "wellbeing-consent",
            "equals": "yes",
        }
        assert [(o["code"], o.get("score")) for o in item["options"]] == [
            *((str(n), n) for n in range(11)),
            ("declined", None),
        ]
        assert (
            "Office for National Statistics" in item["source"]
            and "not a validated translation" in item["source"]
        )
    order = [item["linkId"] for item in all_instruments()[NURSE]["items"]]
    assert order.index("ucla-isolated") < order.index("wellbeing-consent") < order.index(ONS4[0])


def test_answers_to_the_wellbeing_block_are_checked():
    nurse = all_instruments()[NURSE]
    assert (
        answer_problems(nurse, {"wellbeing-consent": "yes", "ons4-happy": "declined", "ons4-anxious": "0"})
        == {}
    )
    assert set(answer_problems(nurse, {"wellbeing-consent": "yes", "ons4-happy": "11"})) == {"ons4-happy"}
    assert set(answer_problems(nurse, {"wellbeing-consent": "no", "ons4-happy": "5"})) == {"ons4-happy"}


def test_repeat_keys():
    assert repeat_key("need-change", "housing") == "need-change:housing"
    assert split_repeat_key("need-change:housing") == ("need-change", "housing")
    assert split_repeat_key("new-needs") == ("new-needs", None)


def test_schema_rules_for_the_new_fields():
    follow_up = all_instruments()["follow-up"]
    broken = {
        **follow_up,
        "items": [
            *follow_up["items"],
            {
                "linkId": "x",
                "type": "yes-no",
                "text": "X",
                "enableWhen": {"question": "need-change", "equals": "better"},
            },
        ],
    }
    assert any("cannot refer to the repeated item need-change" in p for p in problems(broken))
    scale_on_text = {**follow_up, "items": [{**follow_up["items"][2], "layout": "scale"}]}
    assert any(p.startswith("item what-helped:") for p in problems(scale_on_text))
    bad_repeat = {**follow_up, "items": [{**follow_up["items"][0], "repeat": "visit"}]}
    assert any(p.startswith("item need-change:") for p in problems(bad_repeat))


@pytest.mark.parametrize("instrument_id", ["follow-up", NURSE])
def test_every_text_is_extracted_and_translated(instrument_id):
    from backend.screening.instruments import DIRECTORY

    path = DIRECTORY / f"{instrument_id}.json"
    with path.open("rb") as file:
        texts = {message for _, _, message, _ in extract_instrument(file, [], [], {})}
    assert "Prefers not to answer" in texts
    for text in texts:
        if text.isdigit():  # the scale's numbers read the same in every language
            continue
        for language in ("de", "fr"):
            assert translate(language, text) != text, (language, text)
    assert translate("de", "Prefers not to answer") == "Möchte nicht antworten"
    assert translate("fr", "Prefers not to answer") == "Ne souhaite pas répondre"
