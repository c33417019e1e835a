"""Security headers, caching rules, error pages, health, manifest and service worker."""

from __future__ import annotations

import json
import re

import pytest

from tests.support import login

PUBLIC_PAGES = ["/login", "/offline/de", "/healthz", "/sw.js", "/manifest.webmanifest", "/nope"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(client):
    login(client, "admin")
    for path in ["/", "/admin", "/login", "/offline/fr"]:
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html, path
        assert re.search(r" on[a-z]+=", html) is None, path


def test_personal_pages_are_never_cached(client):
    login(client, "pflege")
    for path in ["/", "/api/v1/me", "/login"]:
        assert client.get(path).headers["cache-control"] == "no-store", path


def test_static_assets_are_versioned_and_cached_long(client):
    html = client.get("/login").text
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', html).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["cache-control"]
    assert "immutable" in response.headers["cache-control"]
    assert re.search(r'src="/static/vendor/htmx/htmx-2\.0\.11\.min\.js\?v=[0-9a-f]{12}"', html)


def test_only_this_servers_version_of_an_asset_is_cached_long(client):
    """In a rolling deploy a new page may ask a server still on the old release for `?v=<new>`:
    that server's file must not be cached for a year under the new URL."""
    html = client.get("/login").text
    css = re.search(r'href="(/static/css/app\.css)\?v=([0-9a-f]{12})"', html)
    other = "0" * 12 if css.group(2) != "0" * 12 else "1" * 12
    for url in (f"{css.group(1)}?v={other}", css.group(1)):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers.get_list("cache-control") == ["no-cache"], url


def test_htmx_is_configured_without_history_cache_or_eval(client):
    html = client.get("/login").text
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html).group(1))
    assert config["historyCacheSize"] == 0
    assert config["allowEval"] is False and config["allowScriptTags"] is False
    assert config["includeIndicatorStyles"] is False and config["selfRequestsOnly"] is True


@pytest.mark.parametrize(
    ("language", "title", "message"),
    [
        ("de", "Seite nicht gefunden", "Unter dieser Adresse gibt es keine Seite."),
        ("fr", "Page introuvable", "Il n’y a pas de page à cette adresse."),
    ],
)
def test_not_found_page_in_both_languages(client, language, title, message):
    response = client.get("/does-not-exist", headers={"Accept-Language": language})
    assert response.status_code == 404
    assert f'<html lang="{language}">' in response.text
    assert f"<h1>{title}</h1>" in response.text and message in response.text


def test_forbidden_page_in_the_users_saved_language(client):
    login(client, "soins")  # saved preference: French
    response = client.get("/admin", headers={"Accept-Language": "de"})
    assert response.status_code == 403
    assert "Accès refusé" in response.text and "Votre rôle ne donne pas accès" in response.text


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nothing-here", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    assert response.json() == {
        "error": "Page introuvable",
        "status": 404,
        "message": "Il n’y a pas de page à cette adresse. Vérifiez l’adresse ou revenez à la page d’accueil.",
    }


def test_malformed_input_is_a_400_not_a_500(client):
    from tests.support import csrf_from

    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        content=b"\xff\xfe=\x00",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": token},
    )
    assert response.status_code in (400, 401)
    assert "Traceback" not in response.text


def test_method_not_allowed_is_explained(client):
    response = client.delete("/healthz")
    assert response.status_code in (403, 405)  # CSRF refuses unsafe methods before routing
    assert "Traceback" not in response.text


def test_manifest_makes_the_app_installable(client):
    manifest = client.get("/manifest.webmanifest", headers={"Accept-Language": "fr"}).json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert manifest["name"] == "Passerelle" and manifest["short_name"] == "Passerelle"
    assert manifest["theme_color"] and manifest["lang"] == "fr"
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_service_worker_is_served_from_root_uncached_with_its_build(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    build = json.loads(re.search(r"const BUILD = /\*BUILD\*/ (\{.*?\}); //", response.text).group(1))
    assert re.fullmatch(r"[0-9a-f]{12}", build["version"])
    assert build["offline"] == {"de": "/offline/de", "fr": "/offline/fr"}
    for url in build["shell"]:
        assert client.get(url).status_code == 200, url


def test_offline_pages_are_public_and_cacheable(client):
    for language, heading in [("de", "Sie sind offline"), ("fr", "Vous êtes hors ligne")]:
        response = client.get(f"/offline/{language}")
        assert response.status_code == 200 and heading in response.text
        assert response.headers["cache-control"].startswith("public")
        assert 'name="csrf-token" content=""' in response.text  # nothing of the visitor inside
        assert "<form" not in response.text  # shown without a server: nothing to submit
    assert client.get("/offline/it").status_code == 404


def test_server_error_is_a_page_in_the_users_language_without_traceback(make_server, db_backend):
    import httpx

    server = make_server(db_backend)
    with (
        httpx.Client(base_url=server.url, headers={"Accept-Language": "fr-CH"}) as admin,
        httpx.Client(base_url=server.url) as nurse,
    ):
        login(admin, "admin")
        login(nurse, "pflege")
        # The database loses a table under the running app: every page that needs it fails.
        server.database.execute("ALTER TABLE organisation RENAME TO organisation_gone")
        page = admin.get("/admin")
        api = nurse.get("/api/v1/me")
    assert page.status_code == 500
    assert "Un problème est survenu de notre côté" in page.text
    assert "Vos données sont en sécurité" in page.text
    assert "Traceback" not in page.text and "organisation_gone" not in page.text
    assert api.status_code == 500 and api.json()["status"] == 500
    assert "Traceback" not in api.text and "organisation" not in api.text
    # The operator gets the details in the server's log.
    assert "OperationalError" in server.log() or "ProgrammingError" in server.log()


@pytest.mark.parametrize(
    "user,one,many",
    [("coordination", "{n} reçue", "{n} reçues"), ("koordination", "{n} erhalten", "{n} erhalten")],
)
def test_inbox_counts_on_the_start_page_take_their_plural_form(server, user, one, many):
    """Issue 17, item 9: "3 Reçue" became "3 reçues" (French: 0 and 1 are singular)."""
    import httpx

    with httpx.Client(base_url=server.url, timeout=10) as browser:
        login(browser, user)
        html = browser.get("/").text
    received = re.search(r'\?tab=received">([^<]+)</a>', html)
    assert received, html[:500]
    number = int(received.group(1).split()[0])
    expected = (one if number <= 1 else many).format(n=number)
    assert received.group(1).strip() == expected
    assert not re.search(r"\d+ (Reçue|Acceptée|Neu)\b", html)


def _title(html: str) -> str:
    import html as entities

    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found, html[:300]
    return entities.unescape(found.group(1)).strip()


def test_titles_say_which_record_and_which_page(server):
    """Issue 20, item 8: every referral and case page was "Zuweisung"; lists kept one title.
    Titles name the need and the offer, never the client."""
    import httpx

    from tests.support import api_referral, cli

    token = cli("tokens", "create", "--user", "pflege", "--name", "titles", env=server.env).stdout.strip()
    _, referral_id = api_referral(server, token, "Titel T.")
    with httpx.Client(base_url=server.url, timeout=10) as nurse:
        login(nurse, "pflege")
        detail = _title(nurse.get(f"/referrals/{referral_id}").text)
        assert detail.endswith("· Zuweisung · Passerelle") and detail != "Zuweisung · Passerelle"
        assert "Titel T." not in detail
        need = _title(nurse.get("/directory", params={"need": "loneliness"}).text)
        assert need.startswith("Unterstützungsangebote: Einsamkeit")
        paged = _title(nurse.get("/directory", params={"page": "2"}).text)
        assert "(Seite 2)" in paged
    with httpx.Client(base_url=server.url, timeout=10) as coordinator:
        login(coordinator, "koordination")
        case = _title(coordinator.get(f"/inbox/{referral_id}").text)
        assert case.startswith("Einsamkeit") and "Titel T." not in case
        tab = _title(coordinator.get("/inbox", params={"tab": "received", "page": "2"}).text)
        assert tab == "Eingang: Empfangen (Seite 2) · Passerelle"
