/* The phone's store and its sync (DESIGN.md §4, the phone side): IndexedDB, AES-GCM, the outbox.
   A plain script without import or export, so that the page imports it as a module and the
   service worker loads it with importScripts; both then use self.sotd. */
(() => {
  "use strict";
  const DB_NAME = "sotd";
  const BATCH = 200;
  const BATCH_BYTES = 900 * 1024;
  const SENT = new Set(["created", "updated", "duplicate"]);
  const RECENT_VISITS = 5;
  const LOGOUT_PENDING = "logout_pending"; // meta: a logout made offline, the server not yet told
  const CLOCK = "clock_skew"; // meta: the server's clock minus the phone's, in ms, at the last sync
  const SUMMARY = "summary:"; // working: the key of a user's summary (summaryOf), before their id
  const DRAFT = "draft:"; // working: the keys of a user's drafts, "draft:<user id>:<form's hash>"
  const FIRST_PAGE = 30; // the cases of "My cases" the summary holds, besides those Today names
  const enc = new TextEncoder();
  const dec = new TextDecoder();

  class Offline extends Error {}
  class NeedLogin extends Error {}
  class ServerError extends Error {}

  // --- IndexedDB: meta (no personal data), keys (CryptoKey per user, only while logged in),
  // working (encrypted working set per user), outbox (encrypted records keyed by uuid).
  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = () => {
          const d = req.result;
          d.createObjectStore("meta");
          d.createObjectStore("keys");
          d.createObjectStore("working");
          d.createObjectStore("outbox", { keyPath: "uuid" }).createIndex("user", "user");
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return dbPromise;
  }
  const done = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const committed = (t) => new Promise((resolve, reject) => {
    t.oncomplete = () => resolve();
    t.onerror = t.onabort = () => reject(t.error || new DOMException("The write was not kept.", "AbortError"));
  });
  async function store(name, mode) {
    return (await db()).transaction(name, mode || "readonly").objectStore(name);
  }
  /* A write is kept once its transaction has committed, not when its request succeeds: a phone
     whose storage is full (QuotaExceededError) or failing aborts the transaction after that.
     "strict": on the disk before the promise resolves (what a member recorded). */
  async function write(name, change, durability) {
    const t = (await db()).transaction(name, "readwrite", { durability: durability || "default" });
    change(t.objectStore(name));
    return committed(t);
  }
  const get = async (name, key) => done((await store(name)).get(key));
  const put = (name, value, key) => write(name, (s) => s.put(value, key));
  const del = (name, key) => write(name, (s) => s.delete(key));
  const all = async (name) => done((await store(name)).getAll());

  // --- WebCrypto: the user's key is imported non-extractable; every record has its own IV and
  // is bound to its user and uuid, so that records cannot be swapped between users.
  async function importKey(base64) {
    const raw = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const key = await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false,
      ["encrypt", "decrypt"]);
    raw.fill(0);
    return key;
  }
  async function seal(key, value, bound) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(bound) },
      key, enc.encode(JSON.stringify(value)));
    return { iv, data };
  }
  async function unseal(key, box, bound) {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: box.iv, additionalData: enc.encode(bound) }, key, box.data);
    return JSON.parse(dec.decode(plain));
  }

  /* Everything a screen needs, read in one transaction and one round trip: opening the app
     offline on a slow phone is mostly waiting on IndexedDB. The keys and working sets of every
     user are read (there is one at most: logging in forgets the previous user's), and only the
     user of meta "user" is opened. `whole`: the whole working set; otherwise its summary
     (summaryOf), what the first screen needs, so that opening the app does not grow with the
     book — the rest is opened with working() once that screen is drawn. */
  async function snapshot(whole = true) {
    const t = (await db()).transaction(["meta", "keys", "working", "outbox"]);
    const keyed = (name, range) => Promise.all([done(t.objectStore(name).getAllKeys(range)),
      done(t.objectStore(name).getAll(range))]).then(([ks, vs]) => new Map(ks.map((k, i) => [k, vs[i]])));
    const summaries = IDBKeyRange.bound(SUMMARY, SUMMARY + "\uffff");
    const [meta, keys, boxes, outbox] = await Promise.all([keyed("meta"), keyed("keys"),
      keyed("working", whole ? undefined : summaries), done(t.objectStore("outbox").getAll())]);
    const id = meta.get("user");
    const key = id == null ? null : keys.get(id);
    const user = key ? { id, key } : null;
    const brief = user && !whole ? boxes.get(SUMMARY + id) : null;
    const box = user && whole ? boxes.get(id) : null;
    // Counted even while their user is logged out (no key): the member always sees what waits.
    const mine = id == null ? [] : outbox.filter((r) => r.user === id);
    const [working_, list] = user ? await Promise.all([
      // A phone that has no summary yet (synced by an older version) opens the whole set.
      brief ? unseal(key, brief, id + ":summary") : box ? unseal(key, box, id + ":working") : whole ? null : working(user),
      Promise.all(mine.map((r) => opened(user, r)))]) : [null, []];
    return { user, schema: meta.get("schema"), logoutPending: !!meta.get(LOGOUT_PENDING), clockSkew: meta.get(CLOCK) || 0,
      lastSync: user ? meta.get("last_sync:" + id) : undefined, working: working_,
      entries: list.filter(Boolean).sort((a, b) => a.saved_at - b.saved_at),
      counts: { waiting: mine.length, others: outbox.length - mine.length,
        rejected: mine.filter((r) => r.state !== "waiting").length } };
  }

  /* The app's first snapshot, begun as soon as this script runs (app.html loads it with
     data-open, before the modules), so that IndexedDB works while the views are compiled. */
  const opening = self.document && document.currentScript && "open" in document.currentScript.dataset;
  let early = opening ? snapshot(false) : null;
  early?.catch(() => {});
  function firstSnapshot() {
    const first = early;
    early = null;
    return first || snapshot();
  }

  // --- Who is on the phone.
  async function currentUser() {
    const user = await get("meta", "user");
    if (user == null) return null;
    const key = await get("keys", user);
    return key ? { id: user, key } : null;
  }

  /* Whose the session is, a CSRF token and that user's key, from GET /api/v1/csrf (the only
     answer with secrets, never compressed: BREACH). Switches the phone to that user if someone
     else logged in; the key is kept only as a non-extractable CryptoKey. */
  async function session() {
    const answer = await getJSON("/api/v1/csrf");
    const id = answer.user;
    const previous = await get("meta", "user");
    if (previous != null && previous !== id) await forget(previous);
    const key = answer.device_key ? await importKey(answer.device_key) : await get("keys", id);
    if (!key) throw new ServerError("no device key");
    await put("keys", key, id);
    await put("meta", id, "user");
    return { user: { id, key }, token: answer.csrf_token };
  }

  /* The working set's lists, by the key of their records, and how the server orders them. */
  const byText = (field, desc) => (a, b) => {
    const x = a[field] == null ? "" : String(a[field]);
    const y = b[field] == null ? "" : String(b[field]);
    return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
  };
  const LISTS = {
    cases: { key: "uuid", order: byText("code") },
    appointments: { key: "id", order: (a, b) => byText("due_date")(a, b) || a.id - b.id },
    activities: { key: "uuid", order: byText("date", true) },
    returned: { key: "uuid", order: byText("returned_at") },
    rounds: { key: "uuid", order: byText("starts_on") },
  };

  /* What the first screen needs of a working set, kept beside it (encrypted too): Today's
     appointments and returned entries with the cases they name, and the first page of My cases
     — not every case's details. The app marks it `partial` until it has opened the whole. */
  function summaryOf(w) {
    const named = new Set((w.appointments || []).map((a) => a.case_uuid)
      .concat((w.returned || []).map((r) => (r.data || {}).case_uuid)));
    const brief = (c) => ({ id: c.id, uuid: c.uuid, code: c.code, full_name: c.full_name,
      birth_year: c.birth_year, review_status: c.review_status, next_appointment: c.next_appointment });
    return { user: w.user, appointments: w.appointments, returned: w.returned,
      cases: (w.cases || []).filter((c, i) => i < FIRST_PAGE || named.has(c.uuid)).map(brief),
      schema_version: w.schema_version, partial: true };
  }

  /* Keep the user's working set and its summary, both encrypted, in one transaction. */
  async function keep(user, w) {
    const [whole, brief] = await Promise.all([seal(user.key, w, user.id + ":working"),
      seal(user.key, summaryOf(w), user.id + ":summary")]);
    const t = (await db()).transaction("working", "readwrite");
    t.objectStore("working").put(whole, user.id);
    t.objectStore("working").put(brief, SUMMARY + user.id);
    return committed(t);
  }

  /* The phone's working set after a bootstrap answer: the whole set, or the one held with the
     records that changed put in and those that left taken out (DESIGN.md §4). */
  function merged(held, answer) {
    const w = Object.assign({}, answer.full || !held ? {} : held, answer);
    if (!answer.full && held) {
      for (const [name, { key, order }] of Object.entries(LISTS)) {
        const fresh = answer[name] || [];
        const gone = new Set(((answer.removed || {})[name] || []).concat(fresh.map((x) => x[key])));
        w[name] = (held[name] || []).filter((x) => !gone.has(x[key])).concat(fresh).sort(order);
      }
    }
    delete w.full;
    delete w.removed;
    return w;
  }

  /* One GET of the working set: what changed since the phone's cursor, or all of it the first
     time; kept encrypted. Returns it with the answer's server_time. */
  async function refreshWorking(user) {
    const held = await working(user);
    const since = held && held.cursor ? "?since=" + encodeURIComponent(held.cursor) : "";
    const answer = await getJSON("/api/v1/bootstrap" + since);
    const w = merged(held, answer);
    await keep(user, w);
    // Returned entries gone from Today unfixed (settled by the board, or another's to fix now).
    const now = new Set((w.returned || []).map((r) => r.uuid));
    const left = ((held && held.returned) || []).filter((r) => !now.has(r.uuid)).length;
    return { working: w, serverTime: answer.server_time, left };
  }

  /* A form as it is being filled in, sealed like the working set and beside it: a tab the phone
     closed behind a call, or a battery that ran out, loses nothing typed. One per form (its
     address, `hash`) and user; it goes when the form is saved or cancelled, with the working set
     at logout, and when the case it is about leaves the phone. */
  const draftKey = (id, hash) => DRAFT + id + ":" + hash;
  const draftRange = (id) => IDBKeyRange.bound(DRAFT + id + ":", DRAFT + id + ":\uffff");
  async function drafts(user) {
    if (!user) return [];
    const t = (await db()).transaction("working");
    const [keys, boxes] = await Promise.all([done(t.objectStore("working").getAllKeys(draftRange(user.id))),
      done(t.objectStore("working").getAll(draftRange(user.id)))]);
    const list = await Promise.all(boxes.map((box, i) =>
      unseal(user.key, box, user.id + ":draft:" + keys[i].slice(draftKey(user.id, "").length)).catch(() => null)));
    return list.filter(Boolean).sort((a, b) => b.at - a.at);
  }
  let writes = Promise.resolve(); // the drafts' writes, one at a time in the order asked
  const inTurn = (write) => (writes = writes.then(write, write));
  const keepDraft = (user, value) => inTurn(async () =>
    put("working", await seal(user.key, value, user.id + ":draft:" + value.hash), draftKey(user.id, value.hash)));
  const dropDraft = (user, hash) => inTurn(() => del("working", draftKey(user.id, hash)));
  /* The drafts about a case the phone no longer holds (erased at the person's request,
     reassigned, closed), neither in the working set `w` nor registered on the phone: they go,
     for the phone keeps nothing of a person it no longer follows. How many went. */
  async function dropDraftsOfCasesGone(user, w) {
    const mine = await entries(user);
    // A fix of an entry still on the phone stays, wherever its case went.
    const held = new Set(((w && w.cases) || []).map((c) => c.uuid)
      .concat(mine.filter((e) => e.type === "case").map((e) => e.uuid),
        ((w && w.returned) || []).concat(mine).map((e) => "#/fix/" + e.uuid)));
    const gone = (await drafts(user)).filter((d) => d.case_uuid && !held.has(d.case_uuid) && !held.has(d.hash));
    for (const d of gone) await dropDraft(user, d.hash);
    return gone.length;
  }

  /* The user's drafts, thrown away (a logout that chose so, a hand-in). */
  const dropDrafts = (user) => inTurn(() => write("working", (st) => st.delete(draftRange(user.id))));

  /* Another user logs in: this one's working set and key go; their waiting entries and drafts
     stay, unreadable, until the server hands the key back at their next login. */
  async function forget(id) {
    await del("working", id);
    await del("working", SUMMARY + id);
    await del("keys", id);
    if ((await get("meta", "user")) === id) await del("meta", "user");
    tellOthers();
  }

  /* The other windows of the app on this phone (the installed app beside a browser tab, the
     service worker) are told when its user's keys and working sets go, or another user's
     come: each starts again, so that no window keeps showing, or keeping drafts of, what the
     phone no longer holds for that user. Not told: the window that sent it. */
  const others = self.BroadcastChannel ? new BroadcastChannel("sotd") : null;
  const tellOthers = () => others && others.postMessage("forgotten");
  const onForgotten = (fn) => { if (others) others.onmessage = fn; };

  /* Nobody is logged in on this browser (the login form was shown, or a logout is under way):
     every key and working set goes, in one transaction. Waiting entries and drafts stay,
     unreadable, until their user logs in again and the server hands the key back: a session
     that ended while a form was half filled in loses nothing typed. `pending`: the server could
     not be told (offline), so the session is to end there at the next network. `keepUser`: the
     phone still knows whose the waiting entries are (a number, not their contents), to count
     them until that user logs in again. */
  async function forgetAll(pending, { keepUser = false } = {}) {
    const t = (await db()).transaction(["meta", "keys", "working"], "readwrite");
    t.objectStore("keys").clear();
    // Every working set and summary (keys below and above the drafts' range), not the drafts.
    t.objectStore("working").delete(IDBKeyRange.upperBound(DRAFT, true));
    t.objectStore("working").delete(IDBKeyRange.lowerBound(DRAFT + "\uffff", true));
    if (!keepUser) t.objectStore("meta").delete("user");
    if (pending) t.objectStore("meta").put(true, LOGOUT_PENDING);
    else t.objectStore("meta").delete(LOGOUT_PENDING);
    await committed(t);
    tellOthers();
  }

  /* An edit of a record the server holds at `revision`: the next number, on that base. */
  const nextRevision = (revision) => ({ revision: revision + 1, base_revision: revision });

  async function working(user) {
    const box = await get("working", user.id);
    return box ? unseal(user.key, box, user.id + ":working") : null;
  }

  // --- The outbox: records, not requests. A record leaves only when the server names it
  // created, updated or duplicate.
  async function records(userId) {
    return done((await store("outbox")).index("user").getAll(userId));
  }
  /* An outbox record as the entry it holds, or null if it does not open (it is left alone). */
  async function opened(user, rec) {
    if (!rec || rec.user !== user.id) return null;
    try {
      return Object.assign(await unseal(user.key, rec.box, user.id + ":" + rec.uuid),
        { uuid: rec.uuid, state: rec.state, saved_at: rec.saved_at });
    } catch (e) {
      return null;
    }
  }
  async function entries(user) {
    const list = await Promise.all((await records(user.id)).map((rec) => opened(user, rec)));
    return list.filter(Boolean).sort((a, b) => a.saved_at - b.saved_at);
  }
  async function save(user, entry, state) {
    const body = { type: entry.type, revision: entry.revision, data: entry.data,
      client_created_at: entry.client_created_at || new Date().toISOString() };
    if (entry.base_revision) body.base_revision = entry.base_revision;
    if (entry.errors) body.errors = entry.errors;
    if (entry.awaiting_case) body.awaiting_case = true;
    if (entry.server) body.server = entry.server; // the server's version, for a conflict
    const old = await get("outbox", entry.uuid);
    if (old && old.user !== user.id) throw new Error("not yours");
    const rec = { uuid: entry.uuid, user: user.id, type: entry.type, state: state || "waiting",
      saved_at: old ? old.saved_at : Date.now(), box: await seal(user.key, body, user.id + ":" + entry.uuid) };
    await write("outbox", (s) => s.put(rec), "strict");
  }
  async function discard(user, uuid) {
    const rec = await get("outbox", uuid);
    if (rec && rec.user === user.id) await del("outbox", uuid);
  }
  async function counts(userId) {
    const list = await all("outbox");
    const mine = list.filter((r) => r.user === userId);
    return { waiting: mine.length, others: list.length - mine.length,
      rejected: mine.filter((r) => r.state !== "waiting").length };
  }

  // --- Talking to the server.
  async function call(url, options) {
    let response;
    try {
      response = await fetch(url, Object.assign({ credentials: "same-origin", cache: "no-store",
        headers: { Accept: "application/json" } }, options));
    } catch (e) {
      throw new Offline(String(e));
    }
    if (response.status === 401) throw new NeedLogin();
    if (response.redirected && new URL(response.url).pathname.startsWith("/login")) throw new NeedLogin();
    return response;
  }
  async function getJSON(url) {
    const response = await call(url);
    if (!response.ok) throw new ServerError(url + " " + response.status);
    return response.json();
  }
  async function csrf() {
    return (await getJSON("/api/v1/csrf")).csrf_token;
  }

  /* A logout made offline (meta LOGOUT_PENDING) ends the server session once there is a network:
     at the app's next open, or at any page the service worker serves. True if it was pending. */
  async function endPendingLogout() {
    if (!(await get("meta", LOGOUT_PENDING))) return false;
    try {
      await call("/logout", { method: "POST", body: new URLSearchParams({ csrf_token: await csrf() }) });
    } catch (error) {
      if (!(error instanceof NeedLogin)) throw error; // no session left, or the logout's own redirect
    }
    await del("meta", LOGOUT_PENDING);
    return true;
  }

  function batches(list) {
    const out = [];
    let current = [];
    let size = 0;
    for (const e of list) {
      const n = JSON.stringify(e).length;
      if (current.length && (current.length >= BATCH || size + n > BATCH_BYTES)) {
        out.push(current);
        current = [];
        size = 0;
      }
      current.push(e);
      size += n;
    }
    if (current.length) out.push(current);
    return out;
  }

  /* One POST of a batch; `waiting` is how many entries wait on the phone, this batch included
     (the chair's members page shows it). The answer's clock is compared with the phone's. */
  async function post(batch, token, waiting) {
    const body = JSON.stringify({ entries: batch, waiting });
    let response = await call("/api/v1/sync", { method: "POST", body,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, Accept: "application/json" } });
    if (response.status === 400 || response.status === 403) {
      // The token may have gone stale with the session: one fresh try.
      token = await csrf();
      response = await call("/api/v1/sync", { method: "POST", body,
        headers: { "Content-Type": "application/json", "X-CSRFToken": token, Accept: "application/json" } });
    }
    if (!response.ok) throw new ServerError("sync " + response.status);
    const answer = await response.json();
    const at = Date.parse(answer.server_time || "");
    if (at) await put("meta", at - Date.now(), CLOCK);
    return answer.results || [];
  }

  /* What the server accepted, into the phone's working set at once: the member keeps seeing a
     new case and its visits even if the fresh working set cannot be fetched right after. */
  function merge(w, entry, result) {
    const d = entry.data || {};
    const c = (w.cases || []).find((x) => x.uuid === (entry.type === "case" ? entry.uuid : d.case_uuid));
    if (entry.type === "case" && !c) {
      w.cases = [Object.assign({ recent_visits: [], referrals: [], next_appointment: null }, d,
        { id: result.id, uuid: entry.uuid, code: null, review_status: "submitted", revision: entry.revision })]
        .concat(w.cases || []);
    } else if (entry.type === "visit" && c && !c.recent_visits.some((v) => v.uuid === entry.uuid)) {
      // As the server lists them (the latest five), so that the next delta's copy matches.
      c.recent_visits = [{ uuid: entry.uuid, date: d.date, kind: d.kind, topics: d.topics || [], review_status: "submitted" }]
        .concat(c.recent_visits).sort(byText("date", true)).slice(0, RECENT_VISITS);
    } else if (entry.type === "referral" && c && !c.referrals.some((r) => r.uuid === entry.uuid)) {
      c.referrals.unshift({ uuid: entry.uuid, service_kind: d.service_kind, status: "referred", referred_on: d.referred_on });
    }
    w.returned = (w.returned || []).filter((r) => r.uuid !== entry.uuid);
  }

  /* Delete the outbox record `uuid` only if it is still the one read (same IV): a check and a
     delete in one transaction, so that an edit saved in between is never deleted with it. */
  async function delIfUnchanged(uuid, box) {
    const t = (await db()).transaction("outbox", "readwrite");
    const store = t.objectStore("outbox");
    let deleted = false;
    store.get(uuid).onsuccess = (event) => {
      const current = event.target.result;
      const iv = current && current.box && current.box.iv;
      if (iv && iv.length === box.iv.length && iv.every((byte, i) => byte === box.iv[i])) {
        store.delete(uuid);
        deleted = true;
      }
    };
    await committed(t);
    return deleted;
  }

  /* The person asked to be erased: the phone keeps nothing of them — the case's copy, its
     appointments, and every entry of it, waiting or not. */
  async function erase(user, w, caseUuid) {
    for (const e of await entries(user)) {
      if (e.uuid === caseUuid || (e.data || {}).case_uuid === caseUuid) await discard(user, e.uuid);
    }
    if (!w) return;
    w.cases = (w.cases || []).filter((c) => c.uuid !== caseUuid);
    w.appointments = (w.appointments || []).filter((a) => a.case_uuid !== caseUuid);
    w.returned = (w.returned || []).filter((r) => r.uuid !== caseUuid && (r.data || {}).case_uuid !== caseUuid);
  }

  async function apply(user, sent, results, tally) {
    const byUuid = new Map(sent.map((e) => [e.uuid, e]));
    const w = await working(user);
    let accepted = 0;
    let changed = false;
    for (const r of results) {
      const entry = byUuid.get(r.uuid);
      if (entry && r.status === "gone") {
        await erase(user, w, r.case_uuid || (entry.type === "case" ? entry.uuid : entry.data.case_uuid));
        tally.gone += 1;
        changed = true;
        continue;
      }
      if (entry && r.status === "retry") { // not decided, the book was busy: it waits, to go again
        tally.retryAfter = Math.max(tally.retryAfter, Number(r.retry_after) || 30);
        continue;
      }
      const rec = entry && await get("outbox", r.uuid);
      if (!rec || rec.user !== user.id) continue;
      const now = await unseal(user.key, rec.box, user.id + ":" + rec.uuid);
      const sameAs = (x) => x.revision === entry.revision && JSON.stringify(x.data) === JSON.stringify(entry.data);
      const same = sameAs(now);
      if (SENT.has(r.status)) {
        if (w) merge(w, entry, r);
        if (r.notice) tally.notices.push(r.notice); // taken, with a word for its author
        accepted += 1;
        // The copy the server took leaves the phone, and so does the same copy saved again while
        // it was on its way (Save tapped twice): that is not an edit, and makes no revision.
        let current = rec;
        let latest = Object.assign(now, { uuid: r.uuid });
        let gone = false;
        while (latest && sameAs(latest)) {
          if (await delIfUnchanged(r.uuid, current.box)) {
            gone = true;
            break;
          }
          current = await get("outbox", r.uuid);
          latest = await opened(user, current);
        }
        // Edited on the phone while this copy was on its way: the server took the copy, so the
        // edit goes next time as the revision after it (not as other data for the same one).
        if (!gone && latest && latest.revision === entry.revision) {
          await save(user, Object.assign(latest, nextRevision(entry.revision)), "waiting");
        }
      } else if (same && (r.status === "invalid" || r.status === "conflict")) {
        // Refused for its case alone, a case the server does not hold: it waits for that case.
        const caseUuid = (now.data || {}).case_uuid;
        const awaiting = r.status === "invalid" && Object.keys(r.errors || {}).join() === "case_uuid"
          && !(w && (w.cases || []).some((c) => c.uuid === caseUuid && c.id != null));
        await save(user, Object.assign({}, now, { uuid: r.uuid, errors: r.errors || {},
          awaiting_case: awaiting, server: r.server || null }), r.status);
      }
    }
    if (w && (accepted || changed)) await keep(user, w);
    return accepted;
  }

  /* Entries refused only because their case was not on the server yet (registered on this phone
     and not sent, or refused first): once the server knows the case, they wait to go again. */
  async function revive(user, cases) {
    const known = new Set((cases || []).map((c) => c.uuid));
    let revived = 0;
    for (const e of await entries(user)) {
      if (e.state === "invalid" && e.awaiting_case && known.has((e.data || {}).case_uuid)) {
        await save(user, Object.assign({}, e, { errors: null, awaiting_case: false }), "waiting");
        revived += 1;
      }
    }
    return revived;
  }

  /* Send the user's waiting entries, in batches; what the server accepted goes into the
     working set at once. Returns { sent, accepted }, counting on from `before` for the progress. */
  async function sendWaiting(user, token, report, before, tally, always) {
    const waiting = (await entries(user)).filter((e) => e.state === "waiting");
    const outgoing = waiting.map((e) => {
      const x = { uuid: e.uuid, type: e.type, revision: e.revision, data: e.data,
        client_created_at: e.client_created_at };
      if (e.base_revision) x.base_revision = e.base_revision;
      return x;
    });
    const total = before + outgoing.length;
    let sent = before;
    let accepted = 0;
    report(sent, total);
    // Every sync posts once (`always`), even with nothing to send: the server learns what waits.
    for (const batch of outgoing.length ? batches(outgoing) : always ? [[]] : []) {
      const waitingNow = (await records(user.id)).length;
      accepted += await apply(user, batch, await post(batch, token, waitingNow), tally);
      sent += batch.length;
      report(sent, total);
    }
    return { sent: sent - before, accepted };
  }

  /* One sync: learn who the session belongs to, send that user's waiting entries, then fetch
     the working set once — only what changed since the last sync. Never sends one user's
     entries under another's session. */
  async function syncOnce(progress) {
    const report = progress || (() => {});
    // After a logout made offline, nothing is sent or fetched under that session: it ends first.
    if (await endPendingLogout()) throw new NeedLogin();
    const { user, token } = await session();
    const held = await working(user);
    if (held) await revive(user, held.cases);
    const tally = { gone: 0, notices: [], retryAfter: 0 };
    const first = await sendWaiting(user, token, report, 0, tally, true);
    const { working: fresh, serverTime, left } = await refreshWorking(user);
    // A second round sends what the fresh working set revived (visits of a case just sent).
    const second = (await revive(user, fresh.cases))
      ? await sendWaiting(user, token, report, first.sent, tally, false) : { sent: 0, accepted: 0 };
    // The schema once, and again only when the working set names another version of it.
    if (!(await get("meta", "schema")) || (await get("meta", "schema_version")) !== fresh.schema_version) {
      await fetchSchema();
      await put("meta", fresh.schema_version, "schema_version");
    }
    const draftGone = await dropDraftsOfCasesGone(user, fresh);
    await put("meta", new Date().toISOString(), "last_sync:" + user.id);
    return { user, sent: first.sent + second.sent, accepted: first.accepted + second.accepted,
      gone: tally.gone, notices: tally.notices, retryAfter: tally.retryAfter, draftGone, left, handInOnly: !!(fresh.user && fresh.user.hand_in_only),
      serverTime };
  }

  async function fetchSchema() {
    const schema = await getJSON("/api/v1/schema");
    await put("meta", schema, "schema");
    return schema;
  }

  /* The server says nobody is logged in on this phone (the session expired, or ended elsewhere:
     a logout, the account or its club deactivated, a new password set with a setup code): the
     key and the working set go at once, as when the login form is shown — the phone holds them
     only while their user is logged in. Waiting entries and drafts stay, sealed, until that
     user logs in again. */
  async function forgetIfLoggedOut(error) {
    if (error instanceof NeedLogin) await forgetAll(false, { keepUser: true }).catch(() => {});
    throw error;
  }

  function sync(progress) {
    const once = () => syncOnce(progress).catch(forgetIfLoggedOut);
    // One sync at a time across the page and the service worker.
    if (self.navigator && navigator.locks) return navigator.locks.request("sotd-sync", once);
    return once();
  }

  self.sotd = { db, get, put, del, all, snapshot, firstSnapshot, currentUser, session, refreshWorking, merged, forget, forgetAll, nextRevision, endPendingLogout, working, entries, records, save,
    discard, counts, onForgotten, drafts, keepDraft, dropDraft, dropDrafts, sync, fetchSchema, csrf, call, getJSON, importKey, seal, unseal,
    Offline, NeedLogin, ServerError };
})();
