"""One record the server cannot take must not block a nurse's outbox. The server is made to
fail on one record through Playwright's routing (the request of any batch holding it answers
500 with a proxy's HTML page, as a server that crashes on it would); the real server answers
everything else. The device halves the batch until it finds that record, quarantines it on
the outbox page with its reason, and sends the rest. A server that answers nothing at all
(every request an error page) marks no record."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.e2e.helpers import poll
from tests.e2e.offline_helpers import outbox_rows, prepare_device, server_counts

pytestmark = pytest.mark.e2e

PROXY_PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>"

# 300 clients saved on the device, each as its own visit, like a long week without network.
ADD_CLIENTS = """async ({prefix, count}) => {
    const ids = [];
    for (let n = 0; n < count; n += 1) {
        const id = self.PasserelleOutbox.uuid();
        const data = {display_name: `${prefix} ${n}`, birth_year: 1940, municipality: 902, language: "de"};
        await self.PasserelleOutbox.add([{id, type: "client", label: `${prefix} ${n}`, data}], "pflege");
        ids.push(id);
    }
    return ids;
}"""
SETTLED = """() => self.PasserelleOutbox.all().then((rows) => rows.length > 0 && rows.every(
    (r) => r.state === "rejected" || r.state === "pending") && !rows.some((r) => r.state === "sending"))"""


class Poison:
    """Answers 500 (an HTML page) for any sync request that carries `bad`, or for every request
    when `down`; passes the others to the real server. Counts the requests."""

    def __init__(self, context: BrowserContext, bad: str | None = None) -> None:
        self.bad = bad
        self.down = False
        self.batches: list[int] = []
        context.route("**/api/v1/sync", self.handle)

    def handle(self, route: Route) -> None:
        records = json.loads(route.request.post_data or "{}").get("records", [])
        self.batches.append(len(records))
        if self.down or any(record["id"] == self.bad for record in records):
            route.fulfill(status=500, body=PROXY_PAGE, content_type="text/html")
        else:
            route.continue_()


def send_now(page: Page) -> str:
    """"Send now", once no automatic attempt holds the send lock."""
    return poll(page, "() => self.PasserelleOutbox.sync({force: true}).then((r) => r !== 'busy' && r)")


def test_one_poisoned_record_among_300_is_quarantined_and_the_rest_arrive(make_server, context, page):
    server = make_server()
    prepare_device(page, server)
    poison = Poison(context)
    poison.down = True  # nothing leaves while the records are saved
    ids = page.evaluate(ADD_CLIENTS, {"prefix": "Poison-Week", "count": 300})
    poison.bad, poison.down = ids[137], False
    poison.batches.clear()

    assert send_now(page) == "sent"
    rows = outbox_rows(page)
    assert [(row["id"], row["state"]) for row in rows] == [(ids[137], "rejected")]
    assert server_counts(server, "Poison-Week")["clients"] == 299
    assert server.database.execute(
        "SELECT count(*) FROM client WHERE display_name = 'Poison-Week 137'"
    )[0][0] == 0
    # Three batches of 100, the second halved down to its poisoned record: a few requests only.
    assert len(poison.batches) <= 20, poison.batches
    assert 100 in poison.batches and 1 in poison.batches

    # The outbox page shows it, with the reason, and does not send it again by itself.
    page.goto(f"{server.url}/offline/de/outbox")
    record = page.locator(".outbox-record")
    expect(record).to_have_count(1)
    expect(record).to_have_attribute("data-quarantined", "true")
    expect(record.locator(".outbox-error")).to_contain_text("Der Server konnte diesen Eintrag nicht annehmen.")
    expect(page.locator(".outbox-visit-title")).to_have_text("Besuch bei P. 1. – nicht angenommen – bitte prüfen")
    before = len(poison.batches)
    assert send_now(page) == "nothing"
    assert len(poison.batches) == before

    # The server is mended: the nurse sends it again, and it arrives.
    poison.bad = None
    record.locator("button[type=submit]").click()
    expect(page.locator("#outbox-empty")).to_be_visible()
    assert server_counts(server, "Poison-Week")["clients"] == 300


def test_a_server_that_answers_nothing_marks_no_record(make_server, context, page):
    """5xx pages for every request (the empty probe too): the server, not a record, is at fault."""
    server = make_server()
    prepare_device(page, server)
    poison = Poison(context)
    poison.down = True
    ids = page.evaluate(ADD_CLIENTS, {"prefix": "Server-Down", "count": 12})
    poll(page, SETTLED, message="a record stayed in 'sending'")
    poison.batches.clear()

    assert send_now(page) == "failed"
    rows = outbox_rows(page)
    assert sorted(row["id"] for row in rows) == sorted(ids)
    assert {row["state"] for row in rows} == {"pending"}
    assert len(poison.batches) <= 6, poison.batches  # 12, 6, 3, 2, 1 and the empty probe
    assert page.evaluate("() => self.PasserelleOutbox.getMeta('backoff')")["failures"] >= 1

    poison.down = False
    assert send_now(page) == "sent"
    assert outbox_rows(page) == []
    assert server_counts(server, "Server-Down")["clients"] == 12


def test_an_answer_without_results_for_the_records_marks_none(make_server, context, page):
    """A 200 that is not the server's answer per record (a captive portal, a proxy's JSON)."""
    server = make_server()
    prepare_device(page, server)
    portal = {"on": True}

    def handle(route: Route) -> None:
        if portal["on"]:
            route.fulfill(status=200, body=json.dumps({"ok": True}), content_type="application/json")
        else:
            route.continue_()

    context.route("**/api/v1/sync", handle)
    ids = page.evaluate(ADD_CLIENTS, {"prefix": "Portal", "count": 3})
    poll(page, SETTLED, message="a record stayed in 'sending'")
    assert send_now(page) == "failed"
    assert {(row["id"], row["state"]) for row in outbox_rows(page)} == {(i, "pending") for i in ids}
    portal["on"] = False
    assert send_now(page) == "sent"
    assert server_counts(server, "Portal")["clients"] == 3
