// The self-check with JavaScript: the page holds every question (the server renders them all,
// hidden but one), so steps switch here without a request and the answers stay in the browser
// until "Show my result". Without JavaScript the same form posts each step to the server.
// A copy of the answers sits in sessionStorage (this tab only) so that switching language
// offline, or reloading, loses nothing; it is removed once the result is shown.

// rules.js and answers.js come by the content-hashed addresses the page names (data-rules,
// data-answers), the ones the service worker precaches; a static `import "./rules.js"` would ask
// for an unversioned URL.
let enabledItems;
let evaluate;
let answersOf;

const STORE = "passerelle-selfcheck";
const INTRO = "intro";
const PLACE = "place";
const OFFLINE = "offline";

function restore(form, saved) {
  for (const [linkId, value] of Object.entries(saved.answers || {})) {
    const values = (Array.isArray(value) ? value : [value]).map(String);
    for (const input of form.querySelectorAll(`[name="a-${linkId}"]`)) {
      input.checked = values.includes(input.value);
    }
  }
  if (saved.place !== undefined) form.querySelector("#place").value = saved.place;
}

function save(form, instrument, at) {
  const state = {
    answers: answersOf(form, instrument),
    at,
    place: form.querySelector("#place").value,
  };
  try {
    sessionStorage.setItem(STORE, JSON.stringify(state));
  } catch {
    // Private mode or a full quota: the page itself still holds the answers.
  }
}

function loadSaved() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) || "null");
  } catch {
    return null;
  }
}

async function startCheck(form) {
  const [rules, answers] = await Promise.all([import(form.dataset.rules), import(form.dataset.answers)]);
  ({ enabledItems, evaluate } = rules);
  ({ answersOf } = answers);
  const instrument = JSON.parse(document.getElementById("selfcheck-rules").textContent);
  const at = form.querySelector("#at");
  const sections = new Map([...form.querySelectorAll("section.step")].map((s) => [s.dataset.step, s]));
  const nav = Object.fromEntries([...form.querySelectorAll("[data-nav]")].map((b) => [b.dataset.nav, b]));
  const progress = form.querySelector("#progress");
  const bar = form.querySelector("#progress-bar");
  const emergency = form.querySelector("#emergency");
  const order = [INTRO, ...instrument.items.filter((i) => i.type !== "display").map((i) => i.linkId), PLACE];

  const shownSteps = () => {
    const enabled = new Set(enabledItems(instrument, answersOf(form, instrument)));
    return order.filter((step) => step === INTRO || step === PLACE || enabled.has(step));
  };

  function show(step, { focus = true, push = true } = {}) {
    const steps = shownSteps();
    if (step !== OFFLINE && !steps.includes(step)) step = INTRO;
    at.value = step === OFFLINE ? PLACE : step;
    for (const [name, section] of sections) section.hidden = name !== step;
    nav.start.hidden = step !== INTRO;
    nav.next.hidden = step === INTRO || step === PLACE || step === OFFLINE;
    nav.skip.hidden = nav.next.hidden;
    nav.result.hidden = step !== PLACE && step !== OFFLINE;
    nav.back.hidden = step === INTRO;
    const questions = steps.filter((s) => s !== INTRO && s !== PLACE);
    const number = questions.indexOf(step) + 1;
    progress.hidden = bar.hidden = number === 0;
    progress.textContent = progress.dataset.template.replace("{n}", number).replace("{t}", questions.length);
    bar.max = questions.length;
    bar.value = number;
    emergency.hidden = !evaluate(instrument, answersOf(form, instrument)).emergency;
    save(form, instrument, at.value);
    if (push) history.pushState({ step }, "", `#${step}`);
    if (focus) {
      const heading = sections.get(step).querySelector("h2");
      heading.focus();
      heading.scrollIntoView({ block: "nearest" });
    }
  }

  function move(direction) {
    const current = at.value;
    const steps = shownSteps();
    const position = order.indexOf(current);
    const candidates = direction > 0 ? order.slice(position + 1) : order.slice(0, position).reverse();
    show(candidates.find((s) => steps.includes(s)) || (direction > 0 ? PLACE : INTRO));
  }

  function showOfflineResult() {
    const { needs } = evaluate(instrument, answersOf(form, instrument));
    const list = form.querySelector("#offline-needs");
    for (const item of list.querySelectorAll("li")) {
      item.hidden = item.dataset.domain ? !(item.dataset.domain in needs) : Object.keys(needs).length > 0;
    }
    show(OFFLINE);
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[name=go]");
    if (!button) return;
    const go = button.value;
    if (go === "next" || go === "skip" || go === "back") {
      event.preventDefault();
      if (go === "skip") {
        for (const input of sections.get(at.value).querySelectorAll("input")) input.checked = false;
      }
      move(go === "back" ? -1 : 1);
    } else if (go === "result") {
      if (!navigator.onLine) {
        event.preventDefault();
        showOfflineResult();
      } else {
        sessionStorage.removeItem(STORE);
      }
    } else if (go === "stay" && button.dataset.lang && !navigator.onLine) {
      // Offline the other language's page comes from the worker's cache; the answers follow
      // through sessionStorage.
      event.preventDefault();
      save(form, instrument, at.value);
      window.location.assign(`/check/${button.dataset.lang}#${at.value}`);
    }
  });

  // Enter in the place field shows the result rather than pressing the first button.
  form.querySelector("#place").addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      nav.result.click();
    }
  });
  form.addEventListener("change", () => {
    emergency.hidden = !evaluate(instrument, answersOf(form, instrument)).emergency;
    save(form, instrument, at.value);
  });
  window.addEventListener("popstate", (event) => {
    const step = (event.state && event.state.step) || location.hash.slice(1) || INTRO;
    show(sections.has(step) ? step : INTRO, { push: false });
  });

  // A page the server rendered at a step (no-JS posts, language switch) already shows it; a
  // fresh start page picks up what this tab had answered before (offline language switch).
  const saved = at.value === INTRO && !form.querySelector("input:checked") ? loadSaved() : null;
  if (saved) restore(form, saved);
  const start = saved ? saved.at : at.value;
  history.replaceState({ step: start }, "", start === INTRO ? location.pathname : `#${start}`);
  show(start, { focus: start !== INTRO, push: false });
}

function start() {
  for (const button of document.querySelectorAll("[data-print][hidden]")) button.hidden = false;
  if (document.querySelector("[data-result], [data-done]")) {
    try {
      sessionStorage.removeItem(STORE);
    } catch {
      // nothing stored
    }
  }
  const form = document.getElementById("selfcheck");
  if (form) startCheck(form);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
