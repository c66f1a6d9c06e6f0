// The field app's screens, rendered from the working set and the outbox (online and offline alike).
import { entryForm, memberLabel, schemaFor, validate } from "./forms.js";
import { ask, badge, card, date, h, icon, t, today, uuid } from "./ui.js";

const core = self.sotd;

/** Cases from the server (as edited on the phone, if an edit waits) and those registered on the
 * phone, not yet sent. */
export function allCases(state) {
  const server = state.working ? state.working.cases || [] : [];
  const edits = new Map(state.entries.filter((e) => e.type === "case").map((e) => [e.uuid, e.data]));
  const known = new Set(server.map((c) => c.uuid));
  const fresh = state.entries
    .filter((e) => e.type === "case" && !known.has(e.uuid))
    .map((e) => Object.assign({}, e.data, { uuid: e.uuid, code: null, pending: true }));
  return [...fresh, ...server.map((c) => (edits.has(c.uuid) ? Object.assign({}, c, edits.get(c.uuid), { edited: true }) : c))];
}

const caseOf = (state, id) => allCases(state).find((c) => c.uuid === id);
const caseName = (c) => (c ? (c.code ? `${c.full_name} · ${c.code}` : c.full_name) : "—");
const typeLabel = (type) => t("type_" + type);

function entryLabel(state, e) {
  const data = e.data || {};
  if (e.type === "case") return data.full_name || "—";
  if (e.type === "screening") return [data.area, data.screened_on ? date(data.screened_on) : ""].filter(Boolean).join(" · ");
  const c = caseOf(state, data.case_uuid);
  const when = data.date || data.referred_on;
  return [c ? c.full_name : data.title, when ? date(when) : ""].filter(Boolean).join(" · ");
}

const link = (href, text, cls) => h("a", { href, class: cls || "button button--secondary" }, text);

function listItem(main, sub, action) {
  return h("li", { class: "list__item" },
    h("div", { class: "list__main" }, h("span", {}, main), sub ? h("span", { class: "muted small" }, sub) : null),
    action ? h("div", { class: "list__actions" }, action) : null);
}

// --- Today -----------------------------------------------------------------------------------

export function todayView(state) {
  const w = state.working;
  const now = today();
  const soon = today(7);
  const closing = new Set(state.entries.filter((e) => e.type === "visit" && e.data.appointment_id)
    .map((e) => Number(e.data.appointment_id)));
  const open = (w.appointments || []).filter((a) => (a.status || "open") === "open" && !closing.has(a.id));
  const overdue = open.filter((a) => a.due_date < now);
  const due = open.filter((a) => a.due_date >= now && a.due_date <= soon);
  const pendingUuids = new Set(state.entries.map((e) => e.uuid));
  const returned = (w.returned || []).filter((r) => !pendingUuids.has(r.uuid));

  const appointment = (a, late) => listItem(
    caseName(caseOf(state, a.case_uuid) || { full_name: a.case_code }),
    [late ? badge(t("overdue_since", { date: date(a.due_date) }), "danger") : badge(t("due_on", { date: date(a.due_date) }), "warn"),
      a.note ? " " + a.note : ""],
    link(`#/new/visit?case=${a.case_uuid}&appointment=${a.id}`, t("record_visit"), "button"));

  return [
    card(h("h1", {}, t("hello", { name: w.user.full_name })),
      h("p", { class: "muted small" }, state.lastSync ? t("last_sync", { when: date(state.lastSync) }) : t("never_synced"))),
    waitingCard(state),
    openRounds(state).length ? card(h("h2", {}, t("survey")), h("p", { class: "muted small" }, openRounds(state).map((r) => r.name).join(", ")),
      h("div", { class: "actions" }, link("#/survey", t("survey"), "button"))) : null,
    overdue.length ? card(h("h2", {}, t("overdue"), " ", badge(String(overdue.length), "danger")),
      h("ul", { class: "list" }, overdue.map((a) => appointment(a, true)))) : null,
    card(h("h2", {}, t("due")), due.length ? h("ul", { class: "list" }, due.map((a) => appointment(a, false)))
      : h("p", { class: "muted" }, overdue.length ? t("none") : t("no_due"))),
    returned.length ? card(h("h2", {}, t("returned"), " ", badge(String(returned.length), "warn")),
      h("ul", { class: "list" }, returned.map((r) => listItem(
        `${typeLabel(r.type)}: ${entryLabel(state, r)}`,
        t("returned_reason", { reason: r.reason || "—" }),
        link(`#/fix/${r.uuid}`, t("fix"), "button"))))) : null,
  ];
}

function waitingCard(state) {
  const n = state.counts.waiting;
  return card(h("h2", {}, t("waiting")),
    h("p", { class: n ? "" : "muted", "data-testid": "waiting-count", "data-waiting": n }, n ? t("waiting_count", { n }) : t("nothing_waiting")),
    state.counts.others ? h("p", { class: "muted small" }, t("locked_entries", { n: state.counts.others })) : null,
    n ? h("div", { class: "actions" }, syncButton(state), link("#/outbox", t("outbox"))) : null);
}

export function syncButton(state) {
  return h("button", { type: "button", class: "button", "data-action": "sync", disabled: state.syncing || !state.online },
    icon("sync"), state.syncing ? t("syncing", state.progress) : t("sync_now"));
}

// --- Cases -----------------------------------------------------------------------------------

/* The text searched for stays in the page's memory, never in the address: the phone's history
   is seen by whoever borrows it, and a name there would tell whom the club follows. */
export function casesView(state) {
  const q = (state.search || "").trim().toLowerCase();
  const fold = (s) => (s || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d");
  const list = allCases(state).filter((c) => !q || fold(c.full_name).includes(fold(q)) || (c.code || "").toLowerCase().includes(q));
  const input = h("input", { type: "search", class: "field__input", name: "q", value: state.search || "",
    placeholder: t("search"), "aria-label": t("search"), autocomplete: "off" });
  input.addEventListener("input", () => {
    state.search = input.value;
    state.rerenderList();
  });
  return [
    card(h("h1", {}, t("cases")), h("div", { class: "search" }, icon("search"), input)),
    card(h("ul", { class: "list", id: "case-list" }, list.length ? list.map((c) => h("li", { class: "list__item" },
      h("a", { class: "list__main", href: "#/case/" + c.uuid }, h("strong", {}, c.full_name),
        h("span", { class: "muted small" }, c.code || t("not_sent"), c.birth_year ? " · " + t("born", { year: c.birth_year }) : "",
          c.next_appointment ? " · " + t("due_on", { date: date(c.next_appointment.due_date) }) : "")),
      c.pending ? badge(t("not_sent"), "warn") : null))
      : h("li", { class: "list__item muted" }, t("no_cases")))),
    link("#/new/case", [icon("plus"), t("new_case")], "button button--block"),
  ];
}

export function caseView(state, id) {
  const c = caseOf(state, id);
  if (!c) return [card(h("p", {}, t("case_not_found")), link("#/cases", t("back")))];
  const pendingFor = (type) => state.entries.filter((e) => e.type === type && e.data.case_uuid === id);
  const known = new Set([...(c.recent_visits || []), ...(c.referrals || [])].map((v) => v.uuid));
  const visits = [...pendingFor("visit").filter((e) => !known.has(e.uuid)).map((e) => Object.assign({ pending: true }, e.data)),
    ...(c.recent_visits || [])].sort((a, b) => (b.date || "").localeCompare(a.date || ""));
  const referrals = [...pendingFor("referral").filter((e) => !known.has(e.uuid)).map((e) => Object.assign({ pending: true }, e.data)),
    ...(c.referrals || [])];
  const facts = ["address", "neighbourhood", "phone", "categories", "risk_level"].filter((n) => filled(c[n]))
    .map((n) => [h("dt", {}, fieldLabel(state, "case", n)),
      h("dd", {}, n === "phone" ? h("a", { href: "tel:" + c.phone }, c.phone) : shown(state, "case", n, c[n]))]);
  return [
    card(h("h1", {}, c.full_name), h("p", { class: "muted" }, c.code || t("not_sent"),
      c.birth_year ? " · " + t("born", { year: c.birth_year }) : ""),
    c.pending ? badge(t("not_sent"), "warn") : null,
    h("dl", { class: "facts" }, facts,
      h("dt", {}, fieldLabel(state, "case", "consent")), h("dd", { "data-testid": "consent" }, shown(state, "case", "consent", c.consent),
        // The copy is the member's own amendment (working_set._own_amendments): not counted yet.
        c.edited ? [" ", badge(t("not_sent"), "warn")]
          : c.amendment_status ? [" ", badge(vocabLabel(state, "review_status", c.amendment_status), "warn")] : null),
      h("dt", {}, t("next_appointment")), h("dd", {}, c.next_appointment ? date(c.next_appointment.due_date) : t("none")))),
    h("div", { class: "actions actions--stack" },
      link(`#/new/visit?case=${id}` + (c.next_appointment ? `&appointment=${c.next_appointment.id}` : ""), [icon("plus"), t("record_visit")], "button button--block"),
      link(`#/new/referral?case=${id}`, t("record_referral"), "button button--secondary button--block"),
      link(`#/consent/${id}`, t("record_consent"), "button button--secondary button--block")),
    card(h("h2", {}, t("recent_visits")), visits.length ? h("ul", { class: "list" }, visits.map((v) => listItem(
      `${date(v.date)} · ${shown(state, "visit", "kind", v.kind)}`, shown(state, "visit", "topics", v.topics || [], ""),
      v.pending ? badge(t("not_sent"), "warn") : v.review_status ? badge(vocabLabel(state, "review_status", v.review_status)) : null)))
      : h("p", { class: "muted" }, t("no_visits"))),
    card(h("h2", {}, t("referrals")), referrals.length ? h("ul", { class: "list" }, referrals.map((r) => listItem(
      shown(state, "referral", "service_kind", r.service_kind), date(r.referred_on),
      r.pending ? badge(t("not_sent"), "warn") : r.status ? badge(vocabLabel(state, "referral_status", r.status)) : null)))
      : h("p", { class: "muted" }, t("no_referrals"))),
  ];
}

// --- Words from the server (/api/v1/schema, the working set's vocabularies), never a copy.

const filled = (v) => v != null && v !== "" && !(Array.isArray(v) && !v.length);
const propOf = (state, type, name) => ((schemaFor(state.schema, type) || {}).properties || {})[name] || {};

/** A field's label, as the desk shows it (null for what is not a field of the entry). */
export const fieldLabel = (state, type, name) => propOf(state, type, name).title || null;

/** The label of `code` in the vocabulary named `vocabulary`. */
export function vocabLabel(state, vocabulary, code) {
  const found = (((state.working || {}).vocabularies || {})[vocabulary] || []).find((i) => i.code === code);
  return found ? found.label : code;
}

/** A field's value as the member reads it: codes by the vocabulary their field names, dates
 * dd/mm/yyyy, members and cases by name, consent per purpose. */
export function shown(state, type, name, value, empty = "—") {
  const p = propOf(state, type, name);
  if (!filled(value)) return empty;
  const one = (v) => {
    if (p["x-vocabulary"]) return vocabLabel(state, p["x-vocabulary"], v);
    if (p["x-choices-from"] === "members") return memberLabel(state.working.members, v);
    if (p["x-refers-to"] === "case") return caseName(caseOf(state, v));
    if (p.format === "date") return date(v);
    if (typeof v === "boolean") return v ? t("yes") : t("no");
    return String(v);
  };
  if (Array.isArray(value)) return value.map(one).join(", ");
  if (typeof value === "object") {
    return Object.entries(p.properties || {}).map(([k, sub]) => `${sub.title || k}: ${consentWord(value[k])}`).join("; ");
  }
  return one(value);
}

const consentWord = (v) => (v === true ? t("yes") : v === false ? t("no") : t("not_asked"));

// --- Recording -------------------------------------------------------------------------------

export function recordView(state) {
  const tile = (href, iconName, text) => h("a", { class: "tile", href }, icon(iconName), h("span", {}, text));
  return [
    card(h("h1", {}, t("record"))),
    h("nav", { class: "tiles" },
      tile("#/new/visit", "calendar", t("record_visit")),
      tile("#/new/case", "plus", t("new_case")),
      tile("#/new/referral", "review", t("record_referral")),
      tile("#/new/attendance", "users", t("record_attendance")),
      tile("#/new/activity", "calendar", t("new_activity")),
      openRounds(state).length ? tile("#/survey", "check", t("survey")) : null),
  ];
}

/** A new entry (`type`), or an edit of a waiting, rejected or returned one (`fixUuid`); `only`:
 * the fields shown (consent from the case screen: an edit of the case, its next revision). */
export function formView(state, type, params, fixUuid, only) {
  let entry = null;
  if (fixUuid) {
    const waiting = state.entries.find((e) => e.uuid === fixUuid);
    const returned = (state.working.returned || []).find((r) => r.uuid === fixUuid);
    if (waiting) {
      entry = Object.assign({ uuid: waiting.uuid, type: waiting.type, data: waiting.data, errors: waiting.errors },
        waiting.state === "conflict" ? core.nextRevision(waiting.revision)
          : { revision: waiting.revision, base_revision: waiting.base_revision });
    } else if (returned) {
      entry = Object.assign({ uuid: returned.uuid, type: returned.type, data: returned.data, reason: returned.reason, code: returned.case_code },
        core.nextRevision(returned.revision));
    } else if (only && caseOf(state, fixUuid)) {
      const c = caseOf(state, fixUuid);
      const fields = Object.keys((schemaFor(state.schema, "case") || {}).properties || {});
      entry = Object.assign({ uuid: c.uuid, type: "case", data: Object.fromEntries(fields.filter((k) => k in c).map((k) => [k, c[k]])) },
        core.nextRevision(c.revision));
    } else {
      return [card(h("p", {}, t("case_not_found")), link("#/outbox", t("back")))];
    }
    type = entry.type;
  }
  if (!state.schema || !schemaFor(state.schema, type)) return [card(h("p", {}, t("not_ready")))];
  const fixed = only ? Object.fromEntries(Object.entries(entry.data).filter(([k]) => !only.includes(k))) : {};
  const caseId = params.get("case");
  if (!entry && caseId) fixed.case_uuid = caseId;
  // An entry's case passed on since: still its maker's to fix (the server takes it), named by code.
  const gone = entry && entry.data.case_uuid && !caseOf(state, entry.data.case_uuid);
  if (gone) fixed.case_uuid = entry.data.case_uuid;
  // An edit keeps its round, closed since or not; a new screening goes in an open one.
  const all = state.working.rounds || [];
  const round = entry ? all.find((r) => r.uuid === entry.data.round_uuid) : openRounds(state).find((r) => r.uuid === params.get("round")) || openRounds(state)[0];
  const rounds = round ? [round] : [];
  if (type === "screening" && round) fixed.round_uuid = round.uuid;
  const from = type === "case" && !entry ? screeningOf(state, params.get("screening")) : null;
  if (from) fixed.screening_uuid = from.uuid;
  if (!entry && params.get("appointment")) fixed.appointment_id = Number(params.get("appointment"));
  // The form as it was left half filled in (the tab closed behind a call): as it was.
  const here = location.hash;
  const draft = state.drafts.find((d) => d.hash === here) || null;
  const values = draft ? Object.assign({}, draft.data) : entry ? Object.assign({}, entry.data) : defaults(state, type);
  // Registered from a screening: its answers carried over; consent is asked on the form.
  if (from) Object.assign(values, { categories: [from.category], risk_level: from.risk_level, neighbourhood: from.area });
  // Activities proposed on this phone are offered at once: attendance at one waits with it.
  const held = state.working.activities || [];
  const proposed = state.entries.filter((e) => e.type === "activity" && !held.some((a) => a.uuid === e.uuid))
    .map((e) => Object.assign({}, e.data, { uuid: e.uuid, note: t("not_sent") }));
  const ctx = { type, cases: allCases(state), members: state.working.members || [], providers: state.working.providers,
    activities: [...proposed, ...held.map((a) => (a.review_status === "submitted" ? Object.assign({ note: t("activity_waits") }, a) : a))],
    vocabularies: state.working.vocabularies || {},
    rounds, areas: round ? [...new Set([...round.my_areas, ...round.areas])] : [] };
  const form = entryForm(state.schema, type, ctx, values, fixed);
  const alert = h("p", { class: "alert alert--error", role: "alert", hidden: true }, t("fix_errors"));
  const fresh = draft ? draft.uuid : uuid(); // one record per form: Save tapped again writes the same one
  let keeping = null;
  let left = false; // saved, cancelled or left: nothing more of this form is kept
  const keepNow = () => {
    clearTimeout(keeping);
    keeping = null;
    const data = form.read();
    return state.actions.keepDraft(here, fresh, data, type === "case" ? entry && entry.uuid : data.case_uuid).catch(() => {});
  };
  const keepDraft = () => {
    if (left) return;
    clearTimeout(keeping);
    keeping = setTimeout(keepNow, 300);
  };
  const done = () => {
    left = true;
    clearTimeout(keeping);
    keeping = null;
  };
  // The page hidden (a call, another app), or the form left: the last moment's typing kept at once.
  state.flushDraft = (leaving) => {
    const kept = keeping !== null && keepNow();
    if (leaving) done();
    return kept;
  };
  state.formAbout = () => (type === "case" ? entry && entry.uuid : form.read().case_uuid);
  form.element.addEventListener("input", keepDraft);
  form.element.addEventListener("change", keepDraft);
  const c = only ? caseOf(state, entry.uuid) : fixed.case_uuid ? caseOf(state, fixed.case_uuid) : null;
  const titles = { case: t("new_case"), visit: t("record_visit"), referral: t("record_referral"), attendance: t("record_attendance"),
    activity: t("new_activity"), screening: t("record_screening") };

  async function submit() {
    const data = form.read();
    const errors = validate(state.schema, type, data);
    form.show(errors); // none: the marks of those put right go, should the form stay (kept)
    if (Object.keys(errors).length) {
      alert.textContent = t("fix_errors");
      alert.hidden = false;
      return;
    }
    const saved = entry ? Object.assign({}, entry, { data }) : { uuid: fresh, type, revision: 1, data };
    delete saved.errors;
    delete saved.reason;
    delete saved.server;
    const target = caseOf(state, data.case_uuid);
    // A proposal made from the attendance form goes back to it (`then`), where it is offered.
    let next = type === "case" ? "#/case/" + saved.uuid : data.case_uuid && !gone ? "#/case/" + data.case_uuid
      : type === "screening" ? "#/survey" : params.get("then") ? "#/new/" + params.get("then") : "#/today";
    if (type === "referral" && target && !(target.consent || {}).refer) {
      // Refused by the server until the person agrees: say so now, and offer to record it.
      const choice = await ask(t("referral_no_consent"), [["consent", t("record_consent")],
        ["save", t("save_anyway")], ["cancel", t("cancel")]]);
      if (choice === "cancel") return;
      if (choice === "consent") next = "#/consent/" + target.uuid;
    }
    done();
    if (!(await kept(state, saved, alert))) {
      left = false; // not saved: the form is still being filled in
      return;
    }
    await state.actions.dropDraft(here).catch(() => {});
    location.hash = next;
    return true;
  }

  const view = h("form", { class: "card", novalidate: true, onsubmit: oneAtATime(submit) },
    h("h1", {}, only ? t("record_consent") : titles[type]),
    c ? h("p", { class: "muted" }, caseName(c)) : gone && entry.code ? h("p", { class: "muted" }, entry.code) : null,
    type === "activity" && !entry ? h("p", { class: "muted small" }, t("activity_intro")) : null,
    type === "screening" && round ? h("p", { class: "muted" }, round.name) : null,
    from ? h("p", { class: "muted", "data-testid": "from-screening" }, t("from_screening", { area: from.area })) : null,
    entry && entry.reason ? h("p", { class: "alert alert--warning" }, t("returned_reason", { reason: entry.reason })) : null,
    draft ? h("p", { class: "alert", role: "status", "data-testid": "draft-restored" }, t("draft_restored", { time: date(new Date(draft.at).toISOString()) })) : null,
    alert, form.element,
    formActions(() => {
      done();
      state.actions.dropDraft(here).catch(() => {});
    }));
  if (entry && entry.errors && Object.keys(entry.errors).length) {
    queueMicrotask(() => { alert.hidden = false; form.show(entry.errors); });
  }
  return [view];
}

/* Save `entry` on the phone. If the phone could not keep it (its storage full, or failing), say so
   in `alert` and stay on the form with what was filled in: nothing is said saved that is not. */
/* A form's Save, once at a time: a second tap while the first is at work (a double tap, or
   tapped again on a slow phone) does nothing, and none comes after a save that left the form.
   `submit` answers true when the form is done with. */
function oneAtATime(submit) {
  let busy = false;
  return async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    let finished = false;
    try {
      finished = (await submit()) === true;
    } finally {
      busy = finished;
    }
  };
}

async function kept(state, entry, alert) {
  try {
    await state.actions.save(entry);
    return true;
  } catch (error) {
    alert.textContent = t(error && error.name === "QuotaExceededError" ? "not_saved_full" : "not_saved");
    alert.hidden = false;
    alert.scrollIntoView({ block: "center" });
    return false;
  }
}

const formActions = (cancelled) => h("div", { class: "form-actions action-bar" },
  h("button", { type: "submit", class: "button button--block" }, icon("check"), t("save")),
  h("button", { type: "button", class: "button button--secondary button--block", onclick: () => {
    if (cancelled) cancelled();
    history.back();
  } }, t("cancel")));

function defaults(state, type) {
  if (type === "visit") return { date: today(), members_present: [state.working.user.id] };
  if (type === "referral") return { referred_on: today() };
  if (type === "attendance") return { brought_by: state.working.user.id };
  if (type === "case") return { assigned_to: state.working.user.id };
  if (type === "screening") return { screened_on: today() };
  return {};
}

// --- The ward survey -------------------------------------------------------------------------

/** The member's screenings: those waiting on the phone and those the server sent back. */
function screeningsOf(state, round) {
  const waiting = state.entries.filter((e) => e.type === "screening" && e.data.round_uuid === round.uuid)
    .map((e) => Object.assign({}, e.data, { uuid: e.uuid, pending: true }));
  const known = new Set(waiting.map((x) => x.uuid));
  return [...waiting, ...(round.screenings || []).filter((x) => !known.has(x.uuid))];
}

function screeningOf(state, id) {
  if (!id) return null;
  for (const r of state.working.rounds || []) {
    const found = screeningsOf(state, r).find((x) => x.uuid === id);
    if (found) return found;
  }
  return null;
}

/* A screening is registered once a case names it, on the server or waiting on the phone. */
const registered = (state, x) => x.registered || allCases(state).some((c) => c.screening_uuid === x.uuid);

const openRounds = (state) => (state.working.rounds || []).filter((r) => !r.closed);

export function surveyView(state) {
  const rounds = openRounds(state);
  if (!rounds.length) return [card(h("h1", {}, t("survey")), h("p", { class: "muted" }, t("no_round")))];
  return rounds.map((r) => {
    const list = screeningsOf(state, r);
    return card(h("h1", {}, r.name), h("p", { class: "muted small" }, `${date(r.starts_on)} – ${date(r.ends_on)}`),
      h("p", {}, t("my_areas"), " ", h("strong", {}, r.my_areas.length ? r.my_areas.join(", ") : t("none"))),
      h("div", { class: "actions" }, link(`#/new/screening?round=${r.uuid}`, [icon("plus"), t("record_screening")], "button button--block")),
      h("h2", {}, t("my_screenings"), " ", badge(String(list.length))),
      list.length ? h("ul", { class: "list", "data-testid": "screenings" }, list.map((x) => listItem(
        `${x.area} · ${shown(state, "screening", "category", x.category)}`,
        [date(x.screened_on), " · ", shown(state, "screening", "risk_level", x.risk_level), " ",
          x.pending ? badge(t("not_sent"), "warn") : badge(vocabLabel(state, "review_status", x.review_status))],
        registered(state, x) ? badge(t("registered"), "ok")
          : link(`#/new/case?screening=${x.uuid}`, t("register_case"), "button button--secondary"))))
        : h("p", { class: "muted" }, t("no_screenings")));
  });
}

// --- Outbox ----------------------------------------------------------------------------------

export function outboxView(state) {
  const list = state.entries;
  return [
    card(h("h1", {}, t("outbox")),
      h("p", { "data-testid": "waiting-count", "data-waiting": list.length }, list.length ? t("waiting_count", { n: list.length }) : t("empty_outbox")),
      state.syncing ? h("progress", { max: state.progress.total || 1, value: state.progress.done }) : null,
      state.message ? h("p", { class: "muted small", role: "status" }, state.message) : null,
      state.counts.others ? h("p", { class: "muted small" }, t("locked_entries", { n: state.counts.others })) : null,
      syncButton(state)),
    list.length ? card(h("ul", { class: "list outbox" }, list.map((e) => outboxItem(state, e)))) : null,
  ];
}

function outboxItem(state, e) {
  // A kept copy the board has since ended (bootstrap's conflict_outcomes): its outcome, then gone.
  const ended = (state.working.conflict_outcomes || []).find((o) => o.uuid === e.uuid && o.revision === e.revision);
  const kinds = { waiting: "", invalid: "danger", conflict: "danger" };
  const errors = Object.entries(e.errors || {}).map(([field, msg]) =>
    h("li", {}, [fieldLabel(state, e.type, field), [].concat(msg).join(" ")].filter(Boolean).join(": ")));
  return h("li", { class: "list__item outbox__item", "data-uuid": e.uuid, "data-state": e.state },
    h("div", { class: "list__main" },
      h("strong", {}, typeLabel(e.type), " · ", entryLabel(state, e)),
      h("span", { class: "muted small" }, t("saved_at", { when: date(new Date(e.saved_at).toISOString()) }),
        e.revision > 1 ? " · " + t("revision", { n: e.revision }) : ""),
      badge(t("state_" + e.state), kinds[e.state]),
      errors.length ? h("ul", { class: "outbox__errors" }, errors) : null,
      ended ? h("p", { class: "small", "data-testid": "outcome" }, t("conflict_" + ended.outcome, { n: ended.resolved_revision, reason: ended.reason || "—" }))
        : e.state === "conflict" ? h("p", { class: "small" }, t(e.server ? "conflict_compare" : "conflict_help")) : null),
    ended ? h("div", { class: "list__actions" }, h("button", { type: "button", class: "button", onclick: () => state.actions.discard(e.uuid) }, t("understood")))
      : h("div", { class: "list__actions" },
      e.state === "conflict" && e.server ? link("#/compare/" + e.uuid, t("compare"), "button")
        : link("#/fix/" + e.uuid, t("fix"), "button button--secondary"),
      h("button", { type: "button", class: "button button--danger", onclick: async () => {
        // A case the server never took: what waits for it goes with it, once the member agrees.
        const server = (state.working.cases || []).some((c) => c.uuid === e.uuid);
        const others = e.type === "case" && !server ? state.entries.filter((x) => x.uuid !== e.uuid && (x.data || {}).case_uuid === e.uuid) : [];
        if (confirm(others.length ? t("discard_with", { n: others.length }) : t("discard_confirm"))) {
          await state.actions.discard(e.uuid, ...others.map((x) => x.uuid));
        }
      } }, t("discard"))));
}

// --- Two versions of one record ---------------------------------------------------------------

const same = (a, b) => JSON.stringify(filled(a) ? a : null) === JSON.stringify(filled(b) ? b : null);

/** A conflict the server answered with its version: the fields that differ side by side, each
 * kept from the phone or taken from the server; the result is the revision after the server's. */
export function compareView(state, id) {
  const e = state.entries.find((x) => x.uuid === id && x.state === "conflict" && x.server);
  if (!e || !state.schema) return [card(h("p", {}, t("case_not_found")), link("#/outbox", t("back")))];
  const s = schemaFor(state.schema, e.type);
  const theirs = e.server.data || {};
  const names = (s["x-order"] || Object.keys(s.properties)).filter((n) => !same(e.data[n], theirs[n]));
  const side = (n, value, text, mine) => h("label", { class: "choice" },
    h("input", { type: "radio", name: "pick-" + n, value: mine ? "mine" : "theirs", checked: mine }),
    h("span", {}, h("span", { class: "muted small" }, text), " ", shown(state, e.type, n, value)));

  async function submit() {
    const data = Object.assign({}, e.data);
    for (const n of names) {
      if (view.querySelector(`[name="pick-${n}"]:checked`).value === "theirs") {
        if (n in theirs) data[n] = theirs[n]; else delete data[n];
      }
    }
    const mix = Object.assign({ uuid: e.uuid, type: e.type, data }, core.nextRevision(e.server.revision));
    if (!(await kept(state, mix, alert))) return false;
    location.hash = "#/outbox";
    return true;
  }

  const alert = h("p", { class: "alert alert--error", role: "alert", hidden: true });
  const view = h("form", { class: "card", novalidate: true, onsubmit: oneAtATime(submit) },
    h("h1", {}, t("compare")), h("p", {}, typeLabel(e.type), " · ", entryLabel(state, e)),
    h("p", { class: "muted small" }, t("compare_intro")), alert,
    names.map((n) => h("fieldset", { class: "fieldset field", "data-field": n }, h("legend", { class: "field__label" }, fieldLabel(state, e.type, n) || n),
      side(n, e.data[n], t("mine"), true), side(n, theirs[n], t("theirs", { n: e.server.revision }), false))),
    formActions());
  return [view];
}

// --- More ------------------------------------------------------------------------------------

export function moreView(state) {
  const w = state.working;
  return [
    card(h("h1", {}, w.user.full_name), h("p", { class: "muted" }, w.user.club ? w.user.club.name : "")),
    h("div", { class: "actions actions--stack" },
      state.installPrompt ? h("button", { type: "button", class: "button button--block", onclick: state.actions.install },
        t("install")) : null,
      w.user.role === "chair" ? link("/", t("desk"), "button button--secondary button--block") : null,
      link("/account", t("account"), "button button--secondary button--block"),
      h("button", { type: "button", class: "button button--danger button--block", onclick: state.actions.logout },
        icon("logout"), t("logout"))),
  ];
}
