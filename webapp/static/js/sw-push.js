// Push and notification clicks, for the service worker (a classic script: sw.js loads it with
// importScripts). The server's payloads hold a title, a body saying what is due, a same-site URL
// and a tag: no name, case code or personal detail, since notifications show on lock screens.
/* eslint-env serviceworker */

const PUSH_DEFAULT_TITLE = "Sổ Theo Dõi";
const PUSH_ICON = "/static/icons/icon.svg";

function pushPayload(event) {
  if (!event.data) return {};
  try {
    return event.data.json();
  } catch (error) {
    return { body: event.data.text() };
  }
}

// Only a path on this site: a payload never sends the user elsewhere.
function sameSiteUrl(url) {
  try {
    const target = new URL(url || "/app/", self.location.origin);
    return target.origin === self.location.origin ? target.href : new URL("/app/", self.location.origin).href;
  } catch (error) {
    return new URL("/app/", self.location.origin).href;
  }
}

self.addEventListener("push", (event) => {
  const data = pushPayload(event);
  const options = {
    body: data.body || "",
    icon: PUSH_ICON,
    badge: PUSH_ICON,
    data: { url: sameSiteUrl(data.url) },
  };
  if (data.tag) {
    options.tag = data.tag;
    options.renotify = true;
  }
  // Always show a notification inside waitUntil: a push without one is penalised by browsers.
  event.waitUntil(self.registration.showNotification(data.title || PUSH_DEFAULT_TITLE, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = sameSiteUrl(event.notification.data && event.notification.data.url);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    // A window already on that page is brought forward; any other window is left as it is (it
    // may hold a half-filled form), and the page opens in a new one.
    const same = windows.find((client) => client.url === url);
    if (same) return same.focus();
    return self.clients.openWindow(url);
  })());
});
