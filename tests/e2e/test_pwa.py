"""The installable shell: the service worker takes control, and when the server is gone a
navigation shows the offline page in the person's language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in, poll, wait_for_service_worker_control

pytestmark = pytest.mark.e2e


def test_service_worker_controls_the_page_and_precaches_the_shell(make_server, page):
    server = make_server()
    page.goto(server.url + "/login")
    wait_for_service_worker_control(page)
    cached = page.evaluate(
        """async () => {
            const names = await caches.keys();
            const shell = names.find((n) => n.startsWith("passerelle-shell-"));
            const keys = await (await caches.open(shell)).keys();
            return {names, urls: keys.map((r) => new URL(r.url).pathname)};
        }"""
    )
    assert any(n.startswith("passerelle-shell-") for n in cached["names"])
    assert {"/offline/de", "/offline/fr", "/static/css/app.css", "/static/js/app.js"} <= set(cached["urls"])
    # Nothing personal is ever cached: no page of a logged-in person.
    assert "/" not in cached["urls"] and "/login" not in cached["urls"]


@pytest.mark.parametrize(
    ("username", "heading", "body"),
    [
        ("pflege", "Sie sind offline", "Passerelle erreicht den Server im Moment nicht."),
        ("soins", "Vous êtes hors ligne", "Passerelle ne parvient pas à joindre le serveur"),
    ],
)
def test_offline_page_when_the_server_is_gone(make_server, page, username, heading, body):
    server = make_server()
    log_in(page, server.url, username)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    wait_for_service_worker_control(page)
    page.reload()  # one navigation through the worker, which notes the page's language
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    server.stop()
    response = page.goto(server.url + "/")
    assert response is not None and response.from_service_worker
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_text(body, exact=False)).to_be_visible()
    # Nobody's name is on the offline page, not even the person's own.
    expect(page.locator("body")).not_to_contain_text("Pflege")
    expect(page.locator("body")).not_to_contain_text("Sophie")


def test_old_caches_are_removed_when_assets_change(make_server, page):
    server = make_server()
    page.goto(server.url + "/login")
    wait_for_service_worker_control(page)
    page.evaluate(
        "() => caches.open('passerelle-shell-0123456789ab').then((c) => c.put('/x', new Response('old')))"
    )
    # A new worker version activates and sweeps caches it does not expect.
    page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.getRegistration();
            await registration.unregister();
            await navigator.serviceWorker.register('/sw.js?fresh=1', {scope: '/'});
            await navigator.serviceWorker.ready;
        }"""
    )
    poll(page, "async () => !(await caches.keys()).includes('passerelle-shell-0123456789ab')")


def test_app_is_installable(make_server, persistent_context):
    server = make_server()
    page = persistent_context.new_page()
    page.goto(server.url + "/login")
    wait_for_service_worker_control(page)
    cdp = persistent_context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == [], errors
