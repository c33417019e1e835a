// Passerelle's page script: registers the service worker and keeps htmx navigation honest
// when the network is gone. Small on purpose; features add their own modules.

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
    console.warn("service worker registration failed", error);
  });
}

// A boosted link or form that cannot reach the server falls back to a real navigation,
// so the service worker can answer with the offline page instead of nothing happening.
function fallBackToNavigationWhenOffline() {
  document.body.addEventListener("htmx:sendError", (event) => {
    const config = event.detail.requestConfig;
    if (config && config.verb === "get" && config.boosted) {
      window.location.assign(config.path);
    }
  });
}

// "Keep the draft?" when a nurse leaves a screening in progress by a link. The draft is
// already saved after every answer; the question is whether to keep it or throw it away.
// Without JavaScript nothing asks, and the draft is kept.

function askBeforeLeavingDraft(root = document) {
  const dialog = root.querySelector("dialog#leave-draft");
  const form = root.querySelector("form[data-draft]");
  if (!dialog || !form) return;
  let target = null;

  root.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || dialog.contains(link) || link.target || event.defaultPrevented) return;
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (link.getAttribute("href").startsWith("#")) return;
    if (!form.querySelector("input:checked, textarea:not(:placeholder-shown), input[type=text]:not([value=''])")) return;
    event.preventDefault();
    target = link.href;
    dialog.showModal();
  });

  dialog.querySelector("[data-keep]").addEventListener("click", () => {
    dialog.close();
    if (target) window.location.assign(target);
  });
  dialog.querySelector("[data-stay]").addEventListener("click", () => dialog.close());
  // "Discard" is a real form button (POST /screenings/{id}/discard) inside the dialog.
}

function printButtons(root = document) {
  for (const button of root.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
}

// ---- The offline outbox on every page (issue 5) ----------------------------------------------
// The banner says how many records wait on this device, whether they were refused, whether the
// session ended; sending starts at app start, when the connection returns, through Background
// Sync, every half minute while something waits (the outbox's backoff decides), and on "Send now".

const Outbox = self.PasserelleOutbox;
const RETRY_MS = 30000;
const STORAGE_SHORT_BYTES = 20 * 1024 * 1024;

function plural(element, n) {
  return (n === 1 ? element.dataset.one : element.dataset.many).replace("{n}", String(n));
}

// The banner counts visits, as the outbox page lists them: the records saved together are one.
async function visitCounts() {
  const rows = await Outbox.all();
  const visits = (keep) => new Set(rows.filter(keep).map((row) => row.group || row.id)).size;
  return { waiting: visits(() => true), rejected: visits((row) => row.state === "rejected") };
}

async function showOutboxStatus() {
  const banner = document.getElementById("outbox-status");
  if (!banner || !Outbox) return;
  let status;
  let lost = false;
  let visits;
  try {
    status = await Outbox.status();
    lost = await Outbox.lost();
    visits = await visitCounts();
  } catch (error) {
    return; // storage unavailable (private mode): nothing can wait here
  }
  const offline = !navigator.onLine;
  const waiting = banner.querySelector("[data-waiting]");
  const rejected = banner.querySelector("[data-rejected]");
  waiting.textContent = status.waiting ? plural(waiting, visits.waiting) : "";
  rejected.textContent = status.rejected ? plural(rejected, visits.rejected) : "";
  rejected.hidden = !status.rejected;
  banner.querySelector("[data-offline]").hidden = !offline;
  banner.querySelector("[data-login]").hidden = !(status.login && status.waiting);
  banner.querySelector("[data-lost]").hidden = !lost;
  banner.querySelector("[data-storage]").hidden = !(await storageShort());
  banner.querySelector("[data-sync-now]").hidden = !status.waiting || offline;
  banner.hidden = !(status.waiting || offline || lost);
  banner.dataset.waiting = String(status.waiting);
  // The banner's look: a problem the nurse must act on, offline, or only records on their way.
  const problem = status.rejected || (status.login && status.waiting) || lost;
  banner.dataset.state = problem ? "problem" : offline ? "offline" : "waiting";
}

async function storageShort() {
  if (!navigator.storage || !navigator.storage.estimate) return false;
  try {
    const { quota, usage } = await navigator.storage.estimate();
    return typeof quota === "number" && quota - (usage || 0) < STORAGE_SHORT_BYTES;
  } catch (error) {
    return false;
  }
}

async function sendWaiting(force = false) {
  if (!Outbox || !navigator.onLine) return;
  try {
    await Outbox.sync({ force });
  } catch (error) {
    // Storage or network trouble: the records stay, the banner says so.
  }
  showOutboxStatus();
}

async function rememberAccount() {
  const account = document.body.dataset.account;
  if (!Outbox || !account || document.body.dataset.role !== "nurse") return;
  try {
    // A nurse logged in on this device: the offline pages may be used from now on.
    await Outbox.setMeta("owner", account);
    await Outbox.setMeta("login", undefined);
    // After each login the device gets a sync credential of its own (issue 17, item 4): the
    // outbox sends with it once the browser was closed and the session is gone.
    const csrf = document.querySelector('meta[name="csrf-token"]');
    if (csrf && csrf.content) await Outbox.ensureCredential(account, csrf.content);
  } catch (error) {
    // No IndexedDB: the offline pages will say that they need a login first.
  }
}

function watchOutbox() {
  if (!Outbox || !document.getElementById("outbox-status")) return;
  document.querySelector("[data-sync-now]").addEventListener("click", () => sendWaiting(true));
  const lostOk = document.querySelector("[data-lost-ok]");
  lostOk.addEventListener("click", () => Outbox.acknowledgeLost().then(showOutboxStatus));
  window.addEventListener("online", () => sendWaiting(true));
  window.addEventListener("offline", showOutboxStatus);
  new BroadcastChannel("passerelle-outbox").addEventListener("message", showOutboxStatus);
  setInterval(() => sendWaiting(false), RETRY_MS);
  Outbox.recover().catch(() => undefined);
  rememberAccount().then(() => {
    document.body.dataset.outbox = "ready";
    sendWaiting(true);
  });
  showOutboxStatus();
}

// Logging out never wipes unsent records: it offers to send them first, and otherwise they
// stay encrypted for the next login. The clients kept for today's visits are removed.
function guardLogout() {
  const form = document.querySelector("form.logout");
  const dialog = document.getElementById("logout-unsent");
  if (!form || !dialog || !Outbox) return;
  let confirmed = false;
  const leave = async () => {
    confirmed = true;
    await Outbox.purgeVisits(true).catch(() => undefined);
    // The server revokes this login's sync credential; the device forgets it as well.
    await Outbox.forgetCredential(document.body.dataset.account).catch(() => undefined);
    form.requestSubmit();
  };
  form.addEventListener("submit", async (event) => {
    if (confirmed) return;
    event.preventDefault();
    const status = await visitCounts().catch(() => ({ waiting: 0 }));
    if (!status.waiting) return leave();
    const count = dialog.querySelector("[data-count]");
    count.textContent = plural(count, status.waiting);
    dialog.showModal();
  });
  dialog.querySelector("[data-send]").addEventListener("click", async () => {
    await sendWaiting(true);
    const status = await visitCounts();
    if (!status.waiting) {
      dialog.close();
      return leave();
    }
    const count = dialog.querySelector("[data-count]");
    count.textContent = plural(count, status.waiting);
  });
  dialog.querySelector("[data-logout]").addEventListener("click", () => {
    dialog.close();
    leave();
  });
  dialog.querySelector("[data-cancel]").addEventListener("click", () => dialog.close());
}

// The client's follow-ups due within FOLLOW_UP_DAYS or overdue, for recording them offline:
// their id, needs and due date only (issue 19).
const FOLLOW_UP_DAYS = 14;

async function dueFollowUps(clientId) {
  const horizon = new Date(Date.now() + FOLLOW_UP_DAYS * 86400 * 1000).toISOString().slice(0, 10);
  const query = new URLSearchParams({ client_id: clientId });
  const response = await fetch(`/api/v1/follow-ups?${query}`, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(String(response.status));
  return (await response.json())
    .filter((f) => f.status === "due" && f.due_on <= horizon)
    .map((f) => ({ id: f.id, needs: f.needs, due_on: f.due_on }));
}

// "Take along for today": a client's minimal data, sealed in IndexedDB for 24 hours, so that
// her screening can be done without network.
function takeAlongButtons() {
  const buttons = document.querySelectorAll("[data-take-along]");
  if (!Outbox || !buttons.length) return;
  const kept = Outbox.visitIds().catch(() => []);
  for (const button of buttons) {
    button.hidden = false;
    const note = document.getElementById(button.getAttribute("aria-describedby"));
    kept.then((ids) => {
      if (ids.includes(button.dataset.takeAlong)) note.textContent = note.dataset.done;
    });
    button.addEventListener("click", async () => {
      try {
        const response = await fetch(`/api/v1/clients/${button.dataset.takeAlong}`, { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(String(response.status));
        const client = await response.json();
        await Outbox.keepVisit({
          id: client.id,
          display_name: client.display_name,
          birth_year: client.birth_year,
          municipality: client.municipality,
          language: client.language,
          follow_ups: await dueFollowUps(client.id),
        });
        note.textContent = note.dataset.done;
      } catch (error) {
        note.textContent = note.dataset.failed;
      }
    });
  }
}

function start() {
  fallBackToNavigationWhenOffline();
  askBeforeLeavingDraft();
  printButtons();
  watchOutbox();
  guardLogout();
  takeAlongButtons();
}

registerServiceWorker();
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
