"""The offline outbox under the failures a nurse's phone meets in the field: the answer of a
committed batch lost on the way back, a new service worker or database schema while records
wait, several sync triggers at once, the worker killed mid-replay, storage evicted or full.

Real server, real Chromium, real IndexedDB; the network and the worker are bent through
Playwright's routing (which also catches the service worker's requests) and the DevTools
protocol. Conditions are polled with page.evaluate: page.wait_for_function treats the Promise
an async predicate returns as truthy and would not wait at all."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import BrowserContext, CDPSession, Error, Page, Route, expect

from tests.e2e.helpers import log_in, poll, until
from tests.e2e.offline_helpers import (
    LONELY_AND_CARER,
    fill_visit,
    outbox_rows,
    prepare_device,
    save_visit,
    server_counts,
)
from tests.support import LiveServer

pytestmark = pytest.mark.e2e

SYNC_URL = "**/api/v1/sync"
SYNC_TAG = "passerelle-outbox"
ONE_VISIT = {"clients": 1, "screenings": 1, "referrals": 2}


def synced_ids(server: LiveServer) -> list[str]:
    """The device record ids the server applied (one sync_record row each)."""
    return [row[0] for row in server.database.execute("SELECT id FROM sync_record")]


# The outbox read with raw IndexedDB: works on pages without outbox.js (e.g. /healthz).
RAW_OUTBOX = """() => new Promise((resolve, reject) => {
    const request = indexedDB.open("passerelle");
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
        const db = request.result;
        const answer = (rows) => { db.close(); resolve({version: db.version, rows}); };
        if (!db.objectStoreNames.contains("outbox")) { answer([]); return; }
        const get = db.transaction("outbox").objectStore("outbox").getAll();
        get.onsuccess = () => answer(get.result.map((r) => ({
            id: r.id, type: r.type, state: r.state, order: r.order, attempts: r.attempts,
            created_at: r.created_at})));
        get.onerror = () => { db.close(); reject(get.error); };
    };
})"""

ALL_PENDING = """(count) => self.PasserelleOutbox.all().then(
    (rows) => rows.length === count && rows.every((r) => r.state === "pending"))"""
EMPTY = "() => self.PasserelleOutbox.all().then((rows) => rows.length === 0)"


def raw_outbox(page: Page) -> list[dict]:
    return page.evaluate(RAW_OUTBOX)["rows"]


class SyncLog:
    """Every POST /api/v1/sync of the context (the pages' and the worker's), with the record
    ids it carried and what the server answered. `mode` decides what the next ones meet:
      pass  — the real server, answer delivered;
      lose  — the real server commits, then the connection resets: the answer is lost;
      block — nothing reaches the server (connection refused);
      hold  — kept waiting in `held` until the test releases it."""

    def __init__(self, context: BrowserContext, mode: str = "pass") -> None:
        self.mode = mode
        self.posts: list[dict] = []
        self.held: list[tuple[Route, dict]] = []
        context.route(SYNC_URL, self.handle)

    def handle(self, route: Route) -> None:
        mode = self.mode
        body = json.loads(route.request.post_data or "{}")
        entry: dict = {
            "mode": mode,
            "sent": [record["id"] for record in body.get("records", [])],
            "from_worker": route.request.service_worker is not None,
            "answers": None,
        }
        self.posts.append(entry)
        if mode == "block":
            route.abort("connectionrefused")
        elif mode == "hold":
            self.held.append((route, entry))
        else:
            response = self.forward(route, entry)
            if mode == "lose":
                route.abort("connectionreset")
            else:
                route.fulfill(response=response)

    @staticmethod
    def forward(route: Route, entry: dict):
        response = route.fetch()
        try:
            entry["answers"] = {r["id"]: r["status"] for r in response.json()["results"]}
        except (ValueError, KeyError, TypeError):
            entry["answers"] = {"_http": response.status}
        return response

    def answered(self) -> list[dict]:
        return [post for post in self.posts if post["answers"] is not None]

    def accepted_ids(self) -> list[str]:
        return [
            rid for post in self.answered() for rid, status in post["answers"].items() if status == "accepted"
        ]


class Workers:
    """The DevTools protocol's view of the service workers of one origin."""

    def __init__(self, context: BrowserContext, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.scope = origin + "/"
        self.registrations: dict[str, dict] = {}
        self.versions: dict[str, dict] = {}
        self.cdp: CDPSession = context.new_cdp_session(page)
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", self._registrations)
        self.cdp.on("ServiceWorker.workerVersionUpdated", self._versions)
        self.cdp.send("ServiceWorker.enable")

    def _registrations(self, event: dict) -> None:
        for registration in event["registrations"]:
            self.registrations[registration["registrationId"]] = registration

    def _versions(self, event: dict) -> None:
        for version in event["versions"]:
            self.versions[version["versionId"]] = version

    def active(self, script_suffix: str = "", timeout: float = 15.0) -> str:
        """The id of the live registration of the origin whose worker (of a script URL ending
        in `script_suffix`) is activated. Chromium may keep the id across an update."""

        def find() -> str | None:
            for version in self.versions.values():
                registration = self.registrations.get(version["registrationId"])
                if (
                    registration
                    and not registration["isDeleted"]
                    and registration["scopeURL"] == self.scope
                    and version["status"] == "activated"
                    and version["scriptURL"].endswith(script_suffix)
                ):
                    return version["registrationId"]
            return None

        return until(self.page, find, timeout, "no activated service worker registration")  # type: ignore[return-value]

    def running(self) -> bool:
        return any(v["runningStatus"] == "running" for v in self.versions.values())

    def dispatch_sync(self, registration_id: str) -> None:
        self.cdp.send(
            "ServiceWorker.dispatchSyncEvent",
            {"origin": self.origin, "registrationId": registration_id, "tag": SYNC_TAG, "lastChance": False},
        )

    def stop_all(self) -> None:
        self.cdp.send("ServiceWorker.stopAllWorkers")


def save_offline_visit(context: BrowserContext, page: Page, name: str) -> set[str]:
    """A visit saved without network; answers the ids of its records."""
    expect(page.locator("#visit")).to_have_attribute("data-ready", "true")  # its scripts have run
    before = {row["id"] for row in outbox_rows(page)}
    context.set_offline(True)
    fill_visit(page, name)
    save_visit(page)
    ids = {row["id"] for row in outbox_rows(page)} - before
    assert len(ids) == 4  # client, screening, two referrals
    return ids


def wait_for_blocked_attempt(page: Page, log: SyncLog, count: int) -> None:
    """Online again, with the sync endpoint unreachable: an attempt failed and all rows wait."""
    try:
        until(page, lambda: log.posts, timeout=5)
    except AssertionError:  # no automatic attempt yet: the nurse taps "Send now"
        page.locator("#outbox-status [data-sync-now]").click()
        until(page, lambda: log.posts, message="no sync attempt reached the (blocked) endpoint")
    poll(page, f"() => ({ALL_PENDING})({count})", message="the records did not go back to waiting")


# ---- (2) the server commits a batch, the answer is lost ------------------------------------


def test_lost_answer_after_commit_is_replayed_as_duplicates(make_server, context, page):
    server = make_server()
    prepare_device(page, server)
    log = SyncLog(context, mode="lose")
    ids = save_offline_visit(context, page, "Lost-Answer A.")

    context.set_offline(False)  # the online event and Background Sync start sending
    try:
        until(page, log.answered, timeout=5)
    except AssertionError:  # no automatic attempt yet: the nurse taps "Send now"
        page.locator("#outbox-status [data-sync-now]").click()
        until(page, log.answered, message="no sync request reached the server")
    first = log.posts[0]
    # The server committed the whole batch, but the device never heard of it.
    assert first["mode"] == "lose" and set(first["sent"]) == ids
    assert set(first["answers"].values()) == {"accepted"}
    assert server_counts(server, "Lost-Answer") == ONE_VISIT
    poll(page, f"() => ({ALL_PENDING})(4)", message="the records did not go back to waiting")
    assert {row["id"] for row in outbox_rows(page)} == ids

    log.mode = "pass"
    page.locator("#outbox-status [data-sync-now]").click()
    poll(page, EMPTY, message="the outbox did not empty")
    retries = log.answered()[1:]
    assert retries, "the records were never sent again"
    for post in retries:
        assert set(post["answers"].values()) == {"duplicate"}, post
    assert {rid for post in retries for rid in post["answers"]} == ids
    assert server_counts(server, "Lost-Answer") == ONE_VISIT
    assert sorted(synced_ids(server)) == sorted(ids)
    expect(page.locator("#outbox-status")).to_be_hidden()


# ---- (5) a new service worker, a new database schema ---------------------------------------


def test_service_worker_update_keeps_waiting_records(make_server, context, page):
    server = make_server()
    prepare_device(page, server)
    workers = Workers(context, page, server.url)
    workers.active()
    log = SyncLog(context, mode="block")  # online, but the sync endpoint cannot be reached
    ids = save_offline_visit(context, page, "Worker-Update A.")
    context.set_offline(False)
    wait_for_blocked_attempt(page, log, 4)

    # A new version of the worker (another script URL) replaces the old one.
    page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.getRegistration();
            await registration.unregister();
            await navigator.serviceWorker.register('/sw.js?update=2', {scope: '/'});
        }"""
    )
    new = workers.active("/sw.js?update=2")
    poll(page, "() => (navigator.serviceWorker.controller?.scriptURL || '').endsWith('update=2')")

    rows = outbox_rows(page)
    assert {row["id"] for row in rows} == ids
    assert {row["state"] for row in rows} == {"pending"}
    # The new worker reads the records with the device's key (nothing re-encrypted, nothing lost).
    worker = until(
        page,
        lambda: next((w for w in context.service_workers if w.url.endswith("update=2")), None),
        message="the new worker is not visible to Playwright",
    )
    names = worker.evaluate(  # type: ignore[union-attr]
        "() => self.PasserelleOutbox.readable().then((rows) => rows.map((r) => r.data.display_name || null))"
    )
    assert names.count("Worker-Update A.") == 1 and len(names) == 4

    # The browser stops the new worker; its Background Sync starts it again and sends.
    workers.stop_all()
    until(page, lambda: not workers.running(), message="the worker kept running")
    log.mode = "pass"
    workers.dispatch_sync(new)
    poll(page, EMPTY, message="the outbox did not empty after the new worker's sync")
    assert any(post["from_worker"] for post in log.answered())
    assert server_counts(server, "Worker-Update") == ONE_VISIT
    assert sorted(log.accepted_ids()) == sorted(ids)


V1_DATABASE = """async (name) => {
    const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open("passerelle", 1);
        request.onupgradeneeded = () => {
            request.result.createObjectStore("keys");
            request.result.createObjectStore("outbox", {keyPath: "id"});
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    const key = await crypto.subtle.generateKey({name: "AES-GCM", length: 256}, false, ["encrypt", "decrypt"]);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = {display_name: name, birth_year: 1950, municipality: 902, language: "de"};
    const sealed = await crypto.subtle.encrypt(
        {name: "AES-GCM", iv}, key, new TextEncoder().encode(JSON.stringify(data)));
    const record = {id: crypto.randomUUID(), type: "client", owner: "pflege", group: crypto.randomUUID(),
                    created_at: new Date(Date.now() - 3600 * 1000).toISOString(), iv, sealed};
    await new Promise((resolve, reject) => {
        const tx = db.transaction(["keys", "outbox"], "readwrite");
        tx.objectStore("keys").put(key, "outbox");
        tx.objectStore("outbox").put(record);
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
    });
    db.close();
    return {id: record.id, created_at: record.created_at};
}"""


def test_schema_upgrade_keeps_pending_records(make_server, context, page):
    server = make_server()
    # A page of the origin that does not load outbox.js: the device as an older release left it.
    page.goto(server.url + "/healthz")
    made = page.evaluate(V1_DATABASE, "Schema-V1 A.")
    before = page.evaluate(RAW_OUTBOX)
    assert before["version"] == 1 and before["rows"][0]["state"] is None

    log = SyncLog(context, mode="block")  # keep the record waiting while we look at it
    log_in(page, server.url, "pflege")
    expect(page.locator("body")).to_have_attribute("data-account", "pflege")
    # The banner's status opened the database at version 2 and the first sync tried to send it.
    until(page, lambda: log.posts, message="the migrated record was never sent")
    assert log.posts[0]["sent"] == [made["id"]]
    after = poll(
        page,
        f"""() => ({RAW_OUTBOX})().then((db) => db.version === 2 && db.rows.length === 1
                && db.rows[0].state === "pending" && db.rows[0])""",
        message="the version 1 record was not migrated to a waiting version 2 record",
    )
    assert after["id"] == made["id"]
    assert after["attempts"] == 0
    assert after["order"] == page.evaluate("(iso) => Date.parse(iso)", made["created_at"])
    banner = page.locator("#outbox-status")
    expect(banner).to_have_attribute("data-waiting", "1")
    readable = page.evaluate("() => self.PasserelleOutbox.readable()")
    assert readable[0]["data"]["display_name"] == "Schema-V1 A."

    log.mode = "pass"
    banner.locator("[data-sync-now]").click()
    poll(page, EMPTY, message="the migrated record was not sent")
    assert server_counts(server, "Schema-V1")["clients"] == 1
    assert log.accepted_ids() == [made["id"]]
    expect(banner).to_be_hidden()


# ---- (9) every trigger at once ---------------------------------------------------------------

FIRE_EVERYTHING = """() => {
    document.querySelector("#outbox-status [data-sync-now]").click();
    window.dispatchEvent(new Event("online"));
}"""


def test_simultaneous_triggers_accept_each_record_once(make_server, context, page):
    server = make_server()
    prepare_device(page, server)
    workers = Workers(context, page, server.url)
    registration = workers.active()
    log = SyncLog(context, mode="block")
    ids = save_offline_visit(context, page, "Many-Triggers A.")
    page.locator("#visit-saved a[href$='/offline/de/visit']").click()  # "New screening", from the cache
    ids |= save_offline_visit(context, page, "Many-Triggers B.")
    assert len(ids) == 8
    other = context.new_page()
    other.goto(server.url + "/offline/de/outbox")  # a second tab, served by the worker
    expect(other.locator(".outbox-record")).to_have_count(8)

    context.set_offline(False)
    # The automatic attempts find the server unreachable: records wait, "Send now" in both tabs.
    wait_for_blocked_attempt(page, log, 8)
    for tab in (page, other):
        expect(tab.locator("#outbox-status [data-sync-now]")).to_be_visible()

    log.mode = "pass"
    attempts_before = len(log.posts)
    page.evaluate(FIRE_EVERYTHING)
    other.evaluate(FIRE_EVERYTHING)
    workers.dispatch_sync(registration)
    poll(page, EMPTY, message="the outbox did not empty")
    poll(other, EMPTY, message="the outbox did not empty in the other tab")

    assert server_counts(server, "Many-Triggers") == {"clients": 2, "screenings": 2, "referrals": 4}
    accepted = log.accepted_ids()
    assert sorted(accepted) == sorted(ids), "a record was accepted twice, or never"
    assert [post for post in log.posts[attempts_before:] if post["answers"]], "nothing was sent"
    for post in log.answered():
        assert set(post["answers"].values()) <= {"accepted", "duplicate"}, post
    assert sorted(synced_ids(server)) == sorted(ids)
    for tab in (page, other):
        expect(tab.locator("#outbox-status")).to_be_hidden()


# ---- (11) the worker dies mid-replay ---------------------------------------------------------


def test_worker_stopped_mid_replay_loses_nothing(make_server, context, page):
    server = make_server()
    prepare_device(page, server)
    workers = Workers(context, page, server.url)
    registration = workers.active()
    log = SyncLog(context, mode="block")
    ids = save_offline_visit(context, page, "Worker-Stop A.")
    context.set_offline(False)
    wait_for_blocked_attempt(page, log, 4)
    # From here on only the worker sends: the tab shows a page without the app's scripts.
    page.goto(server.url + "/healthz")
    assert {row["id"] for row in raw_outbox(page)} == ids

    log.mode = "hold"  # the server is slow: the worker's request waits for its answer
    workers.dispatch_sync(registration)
    until(page, lambda: log.held, message="the worker's Background Sync sent nothing")
    route, entry = log.held[0]
    assert entry["from_worker"] and set(entry["sent"]) == ids
    assert {row["state"] for row in raw_outbox(page)} == {"sending"}

    workers.stop_all()  # the browser kills the worker while the server works
    until(page, lambda: not workers.running(), message="the worker kept running")
    # The server finishes the batch it received; nobody is left to read its answer.
    SyncLog.forward(route, entry)
    try:
        route.abort("connectionreset")
    except Error:
        pass  # the request died with the worker
    assert set(entry["answers"].values()) == {"accepted"}

    # Nothing lost: each record is on the server (once) or still on the device.
    on_server = synced_ids(server)
    on_device = {row["id"] for row in raw_outbox(page)}
    assert len(on_server) == len(set(on_server))
    assert ids <= set(on_server) | on_device
    assert server_counts(server, "Worker-Stop") == ONE_VISIT

    log.mode = "pass"
    workers.dispatch_sync(registration)  # the worker starts again and replays
    until(page, lambda: not raw_outbox(page), message="the replay after the restart did not empty the outbox")
    replies = [post for post in log.answered() if post["mode"] == "pass"]
    assert replies and all(set(post["answers"].values()) == {"duplicate"} for post in replies), replies
    assert server_counts(server, "Worker-Stop") == ONE_VISIT
    assert sorted(synced_ids(server)) == sorted(ids)


def test_background_sync_alone_raises_no_false_lost_warning(make_server, context, page):
    """The nurse saves offline and closes the app; the worker's Background Sync sends everything.
    Next morning the banner must not claim that the browser deleted waiting records."""
    server = make_server()
    prepare_device(page, server)
    workers = Workers(context, page, server.url)
    registration = workers.active()
    log = SyncLog(context, mode="block")
    save_offline_visit(context, page, "Worker-Alone A.")
    context.set_offline(False)
    wait_for_blocked_attempt(page, log, 4)
    page.goto(server.url + "/healthz")  # the app is closed: no page script runs

    log.mode = "pass"
    workers.dispatch_sync(registration)
    until(page, lambda: not raw_outbox(page), message="the worker's Background Sync did not send")
    assert server_counts(server, "Worker-Alone") == ONE_VISIT

    page.goto(server.url + "/offline/de/outbox")
    expect(page.locator("#outbox-empty")).to_be_visible()
    page.wait_for_timeout(300)  # the banner's status and the start-up sync have run
    expect(page.locator("#outbox-status [data-lost]")).to_be_hidden()


def test_records_of_a_killed_replay_show_as_waiting(make_server, context, page):
    """A worker killed mid-send leaves its rows marked 'sending'; with nobody holding the send
    lock they must show as waiting again, even while the server cannot be reached."""
    server = make_server()
    prepare_device(page, server)
    workers = Workers(context, page, server.url)
    registration = workers.active()
    log = SyncLog(context, mode="block")
    save_offline_visit(context, page, "Killed-Replay A.")
    context.set_offline(False)
    wait_for_blocked_attempt(page, log, 4)
    page.goto(server.url + "/healthz")

    log.mode = "hold"
    workers.dispatch_sync(registration)
    until(page, lambda: log.held, message="the worker's Background Sync sent nothing")
    workers.stop_all()  # killed before the request reached the server
    until(page, lambda: not workers.running(), message="the worker kept running")
    try:
        log.held[0][0].abort("connectionreset")
    except Error:
        pass
    assert server_counts(server, "Killed-Replay")["clients"] == 0

    # The server is out of reach again (on the road) when the nurse looks at her list.
    # (context.set_offline() hangs in Playwright once a worker died with a held route.)
    server.stop()
    page.goto(server.url + "/offline/de/outbox")
    records = page.locator(".outbox-record")
    expect(records).to_have_count(4)
    page.wait_for_timeout(300)  # the page's start-up work has run
    expect(page.locator(".outbox-record[data-state=sending]")).to_have_count(0)


# ---- (12) the browser evicts the outbox, or the disk is full -------------------------------


def test_evicted_outbox_shows_the_lost_warning(make_server, context, page):
    server = make_server()
    prepare_device(page, server)
    save_offline_visit(context, page, "Evicted A.")
    banner = page.locator("#outbox-status")
    expect(banner).to_have_attribute("data-waiting", "4")
    expect(banner.locator("[data-lost]")).to_be_hidden()

    cdp = context.new_cdp_session(page)
    cdp.send("Storage.clearDataForOrigin", {"origin": server.url, "storageTypes": "indexeddb"})
    page.reload()  # offline: the worker serves the page from its cache
    lost = banner.locator("[data-lost]")
    expect(lost).to_be_visible()
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-waiting", "0")
    assert outbox_rows(page) == []

    # "Understood": the warning goes, and does not come back on the next page.
    lost.locator("[data-lost-ok]").click()
    expect(lost).to_be_hidden()
    page.reload()
    expect(page.locator("#visit-locked, #visit").first).to_be_attached()
    page.wait_for_timeout(300)  # let the banner's status run on the fresh page
    expect(lost).to_be_hidden()


# Fills the origin's quota with a database of its own (the app never opens it), in shrinking
# chunks, until the disk is full to within a few bytes. Random bytes, since Chromium compresses
# what it stores; bounded, so that a browser without quota checks cannot loop for ever.
FILL_DISK = """async () => {
    const db = await new Promise((resolve, reject) => {
        const request = indexedDB.open("filler", 1);
        request.onupgradeneeded = () => request.result.createObjectStore("blobs");
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
    const put = (key, size) => new Promise((resolve, reject) => {
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
        const tx = db.transaction("blobs", "readwrite");
        tx.objectStore("blobs").put(bytes, key);
        tx.oncomplete = resolve;
        tx.onabort = () => reject(tx.error);
    });
    let stored = 0;
    let refused = null;
    for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9, 1 << 6]) {
        for (let tries = 0; tries < 64; tries += 1) {
            try {
                await put(stored, size);
                stored += 1;
            } catch (error) {
                refused = error.name;
                break;
            }
        }
    }
    db.close();
    return {stored, refused};
}"""
FREE_DISK = """() => new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase("filler");
    request.onsuccess = () => resolve(true);
    request.onerror = () => reject(request.error);
})"""


def test_full_storage_keeps_the_form_and_adds_nothing(make_server, context, page):
    server = make_server()
    # A small device. The quota is set before the origin stores anything: Chromium 156's
    # IndexedDB ignores an override made once it is in use (even quotaSize 1).
    cdp = context.new_cdp_session(page)
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": server.url, "quotaSize": 30 * 1024 * 1024})
    prepare_device(page, server)
    context.set_offline(True)
    fill_visit(page, "Quota-Full A.")
    page.wait_for_timeout(300)  # the draft (sealed after every answer) is written before the disk fills
    filled = page.evaluate(FILL_DISK)
    assert filled["stored"] > 0 and filled["refused"] == "QuotaExceededError", filled

    page.locator("#visit button[type=submit]").click()
    error = page.locator("#visit-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(error.get_attribute("data-storage") or "")
    expect(page.locator("#visit")).to_be_visible()
    expect(page.locator("#visit-saved")).to_be_hidden()
    # Every answer is still on the screen.
    expect(page.locator("#display_name")).to_have_value("Quota-Full A.")
    expect(page.locator("#birth_year")).to_have_value("1944")
    expect(page.locator("#municipality")).to_have_value("902")
    for item in LONELY_AND_CARER:
        expect(page.locator(f"#q-{item} input[type=radio]").nth(2)).to_be_checked()
    expect(page.locator("#i-carer-yes-exhausted")).to_be_checked()
    expect(page.locator("#needs input[name=offer]:checked")).to_have_count(2)
    expect(page.locator("#method-verbal")).to_be_checked()
    expect(page.locator("#confirmed")).to_be_checked()
    assert outbox_rows(page) == []

    # Space freed: the very same form saves, once.
    page.evaluate(FREE_DISK)
    save_visit(page)
    rows = outbox_rows(page)
    assert sorted(row["type"] for row in rows) == ["client", "referral", "referral", "screening"]
