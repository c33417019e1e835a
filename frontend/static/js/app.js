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

function start() {
  fallBackToNavigationWhenOffline();
  askBeforeLeavingDraft();
  printButtons();
}

registerServiceWorker();
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
