// The outbox: records a nurse saved on this device, encrypted, until the server confirms them.
//
// A classic script on purpose: pages load it with <script defer> and the service worker with
// importScripts(), so Background Sync sends with the same code as the page. It defines
// self.PasserelleOutbox and nothing else.
//
// Storage: one IndexedDB database, versioned with migrations (MIGRATIONS below). Record data
// (client names, answers, consent) is sealed with AES-GCM under a key that is generated on the
// device as non-extractable: scripts of this origin can use it, nobody can read it out, and
// the files on disk hold only ciphertext. Only a 2xx answer of POST /api/v1/sync naming a
// record `accepted` or `duplicate` removes it; a `rejected` one stays, with the server's
// reason, until the nurse corrects or discards it.
//
// An answer that is not one per record (a 5xx, 413, a proxy's error page) marks nothing: the
// batch is halved until the one record the server cannot take is found; that record is
// quarantined (kept, shown as not accepted, not sent again by itself) and the others go on.
//
// Who sends: the UI session when there is one (cookie and CSRF token, as GET /api/v1/me
// answers); otherwise the device's own sync credential (issue 17, item 4). A nurse's page asks
// for one after each login (ensureCredential); it opens POST /api/v1/sync and nothing else, is
// sealed here with the same key as the records (never in localStorage, never in a URL), and
// lets the records go out after the browser was closed, without her password.

(function (scope) {
  "use strict";

  const DB_NAME = "passerelle";
  const DB_VERSION = 2;
  const KEY_ID = "outbox";
  const LOCK = "passerelle-outbox-sync";
  const SYNC_TAG = "passerelle-outbox";
  const BATCH = 100;
  const TIMEOUT_MS = 30000;
  const VISIT_HOURS = 24;
  // Answers that say "later", not "this batch": back off without splitting the batch.
  const RETRY_LATER = new Set([408, 429, 503]);
  const STATUSES = new Set(["accepted", "duplicate", "rejected"]);
  // Backoff after a failed attempt: 5 s, 10 s, 20 s … at most 15 minutes.
  const BACKOFF_FIRST_MS = 5000;
  const BACKOFF_MAX_MS = 15 * 60 * 1000;
  // A count only (no personal data) kept outside IndexedDB, to notice when the browser evicted it.
  const EXPECTED_KEY = "passerelle-outbox-expected";
  const MARK_KEY = "passerelle-outbox-mark";
  // The device's sync credentials, per account, in the "meta" store: {iv, sealed, expires, login}.
  const CREDENTIALS = "credentials";
  const CREDENTIAL_URL = "/api/v1/sync/credential";
  const CREDENTIAL_LOCK = "passerelle-sync-credential";
  const RENEW_BEFORE_MS = 60 * 60 * 1000; // ask for a new one when less than an hour is left

  // Each step upgrades the database from the version before it; never edit a released step.
  const MIGRATIONS = {
    1(db) {
      db.createObjectStore("keys");
      db.createObjectStore("outbox", { keyPath: "id" });
    },
    2(db, tx) {
      db.createObjectStore("visits", { keyPath: "id" });
      db.createObjectStore("drafts");
      db.createObjectStore("meta");
      const outbox = tx.objectStore("outbox");
      outbox.createIndex("by_state", "state");
      // Version 1 records had no state or order: they were all waiting, oldest first.
      outbox.openCursor().onsuccess = (event) => {
        const cursor = event.target.result;
        if (!cursor) return;
        const record = cursor.value;
        record.state = record.state || "pending";
        record.order = record.order || Date.parse(record.created_at) || 0;
        record.attempts = record.attempts || 0;
        cursor.update(record);
        cursor.continue();
      };
    },
  };

  let dbPromise = null;

  function open() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = (event) => {
        for (let version = event.oldVersion + 1; version <= DB_VERSION; version += 1) {
          MIGRATIONS[version](request.result, request.transaction);
        }
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab (or a newer worker) upgrades the schema: let it, and reopen next time.
        db.onversionchange = () => {
          db.close();
          dbPromise = null;
          keyPromise = null;
        };
        resolve(db);
      };
      request.onerror = () => {
        // The database on disk is newer than this script: a tab left open over an update.
        // Load the page again (once a minute at most) to get the new script.
        if (request.error && request.error.name === "VersionError") reloadOnce();
        reject(request.error);
      };
      request.onblocked = () => reject(new Error("blocked"));
    });
    dbPromise.catch(() => {
      dbPromise = null;
    });
    return dbPromise;
  }

  function reloadOnce() {
    try {
      if (!scope.document) return;
      const last = Number(scope.sessionStorage.getItem("passerelle-reloaded") || "0");
      if (Date.now() - last < 60000) return;
      scope.sessionStorage.setItem("passerelle-reloaded", String(Date.now()));
      scope.location.reload();
    } catch (error) {
      // No storage: stay, the next navigation loads the new script.
    }
  }

  function done(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(stores, mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(stores, mode);
      let result;
      Promise.resolve(work(tx)).then((value) => {
        result = value;
      }, reject);
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("aborted"));
    });
  }

  // ---- encryption -------------------------------------------------------------------------

  // The key, read (or made) once per page or worker instead of once per record.
  let keyPromise = null;

  function key() {
    keyPromise =
      keyPromise ||
      loadKey().catch((error) => {
        keyPromise = null;
        throw error;
      });
    return keyPromise;
  }

  async function loadKey() {
    const existing = await run(["keys"], "readonly", (tx) => done(tx.objectStore("keys").get(KEY_ID)));
    if (existing) return existing;
    const fresh = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    // Two tabs may race here: add() lets only the first key in, and both then use it.
    await run(["keys"], "readwrite", (tx) => {
      const request = tx.objectStore("keys").add(fresh, KEY_ID);
      request.onerror = (event) => event.preventDefault();
    });
    return run(["keys"], "readonly", (tx) => done(tx.objectStore("keys").get(KEY_ID)));
  }

  async function seal(value) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plain = new TextEncoder().encode(JSON.stringify(value));
    const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await key(), plain);
    return { iv, sealed };
  }

  async function unseal(entry) {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: entry.iv }, await key(), entry.sealed);
    return JSON.parse(new TextDecoder().decode(plain));
  }

  // ---- records ----------------------------------------------------------------------------

  function uuid() {
    return crypto.randomUUID();
  }

  // Saves records of one visit together: all of them, or (on a full disk) none.
  async function add(records, owner) {
    const group = uuid();
    const now = Date.now();
    const rows = [];
    for (const [index, record] of records.entries()) {
      const { iv, sealed } = await seal(record.data);
      rows.push({
        id: record.id,
        type: record.type,
        owner,
        group,
        created_at: record.created_at || new Date(now).toISOString(),
        order: now + index,
        state: "pending",
        attempts: 0,
        error: null,
        errors: {},
        label: record.label ? await seal(record.label) : null,
        // What the device knew when it was saved and the server does not need (a follow-up's
        // needs, to show its form again for a correction); never sent.
        context: record.context ? await seal(record.context) : null,
        visit: record.visit || null, // the id of a client kept for today's visits, if any
        iv,
        sealed,
      });
    }
    await run(["outbox"], "readwrite", (tx) => {
      for (const row of rows) tx.objectStore("outbox").add(row);
    });
    await remember();
    announce();
    return group;
  }

  async function all() {
    const rows = await run(["outbox"], "readonly", (tx) => done(tx.objectStore("outbox").getAll()));
    return rows.sort((a, b) => a.order - b.order);
  }

  // The record with its data (label, context) decrypted, for the pages that list and correct them.
  async function open_(row) {
    return {
      ...row,
      data: await unseal(row),
      label: row.label ? await unseal(row.label) : null,
      context: row.context ? await unseal(row.context) : null,
    };
  }

  async function readable(keep = () => true) {
    return Promise.all((await all()).filter(keep).map(open_));
  }

  // A correction: only a record the server rejected may change (a waiting or sending one is
  // locked). The record's whole visit goes back to waiting, since its others were rejected
  // for depending on it.
  async function correct(id, data) {
    const row = await run(["outbox"], "readonly", (tx) => done(tx.objectStore("outbox").get(id)));
    if (!row || row.state !== "rejected") return false;
    const { iv, sealed } = await seal(data);
    await run(["outbox"], "readwrite", async (tx) => {
      const store = tx.objectStore("outbox");
      store.put({ ...row, iv, sealed, state: "pending", error: null, errors: {}, quarantined: false });
      const rows = await done(store.getAll());
      for (const other of rows) {
        if (other.group === row.group && other.id !== id && other.state === "rejected") {
          store.put({ ...other, state: "pending", error: null, errors: {} });
        }
      }
    });
    await clearBackoff();
    announce();
    return true;
  }

  // Deliberately dropping a record, with the ones of its visit that depend on it.
  async function discard(id) {
    const rows = await all();
    const row = rows.find((r) => r.id === id);
    if (!row || row.state === "sending") return false;
    const rank = { client: 0, screening: 1, referral: 2 };
    const gone = rows.filter((r) => r.id === id || (r.group === row.group && rank[r.type] > rank[row.type]));
    await run(["outbox"], "readwrite", (tx) => {
      for (const r of gone) tx.objectStore("outbox").delete(r.id);
    });
    await remember();
    announce();
    return true;
  }

  // ---- small key/value facts: owner, backoff, "log in again" --------------------------------

  function getMeta(name) {
    return run(["meta"], "readonly", (tx) => done(tx.objectStore("meta").get(name)));
  }

  function setMeta(name, value) {
    return run(["meta"], "readwrite", (tx) => {
      if (value === undefined) tx.objectStore("meta").delete(name);
      else tx.objectStore("meta").put(value, name);
    });
  }

  async function clearBackoff() {
    await setMeta("backoff", undefined);
  }

  async function failed() {
    const previous = (await getMeta("backoff")) || { failures: 0 };
    const failures = previous.failures + 1;
    const wait = Math.min(BACKOFF_FIRST_MS * 2 ** (failures - 1), BACKOFF_MAX_MS);
    await setMeta("backoff", { failures, until: Date.now() + wait * (0.75 + Math.random() / 2) });
  }

  // ---- today's visits: clients marked for offline use, removed after 24 hours -------------

  async function keepVisit(client) {
    const { iv, sealed } = await seal(client);
    await run(["visits"], "readwrite", (tx) => {
      tx.objectStore("visits").put({ id: client.id, expires: Date.now() + VISIT_HOURS * 3600 * 1000, iv, sealed });
    });
  }

  async function visits() {
    await purgeVisits();
    const rows = await run(["visits"], "readonly", (tx) => done(tx.objectStore("visits").getAll()));
    return Promise.all(rows.map(async (row) => ({ ...(await unseal(row)), expires: row.expires })));
  }

  async function visitIds() {
    await purgeVisits();
    const rows = await run(["visits"], "readonly", (tx) => done(tx.objectStore("visits").getAll()));
    return rows.map((row) => row.id);
  }

  async function dropVisit(id) {
    await run(["visits"], "readwrite", (tx) => tx.objectStore("visits").delete(id));
  }

  async function purgeVisits(all = false) {
    await run(["visits"], "readwrite", async (tx) => {
      const store = tx.objectStore("visits");
      for (const row of await done(store.getAll())) {
        if (all || row.expires <= Date.now()) store.delete(row.id);
      }
    });
  }

  // ---- the draft of the screening in progress (one per device) ----------------------------

  async function saveDraft(value) {
    const { iv, sealed } = await seal(value);
    await run(["drafts"], "readwrite", (tx) => tx.objectStore("drafts").put({ iv, sealed, saved: Date.now() }, "visit"));
  }

  async function draft() {
    const entry = await run(["drafts"], "readonly", (tx) => done(tx.objectStore("drafts").get("visit")));
    return entry ? unseal(entry) : null;
  }

  async function dropDraft() {
    await run(["drafts"], "readwrite", (tx) => tx.objectStore("drafts").delete("visit"));
  }

  // ---- sending ----------------------------------------------------------------------------

  async function withTimeout(url, options) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      return await fetch(url, { credentials: "same-origin", ...options, signal: controller.signal, cache: "no-store" });
    } finally {
      clearTimeout(timer);
    }
  }

  async function setState(ids, state) {
    await run(["outbox"], "readwrite", async (tx) => {
      const store = tx.objectStore("outbox");
      for (const id of ids) {
        const row = await done(store.get(id));
        if (row) store.put({ ...row, state });
      }
    });
  }

  // One attempt to send what waits. Sends under a Web Lock, so the page, other tabs and the
  // service worker never send the same record twice at once; a trigger that finds the lock
  // taken returns at once (the running one picks up everything). Answers what happened:
  // sent | nothing | offline | login | waiting | busy | failed.
  async function sync({ force = false } = {}) {
    if (scope.navigator.locks) {
      return scope.navigator.locks.request(LOCK, { ifAvailable: true }, (lock) => (lock ? send(force) : "busy"));
    }
    return send(force);
  }

  // Rows left "sending" by a sender that died (a closed tab, a stopped worker) wait again.
  // Only called while holding the lock, so nobody is sending them right now.
  async function unstick() {
    const stuck = await run(["outbox"], "readonly", (tx) =>
      done(tx.objectStore("outbox").index("by_state").getAllKeys("sending")),
    );
    if (stuck.length) await setState(stuck, "pending");
  }

  // For pages: unstick when no one holds the lock (otherwise a send is really under way). It
  // only looks at the lock, so it never makes a sync that starts at the same moment skip; if
  // one does start in between, rows it is sending may wait again and be sent once more, which
  // the server answers as duplicates.
  async function recover() {
    if (scope.navigator.locks) {
      const { held } = await scope.navigator.locks.query();
      if (held.some((lock) => lock.name === LOCK)) return;
    }
    await unstick();
  }

  async function send(force) {
    await unstick();
    const waiting = (await all()).filter((r) => r.state !== "rejected");
    if (!waiting.length) return "nothing";
    const backoff = await getMeta("backoff");
    if (!force && backoff && backoff.until > Date.now()) return "waiting";

    let me = null; // the UI session's account, if there is one
    try {
      const response = await withTimeout("/api/v1/me", { headers: { Accept: "application/json" } });
      if (response.status !== 401 && response.status !== 403) {
        if (!response.ok) throw new Error(`me ${response.status}`);
        me = await response.json();
      }
    } catch (error) {
      await failed();
      announce();
      return "offline";
    }
    const senders = [];
    if (me && me.role === "nurse") {
      await setMeta("owner", me.username);
      senders.push({ username: me.username, headers: { "X-CSRF-Token": me.csrf_token } });
    }
    // Without a session (or for another account's records), the device's credentials.
    const owners = new Set(waiting.map((r) => r.owner));
    for (const [username, token] of await credentialTokens()) {
      if (owners.has(username) && !senders.some((s) => s.username === username)) {
        senders.push({ username, headers: { Authorization: `Bearer ${token}` }, credential: true });
      }
    }
    // "Log in again" only when no session is left and some records have no one to send them.
    const uncovered = () => !me && [...owners].some((owner) => !senders.some((s) => s.username === owner));
    await setMeta("login", uncovered() ? true : undefined);
    if (!senders.length) {
      announce();
      return me ? "nothing" : "login";
    }

    let outcome = "nothing";
    const trial = { answered: false }; // whether the server answered any record in this round
    for (const sender of senders.slice()) {
      const result = await sendAs(sender, trial);
      if (result === "sent") {
        outcome = "sent";
      } else if (result === "login" && sender.credential) {
        // Revoked or expired: forget it; her records wait for her next login.
        await forgetCredential(sender.username);
        senders.splice(senders.indexOf(sender), 1);
        await setMeta("login", uncovered() ? true : undefined);
      } else {
        if (result === "login") await setMeta("login", true);
        if (result === "failed") await failed();
        announce();
        return result;
      }
    }
    await remember();
    announce();
    return outcome === "nothing" && (await getMeta("login")) ? "login" : outcome;
  }

  // Sends one account's records (another nurse's stay until she can send them).
  async function sendAs(sender, trial) {
    const tried = new Set();
    let outcome = "nothing";
    for (;;) {
      const rows = (await all())
        .filter((r) => r.state !== "rejected" && r.owner === sender.username && !tried.has(r.id))
        .slice(0, BATCH);
      if (!rows.length) break;
      for (const row of rows) tried.add(row.id);
      const result = await deliver(rows, sender, trial);
      if (result !== "sent") return result;
      await clearBackoff();
      outcome = "sent";
    }
    return outcome;
  }

  // Sends `rows` and applies the answer. An answer that is not one per record marks nothing:
  // a batch is halved and each half sent on its own, until a single record remains that the
  // server cannot answer while it answers others; that one is quarantined. Answers
  // sent | login | failed (the caller backs off; every record still waits).
  async function deliver(rows, sender, trial) {
    const ids = rows.map((r) => r.id);
    await setState(ids, "sending");
    announce();
    let response;
    try {
      response = await post(rows, sender);
    } catch (error) {
      await setState(ids, "pending"); // offline, or no answer in time
      return "failed";
    }
    if (response.status === 401 || response.status === 403) {
      await setState(ids, "pending");
      return "login";
    }
    const results = await perRecord(response, ids);
    if (results) {
      await settle(rows, results);
      trial.answered = true;
      return "sent";
    }
    await setState(ids, "pending");
    if (RETRY_LATER.has(response.status)) return "failed";
    if (rows.length > 1) {
      const half = Math.ceil(rows.length / 2);
      for (const part of [rows.slice(0, half), rows.slice(half)]) {
        const result = await deliver(part, sender, trial);
        if (result !== "sent") return result;
      }
      return "sent";
    }
    // One record, and no answer for it. If the server answers an empty batch, the server works
    // and this record is what it cannot take; if not, the server is unwell: wait and retry.
    if (!trial.answered) trial.answered = Boolean(await perRecord(await post([], sender).catch(() => null), []));
    if (!trial.answered) return "failed";
    await quarantine(rows[0]);
    return "sent";
  }

  async function post(rows, sender) {
    const records = [];
    for (const row of rows) {
      records.push({ id: row.id, type: row.type, created_at: row.created_at, data: await unseal(row) });
    }
    return withTimeout("/api/v1/sync", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...sender.headers },
      // A credential speaks for itself: no cookie goes with it.
      credentials: sender.credential ? "omit" : "same-origin",
      body: JSON.stringify({ records }),
    });
  }

  // The server's results when it answered each record sent, or null for anything else: an
  // error status, a proxy's HTML page, JSON without a result for every record.
  async function perRecord(response, ids) {
    if (!response || !response.ok) return null;
    let answer;
    try {
      answer = await response.json();
    } catch (error) {
      return null;
    }
    if (!answer || !Array.isArray(answer.results)) return null;
    const statuses = new Map(answer.results.map((r) => [r && r.id, r && r.status]));
    return ids.every((id) => STATUSES.has(statuses.get(id))) ? answer.results : null;
  }

  // Kept, shown with "the server could not accept this record" (the page says it in the
  // nurse's language), and not sent again until she retries or discards it.
  async function quarantine(row) {
    await run(["outbox"], "readwrite", (tx) => {
      tx.objectStore("outbox").put({ ...row, state: "rejected", quarantined: true, error: null, errors: {} });
    });
  }

  // Applies the server's answer: confirmed records leave, rejected ones stay with the reason.
  async function settle(rows, results) {
    const byId = new Map(results.map((r) => [r.id, r]));
    const confirmedClients = [];
    await run(["outbox"], "readwrite", async (tx) => {
      const store = tx.objectStore("outbox");
      for (const row of rows) {
        const result = byId.get(row.id);
        if (result && (result.status === "accepted" || result.status === "duplicate")) {
          store.delete(row.id);
          if (row.type === "screening" && row.visit) confirmedClients.push(row.visit);
        } else if (result && result.status === "rejected") {
          store.put({ ...row, state: "rejected", error: result.error || "", errors: result.errors || {} });
        } else {
          store.put({ ...row, state: "pending" });
        }
      }
    });
    // A client's offline copy is not needed once her screening is on the server.
    for (const id of confirmedClients) await dropVisit(id);
  }

  // ---- the device's sync credential (issue 17, item 4) -------------------------------------

  // A page of a logged-in nurse calls this: after each login (her CSRF token changes with every
  // login; only its digest is kept) the device asks for a credential of its own, replacing the
  // one it had. Answers kept | issued | refused | offline | failed.
  async function ensureCredential(username, csrfToken) {
    if (!username || !csrfToken) return "refused";
    const work = () => obtainCredential(username, csrfToken);
    // One tab at a time: a second tab opened at login finds the first one's credential.
    if (scope.navigator.locks) return scope.navigator.locks.request(CREDENTIAL_LOCK, work);
    return work();
  }

  async function obtainCredential(username, csrfToken) {
    const login = await digest(csrfToken);
    const mine = ((await getMeta(CREDENTIALS)) || {})[username];
    if (mine && mine.login === login && mine.expires - RENEW_BEFORE_MS > Date.now()) return "kept";
    // An account that may not hold one asks again after its next login, not on every page.
    if ((await getMeta("credential-refused")) === `${username} ${login}`) return "refused";
    const replaces = mine ? await unseal(mine).catch(() => null) : null;
    let response;
    try {
      response = await withTimeout(CREDENTIAL_URL, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken },
        body: JSON.stringify({ replaces }),
      });
    } catch (error) {
      return "offline";
    }
    if (response.status === 401 || response.status === 403) {
      await setMeta("credential-refused", `${username} ${login}`); // not a role or organisation that syncs
      return "refused";
    }
    if (!response.ok) return "failed";
    const answer = await response.json();
    const { iv, sealed } = await seal(answer.token);
    await updateCredentials((map) => {
      map[answer.username] = { iv, sealed, expires: Date.parse(answer.expires_at), login };
    });
    return "issued";
  }

  async function digest(text) {
    const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function updateCredentials(change) {
    return run(["meta"], "readwrite", async (tx) => {
      const store = tx.objectStore("meta");
      const map = (await done(store.get(CREDENTIALS))) || {};
      change(map);
      store.put(map, CREDENTIALS);
    });
  }

  // At logout (the server revokes it too), and when the server refused it.
  function forgetCredential(username) {
    return updateCredentials((map) => {
      delete map[username];
    });
  }

  // [username, token] of the credentials that have not expired; expired ones are dropped.
  async function credentialTokens() {
    const map = (await getMeta(CREDENTIALS)) || {};
    const tokens = [];
    for (const [username, entry] of Object.entries(map)) {
      const token = entry.expires > Date.now() ? await unseal(entry).catch(() => null) : null;
      if (token) tokens.push([username, token]);
      else await forgetCredential(username);
    }
    return tokens;
  }

  // Who may send without a session: the accounts with a live credential on this device.
  async function credentialHolders() {
    const map = (await getMeta(CREDENTIALS)) || {};
    return Object.keys(map).filter((username) => map[username].expires > Date.now());
  }

  // ---- the device's state for the banner --------------------------------------------------

  // Eviction check. IndexedDB holds a random marker made with it; a page copies the marker and
  // the number of waiting records into localStorage (which a worker cannot reach). Records that
  // leave through a confirmed sync, the worker's included, keep the marker; an evicted database
  // comes back without it. Nothing personal is kept there: a random id and a count.
  async function remember(acknowledged = false) {
    if (!scope.localStorage) return;
    try {
      if (!acknowledged && (await lost())) return; // keep the evidence until the nurse saw it
      let mark = await getMeta("mark");
      if (!mark) {
        mark = uuid();
        await setMeta("mark", mark);
      }
      scope.localStorage.setItem(MARK_KEY, mark);
      scope.localStorage.setItem(EXPECTED_KEY, String((await status()).waiting));
    } catch (error) {
      // Storage refused: the check below simply stays quiet.
    }
  }

  // True when records were waiting and the database they were in has been wiped since.
  async function lost() {
    try {
      const expected = Number(scope.localStorage.getItem(EXPECTED_KEY) || "0");
      const mark = scope.localStorage.getItem(MARK_KEY);
      return Boolean(mark) && expected > 0 && (await getMeta("mark")) !== mark;
    } catch (error) {
      return false;
    }
  }

  function acknowledgeLost() {
    return remember(true);
  }

  // Tells every page of this device that the outbox changed (they refresh their banner).
  function announce() {
    try {
      const channel = new BroadcastChannel("passerelle-outbox");
      channel.postMessage("changed");
      channel.close();
    } catch (error) {
      // No BroadcastChannel: pages refresh on their own triggers.
    }
  }

  async function status() {
    const [waiting, rejected] = await run(["outbox"], "readonly", (tx) => {
      const store = tx.objectStore("outbox");
      return Promise.all([done(store.count()), done(store.index("by_state").count("rejected"))]);
    });
    const owner = await getMeta("owner");
    const credential = Boolean(owner) && (await credentialHolders()).includes(owner);
    return { waiting, rejected, login: Boolean(await getMeta("login")), owner, credential };
  }

  // Background Sync where the browser has it; the page's own triggers cover the rest.
  async function requestBackgroundSync() {
    try {
      const registration = await scope.navigator.serviceWorker.ready;
      if (registration.sync) await registration.sync.register(SYNC_TAG);
    } catch (error) {
      // Not supported or not allowed: the online event, app start and the button remain.
    }
  }

  scope.PasserelleOutbox = {
    SYNC_TAG,
    add,
    all,
    readable,
    correct,
    discard,
    sync,
    recover,
    status,
    lost,
    acknowledgeLost,
    keepVisit,
    visits,
    visitIds,
    purgeVisits,
    saveDraft,
    draft,
    dropDraft,
    getMeta,
    setMeta,
    requestBackgroundSync,
    ensureCredential,
    forgetCredential,
    credentialHolders,
    uuid,
  };
})(self);
