// The follow-up without network (issue 19). The page holds the follow-up instrument with its
// repeated questions for every need; this script shows those of the follow-up named in the
// address's fragment (its client and needs come from the clients taken along, outbox.js), reads
// the answers like the offline screening and puts one `follow_up` record into the encrypted
// outbox, which POST /api/v1/sync applies with the online form's checks.

const Outbox = self.PasserelleOutbox;
const form = document.getElementById("follow-up");
const skipForm = document.getElementById("skip");
const data = JSON.parse(document.getElementById("follow-up-data").textContent);
let rules;
let answersOf;
let chosen = null; // {followUp, client}
let owner = null;

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

async function keep(data) {
  const record = { id: Outbox.uuid(), type: "follow_up", data, label: chosen.client.display_name };
  await Outbox.add([record], owner);
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
  chosen = owner ? await find(decodeURIComponent(location.hash.slice(1))) : null;
  if (!chosen) {
    document.getElementById("follow-up-missing").hidden = false;
    return;
  }
  const needs = chosen.followUp.needs.map((need) => data.needs[need] || need).join(", ");
  document.getElementById("follow-up-client").textContent = `${chosen.client.display_name} · ${needs}`;
  form.hidden = false;
  document.getElementById("follow-up-skip").hidden = false;
  refresh();
  form.addEventListener("change", refresh);
  form.addEventListener("submit", save);
  skipForm.addEventListener("submit", skip);
  form.dataset.ready = "true";
}

start();
