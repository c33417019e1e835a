// The list of what waits on this device, one line per visit ("Visit with M. A. – waiting",
// initials only): a visit saved several records (client, screening, referrals), shown under it.
// A record that was not accepted shows under its visit with the server's reason and a form to
// correct the fields the server named, or to discard it deliberately. A quarantined record (the
// server could not answer it at all) can be sent again as it is, or discarded. A follow-up
// rejected for its answers is corrected in its own form (follow-up.js), linked from here; one the
// server refused for another reason (already recorded or skipped meanwhile) can only be discarded.

const Outbox = self.PasserelleOutbox;
const list = document.getElementById("outbox-list");
const visitTemplate = document.getElementById("outbox-visit");
const itemTemplate = document.getElementById("outbox-item");
const fieldTemplate = document.getElementById("outbox-field");
const dialog = document.getElementById("discard-dialog");
let discarding = null;

function get(object, path) {
  return path.split(".").reduce((value, key) => (value && typeof value === "object" ? value[key] : undefined), object);
}

function set(object, path, value) {
  const keys = path.split(".");
  let target = object;
  for (const key of keys.slice(0, -1)) {
    target[key] = target[key] && typeof target[key] === "object" ? target[key] : {};
    target = target[key];
  }
  target[keys.at(-1)] = value;
}

// The server names fields as in the record's data ("birth_year", "consent.given_on"); numbers
// stay numbers so the corrected record has the shape the server expects.
function fieldFor(record, path, message, index) {
  const row = fieldTemplate.content.firstElementChild.cloneNode(true);
  const input = row.querySelector("input");
  const id = `fix-${index}-${path.replace(/\W/g, "-")}`;
  input.id = id;
  input.name = path;
  const current = get(record.data, path);
  input.value = current === undefined || current === null ? "" : String(current);
  input.dataset.number = typeof current === "number" ? "true" : "";
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", `${id}-error`);
  const label = row.querySelector("label");
  label.htmlFor = id;
  label.textContent = fieldTemplate.dataset[path.split(".").at(-1)];
  const error = row.querySelector(".field-error");
  error.id = `${id}-error`;
  error.textContent = message;
  return row;
}

// "Muster Anna" → "M. A.": enough for the nurse to recognise her visit, no more on the screen.
function initials(name) {
  return String(name || "")
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => `${part[0].toUpperCase()}.`)
    .join(" ");
}

function clientName(records) {
  const own = records.find((r) => r.type === "client" || r.type === "screening");
  if (own) return own.label || "";
  const referral = records.find((r) => r.label);
  return referral ? referral.label.split(" → ")[0] : "";
}

function formatSaved(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(`${pageLanguage}-CH`, { day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" }).format(date);
}

// The offers' names from the directory snapshot the worker keeps (offline too), so a referral
// is named in the page's language, or in the one the offer has, marked with it.
const pageLanguage = document.documentElement.lang || "de";
let offerNames = new Map();

async function loadOfferNames() {
  try {
    const response = await fetch("/api/v1/directory/snapshot", { credentials: "same-origin" });
    if (!response.ok) return;
    const offers = (await response.json()).offers || [];
    offerNames = new Map(offers.map((offer) => [offer.id, offer.name || {}]));
  } catch (error) {
    // No snapshot: the name saved with the record (without its language) stands in.
  }
}

function offerName(record) {
  const names = offerNames.get(record.data && record.data.service_id);
  if (names) {
    if (names[pageLanguage]) return { text: names[pageLanguage], lang: pageLanguage };
    const other = ["de", "fr"].find((code) => names[code]);
    if (other) return { text: names[other], lang: other };
  }
  const saved = record.label ? record.label.split(" → ").slice(1).join(" → ") : "";
  return saved ? { text: saved, lang: null } : null;
}

function recordItem(record, index) {
  const labels = itemTemplate.dataset;
  const item = itemTemplate.content.firstElementChild.cloneNode(true);
  item.dataset.id = record.id;
  item.dataset.state = record.state;
  // A referral is named by its offer (with its lang when not in the page's language); the
  // client's name stays off this page.
  const title = item.querySelector(".outbox-title");
  const offer = record.type === "referral" ? offerName(record) : null;
  if (offer) {
    for (const part of labels.referral_to.split(/(\{offer\})/)) {
      if (part !== "{offer}") title.append(part);
      else {
        const name = document.createElement("span");
        name.textContent = offer.text;
        if (offer.lang && offer.lang !== pageLanguage) name.lang = offer.lang;
        title.append(name);
      }
    }
  } else {
    title.textContent = labels[record.type] || record.type;
  }
  const state = item.querySelector(".outbox-state");
  state.textContent = ` (${labels[record.state] || record.state})`;
  if (record.state !== "rejected") return item;
  state.classList.remove("visually-hidden");
  // A quarantined record got no answer of its own: the reason is the device's, translated here.
  const reason = record.quarantined ? labels.quarantined : record.error;
  const error = item.querySelector(".outbox-error");
  error.textContent = reason || "";
  error.hidden = !reason;
  const fix = item.querySelector(".outbox-fix");
  fix.hidden = false;
  if (record.quarantined) {
    item.dataset.quarantined = "true";
    fix.querySelector("[type=submit]").textContent = labels.retry;
  }
  // A follow-up's answers are named in its form; the others' fields are corrected here.
  const ownForm = record.type === "follow_up" && !record.quarantined;
  if (ownForm) followUpFix(record, fix, labels);
  const fields = fix.querySelector(".outbox-fields");
  for (const [path, message] of Object.entries(ownForm ? {} : record.errors || {})) {
    // A field the nurse can correct here gets an input with its translated label; any
    // other (an offer that is gone, say) only says why, and the record can be discarded.
    if (path.split(".").at(-1) in fieldTemplate.dataset) {
      fields.append(fieldFor(record, path, message, index));
    } else {
      error.textContent = `${error.textContent} ${message}`.trim();
      error.hidden = false;
    }
  }
  fix.addEventListener("submit", (event) => correct(event, record));
  fix.querySelector("[data-discard]").addEventListener("click", () => {
    discarding = record.id;
    dialog.showModal();
  });
  return item;
}

// A follow-up is corrected in its form, where the server's reasons stand under its questions:
// here a link to it when the server named answers to correct, else only "discard".
function followUpFix(record, fix, labels) {
  const submit = fix.querySelector("[type=submit]");
  const named = Object.keys(record.errors || {}).length > 0;
  if (named && record.data.follow_up_id) {
    const link = document.createElement("a");
    link.className = "button primary";
    link.href = `${labels.follow_up_url}#${encodeURIComponent(record.data.follow_up_id)}`;
    link.textContent = labels.correct_follow_up;
    submit.replaceWith(link);
  } else {
    submit.remove();
  }
}

async function show() {
  const records = await Outbox.readable();
  const texts = visitTemplate.dataset;
  list.replaceChildren();
  document.getElementById("outbox-empty").hidden = records.length > 0;
  // One entry per visit (the records saved together), in the order they were saved.
  const visits = new Map();
  for (const record of records) {
    const key = record.group || record.id;
    if (!visits.has(key)) visits.set(key, []);
    visits.get(key).push(record);
  }
  let index = 0;
  for (const [group, members] of visits) {
    const entry = visitTemplate.content.firstElementChild.cloneNode(true);
    const state = members.some((r) => r.state === "rejected")
      ? "rejected"
      : members.some((r) => r.state === "sending")
        ? "sending"
        : "pending";
    entry.dataset.group = group;
    entry.dataset.state = state;
    entry.querySelector(".outbox-visit-name").textContent = texts.title.replace("{initials}", initials(clientName(members)));
    entry.querySelector(".outbox-visit-state").textContent = texts[state];
    const saved = formatSaved(members[0].created_at);
    entry.querySelector(".outbox-visit-meta").textContent = saved ? texts.saved.replace("{date}", saved) : "";
    const inner = entry.querySelector(".outbox-records");
    for (const record of members) {
      inner.append(recordItem(record, index));
      index += 1;
    }
    list.append(entry);
  }
}

async function correct(event, record) {
  event.preventDefault();
  const data = structuredClone(record.data);
  for (const input of event.target.querySelectorAll("input[name]")) {
    const raw = input.value.trim();
    set(data, input.name, input.dataset.number && /^-?\d+$/.test(raw) ? Number(raw) : raw);
  }
  await Outbox.correct(record.id, data);
  await show();
  await Outbox.sync({ force: true }).catch(() => undefined);
  await show();
}

dialog.querySelector("[data-confirm]").addEventListener("click", async () => {
  dialog.close();
  if (discarding) await Outbox.discard(discarding);
  discarding = null;
  await show();
});
dialog.querySelector("[data-cancel]").addEventListener("click", () => {
  discarding = null;
  dialog.close();
});

// Another tab or the worker sent something: show it, unless the nurse is typing a correction.
new BroadcastChannel("passerelle-outbox").addEventListener("message", () => {
  if (!document.activeElement || !document.activeElement.closest(".outbox-fix")) show();
});
Promise.all([Outbox.recover().catch(() => undefined), loadOfferNames()])
  .then(show)
  .then(() => {
    list.dataset.ready = "true";
  });
