// The screening without network: client, questions, needs, offers, consent — saved into the
// encrypted outbox (outbox.js), never posted directly. The questions come rendered by the
// server; the shared rule interpreter (rules.js) shows follow-ups and finds the needs; the
// offers come from the directory snapshot the service worker keeps. A draft is sealed into
// IndexedDB after every answer, so a closed tab loses nothing.

const Outbox = self.PasserelleOutbox;
const form = document.getElementById("visit");
const data = JSON.parse(document.getElementById("visit-data").textContent);
const instrument = data.instrument;
const SEVERITY_RANK = { urgent: 0, needed: 1, wish: 2 };
let rules;
let answersOf; // answers.js: reads the answers from the form
let offers = [];
let known = new Map(); // radio value → {client_id, name, birth_year, municipality, language, visit?}
let owner = null;
let saving = false;

function today() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

// ---- answers -------------------------------------------------------------------------------

function showQuestions(answers) {
  const shown = new Set(rules.enabledItems(instrument, answers));
  for (const item of instrument.items) {
    const element = document.getElementById(`q-${item.linkId}`);
    if (element) element.hidden = !shown.has(item.linkId);
  }
}

// ---- the client ----------------------------------------------------------------------------

function chosenClient() {
  const value = (form.querySelector('[name="client"]:checked') || {}).value || "new";
  if (value !== "new") return known.get(value) || null;
  const municipality = form.municipality.value;
  return {
    client_id: null,
    name: form.display_name.value.trim(),
    birth_year: Number(form.birth_year.value.trim()) || null,
    municipality: municipality ? Number(municipality) : null,
    language: form.language.value,
  };
}

function municipalityName(number) {
  const option = form.municipality.querySelector(`option[value="${Number(number)}"]`);
  return option ? option.textContent : "";
}

async function listKnownClients() {
  known = new Map();
  const list = document.getElementById("known-clients");
  list.replaceChildren();
  const template = document.getElementById("known-client");
  const entries = [];
  for (const visit of await Outbox.visits()) {
    entries.push([`visit:${visit.id}`, { ...visit, client_id: visit.id, name: visit.display_name, visit: visit.id }]);
  }
  // Only the clients created offline are decrypted, not every screening and referral.
  for (const record of await Outbox.readable((r) => r.type === "client" && r.owner === owner)) {
    entries.push([`outbox:${record.id}`, { ...record.data, client_id: record.id, name: record.data.display_name }]);
  }
  for (const [value, client] of entries) {
    known.set(value, client);
    const row = template.content.firstElementChild.cloneNode(true);
    const input = row.querySelector("input");
    input.id = `client-${value.replace(":", "-")}`;
    input.value = value;
    const label = row.querySelector("label");
    label.htmlFor = input.id;
    label.textContent = `${client.name}, ${client.birth_year}, ${municipalityName(client.municipality)}`;
    list.append(row);
  }
}

function toggleNewClient() {
  const isNew = ((form.querySelector('[name="client"]:checked') || {}).value || "new") === "new";
  document.getElementById("new-client").hidden = !isNew;
}

// ---- needs and offers ----------------------------------------------------------------------

async function loadOffers() {
  try {
    const response = await fetch("/api/v1/directory/snapshot", { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    offers = (await response.json()).offers || [];
  } catch (error) {
    offers = [];
  }
  document.getElementById("snapshot-missing").hidden = offers.length > 0;
}

function serves(offer, client) {
  if (!client || !client.municipality) return false;
  const district = data.districts[String(client.municipality)];
  const area = offer.areas.some(
    (a) => a === `municipality:${client.municipality}` || a === `district:${district}` || a.startsWith("canton:"),
  );
  if (!area) return false;
  if (client.language && ["de", "fr", "it", "en"].includes(client.language) && offer.languages.length) {
    if (!offer.languages.includes(client.language)) return false;
  }
  if (client.birth_year) {
    const age = new Date().getFullYear() - client.birth_year;
    if (offer.min_age !== null && offer.min_age !== undefined && age < offer.min_age) return false;
    if (offer.max_age !== null && offer.max_age !== undefined && age > offer.max_age) return false;
  }
  return true;
}

function showNeeds(answers, chosen) {
  const { needs } = rules.evaluate(instrument, answers);
  const client = chosenClient();
  const container = document.getElementById("needs");
  const language = form.dataset.lang;
  container.replaceChildren();
  const domains = Object.keys(needs).sort((a, b) => SEVERITY_RANK[needs[a]] - SEVERITY_RANK[needs[b]] || a.localeCompare(b));
  document.getElementById("needs-none").hidden = domains.length > 0;
  for (const domain of domains) {
    const fieldset = document.getElementById("need-template").content.firstElementChild.cloneNode(true);
    fieldset.querySelector("legend").textContent = `${data.needs[domain] || domain} — ${data.severities[needs[domain]] || needs[domain]}`;
    const matching = offers.filter((offer) => offer.needs.includes(domain) && serves(offer, client));
    fieldset.querySelector("[data-none]").hidden = matching.length > 0;
    for (const offer of matching) {
      const row = document.getElementById("offer-template").content.firstElementChild.cloneNode(true);
      const input = row.querySelector("input");
      input.id = `offer-${domain}-${offer.id}`;
      input.value = `${domain}:${offer.id}`;
      input.dataset.name = offer.name[language] || offer.name.de;
      input.checked = chosen.has(input.value);
      const paused = offer.capacity === "not_accepting";
      input.disabled = paused;
      const label = row.querySelector("label");
      label.htmlFor = input.id;
      label.textContent = `${offer.name[language] || offer.name.de} (${offer.organization})${paused ? ` — ${document.getElementById("paused-label").textContent}` : ""}`;
      fieldset.append(row);
    }
    container.append(fieldset);
  }
}

function chosenOffers() {
  return new Set([...form.querySelectorAll('[name="offer"]:checked')].map((input) => input.value));
}

// ---- the draft -------------------------------------------------------------------------------

function snapshotOfForm() {
  const values = {};
  for (const element of form.elements) {
    if (!element.name || element.type === "submit") continue;
    if (element.type === "checkbox" || element.type === "radio") {
      if (element.checked) (values[element.name] = values[element.name] || []).push(element.value);
    } else {
      values[element.name] = element.value;
    }
  }
  return values;
}

function restoreForm(values) {
  for (const element of form.elements) {
    if (!element.name || !(element.name in values)) continue;
    const value = values[element.name];
    if (element.type === "checkbox" || element.type === "radio") element.checked = value.includes(element.value);
    else element.value = value;
  }
}

let draftTimer = null;
function saveDraftSoon() {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(() => {
    Outbox.saveDraft(snapshotOfForm()).catch(() => undefined);
  }, 150);
}

function refresh() {
  const answers = answersOf(form, instrument);
  const chosen = chosenOffers();
  showQuestions(answers);
  showNeeds(answers, chosen);
  toggleNewClient();
}

// ---- saving --------------------------------------------------------------------------------

function showFieldError(id, message) {
  const element = document.getElementById(`${id}-error`);
  const input = form.elements[id];
  element.textContent = message || "";
  element.hidden = !message;
  if (input && input.setAttribute) {
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
}

function check(client, offerValues) {
  const messages = document.getElementById("messages").dataset;
  const problems = {};
  if (!client) problems.client = messages.name;
  else if (!client.client_id) {
    if (!client.name) problems.display_name = messages.name;
    if (!/^\d{4}$/.test(form.birth_year.value.trim())) problems.birth_year = messages.year;
    if (!client.municipality) problems.municipality = messages.municipality;
  }
  if (offerValues.size && !form.confirmed.checked) problems.confirmed = true;
  for (const id of ["display_name", "birth_year", "municipality", "client"]) showFieldError(id, problems[id]);
  document.getElementById("confirmed-error").hidden = !problems.confirmed;
  return Object.keys(problems);
}

function recordsOf(client, answers, offerValues) {
  const created = new Date().toISOString();
  const records = [];
  let clientId = client.client_id;
  if (!clientId) {
    clientId = Outbox.uuid();
    records.push({
      id: clientId,
      type: "client",
      created_at: created,
      label: client.name,
      data: {
        display_name: client.name,
        birth_year: client.birth_year,
        municipality: client.municipality,
        language: client.language,
        phone: form.phone.value.trim() || null,
      },
    });
  }
  const screeningId = Outbox.uuid();
  records.push({
    id: screeningId,
    type: "screening",
    created_at: created,
    label: client.name,
    visit: client.visit || null,
    data: {
      client_id: clientId,
      instrument_id: instrument.id,
      instrument_version: instrument.version,
      answers: rules.enabledAnswers(instrument, answers),
      status: "completed",
    },
  });
  const scope = [...form.querySelectorAll('[name="scope"]:checked')].map((input) => input.value);
  for (const value of offerValues) {
    const [domain, serviceId] = value.split(":");
    const input = form.querySelector(`[name="offer"][value="${CSS.escape(value)}"]`);
    records.push({
      id: Outbox.uuid(),
      type: "referral",
      created_at: created,
      label: `${client.name} → ${input ? input.dataset.name : serviceId}`,
      data: {
        screening_id: screeningId,
        service_id: serviceId,
        need_domain: domain,
        consent: {
          confirmed: form.confirmed.checked,
          given_by: (form.querySelector('[name="given_by"]:checked') || {}).value || "client",
          method: (form.querySelector('[name="method"]:checked') || {}).value || "verbal",
          given_on: form.given_on.value || today(),
          scope,
        },
        note: form.note.value.trim() || null,
        // The nurse chose among offers that serve the client's place and language; warnings
        // the server would add (e.g. an open referral elsewhere) cannot be shown offline.
        accept_warnings: true,
      },
    });
  }
  return records;
}

async function save(event) {
  event.preventDefault();
  if (saving) return;
  const error = document.getElementById("visit-error");
  const client = chosenClient();
  const offerValues = chosenOffers();
  if (check(client, offerValues).length) {
    error.textContent = error.dataset.check;
    error.hidden = false;
    return;
  }
  saving = true;
  try {
    await Outbox.add(recordsOf(client, answersOf(form, instrument), offerValues), owner);
  } catch (failure) {
    // A full disk or blocked storage: say so and keep every answer on the screen.
    error.textContent = error.dataset.storage;
    error.hidden = false;
    saving = false;
    return;
  }
  error.hidden = true;
  clearTimeout(draftTimer);
  await Outbox.dropDraft().catch(() => undefined);
  // Ask the browser to keep the outbox even when space runs short; say so if it will not.
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().then((kept) => {
      document.getElementById("persist-note").hidden = kept;
    }, () => undefined);
  }
  form.hidden = true;
  const saved = document.getElementById("visit-saved");
  saved.hidden = false;
  saved.focus();
  Outbox.requestBackgroundSync();
  Outbox.sync().catch(() => undefined);
}

// A nurse who opens this page online, logged in, may use it even before another page noted her.
async function accountOnline() {
  try {
    const response = await fetch("/api/v1/me", { headers: { Accept: "application/json" }, cache: "no-store" });
    const me = response.ok ? await response.json() : null;
    if (!me || me.role !== "nurse") return null;
    await Outbox.setMeta("owner", me.username);
    return me.username;
  } catch (error) {
    return null;
  }
}

// ---- start -----------------------------------------------------------------------------------

async function start() {
  [rules, { answersOf }] = await Promise.all([import(form.dataset.rules), import(form.dataset.answers)]);
  owner = (await Outbox.getMeta("owner")) || (await accountOnline());
  if (!owner) {
    document.getElementById("visit-locked").hidden = false;
    return;
  }
  form.hidden = false;
  form.given_on.value = today();
  form.given_on.max = today();
  await Promise.all([listKnownClients(), loadOffers()]);
  const draft = await Outbox.draft().catch(() => null);
  if (draft) {
    restoreForm(draft);
    refresh();
    restoreForm(draft); // offers exist only once the needs are shown
    document.getElementById("visit-restored").hidden = false;
  }
  refresh();
  form.addEventListener("change", () => {
    refresh();
    saveDraftSoon();
  });
  form.addEventListener("input", saveDraftSoon);
  form.addEventListener("submit", save);
  form.dataset.ready = "true";
}

start();
