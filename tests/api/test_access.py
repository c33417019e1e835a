"""Walks every route of the app with every role (and with nobody) and checks who gets in.

EXPECTED must name every route: a new route fails this test until its access is written here.
Routes under /fhir take bearer tokens only: walked here with a session cookie, they let nobody in
(but the public CapabilityStatement); tests/fhir/test_access.py walks them with every role's token.
"""

from __future__ import annotations

import httpx
import pytest

from backend.accounts.roles import Role
from backend.app import create_app
from backend.directory import hsds
from backend.settings import load_settings
from tests.support import csrf_from, login

ANYONE = "anyone"
PRO_SENECTUTE = hsds.stable_id("demo-organization", "Pro Senectute Kanton Bern")
ALL_ROLES = frozenset(Role)

EXPECTED: dict[tuple[str, str], object] = {
    ("GET", "/"): ALL_ROLES,
    ("GET", "/login"): ANYONE,
    ("POST", "/login"): ANYONE,
    ("POST", "/logout"): ALL_ROLES,
    ("POST", "/language"): ANYONE,
    ("GET", "/admin"): {Role.ADMIN},
    ("GET", "/api/v1/me"): ALL_ROLES,
    ("GET", "/healthz"): ANYONE,
    ("GET", "/metrics"): ANYONE,  # METRICS_TOKEN decides, not a role: tests/api/test_metrics.py
    ("GET", "/readyz"): ANYONE,
    ("GET", "/sw.js"): ANYONE,
    ("GET", "/manifest.webmanifest"): ANYONE,
    ("GET", "/offline/{language:str}"): ANYONE,
    ("GET", "/offline/{language:str}/visit"): ANYONE,
    ("GET", "/offline/{language:str}/outbox"): ANYONE,
    ("GET", "/offline/{language:str}/follow-up"): ANYONE,
    ("GET", "/check"): ANYONE,
    ("GET", "/check/{lang:str}"): ANYONE,
    ("POST", "/check/{lang:str}"): ANYONE,
    ("POST", "/check/{lang:str}/result"): ANYONE,
    ("POST", "/check/{lang:str}/callback"): ANYONE,
    ("GET", "/check/{lang:str}/poster"): ANYONE,
    ("GET", "/static/{file_path:path}"): ANYONE,
    ("GET", "/directory"): ALL_ROLES,
    ("GET", "/directory/services/{service_id:str}"): ALL_ROLES,
    ("GET", "/directory/manage"): {Role.ORG_STAFF, Role.ADMIN},
    ("GET", "/directory/services/new"): {Role.ORG_STAFF, Role.ADMIN},
    ("POST", "/directory/services/new"): {Role.ORG_STAFF, Role.ADMIN},
    ("GET", "/directory/services/{service_id:str}/edit"): {Role.ORG_STAFF, Role.ADMIN},
    ("POST", "/directory/services/{service_id:str}/edit"): {Role.ORG_STAFF, Role.ADMIN},
    ("POST", "/directory/services/{service_id:str}/capacity"): {Role.ORG_STAFF, Role.ADMIN, Role.COORDINATOR},
    ("POST", "/directory/services/{service_id:str}/review"): {Role.ORG_STAFF, Role.ADMIN},
    ("GET", "/admin/directory/import"): {Role.ADMIN},
    ("POST", "/admin/directory/import"): {Role.ADMIN},
    ("GET", "/hsds"): ANYONE,
    ("GET", "/hsds/services"): ANYONE,
    ("GET", "/hsds/services/{service_id:str}"): ANYONE,
    ("GET", "/hsds/organizations"): ANYONE,
    ("GET", "/hsds/organizations/{organization_id:str}"): ANYONE,
    ("GET", "/hsds/taxonomies"): ANYONE,
    ("GET", "/hsds/taxonomy_terms"): ANYONE,
    ("GET", "/api/v1/instruments"): ANYONE,
    ("GET", "/api/v1/instruments/{instrument_id:str}"): ANYONE,
    ("GET", "/clients"): {Role.NURSE},
    ("POST", "/clients"): {Role.NURSE},
    ("GET", "/clients/new"): {Role.NURSE},
    ("POST", "/clients/new"): {Role.NURSE},
    ("GET", "/clients/{client_id:str}"): {Role.NURSE},
    ("GET", "/clients/{client_id:str}/export"): {Role.NURSE},
    ("GET", "/clients/{client_id:str}/export/fhir"): {Role.NURSE},
    ("POST", "/clients/{client_id:str}/erase"): {Role.NURSE},
    ("GET", "/admin/audit"): {Role.ADMIN},
    ("GET", "/admin/devices"): {Role.ADMIN},
    ("POST", "/admin/devices/{credential_id:int}/revoke"): {Role.ADMIN},
    ("POST", "/clients/{client_id:str}/screenings"): {Role.NURSE},
    ("GET", "/screenings/{screening_id:str}"): {Role.NURSE},
    ("POST", "/screenings/{screening_id:str}/answers"): {Role.NURSE},
    ("POST", "/screenings/{screening_id:str}/complete"): {Role.NURSE},
    ("POST", "/screenings/{screening_id:str}/discard"): {Role.NURSE},
    ("GET", "/follow-ups/{follow_up_id:str}"): {Role.NURSE},
    ("POST", "/follow-ups/{follow_up_id:str}"): {Role.NURSE},
    ("POST", "/follow-ups/{follow_up_id:str}/skip"): {Role.NURSE},
    ("GET", "/screenings/{screening_id:str}/summary"): {Role.NURSE},
    ("POST", "/screenings/{screening_id:str}/consent"): {Role.NURSE},
    ("POST", "/screenings/{screening_id:str}/referrals"): {Role.NURSE},
    ("GET", "/screenings/{screening_id:str}/handout"): {Role.NURSE},
    ("GET", "/referrals"): {Role.NURSE},
    ("GET", "/inbox"): {Role.COORDINATOR},
    ("GET", "/inbox/{referral_id:str}"): {Role.COORDINATOR},
    ("POST", "/inbox/{referral_id:str}"): {Role.COORDINATOR},
    ("POST", "/inbox/{referral_id:str}/{action:str}"): {Role.COORDINATOR},
    ("GET", "/api/v1/push/key"): ALL_ROLES,
    ("POST", "/api/v1/push/subscriptions"): {Role.NURSE, Role.COORDINATOR},
    ("DELETE", "/api/v1/push/subscriptions"): {Role.NURSE, Role.COORDINATOR},
    ("POST", "/api/v1/push/test"): {Role.NURSE, Role.COORDINATOR},
    ("GET", "/settings/notifications"): {Role.NURSE, Role.COORDINATOR},
    ("POST", "/api/v1/sync"): {Role.NURSE},
    ("POST", "/api/v1/sync/credential"): {Role.NURSE},
    ("GET", "/api/v1/directory/snapshot"): ANYONE,
    ("GET", "/api/v1/clients"): {Role.NURSE},
    ("POST", "/api/v1/clients"): {Role.NURSE},
    ("GET", "/api/v1/clients/{client_id:str}"): {Role.NURSE},
    ("POST", "/api/v1/screenings"): {Role.NURSE},
    ("GET", "/api/v1/follow-ups"): {Role.NURSE},
    ("GET", "/api/v1/screenings/{screening_id:str}"): {Role.NURSE},
    ("GET", "/api/v1/referrals"): {Role.NURSE, Role.COORDINATOR},
    ("POST", "/api/v1/referrals"): {Role.NURSE},
    ("GET", "/api/v1/referrals/{referral_id:str}"): {Role.NURSE, Role.COORDINATOR},
    ("POST", "/api/v1/referrals/{referral_id:str}/cancel"): {Role.NURSE},
    ("GET", "/referrals/{referral_id:str}"): {Role.NURSE},
    ("POST", "/referrals/{referral_id:str}/cancel"): {Role.NURSE},
    ("POST", "/referrals/{referral_id:str}/send"): {Role.NURSE},
    ("POST", "/referrals/{referral_id:str}/outcome"): {Role.NURSE},
    ("GET", "/referrals/{referral_id:str}/letter"): {Role.NURSE},
    ("GET", "/reports"): {Role.ANALYST, Role.ADMIN},
    ("GET", "/reports/{report_id:str}"): {Role.ANALYST, Role.ADMIN},
    ("GET", "/reports/{report_id:str}/csv"): {Role.ANALYST, Role.ADMIN},
    ("GET", "/reports/districts/{district:str}"): {Role.ANALYST, Role.ADMIN},
    ("GET", "/api/v1/reports"): {Role.ANALYST, Role.ADMIN},
    ("GET", "/api/v1/reports/{report_id:str}"): {Role.ANALYST, Role.ADMIN},
    ("GET", "/schema"): ANYONE,
    ("GET", "/schema/openapi.json"): ANYONE,
    ("GET", "/schema/{path:str}"): ANYONE,
}
SAMPLE_PATHS = {
    "/admin/devices/{credential_id:int}/revoke": "/admin/devices/999999/revoke",
    "/offline/{language:str}": "/offline/fr",
    "/offline/{language:str}/visit": "/offline/de/visit",
    "/offline/{language:str}/outbox": "/offline/fr/outbox",
    "/offline/{language:str}/follow-up": "/offline/fr/follow-up",
    "/check/{lang:str}": "/check/fr",
    "/check/{lang:str}/result": "/check/fr/result",
    "/check/{lang:str}/callback": "/check/fr/callback",
    "/check/{lang:str}/poster": "/check/fr/poster",
    "/static/{file_path:path}": "/static/css/app.css",
    "/schema/{path:str}": "/schema/openapi.json",
    "/reports/{report_id:str}": "/reports/needs",
    "/reports/{report_id:str}/csv": "/reports/needs/csv",
    "/reports/districts/{district:str}": "/reports/districts/OA",
    "/api/v1/reports/{report_id:str}": "/api/v1/reports/needs",
}
DEMO_USERS = {
    Role.NURSE: "pflege",
    Role.COORDINATOR: "koordination",
    Role.ANALYST: "analyse",
    Role.ADMIN: "admin",
}


def app_routes(tmp_path_factory) -> set[tuple[str, str]]:
    var = tmp_path_factory.mktemp("routes")
    app = create_app(load_settings({"PASSERELLE_VAR_DIR": str(var)}))
    found = set()
    for route in app.routes:
        for method in getattr(route, "methods", ()):
            if method not in ("HEAD", "OPTIONS"):
                found.add((method, route.path))
    return found


FHIR_PUBLIC = {"/fhir/metadata"}


def fhir_routes(tmp_path_factory) -> dict[tuple[str, str], object]:
    """Every /fhir route, closed to cookies (nobody gets in), the CapabilityStatement aside."""
    return {
        (method, path): ANYONE if path in FHIR_PUBLIC else frozenset()
        for method, path in app_routes(tmp_path_factory)
        if path == "/fhir" or path.startswith("/fhir/")
    }


def test_every_route_is_in_the_access_table(tmp_path_factory):
    routes = app_routes(tmp_path_factory) - set(fhir_routes(tmp_path_factory))
    assert routes == set(EXPECTED), (
        f"undeclared: {sorted(routes - set(EXPECTED))}; gone: {sorted(set(EXPECTED) - routes)}"
    )


def _got_in(response: httpx.Response) -> bool:
    if response.status_code in (401, 403):
        return False
    return not (response.status_code == 303 and response.headers["location"].startswith("/login?next="))


@pytest.fixture(scope="module")
def org_staff(server):
    """There is no demo org_staff account; make one through the CLI, as an admin would."""
    from tests.support import cli

    cli(
        "users",
        "create",
        "redaktion",
        "--role",
        "org_staff",
        "--organisation",
        "Pro Senectute Demo Bern",
        env=server.env,
        input="org-staff-password\n",
    )
    return "redaktion", "org-staff-password"


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_who_gets_in(server, org_staff, role, tmp_path_factory):
    expected = {**EXPECTED, **fhir_routes(tmp_path_factory)}
    own_service = httpx.get(f"{server.url}/hsds/services", params={"organization_id": PRO_SENECTUTE}).json()[
        "contents"
    ][0]["id"]
    with httpx.Client(base_url=server.url, timeout=10) as client:
        if role is Role.ORG_STAFF:
            assert login(client, *org_staff).status_code == 303
        elif role is not None:
            assert login(client, DEMO_USERS[role]).status_code == 303
        token = csrf_from(client.get("/login").text) if role is None else csrf_from(client.get("/").text)
        # Logging out last, so the other routes are walked with a live session.
        for method, path in sorted(expected, key=lambda r: r[1] == "/logout"):
            allowed = expected[(method, path)]
            url = SAMPLE_PATHS.get(path, path)
            # The org_staff and coordinator accounts belong to Pro Senectute: use one of its offers.
            url = url.replace("{screening_id:str}", "00000000-0000-4000-8000-000000000000")
            url = url.replace("{referral_id:str}", "00000000-0000-4000-8000-000000000000")
            url = url.replace("{id:str}", "00000000-0000-4000-8000-000000000000")
            url = url.replace("{service_id:str}", own_service).replace("{organization_id:str}", PRO_SENECTUTE)
            if method == "GET":
                response = client.get(url)
            else:
                response = client.request(method, url, data={"csrf_token": token})
            should = allowed == ANYONE or (role is not None and role in allowed)
            assert _got_in(response) == should, f"{role} {method} {path}: {response.status_code}"
            assert response.status_code < 500, f"{method} {path}: {response.text[:300]}"


# Routes whose answers a cache (the browser's, a proxy's, the service worker's) may keep: public
# files and pages that hold nothing of the visitor. Everything else must say no-store.
CACHEABLE = {
    "/static/{file_path:path}",
    "/sw.js",
    "/manifest.webmanifest",
    "/offline/{language:str}",
    "/offline/{language:str}/visit",
    "/offline/{language:str}/outbox",
    "/offline/{language:str}/follow-up",
    "/check",
    "/check/{lang:str}",
    "/check/{lang:str}/poster",
    "/api/v1/directory/snapshot",
    "/api/v1/instruments",
    "/api/v1/instruments/{instrument_id:str}",
    "/hsds",
    "/hsds/taxonomies",
    "/hsds/taxonomy_terms",
    "/hsds/services",
    "/hsds/services/{service_id:str}",
    "/hsds/organizations",
    "/hsds/organizations/{organization_id:str}",
}


@pytest.mark.parametrize("username", ["pflege", "koordination"])
def test_only_public_routes_may_be_cached(server, username):
    """Walks every GET route with a live session: personal answers say no-store, and the few
    cacheable ones hold nothing of the person asking (no name, no CSRF token)."""
    own_service = httpx.get(f"{server.url}/hsds/services", params={"organization_id": PRO_SENECTUTE}).json()[
        "contents"
    ][0]["id"]
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert login(client, username).status_code == 303
        token = csrf_from(client.get("/").text)
        name = client.get("/api/v1/me").json()["display_name"]
        for method, path in sorted(EXPECTED):
            if method != "GET":
                continue
            url = SAMPLE_PATHS.get(path, path)
            url = url.replace("{screening_id:str}", "00000000-0000-4000-8000-000000000000")
            url = url.replace("{referral_id:str}", "00000000-0000-4000-8000-000000000000")
            url = url.replace("{id:str}", "00000000-0000-4000-8000-000000000000")
            url = url.replace("{service_id:str}", own_service).replace("{organization_id:str}", PRO_SENECTUTE)
            response = client.get(url)
            control = response.headers.get("cache-control", "")
            if path in CACHEABLE:
                assert name not in response.text, f"{path} names the user"
                assert token not in response.text, f"{path} holds the CSRF token"
            else:
                assert "no-store" in control, f"{path} may be cached: {control!r}"
