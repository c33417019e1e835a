// The list of records waiting on this device: what each is, whether it waits, is being sent or
// was not accepted (with the server's reason), and for a rejected one a form to correct the
// fields the server named, or to discard it deliberately. A quarantined record (the server
// could not answer it at all) can be sent again as it is, or discarded.

const Outbox = self.PasserelleOutbox;
const list = document.getElementById("outbox-list");
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

async function show() {
  const records = await Outbox.readable();
  const labels = itemTemplate.dataset;
  list.replaceChildren();
  document.getElementById("outbox-empty").hidden = records.length > 0;
  records.forEach((record, index) => {
    const item = itemTemplate.content.firstElementChild.cloneNode(true);
    item.dataset.id = record.id;
    item.dataset.state = record.state;
    item.querySelector(".outbox-title").textContent = `${labels[record.type] || record.type}: ${record.label || ""}`;
    item.querySelector(".outbox-state").textContent = labels[record.state] || record.state;
    if (record.state === "rejected") {
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
      const fields = fix.querySelector(".outbox-fields");
      for (const [path, message] of Object.entries(record.errors || {})) {
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
    }
    list.append(item);
  });
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
Outbox.recover()
  .catch(() => undefined)
  .then(show)
  .then(() => {
    list.dataset.ready = "true";
  });
