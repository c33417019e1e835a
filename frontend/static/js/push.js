// The notification settings: subscribe this device with the server's VAPID key, or not.
// Texts come from data- attributes (translated on the server).

const section = document.querySelector("[data-push]");
const state = section && section.querySelector("[data-push-state]");
const onButton = section && section.querySelector("[data-push-on]");
const offButton = section && section.querySelector("[data-push-off]");
const testButton = section && section.querySelector("[data-push-test]");
const csrf = document.querySelector('meta[name="csrf-token"]').content;

function say(key) {
  state.textContent = state.dataset[key];
}

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

async function call(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status}`);
  return response;
}

async function current() {
  const registration = await navigator.serviceWorker.ready;
  return registration.pushManager.getSubscription();
}

async function show() {
  if (Notification.permission === "denied") {
    say("denied");
    onButton.hidden = offButton.hidden = true;
    return;
  }
  const subscription = await current();
  say(subscription ? "on" : "off");
  onButton.hidden = Boolean(subscription);
  offButton.hidden = !subscription;
}

async function turnOn() {
  try {
    if ((await Notification.requestPermission()) !== "granted") return show();
    const { public_key: key } = await (await fetch(section.dataset.keyUrl, { credentials: "same-origin" })).json();
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
    await call("POST", "/api/v1/push/subscriptions", subscription.toJSON());
    testButton.hidden = false;
    await show();
  } catch (error) {
    console.warn(error);
    say("failed");
  }
}

async function turnOff() {
  try {
    const subscription = await current();
    if (subscription) {
      await call("DELETE", "/api/v1/push/subscriptions", { endpoint: subscription.endpoint });
      await subscription.unsubscribe();
    }
    await show();
  } catch (error) {
    console.warn(error);
    say("failed");
  }
}

async function sendTest() {
  try {
    await call("POST", "/api/v1/push/test");
    say("sent");
  } catch (error) {
    console.warn(error);
    say("failed");
  }
}

if (section) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("unsupported");
  } else {
    onButton.addEventListener("click", turnOn);
    offButton.addEventListener("click", turnOff);
    testButton.addEventListener("click", sendTest);
    show();
  }
}
