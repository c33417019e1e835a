"""GET /api/v1/instruments in both languages."""

from __future__ import annotations

from backend.screening.instruments import all_instruments


def test_list_in_both_languages(client):
    german = client.get("/api/v1/instruments", params={"lang": "de"}).json()
    french = client.get("/api/v1/instruments", headers={"Accept-Language": "fr-CH"}).json()
    titles_de = {i["id"]: i["title"] for i in german}
    titles_fr = {i["id"]: i["title"] for i in french}
    assert titles_de["social-situation-short"] == "Soziale Situation – Kurzabklärung"
    assert titles_fr["social-situation-short"] == "Situation sociale – évaluation brève"
    assert {i["version"] for i in german} == {i["version"] for i in all_instruments().values()}


def test_definition_is_translated_and_keeps_codes(client):
    source = all_instruments()["social-situation-short"]
    body = client.get("/api/v1/instruments/social-situation-short", params={"lang": "fr"}).json()
    assert body["language"] == "fr"
    assert [i["linkId"] for i in body["items"]] == [i["linkId"] for i in source["items"]]
    assert body["rules"] == source["rules"]
    changed = [i for i, s in zip(body["items"], source["items"], strict=True) if i["text"] != s["text"]]
    assert len(changed) == len(source["items"])  # every text is in French, none left in English
    assert "source" not in body["items"][0]


def test_unknown_instrument_is_a_json_404(client):
    response = client.get("/api/v1/instruments/does-not-exist", headers={"Accept-Language": "fr"})
    assert response.status_code == 404 and response.json()["error"] == "Page introuvable"


def test_follow_up_instrument_is_served_translated(client):
    listed = {i["id"]: i for i in client.get("/api/v1/instruments", params={"lang": "de"}).json()}
    assert listed["follow-up"]["title"] == "Nachfrage – hat es geholfen?"
    assert listed["follow-up"]["version"] == "1.0.0" and listed["follow-up"]["audience"] == "nurse"
    body = client.get("/api/v1/instruments/follow-up", params={"lang": "fr"}).json()
    items = {i["linkId"]: i for i in body["items"]}
    assert items["need-change"]["repeat"] == "need"  # answered as "need-change:<need domain>"
    assert items["need-change"]["text"] == "Par rapport à la première visite, où en est ce besoin aujourd’hui ?"
    assert items["ons4-happy"]["layout"] == "scale"
    declined = [o for o in items["ons4-happy"]["options"] if o["code"] == "declined"]
    assert declined == [{"code": "declined", "text": "Ne souhaite pas répondre"}]  # no score: never 0
    assert body["rules"] == []
