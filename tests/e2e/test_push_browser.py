"""The service worker's half of Web Push in Chromium: a push delivered through the DevTools
protocol shows a notification (a repeat of the same id does not show twice), and clicking it
opens the referral. The server's half (VAPID, encryption, outbox) is in tests/api/test_push.py."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in, wait_for_service_worker_control

pytestmark = pytest.mark.e2e


def _registration_id(page, cdp, scope: str) -> str:
    found: dict[str, str] = {}

    def updated(event: dict) -> None:
        for registration in event["registrations"]:
            if registration["scopeURL"] == scope and not registration["isDeleted"]:
                found["id"] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    cdp.send("ServiceWorker.enable")
    for _ in range(100):
        if "id" in found:
            return found["id"]
        page.wait_for_timeout(50)
    raise AssertionError("the service worker registration was not reported")


def _notifications(page) -> list[dict]:
    return page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.ready;
            const shown = await registration.getNotifications();
            return shown.map((n) => ({title: n.title, body: n.body, tag: n.tag, data: n.data}));
        }"""
    )


def test_push_shows_one_notification_and_click_opens_the_referral(make_server, context, page):
    server = make_server()
    context.grant_permissions(["notifications"], origin=server.url)
    log_in(page, server.url, "koordination")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    wait_for_service_worker_control(page)
    cdp = context.new_cdp_session(page)
    registration = _registration_id(page, cdp, server.url + "/")
    payload = {
        "id": "7f0c9a5e-0000-4000-8000-000000000001",
        "title": "Neue Zuweisung",
        "body": "Neue Zuweisung für Besuchsdienst",
        "url": "/inbox?tab=new",
        "tag": "new:3",
        "count": 1,
    }
    message = {"origin": server.url, "registrationId": registration, "data": json.dumps(payload)}
    cdp.send("ServiceWorker.deliverPushMessage", message)
    shown: list[dict] = []
    for _ in range(60):
        shown = _notifications(page)
        if shown:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(250)
    shown = _notifications(page)
    assert [(n["title"], n["body"], n["tag"]) for n in shown] == [
        ("Neue Zuweisung", "Neue Zuweisung für Besuchsdienst", "new:3")
    ]
    assert shown[0]["data"]["url"] == "/inbox?tab=new"

    # At-least-once delivery may repeat a push: the same id is not shown again.
    cdp.send("ServiceWorker.deliverPushMessage", message)
    page.wait_for_timeout(500)
    assert len(_notifications(page)) == 1

    page.goto(server.url + "/directory")
    worker = context.service_workers[0]
    worker.evaluate(
        """async () => {
            const [notification] = await self.registration.getNotifications();
            self.dispatchEvent(new NotificationEvent("notificationclick", {notification}));
        }"""
    )
    expect(page).to_have_url(server.url + "/inbox?tab=new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Eingang")


@pytest.mark.parametrize("username", ["koordination", "soins"])
def test_notification_settings_page(make_server, context, page, username):
    from tests.e2e.helpers import serious_violations
    from tests.support import cli

    server = make_server()
    cli("vapid", "init", env=server.env)
    context.grant_permissions(["notifications"], origin=server.url)
    log_in(page, server.url, username)
    wait_for_service_worker_control(page)
    page.goto(server.url + "/settings/notifications")
    state = page.locator("[data-push-state]")
    # Headless Chromium has no push service: the page must say so instead of hanging.
    expect(page.locator("[data-push-on]")).to_be_visible()
    expected = {
        "koordination": "Benachrichtigungen sind für dieses Gerät ausgeschaltet.",
        "soins": "Les notifications sont désactivées pour cet appareil.",
    }[username]
    expect(state).to_have_text(expected)
    assert serious_violations(page) == []
