// The follow-up without network (issue 19). The page holds the follow-up instrument with its
// repeated questions for every need; this script shows those of the follow-up named in the
// address's fragment (its client and needs come from the clients taken along, outbox.js), reads
// the answers like the offline screening and puts one `follow_up` record into the encrypted
// outbox, which POST /api/v1/sync applies with the online form's checks.
//
// A follow-up the server rejected for its answers is corrected here too (the outbox page links
// to it): the form shows what the nurse entered and the server's reasons, and saving replaces
// the rejected record's content under the same id (the server stored nothing of it, so the
// corrected one is applied once, as any record).

const Outbox = self.PasserelleOutbox;
const form = document.getElementById("follow-up");
const skipForm = document.getElementById("skip");
const data = JSON.parse(document.getElementById("follow-up-data").textContent);
let rules;
let answersOf;
let chosen = null; // {followUp, client}
let owner = null;
let rejected = null; // the outbox record being corrected

// The instrument as the server checks it for this follow-up: repeated items of its needs only.
function instrumentFor(needs) {
  const items = data.instrument.items.filter((item) => {
    const need = item.linkId.includes(":") ? item.linkId.split(":")[1] : null;
    return need === null || needs.includes(need);
  });
  return { ...data.instrument, items };
}

function refresh() {
  const instrument = instrumentFor(chosen.followUp.needs);
  const shown = new Set(rules.enabledItems(instrument, answersOf(form, instrument)));
  for (const item of data.instrument.items) {
    const element = document.getElementById(`q-${item.linkId}`);
    if (element) element.hidden = !shown.has(item.linkId);
  }
}

async function find(id) {
  for (const client of await Outbox.visits()) {
    const followUp = (client.follow_ups || []).find((f) => f.id === id);
    if (followUp) return { followUp, client };
  }
  return null;
}

// The rejected record of this follow-up waiting on the device for a correction, if any.
async function rejectedRecord(id) {
  const records = await Outbox.readable((r) => r.type === "follow_up" && r.state === "rejected" && !r.quarantined);
  return records.find((r) => r.data.follow_up_id === id) || null;
}

// What the nurse entered, back in the form (inputs named `a-<linkId>`, as answers.js reads them).
function fill(answers) {
  for (const [linkId, value] of Object.entries(answers || {})) {
    const values = (Array.isArray(value) ? value : [value]).map(String);
    for (const input of form.querySelectorAll(`[name="a-${CSS.escape(linkId)}"]`)) {
      if (input.type === "radio" || input.type === "checkbox") input.checked = values.includes(input.value);
      else input.value = values[0];
    }
  }
}

// The server's reasons: each under the question it names; the skip's at the skip reasons.
function showRejection(record) {
  document.getElementById("follow-up-rejected").hidden = false;
  const reasons = [record.error || ""];
  for (const [field, message] of Object.entries(record.errors || {})) {
    const path = field.replace(/^answers\./, ""); // a refused character is named by its place
    if (path === "skip_reason") {
      const error = document.getElementById("skip-error");
      error.textContent = message;
      error.hidden = false;
    } else if (!markQuestion(path, message) && message !== record.error) {
      reasons.push(message);
    }
  }
  document.getElementById("follow-up-reason").textContent = reasons.filter(Boolean).join(" ");
}

// The message under its question, tied to it for screen readers; false when there is no such question.
function markQuestion(path, message) {
  const question = document.getElementById(`q-${path}`);
  const described = question && (question.matches("fieldset") ? question : question.querySelector("input, textarea"));
  if (!described) return false;
  const error = document.createElement("p");
  error.className = "field-error";
  error.id = `e-${path}`;
  error.textContent = message;
  question.append(error);
  const ids = (described.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  described.setAttribute("aria-describedby", [...ids, error.id].join(" "));
  if (described !== question) described.setAttribute("aria-invalid", "true");
  return true;
}

async function keep(data) {
  if (rejected) {
    await Outbox.correct(rejected.id, data);
  } else {
    const { id, needs, due_on } = chosen.followUp;
    const record = { id: Outbox.uuid(), type: "follow_up", data, label: chosen.client.display_name };
    await Outbox.add([{ ...record, context: { id, needs, due_on } }], owner);
  }
  document.getElementById("follow-up-rejected").hidden = true;
  form.hidden = true;
  document.getElementById("follow-up-skip").hidden = true;
  const saved = document.getElementById("follow-up-saved");
  saved.hidden = false;
  saved.focus();
  Outbox.requestBackgroundSync();
  Outbox.sync().catch(() => undefined);
}

async function save(event) {
  event.preventDefault();
  const instrument = instrumentFor(chosen.followUp.needs);
  const shown = new Set(rules.enabledItems(instrument, answersOf(form, instrument)));
  const answers = Object.fromEntries(
    Object.entries(answersOf(form, instrument)).filter(([linkId]) => shown.has(linkId)),
  );
  await keep({ follow_up_id: chosen.followUp.id, answers });
}

async function skip(event) {
  event.preventDefault();
  const reason = (skipForm.querySelector('[name="skip_reason"]:checked') || {}).value;
  const error = document.getElementById("skip-error");
  error.hidden = Boolean(reason);
  if (!reason) return;
  await keep({ follow_up_id: chosen.followUp.id, skip_reason: reason });
}

async function start() {
  [rules, { answersOf }] = await Promise.all([import(form.dataset.rules), import(form.dataset.answers)]);
  owner = await Outbox.getMeta("owner");
  const id = decodeURIComponent(location.hash.slice(1));
  rejected = owner ? await rejectedRecord(id) : null;
  if (rejected && rejected.context) {
    chosen = { followUp: rejected.context, client: { display_name: rejected.label || "" } };
  } else {
    chosen = owner ? await find(id) : null;
  }
  if (!chosen) {
    document.getElementById("follow-up-missing").hidden = false;
    return;
  }
  const needs = chosen.followUp.needs.map((need) => data.needs[need] || need).join(", ");
  document.getElementById("follow-up-client").textContent = `${chosen.client.display_name} · ${needs}`;
  form.hidden = false;
  document.getElementById("follow-up-skip").hidden = false;
  if (rejected) {
    fill(rejected.data.answers);
    const reason = skipForm.querySelector(`[name="skip_reason"][value="${CSS.escape(rejected.data.skip_reason || "")}"]`);
    if (reason) reason.checked = true;
    showRejection(rejected);
  }
  refresh();
  form.addEventListener("change", refresh);
  form.addEventListener("submit", save);
  skipForm.addEventListener("submit", skip);
  form.dataset.ready = "true";
}

start();
