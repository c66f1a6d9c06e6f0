// The field app: boot from IndexedDB, route between screens, sync when it can, install, update.
// core.js is a classic script that app.html runs first (it starts reading IndexedDB at once).
import { logOut, OFFLINE } from "./logout.js";
import { ask, h, t, today } from "./ui.js";
import * as views from "./views.js";

const core = self.sotd;
const view = document.getElementById("view");
const banner = document.getElementById("banner");
const badgeEl = document.getElementById("waiting-badge");
const titleEl = document.getElementById("club-name");
const neutralTitle = titleEl.textContent; // the app's name: no club named while nobody is logged in

const state = {
  user: null, working: null, entries: [], counts: { waiting: 0, others: 0, rejected: 0 },
  schema: null, lastSync: null, clockSkew: 0, online: navigator.onLine, syncing: false,
  progress: { done: 0, total: 0 }, message: "", needLogin: false, installPrompt: null,
  updateWorker: null, failures: 0, retryTimer: null, drafts: [], handInDrafts: 0,
};

state.actions = {
  async save(entry) {
    await core.save(state.user, entry, "waiting");
    await refresh();
    state.flash = t("saved");
    state.flashOn = "";
    state.flashUuid = entry.uuid; // "saved on the phone" becomes "sent" once it is
    registerBackgroundSync();
    sync();
  },
  async discard(...uuids) {
    for (const uuid of uuids) await core.discard(state.user, uuid);
    await refresh();
    render();
  },
  /* The form at `hash`, as filled in so far (core.drafts), about the case `caseUuid` if any:
     never kept once that case has left the phone. Dropped once saved or cancelled. */
  async keepDraft(hash, uuid, data, caseUuid) {
    if (!state.user || (caseUuid && !holds(caseUuid) && !fixing(hash))) return;
    const d = { hash, uuid, data, case_uuid: caseUuid || null, at: Date.now() };
    state.drafts = [d, ...state.drafts.filter((x) => x.hash !== hash)];
    await core.keepDraft(state.user, d);
  },
  async dropDraft(hash) {
    if (!state.drafts.some((d) => d.hash === hash)) return;
    state.drafts = state.drafts.filter((d) => d.hash !== hash);
    renderChrome();
    await core.dropDraft(state.user, hash);
  },
  logout,
  install,
};

// --- Loading what the phone holds ------------------------------------------------------------

async function refresh() {
  const snap = await core.firstSnapshot();
  // Another window logged this user out, or logged someone else in: start again as the phone is.
  if (state.user && !state.loggedOut && !state.loggingOut && (!snap.user || snap.user.id !== state.user.id)) restart();
  state.user = snap.user;
  state.working = snap.working;
  state.entries = snap.entries;
  state.counts = snap.counts;
  state.schema = snap.schema;
  state.lastSync = snap.lastSync;
  state.clockSkew = snap.clockSkew;
  if (state.flashUuid && !snap.entries.some((e) => e.uuid === state.flashUuid)) {
    if (state.flash) state.flash = t("sent");
    state.flashUuid = null;
  }
  return snap;
}

/* The first screen is drawn from the working set's summary (core.snapshot); the whole set is
   opened next, and any other screen waits for it. */
const FROM_SUMMARY = ["today", "cases"];
function openWhole() {
  if (!state.working || !state.working.partial) return Promise.resolve();
  state.opening = state.opening || core.working(state.user).then((whole) => {
    state.opening = null;
    if (!whole || !state.working || !state.working.partial) return;
    state.working = whole;
    if (route().name === "cases") state.rerenderList();
    else if (!FROM_SUMMARY.includes(route().name)) render();
  });
  return state.opening;
}

// --- Screens ---------------------------------------------------------------------------------

function route() {
  const [path, query] = (location.hash.slice(1) || "/today").split("?");
  const parts = path.split("/").filter(Boolean);
  return { name: parts[0] || "today", arg: parts[1], params: new URLSearchParams(query || "") };
}

function render() {
  state.day = today();
  renderChrome();
  const { name, arg, params } = route();
  let content;
  if (state.working && state.working.partial && !FROM_SUMMARY.includes(name)) {
    openWhole();
    return; // drawn once the whole working set is open
  }
  if (!state.working) {
    content = [h("section", { class: "card" }, h("p", {}, state.needLogin ? t("need_login") : t("not_ready")),
      state.needLogin ? loginLink() : null)];
  } else if (state.working.user.desk) {
    toDesk();
    return;
  } else if (state.working.user.hand_in_only) {
    content = [h("section", { class: "card", "data-testid": "hand-in" }, h("p", {}, t("hand_in")))];
  } else if (name === "cases") content = views.casesView(state);
  else if (name === "case") content = views.caseView(state, arg);
  else if (name === "record") content = views.recordView(state);
  else if (name === "new") content = views.formView(state, arg, params, null);
  else if (name === "fix") content = views.formView(state, null, params, arg);
  else if (name === "consent") content = views.formView(state, "case", params, arg, ["consent"]);
  else if (name === "compare") content = views.compareView(state, arg);
  else if (name === "outbox") content = views.outboxView(state);
  else if (name === "more") content = views.moreView(state);
  else if (name === "survey") content = views.surveyView(state);
  else content = views.todayView(state);
  // A notice stays on the first screen after the form until the member goes elsewhere.
  if (state.flash && !FORMS.includes(name)) {
    state.flashOn = state.flashOn || location.hash;
    if (state.flashOn === location.hash) content.unshift(h("p", { class: "alert alert--success", role: "status" }, state.flash));
    else state.flash = state.flashOn = "";
  }
  view.replaceChildren(...content.flat().filter(Boolean));
  if (state.working && !performance.getEntriesByName("sotd:day").length) performance.mark("sotd:day");
  for (const link of document.querySelectorAll(".bottomnav__item")) {
    const active = link.dataset.route === name || (link.dataset.route === "cases" && name === "case")
      || (link.dataset.route === "record" && name === "new");
    link.classList.toggle("is-active", active);
    if (active) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
}

const FORMS = ["new", "fix", "consent", "compare"];

/* After a sync: redraw the screen, but never a form the member is filling in (while there is
   a working set to fill it in from). */
function update() {
  if (FORMS.includes(route().name) && state.working) renderChrome();
  else render();
}

// Re-render only what changed while the member types (keeps the keyboard open).
state.rerenderList = () => {
  const fresh = views.casesView(state)[1];
  document.getElementById("case-list").replaceWith(fresh.querySelector("#case-list"));
};

function loginLink() {
  return h("a", { class: "button button--block", href: "/login?next=/app/" }, t("login_again"));
}

function renderChrome() {
  titleEl.textContent = state.working?.user.club?.name || neutralTitle;
  badgeEl.textContent = String(state.counts.waiting);
  badgeEl.hidden = !state.counts.waiting;
  const notes = [];
  if (!state.online) notes.push(h("p", { class: "alert alert--warning", role: "status" }, t("offline")));
  if (Math.abs(state.clockSkew) > 600e3) {
    notes.push(h("p", { class: "alert alert--warning", role: "alert", "data-testid": "clock" },
      t("clock_off", { n: Math.round(Math.abs(state.clockSkew) / 60e3) })));
  }
  if (state.notice) notes.push(h("p", { class: "alert", role: "status" }, state.notice));
  const others = state.drafts.filter((d) => d.hash !== location.hash);
  if (others.length && state.working) {
    // The latest first: once it is saved or thrown away, the next one is offered.
    notes.push(h("div", { class: "alert alert--warning", role: "status", "data-testid": "draft" },
      h("p", {}, others.length > 1 ? t("drafts_wait", { n: others.length }) : t("draft_waits")),
      h("a", { class: "button", href: others[0].hash }, t("draft_go_on")), " ",
      h("button", { type: "button", class: "link-button", onclick: () => dropDraft(others[0].hash) }, t("draft_drop"))));
  }
  if (state.needLogin && state.working) notes.push(h("p", { class: "alert alert--error", role: "alert" }, t("need_login"), " ", loginLink()));
  if (state.updateWorker) {
    notes.push(h("p", { class: "alert", role: "status" }, t("update_ready"), " ",
      h("button", { type: "button", class: "button", "data-action": "reload", onclick: applyUpdate }, t("reload"))));
  }
  if (state.installPrompt && !sessionStorage.getItem("install-later") && route().name === "today") {
    notes.push(h("div", { class: "alert install-hint" }, h("p", {}, t("install_hint")),
      h("button", { type: "button", class: "button", onclick: install }, t("install")),
      h("button", { type: "button", class: "link-button", onclick: () => {
        sessionStorage.setItem("install-later", "1");
        renderChrome();
      } }, t("later"))));
  }
  banner.replaceChildren(...notes);
}

async function dropDraft(hash) {
  const choice = await ask(t("draft_drop_confirm"), [["drop", t("draft_drop")], ["keep", t("cancel")]]);
  if (choice === "drop") await state.actions.dropDraft(hash);
}

/* A form left half filled in (the tab closed behind a call, the battery gone): read once the
   first screen is drawn, and offered again — its own form filled in with it, any other screen
   with a word and a link back. */
async function loadDrafts() {
  state.drafts = await core.drafts(state.user).catch(() => []);
  if (!state.drafts.length) return;
  if (FORMS.includes(route().name) && state.working && !state.working.partial) render();
  else renderChrome();
}

// --- Sync ------------------------------------------------------------------------------------

/* The club's book was busy for some entries (`retry`): they go again by themselves, and a
   hand-in waits for them. True if so. */
function againIfBusy(result) {
  if (!result.retryAfter) return false;
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(sync, result.retryAfter * 1000 * (0.75 + Math.random() / 2));
  return true;
}

/* One sync at a time: asked while one runs, the answer is that one's end. */
function sync() {
  if (state.syncRun) return state.syncRun;
  if (!navigator.onLine || state.loggedOut) return Promise.resolve();
  state.syncRun = syncRun().finally(() => { state.syncRun = null; });
  return state.syncRun;
}

async function syncRun() {
  clearTimeout(state.retryTimer);
  state.syncing = true;
  state.progress = { done: 0, total: state.counts.waiting };
  update();
  try {
    const result = await core.sync((done, total) => {
      state.progress = { done, total };
      renderChrome();
      const p = document.querySelector("progress");
      if (p) { p.max = total || 1; p.value = done; }
    });
    state.needLogin = false;
    state.failures = 0;
    // One line for what the member should know of this sync: an erasure, the server's notices.
    const said = (result.gone ? [t("gone")] : []).concat(result.draftGone ? [t("draft_gone")] : [],
      result.left ? [t("returned_left", { n: result.left })] : [], result.notices || []);
    if (result.draftGone) state.drafts = await core.drafts(state.user).catch(() => []);
    if (said.length) state.notice = said.join(" ");
    await refresh();
    if (closeFormOfCaseGone() && !result.draftGone) {
      state.noticeNext = [state.noticeNext, t("draft_gone")].filter(Boolean).join(" ");
    }
    state.message = state.counts.rejected ? "" : result.retryAfter ? t("sync_busy") : t("sync_done");
    if (result.handInOnly) state.handInDrafts += result.draftGone || 0;
    if (!againIfBusy(result) && result.handInOnly) return handIn();
  } catch (error) {
    if (error instanceof core.NeedLogin) {
      // Nobody is logged in any more: the key and working set have left the phone (core.sync),
      // and nothing of the book stays on the screen, a form included, until the member logs in.
      state.needLogin = true;
      state.user = state.working = null;
      state.drafts = [];
      state.flushDraft = state.formAbout = null;
    } else {
      state.failures += 1;
      state.message = t("sync_failed");
      // Back off: 2 s, 4 s, 8 s … up to 5 minutes, with some jitter.
      const delay = Math.min(300000, 2000 * 2 ** Math.min(state.failures, 8)) * (0.75 + Math.random() / 2);
      state.retryTimer = setTimeout(sync, delay);
    }
    await refresh();
  } finally {
    state.syncing = false;
    if (!state.loggedOut) update();
  }
}

// The phone holds the case `uuid`: from the server, or registered here and not sent.
const holds = (uuid) => views.allCases(state).some((c) => c.uuid === uuid);
// The form at `hash` fixes an entry the phone holds: the maker's, even once its case passed on.
const fixing = (hash) => [...(state.working?.returned || []), ...state.entries].some((e) => hash === "#/fix/" + e.uuid);

/* A form about a person who has just left the phone (erased, reassigned, closed) closes:
   nothing more of them is shown or kept. */
function closeFormOfCaseGone() {
  const about = state.formAbout && state.formAbout();
  if (!FORMS.includes(route().name) || !about || holds(about) || fixing(location.hash)) return false;
  state.flushDraft = null;
  state.noticeNext = state.notice; // said on Today, where the form closes to
  location.hash = "#/today";
  return true;
}

function registerBackgroundSync() {
  navigator.serviceWorker?.ready.then((reg) => reg.sync && reg.sync.register("sotd-outbox")).catch(() => {});
}

// --- Logout ----------------------------------------------------------------------------------

/* An account no longer active (or no longer a member's) may only hand in what waits: once the
   sync has sent it, the phone logs out and keeps nothing of the user but what could not go.
   `state.handInDrafts`: the drafts its syncs took off the phone already (their cases left). */
async function handIn() {
  if (state.working?.user.desk) return; // nothing to hand in: to the desk, logged in (render)
  state.loggedOut = true;
  state.working = null;
  // The account logs in no more: a form half filled in cannot be finished. The member is told.
  const drafts = state.handInDrafts + (state.user ? (await core.drafts(state.user).catch(() => [])).length : 0);
  if (state.user) await core.dropDrafts(state.user);
  await core.forgetAll(true);
  await core.endPendingLogout().catch(() => { /* offline: at the next network */ });
  titleEl.textContent = neutralTitle;
  view.replaceChildren(h("section", { class: "card", "data-testid": "handed-in" }, h("p", {},
    t("handed_in"), state.counts.waiting ? " " + t("hand_in_left", { n: state.counts.waiting }) : "",
    drafts ? " " + t("hand_in_drafts", { n: drafts }) : "")));
}

/* The server says the account works at the desk (working_set.at_desk): there, logged in, and
   nothing of the field app kept — not a form half filled in when it was a member's account. */
async function toDesk() {
  if (state.user) await core.dropDrafts(state.user).catch(() => {});
  await core.forgetAll(false).catch(() => {});
  location.replace("/");
}

async function logout() {
  state.loggingOut = true; // its own forgetting is not another window's (refresh)
  const done = await logOut(async () => {
    await sync();
    return !state.needLogin;
  });
  state.loggingOut = done !== false;
  if (done === OFFLINE) {
    state.working = null;
    state.loggedOut = true;
    titleEl.textContent = neutralTitle;
    const n = state.counts.waiting;
    view.replaceChildren(h("section", { class: "card" }, h("p", {}, n ? t("logout_offline_kept", { n }) : t("logout_offline"))));
  }
}

// --- Install and update ----------------------------------------------------------------------

window.addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault();
  state.installPrompt = event;
  renderChrome();
});

async function install() {
  const prompt = state.installPrompt;
  state.installPrompt = null;
  if (prompt) await prompt.prompt();
  render();
}

function applyUpdate() {
  if (state.updateWorker) state.updateWorker.postMessage({ type: "skip-waiting" });
}

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const reg = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  const waiting = () => {
    if (reg.waiting && navigator.serviceWorker.controller) {
      state.updateWorker = reg.waiting;
      renderChrome();
    }
  };
  waiting();
  reg.addEventListener("updatefound", () => {
    reg.installing?.addEventListener("statechange", waiting);
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (state.updateWorker && !reloading) {
      reloading = true;
      location.reload();
    }
  });
  navigator.serviceWorker.addEventListener("message", async (event) => {
    if (event.data && event.data.type === "synced") {
      await refresh();
      state.drafts = await core.drafts(state.user).catch(() => []);
      update();
    }
  });
  navigator.serviceWorker.startMessages();
}

function restart() {
  if (state.restarting) return;
  state.restarting = true;
  view.replaceChildren(); // nothing of the previous user stays on screen meanwhile
  location.reload();
}
core.onForgotten(() => { if (!state.loggedOut && !state.loggingOut) restart(); });

// --- Start -----------------------------------------------------------------------------------

async function start() {
  const snap = await refresh();
  if (snap.logoutPending) {
    // Logged out while offline: end the server session before anything else.
    await core.endPendingLogout().catch(() => { /* still offline: at the next open */ });
    location.replace("/login");
    return;
  }
  render();
  openWhole();
  loadDrafts();
  if (!state.working && navigator.onLine) {
    // First open on this phone (or after logout): the working set comes with the key.
    let result = {};
    try {
      result = await core.sync();
    } catch (error) {
      if (error instanceof core.NeedLogin) location.replace("/login?next=/app/");
    }
    await refresh();
    render();
    if (result.handInOnly) state.handInDrafts += result.draftGone || 0;
    const busy = againIfBusy(result);
    if (result.handInOnly && !busy) await handIn();
    else if (!result.handInOnly) loadDrafts(); // the key is back with the login: so are the drafts sealed with it
  } else {
    sync(); // it fetches the schema too when the working set names a new version of it
  }
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
}

window.addEventListener("hashchange", () => {
  state.notice = state.noticeNext || ""; // said once, on the screen where the sync ended
  state.noticeNext = "";
  if (state.flushDraft) state.flushDraft(true); // the form left: what it holds is the draft (banner)
  state.flushDraft = state.formAbout = null;
  render();
  window.scrollTo(0, 0); // a new screen opens at its top, where the "saved" notice is
});
window.addEventListener("online", () => {
  state.online = true;
  if (state.loggedOut) {
    // Logged out while offline: the server session ends now, and the login form is next.
    core.endPendingLogout().catch(() => {}).then(() => location.replace("/login"));
    return;
  }
  renderChrome();
  sync();
});
window.addEventListener("offline", () => { state.online = false; renderChrome(); });
// A new day in Hạ Long: yesterday's visits are overdue, so draw again (at midnight, on waking).
function newDay() {
  if (state.day && state.day !== today()) update();
  clearTimeout(state.dayTimer);
  state.dayTimer = setTimeout(newDay, Date.parse(today(1) + "T00:00:01+07:00") - Date.now());
}
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") { newDay(); sync(); }
  else if (state.flushDraft) state.flushDraft();
});
newDay();
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-action=sync]")) sync();
});

registerWorker().catch(() => {});
start();
