// Web Push on the page: subscribe this browser with the installation's key and tell the server,
// or undo both. Must run from a user gesture (a button), as browsers require.

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

// iPhones and iPads get Web Push only in an app added to the home screen.
export function needsHomeScreen() {
  const ios = /iPhone|iPad|iPod/.test(navigator.userAgent)
    || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const standalone = window.matchMedia("(display-mode: standalone)").matches
    || navigator.standalone === true;
  return ios && !standalone;
}

function keyBytes(base64url) {
  const padded = base64url.replace(/-/g, "+").replace(/_/g, "/")
    + "=".repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

export async function registration(swUrl = "/sw.js") {
  const existing = await navigator.serviceWorker.getRegistration("/");
  if (existing) return existing;
  await navigator.serviceWorker.register(swUrl, { scope: "/" });
  return navigator.serviceWorker.ready;
}

export async function currentSubscription(swUrl) {
  const reg = await registration(swUrl);
  return reg.pushManager.getSubscription();
}

async function send(url, method, body, csrfToken) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
    body: JSON.stringify(body),
  });
  if (!response.ok && response.status !== 404) {
    throw new Error(`push subscription ${method}: ${response.status}`);
  }
  return response;
}

// Returns "on", "denied" or throws.
export async function turnOn({ keyUrl, subscriptionsUrl, csrfToken, swUrl }) {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return "denied";
  const { public_key: key } = await (await fetch(keyUrl, { credentials: "same-origin" })).json();
  const reg = await registration(swUrl);
  let subscription = await reg.pushManager.getSubscription();
  const wanted = keyBytes(key);
  if (subscription) {
    // A subscription made for another key (after `vapid rotate`) cannot be used: renew it.
    const current = subscription.options && subscription.options.applicationServerKey;
    if (current && new Uint8Array(current).join() !== wanted.join()) {
      await subscription.unsubscribe();
      subscription = null;
    }
  }
  if (!subscription) {
    subscription = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: wanted });
  }
  await send(subscriptionsUrl, "POST", subscription.toJSON(), csrfToken);
  return "on";
}

export async function turnOff({ subscriptionsUrl, csrfToken, swUrl }) {
  const subscription = await currentSubscription(swUrl);
  if (!subscription) return "off";
  await send(subscriptionsUrl, "DELETE", { endpoint: subscription.endpoint }, csrfToken);
  await subscription.unsubscribe();
  return "off";
}
