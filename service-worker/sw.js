// Passerelle's service worker, hand-written and small.
//
// It precaches public files only: the app shell (css, js, icons), one offline page per
// language and the offline screening pages. Pages and API answers are never cached — they
// may hold personal data and are sent with Cache-Control: no-store. The server fills in BUILD when it serves /sw.js; its
// version is a hash of every asset, so a changed asset means a new cache and a new worker.

const BUILD = /*BUILD*/ { version: "dev", shell: [], offline: { de: "/offline/de", fr: "/offline/fr" }, languages: ["de", "fr"] };

const SHELL_CACHE = `passerelle-shell-${BUILD.version}`;
const META_CACHE = "passerelle-meta";
const LANGUAGE_KEY = "/__passerelle/language";
const expectedCaches = new Set([SHELL_CACHE, META_CACHE]);
const shellUrls = new Set(BUILD.shell);
const offlinePages = new Set(BUILD.pages || []);

// One install step for every part below: the shell and the offline pages, the self-check's
// start pages, and the directory snapshot (best effort: without it the offline screening says
// the offers are missing, and the next online visit fetches it).
self.addEventListener("install", (event) => {
  event.waitUntil(
    Promise.all([precache(), precacheSelfCheck(), refreshSnapshot().catch(() => undefined)])
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(removeOldCaches().then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && !isSelfCheckPage(url)) nudgeOutbox(event);

  if (offlinePages.has(url.pathname)) {
    event.respondWith(cacheFirst(url.pathname)); // see the offline screening block below
  } else if (url.pathname === BUILD.snapshot) {
    event.respondWith(snapshot());
  } else if (request.mode === "navigate" && isSelfCheckPage(url)) {
    event.respondWith(selfCheckPage(request, url)); // see the self-check block below
  } else if (request.mode === "navigate") {
    event.respondWith(navigate(request));
  } else if (shellUrls.has(url.pathname + url.search)) {
    event.respondWith(cacheFirst(request));
  }
  // Everything else (htmx fragments, API, uncached files) goes to the network untouched.
});

async function precache() {
  const cache = await caches.open(SHELL_CACHE);
  // Revalidated with the server, never taken from the HTTP cache as it stands: an offline page
  // kept there from the previous build would point at that build's assets.
  const urls = [...BUILD.shell, ...Object.values(BUILD.offline), ...offlinePages];
  await cache.addAll(urls.map((url) => new Request(url, { cache: "no-cache" })));
}

async function removeOldCaches() {
  const names = await caches.keys();
  await Promise.all(
    names.filter((name) => name.startsWith("passerelle-") && !expectedCaches.has(name))
      .map((name) => caches.delete(name)),
  );
}

async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: SHELL_CACHE });
  return cached || fetch(request);
}

// Pages always come from the network; only when it fails does the offline page stand in,
// in the language of the last page the person saw.
async function navigate(request) {
  try {
    const response = await fetch(request);
    rememberLanguage(response.headers.get("Content-Language"));
    return response;
  } catch (error) {
    const language = await preferredLanguage();
    const offline = await caches.match(BUILD.offline[language], { cacheName: SHELL_CACHE });
    return offline || Response.error();
  }
}

async function rememberLanguage(language) {
  if (!BUILD.languages.includes(language)) return;
  const cache = await caches.open(META_CACHE);
  await cache.put(LANGUAGE_KEY, new Response(language));
}

async function preferredLanguage() {
  const saved = await caches.match(LANGUAGE_KEY, { cacheName: META_CACHE });
  const language = saved ? await saved.text() : (self.navigator.language || "de").slice(0, 2);
  return BUILD.languages.includes(language) ? language : BUILD.languages[0];
}

// ---- Web Push (issue 6) -------------------------------------------------------------------
// A push carries no personal data: {id, title, body, url, tag, count}. Delivery is
// at-least-once, so a repeat of an id already shown is dropped. One tag per topic: a device
// shows one entry per topic, replaced by the newest (a summary such as "3 new referrals").

self.addEventListener("push", (event) => {
  event.waitUntil(showPush(event));
});

async function showPush(event) {
  let message;
  try {
    message = event.data ? event.data.json() : null;
  } catch (error) {
    message = null;
  }
  if (!message || !message.title) return;
  const shown = await self.registration.getNotifications();
  if (shown.some((n) => n.data && n.data.id === message.id)) return;
  await self.registration.showNotification(message.title, {
    body: message.body || "",
    tag: message.tag || undefined,
    renotify: Boolean(message.tag),
    icon: BUILD.icon || undefined,
    data: { id: message.id, url: message.url || "/" },
  });
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (target.origin !== self.location.origin) return;
  event.waitUntil(openOrFocus(target.href));
});

// Focus a Passerelle window and take it to the referral (the page asks for a login if needed).
async function openOrFocus(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (new URL(client.url).origin === self.location.origin) {
      // focus() needs the click's user activation; navigate even where focusing is refused.
      await client.focus().catch(() => undefined);
      if (client.navigate) return client.navigate(url);
    }
  }
  return self.clients.openWindow(url);
}

// ---- Self-check (issue 7) ---------------------------------------------------------------
// The public self-check at /check works offline after the first visit. Its start pages
// (/check/de, /check/fr) hold no personal data — the server renders them without user, CSRF
// token or answers — so they are precached here, in a cache of their own, and refreshed on
// every online visit. Its scripts (selfcheck.js, rules.js) are part of BUILD.shell. Answers
// are never cached: the steps and the result are POSTs, which this worker never touches.

const SELFCHECK_CACHE = `passerelle-selfcheck-${BUILD.version}`;
const selfCheckPages = BUILD.languages.map((language) => `/check/${language}`);
expectedCaches.add(SELFCHECK_CACHE);

async function precacheSelfCheck() {
  const cache = await caches.open(SELFCHECK_CACHE);
  await cache.addAll(selfCheckPages);
}

function isSelfCheckPage(url) {
  return url.pathname === "/check" || selfCheckPages.includes(url.pathname);
}

// Network first (a fresh copy replaces the cached one), the cached page when offline. The
// short address /check falls back to the page in the language the person last saw.
async function selfCheckPage(request, url) {
  const cache = await caches.open(SELFCHECK_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && response.url && new URL(response.url).pathname === url.pathname && url.pathname !== "/check") {
      await cache.put(url.pathname, response.clone());
    }
    rememberLanguage(response.headers.get("Content-Language"));
    return response;
  } catch (error) {
    const path = url.pathname === "/check" ? `/check/${await preferredLanguage()}` : url.pathname;
    return (await cache.match(path)) || (await caches.match(BUILD.offline[await preferredLanguage()])) || Response.error();
  }
}

// ---- Offline screening (issue 5) ----------------------------------------------------------
// The offline screening pages (public, no personal data) are precached with the shell and
// answered from the cache first: they change only with a new build. The directory snapshot
// (public offers) lives in a cache of its own, refreshed whenever the device is online, so
// offers can be chosen without network. What a nurse enters never passes through here: the
// pages seal it into IndexedDB (outbox.js), and this worker only sends it, by Background Sync,
// with the same code as the pages.

if (BUILD.outbox) importScripts(BUILD.outbox);

const DATA_CACHE = "passerelle-directory";
expectedCaches.add(DATA_CACHE);

async function refreshSnapshot() {
  const cache = await caches.open(DATA_CACHE);
  const response = await fetch(BUILD.snapshot, { cache: "no-cache" });
  if (response.ok) await cache.put(BUILD.snapshot, response.clone());
  return response;
}

// Network first (the ETag makes an unchanged snapshot cheap), the last copy when offline.
async function snapshot() {
  try {
    return await refreshSnapshot();
  } catch (error) {
    const cached = await caches.match(BUILD.snapshot, { cacheName: DATA_CACHE });
    return cached || Response.error();
  }
}

// Opening any page (the login page too, which shows no outbox) sends what waits: with the
// device's sync credential that needs no session, so records left when the browser was
// closed go out as soon as she opens Passerelle online (issue 17, item 4). At most every
// 10 s; a device that never had an outbox (a self-check visitor's) gets none made here.
const NUDGE_MS = 10000;
let lastNudge = 0;

function nudgeOutbox(event) {
  if (!self.PasserelleOutbox || Date.now() - lastNudge < NUDGE_MS) return;
  lastNudge = Date.now();
  event.waitUntil(
    hasOutbox()
      .then((exists) => (exists ? self.PasserelleOutbox.sync({ force: true }) : undefined))
      .catch(() => undefined),
  );
}

async function hasOutbox() {
  if (!indexedDB.databases) return true;
  return (await indexedDB.databases()).some((db) => db.name === "passerelle");
}

// Background Sync: send what waits. A failure rejects, so the browser tries again later.
self.addEventListener("sync", (event) => {
  if (!self.PasserelleOutbox || event.tag !== self.PasserelleOutbox.SYNC_TAG) return;
  event.waitUntil(
    self.PasserelleOutbox.sync({ force: true }).then((result) => {
      if (result === "offline" || result === "failed") throw new Error(`outbox sync: ${result}`);
    }),
  );
});
