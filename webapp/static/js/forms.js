// Entry forms drawn from the server's JSON Schema (/api/v1/schema, cached on the phone): the same
// fields, labels and messages as the desk, checked on the phone for quick feedback — the server
// has the last word. Extension keywords (x-order, x-widget, x-labels, x-messages, …) are
// documented in webapp/fields.py.
import { h, t, today } from "./ui.js";

/** The schema of one entry type's data. */
export function schemaFor(schema, type) {
  return (schema && schema.$defs && schema.$defs[type]) || null;
}

const baseType = (prop) => (Array.isArray(prop.type) ? prop.type.find((x) => x !== "null") : prop.type) || "string";
const codes = (prop) => (prop.enum || (prop.items && prop.items.enum) || []).filter((c) => c !== null);
const messages = (prop) => prop["x-messages"] || {};

function widgetOf(name, prop) {
  if (prop["x-refers-to"]) return "refers";
  return prop["x-widget"] || { array: "checkboxes", object: "consent", boolean: "checkbox",
    integer: "number" }[baseType(prop)] || (prop.format === "date" ? "date" : "text");
}

/** A member of the club as the member reads them, by id: their name, said to have left the club
 * when they have (the working set's `left`), or "a member who has left" when the phone does not
 * know them any more (an entry recorded before they left, waiting on the phone). */
export function memberLabel(members, id) {
  const m = (members || []).find((x) => String(x.id) === String(id));
  if (!m) return t("member_left");
  return m.left ? `${m.full_name} (${t("left_club")})` : m.full_name;
}

/** The members a field offers: the club's active members, and those who have left that the entry
 * already names (`value`), kept as it was recorded — never dropped from a fix, never offered on
 * a new entry (the server's rule: User.active_at). */
function memberChoices(members, value) {
  const named = [].concat(value ?? []).map(String);
  const offered = members.filter((m) => !m.left || named.includes(String(m.id)));
  const unknown = named.filter((id) => !members.some((m) => String(m.id) === id));
  return [...offered.map((m) => [m.id, memberLabel(members, m.id)]),
    ...unknown.map((id) => [Number(id), memberLabel(members, id)])];
}

/** The choices of a field: [value, label] pairs from the schema's labels or the working set;
 * `value`: what the entry holds now. */
function choices(name, prop, ctx, value) {
  const refers = prop["x-refers-to"];
  if (refers === "case") return ctx.cases.map((c) => [c.uuid, c.code ? `${c.full_name} · ${c.code}` : c.full_name]);
  if (refers === "activity") return ctx.activities.map((a) => [a.uuid, [a.title, a.date.split("-").reverse().join("/"), a.note].filter(Boolean).join(" · ")]);
  if (refers === "round") return (ctx.rounds || []).map((r) => [r.uuid, r.name]);
  if (prop["x-choices-from"] === "members") return memberChoices(ctx.members, value);
  if (prop["x-choices-from"] === "round_areas") return (ctx.areas || []).map((a) => [a, a]);
  const labels = prop["x-labels"] || {};
  return codes(prop).map((c) => [c, labels[c] || c]);
}

function control(name, prop, ctx, value, id) {
  const widget = widgetOf(name, prop);
  const input = { id, name, class: "field__input" };
  if (widget === "checkboxes" || widget === "members") {
    const chosen = new Set((value || []).map(String));
    return h("ul", { class: "field__input choices", id }, choices(name, prop, ctx, value).map(([code, text]) =>
      h("li", {}, h("label", { class: "choice" }, h("input", { type: "checkbox", name, value: code,
        checked: chosen.has(String(code)) }), h("span", {}, text)))));
  }
  if (widget === "consent") {
    // Each purpose asked explicitly: yes, no (the person may refuse support), or not asked yet.
    const sub = prop.properties || {};
    return h("div", { class: "field__input", id }, Object.keys(sub).map((key) =>
      h("fieldset", { class: "fieldset", "data-purpose": key }, h("legend", {}, sub[key].title || key),
        h("div", { class: "chips", role: "radiogroup" }, [["true", t("yes")], ["false", t("no")], ["", t("not_asked")]].map(([v, text]) =>
          h("label", { class: "chip" }, h("input", { type: "radio", name: name + "." + key, value: v,
            checked: !!value && key in value && String(value[key] ?? "") === v }), h("span", {}, text)))))));
  }
  if (widget === "checkbox") {
    return h("label", { class: "choice" }, h("input", { type: "checkbox", id, name, checked: !!value }), h("span", {}, t("yes")));
  }
  if (prop["x-refers-to"] === "provider") return providerPicker(name, ctx.providers || [], value, id);
  if (widget === "select" || widget === "member" || widget === "refers") {
    const options = choices(name, prop, ctx, value);
    // Nothing to refer to: say why, rather than offer an empty list, and offer to add one.
    const refers = prop["x-refers-to"];
    if (widget === "refers" && !options.length) {
      return h("div", { class: "alert alert--warning", id }, h("p", {}, t("no_" + refers)),
        refers === "round" ? null : h("a", { class: "button", href: `#/new/${refers}?then=${ctx.type}` }, t("new_" + refers)));
    }
    if (widget === "select" && options.length <= 4) {
      // Few options: big buttons for a thumb rather than a drop-down.
      return h("div", { class: "chips", id, role: "radiogroup" }, options.map(([code, text]) =>
        h("label", { class: "chip" }, h("input", { type: "radio", name, value: code,
          checked: value != null && String(value) === String(code) }), h("span", {}, text))));
    }
    return h("select", input, h("option", { value: "" }, t("choose")),
      options.map(([code, text]) => h("option", { value: code, selected: value != null && String(value) === String(code) }, text)));
  }
  if (widget === "date") {
    return h("input", Object.assign({ type: "date", value: value || "", max: prop["x-not-future"] ? today() : null }, input));
  }
  if (widget === "number") {
    return h("input", Object.assign({ type: "text", inputmode: "numeric", pattern: "[0-9]*", value: value ?? "",
      autocomplete: "off" }, input));
  }
  if (widget === "textarea") {
    return h("textarea", Object.assign({ rows: 3 }, input), value || "");
  }
  return h("input", Object.assign({ type: widget === "tel" ? "tel" : "text", value: value ?? "",
    autocomplete: "off" }, input));
}

/** The directory on the phone (working set's `providers`) as one choice each, with its address,
 * hours and a call button; the last choice is to type one in. Filtered by the service (below). */
function providerPicker(name, providers, value, id) {
  const radio = (uuid, extra) => h("input", Object.assign({ type: "radio", name, value: uuid, checked: (value || "") === uuid }, extra));
  return h("ul", { class: "field__input choices providers", id }, providers.map((p) => h("li", { "data-kinds": p.service_kinds.join(" ") },
    h("label", { class: "choice" }, radio(p.uuid, { "data-name": p.name }), h("span", {}, h("strong", {}, p.name),
      [p.address, p.hours].filter(Boolean).map((x) => h("span", { class: "muted small provider__line" }, x)))),
    p.phone ? h("a", { class: "button button--secondary", href: "tel:" + p.phone.replace(/[^\d+]/g, "") }, t("call"), " ", p.phone) : null)),
  h("li", { "data-none": "" }, h("p", { class: "muted small" }, t("no_provider_kind"))),
  h("li", {}, h("label", { class: "choice" }, radio(""), h("span", {}, t("type_provider")))));
}

/** Picking from the directory fills the provider's name (its field shows only for one typed in);
 * choosing the service leaves only the providers offering it. */
function wirePicker(element) {
  const list = element.querySelector(".providers");
  const typed = element.querySelector("[data-field=provider]");
  if (!list || !typed) return;
  const input = typed.querySelector("input");
  let named = "";
  const update = () => {
    const kind = (element.querySelector("[name=service_kind]:checked, select[name=service_kind]") || {}).value;
    const items = [...list.querySelectorAll("[data-kinds]")];
    for (const li of items) {
      li.hidden = !!kind && !li.dataset.kinds.split(" ").includes(kind);
      if (li.hidden) li.querySelector("input").checked = false;
    }
    list.querySelector("[data-none]").hidden = items.some((li) => !li.hidden);
    const picked = list.querySelector("input:checked");
    if (picked && picked.value) input.value = named = picked.dataset.name;
    else if (input.value === named) input.value = named = "";
    typed.hidden = !!(picked && picked.value);
  };
  element.addEventListener("change", update);
  update();
}

/** A form for `type` filled with `values`; `fixed` fields are set by the screen and not shown.
 * Returns {element, read(), show(errors)}. */
export function entryForm(schema, type, ctx, values, fixed) {
  const s = schemaFor(schema, type);
  const required = new Set(s.required || []);
  const order = s["x-order"] || Object.keys(s.properties);
  const rows = {};
  const element = h("div", { class: "entry-form" });
  for (const name of order) {
    const prop = s.properties[name];
    if (!prop || name in fixed || (prop["x-widget"] === "hidden" && !prop["x-refers-to"])) continue;
    if (name === "appointment_id") continue; // set from the appointment being visited
    const id = "f-" + name;
    const widget = widgetOf(name, prop);
    const grouped = ["checkboxes", "members", "consent"].includes(widget) || prop["x-refers-to"] === "provider"
      || (widget === "select" && choices(name, prop, ctx, values[name]).length <= 4);
    const title = [prop.title || name, required.has(name) ? " *" : ""];
    const error = h("p", { class: "field__error", id: id + "-error", hidden: true });
    const input = control(name, prop, ctx, values[name], id);
    // An optional list is folded behind its label, which tells how many are chosen.
    const fold = grouped && !["select", "refers"].includes(widget) && !required.has(name) && !prop["x-risk-rule"];
    const row = h("div", { class: "field", "data-field": name },
      fold ? h("details", { class: "fold" }, h("summary", { class: "field__label" }, title, h("span", { class: "fold__count" })), input)
        : grouped ? h("p", { class: "field__label" }, title) : h("label", { class: "field__label", for: id }, title),
      fold ? null : input, widget === "textarea" && prop.maxLength ? h("p", { class: "field__count", "aria-live": "polite" }) : null, error);
    rows[name] = { row, error, prop };
    element.append(row);
    if (prop["x-risk-rule"]) riskHint(row, input, prop["x-risk-rule"], element);
    const count = row.querySelector(".fold__count, .field__count");
    if (count) {
      const update = () => {
        if (fold) count.textContent = t("chosen", { n: input.querySelectorAll(":checked").length });
        else count.textContent = `${input.value.length}/${prop.maxLength}`;
        count.classList.toggle("field__count--over", !fold && input.value.length > prop.maxLength);
      };
      row.addEventListener(fold ? "change" : "input", update);
      update();
    }
  }

  wirePicker(element);

  function read() {
    const data = Object.assign({}, values, fixed);
    for (const [name, { prop }] of Object.entries(rows)) {
      const widget = widgetOf(name, prop);
      const inputs = [...element.querySelectorAll(`[name="${name}"], [name^="${name}."]`)];
      if (widget === "checkboxes" || widget === "members") {
        const numeric = prop.items && prop.items.type === "integer";
        data[name] = inputs.filter((i) => i.checked).map((i) => (numeric ? Number(i.value) : i.value));
      } else if (widget === "consent") {
        // "Not asked yet" is null where the schema has it; a server without it records "no".
        const sub = prop.properties || {};
        data[name] = Object.fromEntries(inputs.filter((i) => i.checked).map((i) => {
          const key = i.name.split(".")[1];
          const open = [].concat((sub[key] || {}).type).includes("null");
          return [key, i.value ? i.value === "true" : open ? null : false];
        }));
      } else if (widget === "checkbox") {
        data[name] = inputs[0].checked;
      } else {
        const input = inputs.find((i) => i.type !== "radio" || i.checked);
        const text = input ? input.value.trim() : "";
        const type_ = baseType(prop);
        data[name] = text === "" ? null
          : type_ === "integer" && /^-?\d+$/.test(text) ? Number(text) : text;
      }
    }
    for (const name of Object.keys(data)) if (data[name] === null && !required.has(name)) delete data[name];
    return data;
  }

  function show(errors) {
    let first = null;
    for (const [name, { row, error }] of Object.entries(rows)) {
      const list = errors[name] ? [].concat(errors[name]) : [];
      row.classList.toggle("field--error", list.length > 0);
      error.hidden = !list.length;
      error.textContent = list.join(" ");
      // A screen reader reads the error with the field (as the desk's forms, _macros.html).
      for (const el of row.querySelectorAll("input, select, textarea")) {
        for (const [k, v] of [["aria-invalid", "true"], ["aria-describedby", error.id]]) {
          if (list.length) el.setAttribute(k, v); else el.removeAttribute(k);
        }
      }
      if (list.length && row.firstChild.open === false) row.firstChild.open = true;
      if (list.length && !first) first = row;
    }
    if (first && first.scrollIntoView) first.scrollIntoView({ block: "center" });
    return first;
  }
  return { element, read, show };
}

/** The level the server's rule (`x-risk-rule`, screenings.py) suggests for the codes ticked. */
export function suggestedLevel(rule, codes) {
  const points = [...new Set(codes)].reduce((sum, c) => sum + (rule.weights[c] || 0), 0);
  return (rule.levels.find(([least]) => points >= least) || [0, null])[1];
}

/* Under the questions: the rule in words and the level it suggests, live; the risk level is set
   to it until the member chooses one themselves. */
function riskHint(row, input, rule, form) {
  const out = h("strong", { "data-testid": "suggested-level" });
  input.querySelectorAll(".choice span").forEach((span, i) => span.prepend(`${i + 1}. `)); // as the rule names them
  row.append(h("p", { class: "field__hint", "aria-live": "polite" }, rule.suggested, " ", out),
    h("p", { class: "muted small" }, rule.explained));
  let chosen = false;
  form.addEventListener("change", (e) => { if (e.target.name === "risk_level" && e.isTrusted) chosen = true; });
  const update = () => {
    const level = suggestedLevel(rule, [...input.querySelectorAll(":checked")].map((i) => i.value));
    out.textContent = rule.labels[level] || level;
    const radio = form.querySelector(`[name="risk_level"][value="${level}"]`);
    if (radio && !chosen) radio.checked = true;
  };
  input.addEventListener("change", update);
  queueMicrotask(() => { chosen = !!form.querySelector('[name="risk_level"]:checked'); update(); });
}

/** The phone's checks of `data` against the schema: {field: message}, in the server's words. */
export function validate(schema, type, data) {
  const s = schemaFor(schema, type);
  const errors = {};
  for (const name of s.required || []) {
    const v = data[name];
    if (v == null || v === "" || (Array.isArray(v) && !v.length)) {
      errors[name] = messages(s.properties[name] || {}).required || t("err_required");
    }
  }
  for (const [name, prop] of Object.entries(s.properties || {})) {
    const v = data[name];
    if (errors[name] || v == null || v === "") continue;
    const m = messages(prop);
    const fail = (keyword, fallback) => { errors[name] = m[keyword] || m.type || fallback; };
    const type_ = baseType(prop);
    const allowed = codes(prop);
    if (type_ === "string") {
      if (typeof v !== "string") fail("type", t("err_choice"));
      else if (prop.maxLength && v.length > prop.maxLength) fail("maxLength", t("err_max_length", { n: prop.maxLength }));
      else if (prop.minLength && v.length < prop.minLength) fail("minLength", t("err_min_length", { n: prop.minLength }));
      else if (prop.pattern && !new RegExp(prop.pattern).test(v)) fail("pattern", t("err_choice"));
      else if (allowed.length && !allowed.includes(v)) fail("enum", t("err_choice"));
      else if (prop.format === "date" && !/^\d{4}-\d\d-\d\d$/.test(v)) fail("format", t("err_date"));
      else if (prop.format === "date" && prop["x-not-future"] && v > today()) fail("x-not-future", t("err_future"));
      else if (prop.format === "date" && prop["x-not-before"] && data[prop["x-not-before"]] && v < data[prop["x-not-before"]]) {
        fail("x-not-before", t("err_date"));
      }
    } else if (type_ === "integer") {
      if (typeof v !== "number" || !Number.isInteger(v)) fail("type", t("err_number"));
      else if (prop.minimum != null && v < prop.minimum) fail("minimum", t("err_range", { min: prop.minimum, max: prop.maximum ?? "" }));
      else if (prop.maximum != null && v > prop.maximum) fail("maximum", t("err_range", { min: prop.minimum ?? "", max: prop.maximum }));
    } else if (type_ === "array") {
      if (prop.minItems && v.length < prop.minItems) fail("minItems", t("err_min_items"));
      else if (allowed.length && v.some((x) => !allowed.includes(x))) fail("enum", t("err_choice"));
    } else if (type_ === "object" && prop.required) {
      if (prop.required.some((k) => !(k in v))) fail("required", t("err_required"));
    }
  }
  return errors;
}
