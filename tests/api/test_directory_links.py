"""Web addresses in the directory become links: only http(s) ones, at import, in the offer
form, and on the page for what was stored before these checks."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.api.test_directory import PRO_SENECTUTE, _form_of
from tests.support import cli, csrf_from, login

HOSTILE = "javascript:fetch('/admin').then(r=>r.text()).then(alert)"


def _exported(server) -> list[dict]:
    return json.loads(cli("directory", "export", env=server.env).stdout)


def test_import_refuses_an_organisation_website_that_is_not_http(server, tmp_path):
    service = json.loads(json.dumps(_exported(server)[0]))
    service["organization"]["website"] = HOSTILE
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps([service]))
    refused = cli("directory", "import", str(path), env=server.env, check=False)
    assert refused.returncode != 0
    assert f"{service['id']}  organization.website: A web address starts with https://." in refused.stderr
    stored = server.database.execute(
        "SELECT website FROM directory_organization WHERE id = :i", i=service["organization"]["id"]
    )
    assert stored[0][0] != HOSTILE

    with httpx.Client(base_url=server.url, timeout=10) as client:
        login(client, "admin")
        token = csrf_from(client.get("/admin/directory/import").text)
        page = client.post(
            "/admin/directory/import",
            data={"csrf_token": token},
            files={"file": ("x.json", json.dumps([service]).encode(), "application/json")},
        )
    assert page.status_code == 422
    assert "Eine Webadresse beginnt mit https://." in page.text


@pytest.mark.parametrize(
    "url", ["JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>", "https://"]
)
def test_import_refuses_an_offer_address_that_is_not_http(server, tmp_path, url):
    service = dict(_exported(server)[1], url=url)
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps([service]))
    refused = cli("directory", "import", str(path), env=server.env, check=False)
    assert refused.returncode != 0
    assert f"{service['id']}  url: A web address starts with https://." in refused.stderr


@pytest.fixture(scope="module")
def staff(server):
    cli(
        "users",
        "create",
        "angebote-links",
        "--role",
        "org_staff",
        "--organisation",
        "Pro Senectute Demo Bern",
        "--name",
        "Lena Links",
        env=server.env,
        input="staff-password-1\n",
    )
    return "angebote-links", "staff-password-1"


@pytest.mark.parametrize("url", [HOSTILE, "https://", "https://example.ch/a b"])
def test_the_offer_form_refuses_an_address_that_is_not_http(server, staff, url):
    with httpx.Client(base_url=server.url, timeout=10) as client:
        login(client, *staff)
        listing = client.get("/directory/manage").text
        service_id = re.search(r'href="/directory/services/([0-9a-f-]{36})"', listing).group(1)
        form = _form_of(client.get(f"/directory/services/{service_id}/edit").text)
        form["url"] = [url]
        response = client.post(f"/directory/services/{service_id}/edit", data=form)
        assert response.status_code == 422
        assert "Eine Webadresse beginnt mit https://." in response.text
    stored = server.database.execute("SELECT url FROM directory_service WHERE id = :i", i=service_id)
    assert stored[0][0] != url


def test_a_stored_address_that_is_not_http_is_shown_but_not_linked(server, client):
    """Data stored before imports checked addresses: the page shows it as text, not as a link."""
    service_id = server.database.execute(
        "SELECT id FROM directory_service WHERE organization_id = :o ORDER BY id", o=PRO_SENECTUTE
    )[0][0]
    [(website, url)] = server.database.execute(
        "SELECT o.website, s.url FROM directory_service s JOIN directory_organization o "
        "ON o.id = s.organization_id WHERE s.id = :i",
        i=service_id,
    )
    update = "UPDATE directory_organization SET website = :w WHERE id = :o"
    server.database.execute(update, w=HOSTILE, o=PRO_SENECTUTE)
    server.database.execute(
        "UPDATE directory_service SET url = :u WHERE id = :i", u="javascript:alert(2)", i=service_id
    )
    try:
        login(client, "pflege")
        page = client.get(f"/directory/services/{service_id}")
        assert page.status_code == 200
        assert "javascript:alert(2)" in page.text
        assert 'href="javascript' not in page.text.lower()
    finally:
        server.database.execute(update, w=website, o=PRO_SENECTUTE)
        server.database.execute("UPDATE directory_service SET url = :u WHERE id = :i", u=url, i=service_id)
