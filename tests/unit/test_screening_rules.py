"""The rule language: the shared vectors, the semantics case by case, instrument validation."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest

from backend.screening import rules
from backend.screening.babel_extract import extract_instrument
from backend.screening.instruments import DIRECTORY, all_instruments, load_file, problems

ONS4 = ("ons4-life-satisfaction", "ons4-worthwhile", "ons4-happy", "ons4-anxious")
VECTORS = json.loads((Path(rules.__file__).parent / "vectors.json").read_text(encoding="utf-8"))

TOY = {
    "id": "toy",
    "version": "1.0.0",
    "audience": "nurse",
    "title": "Toy",
    "items": [
        {
            "linkId": "home",
            "type": "choice",
            "text": "Home?",
            "options": [
                {"code": "ok", "text": "OK"},
                {"code": "worried", "text": "Worried"},
                {"code": "none", "text": "None"},
            ],
        },
        {
            "linkId": "home-problems",
            "type": "multiple-choice",
            "text": "Problems?",
            "options": [{"code": "cold", "text": "Cold"}, {"code": "stairs", "text": "Stairs"}],
            "enableWhen": {"question": "home", "in": ["ok", "worried"]},
        },
        {
            "linkId": "u1",
            "type": "choice",
            "text": "U1",
            "options": [{"code": "a", "text": "a", "score": 1}, {"code": "b", "text": "b", "score": 3}],
        },
        {
            "linkId": "u2",
            "type": "choice",
            "text": "U2",
            "options": [{"code": "a", "text": "a", "score": 1}, {"code": "b", "text": "b", "score": 3}],
        },
        {"linkId": "age", "type": "integer", "text": "Age", "min": 0, "max": 120},
        {"linkId": "afraid", "type": "yes-no", "text": "Afraid now?"},
    ],
    "rules": [
        {
            "id": "home-none",
            "domain": "housing",
            "severity": "urgent",
            "when": {"question": "home", "equals": "none"},
        },
        {
            "id": "home-worried",
            "domain": "housing",
            "severity": "needed",
            "when": {"question": "home", "equals": "worried"},
        },
        {
            "id": "home-cold",
            "domain": "housing",
            "severity": "wish",
            "when": {"question": "home-problems", "includes": "cold"},
        },
        {
            "id": "lonely",
            "domain": "loneliness",
            "severity": "needed",
            "when": {"sum": ["u1", "u2"], "gte": 4},
        },
        {
            "id": "work",
            "domain": "work",
            "severity": "wish",
            "when": {"all": [{"question": "age", "lt": 65}, {"not": {"answered": "afraid"}}]},
        },
        {
            "id": "afraid",
            "domain": "safety",
            "severity": "urgent",
            "emergency": True,
            "when": {"question": "afraid", "equals": True},
        },
    ],
}


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_shared_vectors(vector):
    instrument = all_instruments()[vector["instrument"]]
    result = rules.evaluate(instrument, vector["answers"])
    assert result["needs"] == vector["expect"]["needs"]
    assert result["emergency"] == vector["expect"]["emergency"]
    enabled = rules.enabled_items(instrument, vector["answers"])
    assert set(vector["expect"].get("enabled", [])) <= set(enabled)
    assert not set(vector["expect"].get("disabled", [])) & set(enabled)
    if "counted" in vector["expect"]:
        assert sorted(rules.enabled_answers(instrument, vector["answers"])) == sorted(
            vector["expect"]["counted"]
        )


@pytest.mark.parametrize(
    ("answers", "needs", "emergency"),
    [
        ({}, {}, False),
        ({"home": "none"}, {"housing": "urgent"}, False),
        ({"home": "worried", "home-problems": ["cold"]}, {"housing": "needed"}, False),  # most severe wins
        ({"home": "ok", "home-problems": ["cold"]}, {"housing": "wish"}, False),
        (
            {"home": "none", "home-problems": ["cold"]},
            {"housing": "urgent"},
            False,
        ),  # disabled follow-up ignored
        ({"u1": "a", "u2": "b"}, {"loneliness": "needed"}, False),  # sum 4 = threshold
        ({"u1": "a", "u2": "a"}, {}, False),  # sum 2
        ({"u1": "b"}, {}, False),  # unanswered counts 0: 3
        ({"age": 40}, {"work": "wish"}, False),
        ({"age": 40, "afraid": False}, {}, False),
        ({"age": 70}, {}, False),
        ({"age": "40"}, {}, False),  # a string is not a number
        ({"afraid": True}, {"safety": "urgent"}, True),
        ({"afraid": 1}, {}, False),  # 1 is not true
        ({"home": "unknown-code"}, {}, False),
    ],
)
def test_semantics(answers, needs, emergency):
    result = rules.evaluate(TOY, answers)
    assert result["needs"] == needs and result["emergency"] == emergency


def test_enabled_items_follow_answers():
    assert "home-problems" not in rules.enabled_items(TOY, {})
    assert "home-problems" in rules.enabled_items(TOY, {"home": "worried"})
    assert "home-problems" not in rules.enabled_items(TOY, {"home": "none"})


def test_toy_is_valid():
    assert problems(TOY) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda i: i["items"][0].pop("options"), "item home:"),
        (
            lambda i: i["items"][1].update(enableWhen={"question": "nowhere", "equals": "x"}),
            "item home-problems: refers to unknown item nowhere",
        ),
        (
            lambda i: i["items"][1].update(enableWhen={"question": "home", "equals": "maybe"}),
            "item home-problems: item home has no option 'maybe'",
        ),
        (
            lambda i: i["items"][1].update(enableWhen={"question": "age", "gte": 3}),
            "must refer to an earlier item",
        ),
        (lambda i: i["items"][2].update(type="slider"), "item u1:"),
        (lambda i: i["rules"][0].update(domain="happiness"), "rule home-none:"),
        (
            lambda i: i["rules"][1].update(when={"question": "home", "equals": "x", "in": ["y"]}),
            "rule home-worried:",
        ),
        (lambda i: i["items"].append(copy.deepcopy(i["items"][0])), "item home: linkId used twice"),
    ],
)
def test_invalid_instruments_name_the_item(change, message):
    broken = copy.deepcopy(TOY)
    change(broken)
    found = problems(broken)
    assert found and any(message in p for p in found), found


def test_an_invalid_file_fails_loading_with_its_name(tmp_path):
    broken = copy.deepcopy(TOY)
    broken["items"][0]["type"] = "slider"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(Exception, match=r"broken\.json: item home:"):
        load_file(path)


def test_shipped_instruments():
    instruments = all_instruments()
    assert {"social-situation-short", "self-check"} <= set(instruments)
    nurse = instruments["social-situation-short"]
    wellbeing = {"wellbeing-consent", *ONS4}
    questions = [i for i in nurse["items"] if i["type"] != "display" and i["linkId"] not in wellbeing]
    assert 12 <= len(questions) <= 18  # the need screening; the wellbeing block is optional
    assert wellbeing <= {i["linkId"] for i in nurse["items"]}
    domains = {rule["domain"] for rule in nurse["rules"]}
    assert domains == {
        "housing",
        "finances",
        "food",
        "loneliness",
        "caring_relatives",
        "everyday_activities",
        "mobility",
        "administration",
        "safety",
        "language",
        "digital",
        "work",
    }
    assert any(rule.get("emergency") for rule in nurse["rules"])
    assert all(item.get("source") for item in nurse["items"] if item["type"] != "display")


def test_extractor_finds_every_text():
    path = DIRECTORY / "social-situation-short.json"
    instrument = json.loads(path.read_text(encoding="utf-8"))
    extracted = {
        message for _, _, message, _ in extract_instrument(io.BytesIO(path.read_bytes()), [], [], {})
    }
    assert instrument["title"] in extracted
    for item in instrument["items"]:
        assert item["text"] in extracted
        for option in item.get("options", []):
            assert option["text"] in extracted


@pytest.mark.parametrize(
    ("answers", "bad"),
    [
        ({"home": "ok"}, set()),
        ({"home": None}, set()),  # skipped
        ({"home": "palace"}, {"home"}),
        ({"home": ["ok"]}, {"home"}),
        ({"home": "none", "home-problems": ["cold"]}, {"home-problems"}),  # answer to a disabled item
        ({"home": "ok", "home-problems": ["cold", "cold"]}, {"home-problems"}),
        ({"home": "ok", "home-problems": ["mould"]}, {"home-problems"}),
        ({"age": 130}, {"age"}),
        ({"age": "40"}, {"age"}),
        ({"age": True}, {"age"}),
        ({"afraid": "yes"}, {"afraid"}),
        ({"unknown": 1}, {"unknown"}),
    ],
)
def test_answers_must_fit_their_items(answers, bad):
    from backend.screening.answers import answer_problems

    assert set(answer_problems(TOY, answers)) == bad
