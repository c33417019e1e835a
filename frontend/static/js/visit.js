// The screening without network: client, questions, needs, offers, consent — saved into the
// encrypted outbox (outbox.js), never posted directly. The questions come rendered by the
// server; the shared rule interpreter (rules.js) shows follow-ups and finds the needs; the
// offers come from the directory snapshot the service worker keeps. A draft is sealed into
// IndexedDB after every answer, so a closed tab loses nothing. A section nav shows what is done
// and moves focus to the heading it jumps to; the age comes from the year of birth; the consent
// names the organisations and offers chosen; a note says whether the tablet is ready offline.

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

// The age the year of birth gives (this year's birthday may still be ahead: at most one year
// off, as when the nurse asks "how old are you?"), or null while no year is known.
function derivedAge() {
  const client = chosenClient();
  const year = client && Number(client.birth_year);
  if (!year || year < 1880) return null;
  const age = new Date().getFullYear() - year;
  return age >= 0 && age < 130 ? age : null;
}

// The form's answers, with the age question answered from the year of birth when there is one:
// the rules (rules.js and the server's) get the same value as if the nurse had typed it.
function currentAnswers() {
  const answers = answersOf(form, instrument);
  const age = data.age_item ? derivedAge() : null;
  if (age !== null) answers[data.age_item] = age;
  return answers;
}

function showQuestions(answers) {
  const shown = new Set(rules.enabledItems(instrument, answers));
  const age = data.age_item ? derivedAge() : null;
  for (const item of instrument.items) {
    const element = document.getElementById(`q-${item.linkId}`);
    if (element) element.hidden = !shown.has(item.linkId) || (item.linkId === data.age_item && age !== null);
  }
  const note = document.getElementById("derived-age");
  if (note) {
    note.hidden = age === null;
    note.textContent = age === null ? "" : note.dataset.text.replace("{age}", String(age));
  }
  return shown;
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
  // A follow-up already in the outbox is not offered again.
  const recorded = new Set(
    (await Outbox.readable((r) => r.type === "follow_up" && r.owner === owner)).map((r) => r.data.follow_up_id),
  );
  const followUpLink = document.getElementById("follow-up-due");
  for (const [value, client] of entries) {
    known.set(value, client);
    const row = template.content.firstElementChild.cloneNode(true);
    const input = row.querySelector("input");
    input.id = `client-${value.replace(":", "-")}`;
    input.value = value;
    const label = row.querySelector("label");
    label.htmlFor = input.id;
    label.textContent = `${client.name}, ${client.birth_year}, ${municipalityName(client.municipality)}`;
    for (const followUp of (client.follow_ups || []).filter((f) => !recorded.has(f.id))) {
      const link = followUpLink.content.firstElementChild.cloneNode(true);
      link.href = `${followUpLink.dataset.page}#${followUp.id}`;
      const needs = followUp.needs.map((need) => data.needs[need] || need).join(", ");
      link.textContent = `${followUpLink.dataset.text} (${needs})`;
      row.append(" ", link);
    }
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
    const date = new Date(response.headers.get("Date") || "");
    snapshotDate = Number.isNaN(date.getTime()) ? null : date;
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

// The offer's name in the page's language, else in the one it has; `lang` says which (WCAG 3.1.2).
function offerName(offer) {
  const language = form.dataset.lang;
  if (offer.name[language]) return { text: offer.name[language], lang: language };
  const other = ["de", "fr"].find((code) => offer.name[code]) || language;
  return { text: offer.name[other] || "", lang: other };
}

function named(tag, name, className) {
  const element = document.createElement(tag);
  element.textContent = name.text;
  if (name.lang !== form.dataset.lang) element.lang = name.lang;
  if (className) element.className = className;
  return element;
}

function showNeeds(answers, chosen) {
  const { needs } = rules.evaluate(instrument, answers);
  const client = chosenClient();
  const container = document.getElementById("needs");
  const list = document.getElementById("need-list");
  container.replaceChildren();
  list.replaceChildren();
  const domains = Object.keys(needs).sort((a, b) => SEVERITY_RANK[needs[a]] - SEVERITY_RANK[needs[b]] || a.localeCompare(b));
  document.getElementById("needs-none").hidden = domains.length > 0;
  document.getElementById("offers-none").hidden = domains.length > 0;
  for (const domain of domains) {
    const label = `${data.needs[domain] || domain} — ${data.severities[needs[domain]] || needs[domain]}`;
    const entry = document.createElement("li");
    entry.className = `need-${needs[domain]}`;
    entry.textContent = label;
    list.append(entry);
    const fieldset = document.getElementById("need-template").content.firstElementChild.cloneNode(true);
    fieldset.querySelector("legend").textContent = label;
    const matching = offers.filter((offer) => offer.needs.includes(domain) && serves(offer, client));
    fieldset.querySelector("[data-none]").hidden = matching.length > 0;
    for (const offer of matching) {
      const row = document.getElementById("offer-template").content.firstElementChild.cloneNode(true);
      const input = row.querySelector("input");
      const name = offerName(offer);
      input.id = `offer-${domain}-${offer.id}`;
      input.value = `${domain}:${offer.id}`;
      input.dataset.name = name.text;
      input.dataset.nameLang = name.lang;
      input.dataset.organization = offer.organization || "";
      input.checked = chosen.has(input.value);
      const paused = offer.capacity === "not_accepting";
      input.disabled = paused;
      const label = row.querySelector("label");
      label.htmlFor = input.id;
      const shown = label.querySelector(".offer-name");
      shown.textContent = name.text;
      if (name.lang !== form.dataset.lang) shown.lang = name.lang;
      const paused_ = paused ? ` — ${document.getElementById("paused-label").textContent}` : "";
      label.querySelector(".visit-offer-org").textContent = `(${offer.organization})${paused_}`;
      fieldset.append(row);
    }
    container.append(fieldset);
  }
  return domains.length;
}

// "You agree that <organisation> (<offers>) receives: <data>." — one sentence per organisation,
// built from the offers ticked and the data items the consent covers; offer names keep their lang.
function showConsent() {
  const label = document.getElementById("consent-text");
  const texts = label.dataset;
  const byOrganisation = new Map();
  for (const input of form.querySelectorAll('[name="offer"]:checked')) {
    const organisation = input.dataset.organization || "";
    if (!byOrganisation.has(organisation)) byOrganisation.set(organisation, []);
    const names = byOrganisation.get(organisation);
    if (!names.some((n) => n.text === input.dataset.name)) names.push({ text: input.dataset.name, lang: input.dataset.nameLang });
  }
  label.replaceChildren();
  if (!byOrganisation.size) {
    label.textContent = texts.none;
    return;
  }
  const scope = [...form.querySelectorAll('[name="scope"]:checked')].map((input) => texts[input.value]).filter(Boolean);
  const dataText = [texts.always, ...scope].join(", ");
  for (const [organisation, names] of byOrganisation) {
    const sentence = document.createElement("span");
    sentence.className = "consent-sentence";
    // Fill the translated sentence's placeholders with text nodes and lang-marked spans.
    for (const part of texts.sentence.split(/(\{organisation\}|\{offers\}|\{data\})/)) {
      if (part === "{organisation}") sentence.append(organisation);
      else if (part === "{data}") sentence.append(dataText);
      else if (part === "{offers}") {
        names.forEach((name, index) => {
          if (index) sentence.append(", ");
          sentence.append(named("span", name));
        });
      } else if (part) sentence.append(part);
    }
    label.append(sentence, " ");
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
  const answers = currentAnswers();
  const chosen = chosenOffers();
  // Offers are drawn anew: keep the focus on the checkbox the nurse just ticked.
  const focused = document.activeElement && document.activeElement.closest("#needs") ? document.activeElement.id : null;
  showQuestions(answers);
  showNeeds(answers, chosen);
  if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  toggleNewClient();
  showConsent();
  showProgress(answers);
}

// ---- sections: what is done, and jumping between them --------------------------------------

function plural(element, n, total) {
  const form_ = new Intl.PluralRules(form.dataset.lang).select(n) === "one" ? "one" : "other";
  return element.dataset[form_].replace("{n}", String(n)).replace("{total}", String(total));
}

function clientComplete() {
  const client = chosenClient();
  if (!client) return false;
  if (client.client_id) return true;
  return Boolean(client.name && /^\d{4}$/.test(form.birth_year.value.trim()) && client.municipality);
}

// Questions count when shown and askable (not display texts, not the age the year gives).
function showProgress(answers = currentAnswers()) {
  const shown = new Set(rules.enabledItems(instrument, answers));
  const ageDerived = Boolean(data.age_item) && derivedAge() !== null;
  const askable = instrument.items.filter((item) => item.type !== "display" && shown.has(item.linkId)
    && !(item.linkId === data.age_item && ageDerived));
  const answered = askable.filter((item) => answers[item.linkId] !== undefined);
  for (const entry of document.querySelectorAll(".visit-substeps [data-group]")) {
    const group = document.getElementById(entry.dataset.group).closest(".question-group");
    const ids = new Set([...group.querySelectorAll("[data-question]")].map((q) => q.dataset.question));
    const mine = askable.filter((item) => ids.has(item.linkId));
    const count = entry.querySelector(".step-count");
    count.textContent = `${mine.filter((item) => answers[item.linkId] !== undefined).length}/${mine.length}`;
    entry.dataset.done = String(mine.every((item) => answers[item.linkId] !== undefined));
  }
  const questionsDone = askable.length > 0 && answered.length === askable.length;
  const offersChosen = chosenOffers().size > 0;
  const hasNeeds = Object.keys(rules.evaluate(instrument, answers).needs).length > 0;
  const done = {
    "client-title": clientComplete(),
    "questions-title": questionsDone,
    // The needs are settled once every question has its answer.
    "needs-title": questionsDone,
    // Offers: at least one chosen, or no need (nothing to refer) once the questions are done.
    "offers-title": offersChosen || (questionsDone && !hasNeeds),
    // Consent: given for the offers chosen (nothing to consent to without one).
    "consent-title": offersChosen ? form.confirmed.checked : questionsDone && !hasNeeds,
  };
  const steps = document.querySelector(".visit-steps");
  let count = 0;
  for (const entry of steps.querySelectorAll(":scope > [data-step]")) {
    const isDone = done[entry.dataset.step];
    if (isDone) count += 1;
    entry.dataset.done = String(isDone);
    entry.querySelector(".step-state").textContent = `(${isDone ? steps.dataset.done : steps.dataset.open})`;
  }
  const total = Object.keys(done).length;
  const progress = document.getElementById("visit-progress");
  progress.textContent = plural(progress, count, total);
  progress.dataset.count = String(count);
  const answeredLine = document.getElementById("visit-answered");
  answeredLine.textContent = plural(answeredLine, answered.length, askable.length);
}

// A jump moves focus to the section's heading (not only the scroll position), so keyboard and
// screen reader users continue from there; the address stays as it is.
function jumpTo(event) {
  const link = event.target.closest(".visit-nav a[href^='#']");
  if (!link) return;
  const heading = document.getElementById(link.getAttribute("href").slice(1));
  if (!heading) return;
  event.preventDefault();
  heading.focus({ preventScroll: true });
  const still = matchMedia("(prefers-reduced-motion: reduce)").matches;
  heading.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
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
    await Outbox.add(recordsOf(client, currentAnswers(), offerValues), owner);
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
  document.getElementById("readiness").hidden = true; // the note after saving says the rest
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

// ---- ready for visits without network? --------------------------------------------------------

let snapshotDate = null; // when the device got the directory snapshot it uses (the answer's Date)

function formatDay(date) {
  const options = { day: "numeric", month: "long" };
  if (date.getFullYear() !== new Date().getFullYear()) options.year = "numeric";
  return new Intl.DateTimeFormat(`${form.dataset.lang}-CH`, options).format(date);
}

// Ready means: this page and the outbox page are in the worker's cache (the app shell and the
// instrument come with them), and the offers are on the device. Says what to do when not.
async function showReadiness() {
  const box = document.getElementById("readiness");
  let shell = false;
  try {
    const pages = box.dataset.pages.split(" ");
    const cached = await Promise.all(pages.map((page) => caches.match(page)));
    shell = Boolean(navigator.serviceWorker && navigator.serviceWorker.controller) && cached.every(Boolean);
  } catch (error) {
    shell = false;
  }
  const haveOffers = offers.length > 0;
  const ready = shell && haveOffers;
  const yes = document.getElementById("ready-yes");
  yes.hidden = !ready;
  yes.textContent = ready ? yes.dataset.text.replace("{date}", snapshotDate ? formatDay(snapshotDate) : "–") : "";
  document.getElementById("ready-no").hidden = ready;
  box.querySelector('[data-missing="app"]').hidden = shell;
  box.querySelector('[data-missing="offers"]').hidden = haveOffers;
  let kept = false;
  try {
    kept = Boolean(navigator.storage && navigator.storage.persisted && (await navigator.storage.persisted()));
  } catch (error) {
    kept = false;
  }
  document.getElementById("ready-persist").hidden = kept;
  box.dataset.state = ready ? "ready" : "not-ready";
  box.hidden = false;
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
  showReadiness();
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
  form.addEventListener("input", (event) => {
    // The year of birth answers the age question as it is typed; other typing only counts.
    if (event.target === form.birth_year) refresh();
    else showProgress();
    saveDraftSoon();
  });
  form.querySelector(".visit-nav").addEventListener("click", jumpTo);
  form.addEventListener("submit", save);
  form.dataset.ready = "true";
}

start();
