/* Sổ Theo Dõi service worker: event wiring only (STYLE.md: squoosh, svgomg).
   It precaches the versioned app shell and static files — never personal data, API answers or
   desk pages. The server fills in VERSION and the lists when it serves /sw.js. */
const VERSION = "__VERSION__";
const PRECACHE = ["__PRECACHE__"];
const IMPORTS = ["__IMPORTS__"];
const CACHE = `sotd-shell-${VERSION}`;
const SHELL_URL = "/app/";
const OFFLINE_URL = "/app/offline";

importScripts("/static/js/core.js", ...IMPORTS);

self.addEventListener("install", (event) => {
  event.waitUntil(precache());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names
      .filter((name) => name.startsWith("sotd-") && name !== CACHE)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") return;
  if (url.pathname.startsWith("/api/")) return;
  if (url.pathname === SHELL_URL || url.pathname === "/app") {
    event.respondWith(shell(event));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(deskPage(event, url));
    return;
  }
  if (PRECACHE.includes(url.pathname)) event.respondWith(cacheFirst(request));
});

// Background Sync, where the browser has it: send the outbox of the user logged in.
self.addEventListener("sync", (event) => {
  if (event.tag !== "sotd-outbox") return;
  event.waitUntil(self.sotd.sync().then(async (result) => {
    await notifyClients();
    if (result.retryAfter) throw new Error("busy"); // the book did not take some yet: again later
  }, (error) => {
    if (error instanceof self.sotd.NeedLogin) return undefined;
    throw error; // the browser retries later
  }));
});

async function notifyClients() {
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage({ type: "synced" });
}

/* The shell from the cache at once, offline or not; refreshed behind it when online (so that a
   change of language shows at the next open). Only a real 200 shell page is kept. */
async function shell(event) {
  const cache = await openCache();
  const cached = await cache.match(SHELL_URL);
  if (cached && !navigator.onLine) return cached;
  // "no-cache": revalidated, so an unchanged shell costs a 304, not the page again.
  const fresh = fetch(SHELL_URL, { cache: "no-cache", credentials: "same-origin" }).then((response) => {
    if (response.ok && !response.redirected) cache.put(SHELL_URL, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(fresh.catch(() => undefined));
    return cached;
  }
  return fresh.catch(async () => (await cache.match(OFFLINE_URL)) || Response.error());
}

/* Desk pages come from the network only (never cached); without one, the offline page.
   The login form, and the one for a setup code, are shown only to a browser where nobody is
   logged in (a logout anywhere, an expired session): then no key or working set stays on the
   phone (DESIGN.md §4), for whoever logs in next. */
const LOGIN_FORMS = ["/login", "/login/setup"];
async function deskPage(event, url) {
  try {
    // A logout made offline ends the server session before any page is shown with it.
    if (url.pathname !== "/login") await self.sotd.endPendingLogout().catch(() => false);
    const response = await fetch(event.request);
    if (LOGIN_FORMS.includes(url.pathname) && response.status === 200) {
      event.waitUntil(self.sotd.forgetAll().catch(() => undefined));
    }
    return response;
  } catch (error) {
    return (await (await openCache()).match(OFFLINE_URL)) || Response.error();
  }
}

/* Every file of the shell, fetched once: a file the page has just loaded (the browser's copy was
   answered or revalidated by the server within RECENT) is taken from the browser's cache, so
   that a first visit does not download it twice; any other is revalidated ("no-cache"). */
const RECENT = 60e3;
// When the server answered (the HTTP server and the app may each send a Date: the latest counts).
const answeredAt = (response) => Math.max(0, ...(response.headers.get("Date") || "")
  .split(/,\s*(?=[A-Z][a-z]{2},)/).map(Date.parse).filter(Boolean));
async function precache() {
  const responses = await Promise.all(PRECACHE.map(async (url) => {
    const kept = await fetch(url, { cache: "force-cache", credentials: "same-origin" });
    if (kept.ok && Math.abs(Date.now() - answeredAt(kept)) < RECENT) return kept;
    return fetch(url, { cache: "no-cache", credentials: "same-origin" });
  }));
  if (responses.some((response) => !response.ok)) throw new Error("precache failed");
  const cache = await caches.open(CACHE);
  await Promise.all(responses.map((response, i) => cache.put(PRECACHE[i], response)));
}

let shellCache = null; // opened once per worker: every file of the shell comes from it
const openCache = () => (shellCache = shellCache || caches.open(CACHE));

async function cacheFirst(request) {
  return (await (await openCache()).match(request)) || fetch(request);
}
