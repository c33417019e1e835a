"""The open HSDS API under load (issue 14): answers carry validators and revalidate with 304,
a page is built in a few queries whatever its size, and anonymous callers are limited per
address while people logged in and valid API tokens are not."""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime

import httpx
import pytest
from sqlalchemy import event

from backend.db.engine import make_engine, session_scope
from backend.directory import hsds, hsds_api, hsds_limit
from tests.support import cli, csrf_from, login

PRO_SENECTUTE = hsds.stable_id("demo-organization", "Pro Senectute Kanton Bern")
PAGES = [
    "/hsds/",
    "/hsds/services?per_page=200",
    "/hsds/organizations",
    f"/hsds/organizations/{PRO_SENECTUTE}",
    "/hsds/taxonomies",
    "/hsds/taxonomy_terms",
]


def _from(server, address: str, **kwargs) -> httpx.Client:
    """A client whose requests come from another loopback address: a rate-limit key of its own."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.url, transport=transport, timeout=10, **kwargs)


def test_every_hsds_answer_revalidates_with_304(server):
    with _from(server, "127.0.0.10") as client:
        one = client.get("/hsds/services", params={"organization_id": PRO_SENECTUTE}).json()["contents"][0]
        for url in [*PAGES, f"/hsds/services/{one['id']}"]:
            first = client.get(url)
            assert first.status_code == 200, url
            etag, control = first.headers["etag"], first.headers["cache-control"]
            assert etag.startswith('"') and not etag.startswith("W/"), url  # strong
            assert control.startswith("public, max-age=") and int(control.split("=")[1]) <= 300, url
            again = client.get(url, headers={"If-None-Match": etag})
            assert again.status_code == 304 and again.content == b"", url
            assert again.headers["etag"] == etag and again.headers["cache-control"] == control
            listed = client.get(url, headers={"If-None-Match": f'"other", W/{etag}'})
            assert listed.status_code == 304, url
            assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_etag_follows_the_directory_not_the_clock(server):
    """A capacity change and an organisation renamed by import both make the old copy stale;
    Last-Modified moves too; nothing else does."""
    url = "/hsds/services?per_page=200"
    with _from(server, "127.0.0.11") as anonymous:
        first = anonymous.get(url)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert anonymous.get(url, headers={"If-Modified-Since": modified}).status_code == 304
        assert anonymous.get(url).headers["etag"] == etag  # stable while nothing changes
        service_id = anonymous.get(url, params={"organization_id": PRO_SENECTUTE}).json()["contents"][0]["id"]

    with httpx.Client(base_url=server.url, timeout=10) as coordinator:
        assert login(coordinator, "koordination").status_code == 303
        token = csrf_from(coordinator.get("/").text)
        changed = coordinator.post(
            f"/directory/services/{service_id}/capacity",
            data={"csrf_token": token, "capacity_status": "waitlist", "capacity_note": "bis Mai"},
        )
        assert changed.status_code in (200, 303), changed.text[:300]

    with _from(server, "127.0.0.11") as anonymous:
        after = anonymous.get(url, headers={"If-None-Match": etag})
        assert after.status_code == 200 and after.headers["etag"] != etag
        assert parsedate_to_datetime(after.headers["last-modified"]) >= parsedate_to_datetime(modified)
        assert any(s["passerelle"]["capacity"]["status"] == "waitlist" for s in after.json()["contents"])
        etag = after.headers["etag"]

        # An organisation renamed by an import (its offers unchanged) is part of every offer.
        exported = json.loads(cli("directory", "export", env=server.env).stdout)
        doc = next(s for s in exported if s["id"] == service_id)
        doc["organization"]["name"] = "Pro Senectute Kanton Bern (umbenannt)"
        path = server.var_dir / "renamed.json"
        path.write_text(json.dumps([doc]), encoding="utf-8")
        cli("directory", "import", str(path), env=server.env)
        renamed = anonymous.get(url, headers={"If-None-Match": etag})
        assert renamed.status_code == 200
        assert any(s["organization"]["name"].endswith("(umbenannt)") for s in renamed.json()["contents"])


def test_a_page_of_services_is_built_in_a_few_queries(server):
    """The per-service queries (tags, areas) are batched: 85 services, a handful of queries."""
    engine = make_engine(server.database.url)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        with session_scope(engine, writes=False) as session:
            ids = [row[0] for row in session.connection().exec_driver_sql("SELECT id FROM directory_service")]
            statements.clear()
            services = hsds_api._services(session, ids)
    finally:
        engine.dispose()
    assert len(services) == len(ids) > 50
    assert len(statements) <= 5, statements
    assert all(hsds.schema_errors(s, "service") == [] for s in services)


def _start_of_a_fresh_minute() -> None:
    """The counter's window is the clock's minute: start early in one, so that the whole run
    falls into the same window."""
    if time.time() % 60 > 40:
        time.sleep(60 - time.time() % 60 + 0.2)


def test_anonymous_callers_are_limited_per_address(server):
    token = cli("tokens", "create", "--user", "pflege", "--name", "hsds", env=server.env).stdout.strip()
    _start_of_a_fresh_minute()
    with _from(server, "127.0.0.12", headers={"Accept-Language": "fr-CH"}) as anonymous:
        for _ in range(hsds_limit.LIMIT):
            assert anonymous.get("/hsds/taxonomies").status_code == 200
        refused = anonymous.get("/hsds/taxonomies")
        assert refused.status_code == 429
        assert 0 < int(refused.headers["retry-after"]) <= 60
        assert "no-store" in refused.headers["cache-control"]  # a refusal is never cached
        assert refused.json()["message"].startswith("Trop de requêtes")
        assert anonymous.get("/hsds/services/whatever").status_code == 429  # every /hsds/ route
        # A made-up token does not lift the limit; a valid one does.
        bogus = anonymous.get("/hsds/taxonomies", headers={"Authorization": "Bearer psg_nothing"})
        assert bogus.status_code == 429
        known = anonymous.get("/hsds/taxonomies", headers={"Authorization": f"Bearer {token}"})
        assert known.status_code == 200
    with _from(server, "127.0.0.12") as person:
        assert login(person, "pflege").status_code == 303
        assert person.get("/hsds/taxonomies").status_code == 200  # a session is not counted
    with _from(server, "127.0.0.13") as neighbour:
        assert neighbour.get("/hsds/taxonomies").status_code == 200  # another address: its own count


@pytest.mark.parametrize("path", ["/hsds/services", "/hsds/organizations"])
def test_bad_paging_is_refused_before_anything_is_cached(client, path):
    response = client.get(path, params={"per_page": "0"})
    assert response.status_code == 422 and "no-store" in response.headers["cache-control"]
