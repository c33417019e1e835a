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

registerServiceWorker();
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", fallBackToNavigationWhenOffline);
} else {
  fallBackToNavigationWhenOffline();
}
