"""The directory over HTTP on both databases: search, HSDS API, export/import, upkeep."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from jsonschema import Draft202012Validator

from backend.directory import hsds
from tests.support import ROOT, cli, csrf_from, login

PAGE_SCHEMA = (
    json.loads((ROOT.parent / "shared" / "reference" / "hsds" / "openapi.json").read_text())["components"][
        "schemas"
    ]["Page"]
    if (ROOT.parent / "shared").exists()
    else None
)
PRO_SENECTUTE = hsds.stable_id("demo-organization", "Pro Senectute Kanton Bern")


def _titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/directory/services/([0-9a-f-]{36})">', html)


@pytest.fixture
def nurse(client):
    login(client, "pflege")
    return client


def _hsds_service(client, service_id: str) -> dict:
    response = client.get(f"/hsds/services/{service_id}")
    assert response.status_code == 200
    return response.json()


def test_einsamkeit_in_langnau_lists_local_visiting_services_first(nurse):
    response = nurse.get("/directory", params={"q": "Einsamkeit", "place": "Langnau im Emmental"})
    assert response.status_code == 200
    ids = _titles(response.text)
    assert len(ids) >= 2
    first = _hsds_service(nurse, ids[0])
    types = {a["taxonomy_term"]["code"] for a in first["attributes"]}
    assert "visiting" in types and "loneliness" in types
    uris = [area["uri"] for area in first["service_areas"]]
    assert any(uri.endswith((":municipality:902", ":district:EM")) for uri in uris), uris
    # Local offers before canton-wide ones.
    ranks = [
        "local" if 'class="badge local"' in chunk or "In this district" in chunk else "wide"
        for chunk in response.text.split('<li class="offer card">')[1:]
    ]
    assert ranks == sorted(ranks, key=lambda r: r != "local")


def test_proches_aidants_in_saint_imier_finds_french_relief(client):
    login(client, "soins")
    response = client.get(
        "/directory", params={"q": "proches aidants", "place": "Saint-Imier", "language": "fr"}
    )
    assert response.status_code == 200
    assert 'lang="fr"' in response.text
    ids = _titles(response.text)
    assert ids
    for service_id in ids:
        service = _hsds_service(client, service_id)
        assert "fr" in {language["code"] for language in service["languages"]}
    relief = [_hsds_service(client, i) for i in ids]
    assert any("caring_relatives" in {a["taxonomy_term"]["code"] for a in s["attributes"]} for s in relief)


def test_live_filtering_returns_the_results_fragment_only(nurse):
    response = nurse.get(
        "/directory", params={"q": "Budget"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert response.status_code == 200
    # The fragment: the results, and the page's status line refilled out of band (no page).
    assert response.text.lstrip().startswith('<p id="results-status" hx-swap-oob="innerHTML">')
    assert '<section id="results"' in response.text and "<html" not in response.text
    assert "<html" not in response.text
    assert "HX-Request" in response.headers["vary"]


@pytest.mark.parametrize(
    "query",
    [
        '"); DROP TABLE directory_service; --',
        "NEAR(a b) OR * ^ :",
        "x" * 5000,
        "Ein*samkeit AND (",
        "' OR 1=1 --",
    ],
)
def test_hostile_search_strings_are_safe(nurse, query):
    response = nurse.get("/directory", params={"q": query})
    assert response.status_code == 200
    assert "offers found" in response.text or "offer found" in response.text or "Angebot" in response.text


def test_a_control_character_in_the_search_is_refused_with_a_message(nurse):
    response = nurse.get("/directory", params={"q": "Besuch\x00"})
    assert response.status_code == 400
    assert "Steuerzeichen" in response.text


def test_unknown_municipality_and_bad_age_are_explained(nurse):
    response = nurse.get("/directory", params={"place": "Atlantis", "age": "abc"})
    assert response.status_code == 422
    assert "Diese Gemeinde kennen wir im Kanton Bern nicht" in response.text
    assert 'aria-invalid="true"' in response.text


def test_filters_narrow_the_results(nurse):
    everything = nurse.get("/directory").text
    total = int(re.search(r'<h2 id="results-title">(\d+)', everything).group(1))
    assert total >= 60
    for params in (
        {"need": "food"},
        {"language": "fr"},
        {"free": "1"},
        {"access": "online"},
        {"phase": "early_childhood"},
        {"age": "5"},
        {"place": "Thun"},
    ):
        narrowed = nurse.get("/directory", params=params).text
        count = int(re.search(r'<h2 id="results-title">(\d+)', narrowed).group(1))
        assert 0 < count < total, params


def test_paging(nurse):
    first = nurse.get("/directory").text
    second = nurse.get("/directory", params={"page": "2"}).text
    assert set(_titles(first)).isdisjoint(_titles(second))
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_detail_page_has_contact_links(nurse):
    ids = _titles(nurse.get("/directory", params={"q": "143"}).text) or _titles(
        nurse.get("/directory", params={"q": "Dargebotene"}).text
    )
    page = nurse.get(f"/directory/services/{ids[0]}")
    assert page.status_code == 200
    assert 'href="tel:' in page.text
    assert "Demo" in page.text
    assert nurse.get("/directory/services/not-an-id").status_code == 404


# --- HSDS -----------------------------------------------------------------------------------


def test_hsds_root(client):
    body = client.get("/hsds/").json()
    assert body["version"] == "3.0.1" and body["openapi_url"].endswith("/schema/openapi.json")


def test_every_served_object_validates(client):
    page = client.get("/hsds/services", params={"per_page": 200}).json()
    assert page["total_items"] >= 60 and page["size"] == len(page["contents"])
    assert page["first_page"] is True and page["empty"] is False
    if PAGE_SCHEMA:
        Draft202012Validator(PAGE_SCHEMA).validate(page)
    for service in page["contents"]:
        assert hsds.schema_errors(service, "service") == [], service["id"]
        assert hsds.schema_errors(service, "service_list") == [], service["id"]
    one = client.get(f"/hsds/services/{page['contents'][0]['id']}").json()
    assert hsds.schema_errors(one, "service") == []
    organizations = client.get("/hsds/organizations").json()["contents"]
    assert organizations
    for organization in organizations:
        assert hsds.schema_errors(organization, "organization") == []
    for item in client.get("/hsds/taxonomy_terms", params={"per_page": 200}).json()["contents"]:
        assert hsds.schema_errors(item, "taxonomy_term") == []
    for item in client.get("/hsds/taxonomies").json()["contents"]:
        assert hsds.schema_errors(item, "taxonomy") == []


def test_hsds_filters(client):
    loneliness = hsds.term_id("need_domain", "loneliness")
    page = client.get("/hsds/services", params={"taxonomy_term_id": loneliness, "per_page": 200}).json()
    assert page["total_items"] > 0
    for service in page["contents"]:
        assert loneliness in {a["taxonomy_term_id"] for a in service["attributes"]}
    own = client.get("/hsds/services", params={"organization_id": PRO_SENECTUTE}).json()
    assert own["total_items"] > 0
    assert {s["organization"]["id"] for s in own["contents"]} == {PRO_SENECTUTE}
    assert client.get("/hsds/services", params={"modified_after": "2999-01-01"}).json()["empty"] is True
    found = client.get("/hsds/services", params={"search": "Einsamkeit"}).json()
    assert found["total_items"] > 0
    paged = client.get("/hsds/services", params={"per_page": 5, "page": 2}).json()
    assert paged["page_number"] == 2 and paged["size"] == 5 and paged["first_page"] is False


@pytest.mark.parametrize(
    "params", [{"modified_after": "yesterday"}, {"page": "0"}, {"per_page": "-1"}, {"page": "x"}]
)
def test_hsds_bad_parameters_are_400s_with_json(client, params):
    response = client.get("/hsds/services", params=params)
    assert response.status_code == 422
    assert response.json()["message"]
    assert client.get("/hsds/services/nope").status_code == 404


def test_export_validates_and_reimports_without_change(server, tmp_path):
    target = tmp_path / "export.json"
    cli("directory", "export", "--output", str(target), env=server.env)
    services = json.loads(target.read_text())
    assert len(services) >= 60
    for service in services:
        assert hsds.schema_errors(service) == [], service["id"]
    again = cli("directory", "import", str(target), env=server.env)
    assert f"created 0, updated 0, unchanged {len(services)}" in again.stdout


def test_import_with_errors_changes_nothing_unless_partial(server, tmp_path):
    services = json.loads(cli("directory", "export", env=server.env).stdout)
    good = services[0]
    good["passerelle"]["translations"]["de"]["name"] = "Umbenannt beim Import"
    bad_language = dict(services[1], languages=[])
    bad_term = json.loads(json.dumps(services[2]))
    bad_term["attributes"][0]["taxonomy_term_id"] = "00000000-0000-4000-8000-000000000000"
    bad_term["attributes"][0]["taxonomy_term"]["id"] = "00000000-0000-4000-8000-000000000000"
    bad_place = json.loads(json.dumps(services[3]))
    bad_place["service_areas"] = [
        {"id": bad_place["service_areas"][0]["id"], "uri": "urn:passerelle:be:municipality:99999"}
    ]
    bad_schema = {"id": "not-a-uuid", "status": "open"}
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([good, bad_language, bad_term, bad_place, bad_schema]))

    refused = cli("directory", "import", str(path), env=server.env, check=False)
    assert refused.returncode != 0
    assert f"{services[1]['id']}  languages:" in refused.stderr
    assert f"{services[2]['id']}  attributes: Unknown taxonomy term." in refused.stderr
    assert f"{services[3]['id']}  areas:" in refused.stderr
    assert "not-a-uuid" in refused.stderr and "nothing imported" in refused.stderr
    assert httpx.get(f"{server.url}/hsds/services/{good['id']}").json()["name"] != "Umbenannt beim Import"

    partial = cli("directory", "import", str(path), "--partial", env=server.env, check=False)
    assert "updated 1" in partial.stdout
    assert httpx.get(f"{server.url}/hsds/services/{good['id']}").json()["name"] == "Umbenannt beim Import"


def test_malformed_files_are_refused(server, tmp_path):
    for content in ["{not json", "42", '[{"id": 1}]', '{"contents": "x"}']:
        path = tmp_path / "bad.json"
        path.write_text(content)
        result = cli("directory", "import", str(path), env=server.env, check=False)
        assert result.returncode != 0 and "Traceback" not in result.stderr, content


# --- upkeep ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def staff(server):
    cli(
        "users",
        "create",
        "angebote",
        "--role",
        "org_staff",
        "--organisation",
        "Pro Senectute Demo Bern",
        "--name",
        "Olga Angebote",
        env=server.env,
        input="staff-password-1\n",
    )
    return "angebote", "staff-password-1"


def _form_of(html: str) -> dict[str, list[str]]:
    """The fields of the edit form as a browser would submit them."""
    data: dict[str, list[str]] = {}
    for tag in re.findall(r"<input [^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="file"' in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if ('type="checkbox"' in tag or 'type="radio"' in tag) and " checked" not in tag:
            continue
        data.setdefault(name.group(1), []).append(value.group(1) if value else "")
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data.setdefault(name, []).append(body)
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options) or re.search(
            r'<option value="([^"]*)"', options
        )
        data.setdefault(name, []).append(chosen.group(1))
    import html as html_lib

    return {k: [html_lib.unescape(v) for v in values] for k, values in data.items()}


def test_staff_edit_their_own_offers_and_the_change_is_recorded(server, staff):
    with httpx.Client(base_url=server.url) as client:
        assert login(client, *staff).status_code == 303
        listing = client.get("/directory/manage")
        assert listing.status_code == 200 and "Pro Senectute Kanton Bern" in listing.text
        service_id = re.search(r'href="/directory/services/([0-9a-f-]{36})"', listing.text).group(1)
        form = _form_of(client.get(f"/directory/services/{service_id}/edit").text)
        form["hours_de"] = ["Mo–Do 9–11 Uhr"]
        saved = client.post(f"/directory/services/{service_id}/edit", data=form)
        assert saved.status_code == 303
        detail = client.get(f"/directory/services/{service_id}").text
        assert "Mo–Do 9–11 Uhr" in detail
        assert "Olga Angebote" in detail and "hours_de" in detail  # who and what, in the history


def test_invalid_edit_keeps_what_was_typed(server, staff):
    with httpx.Client(base_url=server.url) as client:
        login(client, *staff)
        listing = client.get("/directory/manage").text
        service_id = re.search(r'href="/directory/services/([0-9a-f-]{36})"', listing).group(1)
        form = _form_of(client.get(f"/directory/services/{service_id}/edit").text)
        form.update(
            name_de=[""],
            name_fr=[""],
            description_de=["Neu geschrieben"],
            need_domains=[],
            minimum_age=["zehn"],
        )
        response = client.post(f"/directory/services/{service_id}/edit", data=form)
        assert response.status_code == 422
        assert "Geben Sie dem Angebot einen Namen" in response.text
        assert "Neu geschrieben" in response.text
        assert response.text.count('aria-invalid="true"') >= 2


def test_staff_cannot_edit_other_organisations(server, staff):
    other = httpx.get(f"{server.url}/hsds/services", params={"per_page": 200}).json()["contents"]
    foreign = next(s for s in other if s["organization"]["id"] != PRO_SENECTUTE)
    with httpx.Client(base_url=server.url) as client:
        login(client, *staff)
        assert client.get(f"/directory/services/{foreign['id']}/edit").status_code == 403
        token = csrf_from(client.get("/directory").text)
        refused = client.post(
            f"/directory/services/{foreign['id']}/capacity",
            data={"csrf_token": token, "capacity_status": "not_accepting"},
        )
        assert refused.status_code == 403
        assert "nur die Angebote Ihrer eigenen Organisation" in refused.text


def test_paused_offers_rank_last_and_show_it(server, staff):
    own = {
        s["id"]
        for s in httpx.get(f"{server.url}/hsds/services", params={"organization_id": PRO_SENECTUTE}).json()[
            "contents"
        ]
    }
    with httpx.Client(base_url=server.url) as client:
        login(client, *staff)
        before = _titles(client.get("/directory", params={"q": "Pro Senectute"}).text)
        assert len(before) >= 2
        target = next(i for i in before if i in own)
        token = csrf_from(client.get("/directory").text)
        paused = client.post(
            f"/directory/services/{target}/capacity",
            data={
                "csrf_token": token,
                "capacity_status": "not_accepting",
                "capacity_until": "2099-12-31",
                "capacity_note": "Team in den Ferien",
            },
        )
        assert paused.status_code == 303
        after_page = client.get("/directory", params={"q": "Pro Senectute"}).text
        after = _titles(after_page)
        assert after[-1] == target and before[-1] != target
        assert "Nimmt keine Zuweisungen an" in after_page
        bad = client.post(
            f"/directory/services/{target}/capacity",
            data={"csrf_token": token, "capacity_status": "not_accepting", "capacity_until": "soon"},
        )
        assert bad.status_code == 422
        client.post(
            f"/directory/services/{target}/capacity",
            data={"csrf_token": token, "capacity_status": "accepting"},
        )


def test_review_updates_the_date(server, staff):
    stale = "UPDATE directory_service SET last_reviewed_at = '2020-01-01 00:00:00+00:00' WHERE organization_id = :org"
    server.database.execute(stale, org=PRO_SENECTUTE)
    with httpx.Client(base_url=server.url) as client:
        login(client, *staff)
        listing = client.get("/directory/manage").text
        assert "Seit einem Jahr nicht überprüft" in listing
        service_id = re.search(r'href="/directory/services/([0-9a-f-]{36})"', listing).group(1)
        token = csrf_from(listing)
        assert (
            client.post(f"/directory/services/{service_id}/review", data={"csrf_token": token}).status_code
            == 303
        )
        assert "2020" not in httpx.get(f"{server.url}/hsds/services/{service_id}").json()["assured_date"]


def test_admin_imports_through_the_page(server):
    services = json.loads(cli("directory", "export", env=server.env).stdout)
    changed = json.loads(json.dumps(services[5]))
    changed["passerelle"]["translations"].setdefault("fr", {})["name"] = "Nom changé par import"
    broken = dict(
        services[6], service_areas=[{"id": services[6]["id"], "uri": "urn:passerelle:be:district:ZZ"}]
    )
    with httpx.Client(base_url=server.url) as client:
        login(client, "admin")
        page = client.get("/admin/directory/import")
        assert page.status_code == 200
        token = csrf_from(page.text)
        refused = client.post(
            "/admin/directory/import",
            data={"csrf_token": token},
            files={"file": ("x.json", json.dumps([changed, broken]).encode(), "application/json")},
        )
        assert refused.status_code == 422
        assert services[6]["id"] in refused.text and "existiert" not in refused.text
        assert "Diese Gemeinde oder diesen Verwaltungskreis gibt es im Kanton Bern nicht." in refused.text
        accepted = client.post(
            "/admin/directory/import",
            data={"csrf_token": token},
            files={"file": ("x.json", json.dumps([changed]).encode(), "application/json")},
        )
        assert accepted.status_code == 200
        assert "0 neu, 1 aktualisiert, 0 unverändert" in accepted.text
        garbage = client.post(
            "/admin/directory/import",
            data={"csrf_token": token},
            files={"file": ("x.json", b"\xff\xfe not json", "application/json")},
        )
        assert garbage.status_code == 422 and "kein gültiges JSON" in garbage.text
    fr_name = httpx.get(f"{server.url}/hsds/services/{changed['id']}").json()["passerelle"]["translations"][
        "fr"
    ]["name"]
    assert fr_name == "Nom changé par import"


def test_admin_links_a_directory_organisation_on_the_command_line(server):
    cli(
        "users",
        "create",
        "caritas-staff",
        "--role",
        "org_staff",
        "--organisation",
        "Kanton Bern Demo",
        env=server.env,
        input="caritas-password\n",
    )
    with httpx.Client(base_url=server.url) as client:
        login(client, "caritas-staff", "caritas-password")
        assert "noch keinen Eintrag im Verzeichnis" in client.get("/directory/manage").text
        linked = cli(
            "directory", "link", "Caritas Bern", "--organisation", "Kanton Bern Demo", env=server.env
        )
        assert "now keeps the offers of Caritas Bern" in linked.stdout
        assert "Caritas Bern" in client.get("/directory/manage").text
    missing = cli(
        "directory", "link", "Nobody", "--organisation", "Kanton Bern Demo", env=server.env, check=False
    )
    assert missing.returncode != 0 and "no directory organization" in missing.stderr
