// Small helpers of the field app's views: translated strings, DOM building, dates dd/mm/yyyy.

const strings = JSON.parse(document.getElementById("ui-strings").textContent);

/** The translated string `key`, with %(name)s placeholders filled from `params`. */
export function t(key, params) {
  const text = strings[key] || key;
  return params ? text.replace(/%\((\w+)\)s/g, (_, name) => String(params[name] ?? "")) : text;
}

/** An element: h("a", {href: "#/x", class: "y", onclick: f}, "text", child, [more]). Text is
 * always set as text, never parsed as HTML, so names from the book cannot inject markup. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name in el && typeof value !== "string") el[name] = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** An icon from the page's sprite (as the desk's `icon` macro draws it). */
export function icon(name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", "#" + name); // the sprite inlined in the page (base.html)
  svg.append(use);
  return svg;
}

// Hạ Long keeps UTC+7 all year (no daylight saving): local dates by arithmetic, not Intl, whose
// time-zone formatters cost a phone tens of milliseconds to build on the first screen.
const HA_LONG_OFFSET = 7 * 3600e3;
const local = (ms) => new Date(ms + HA_LONG_OFFSET).toISOString();

/** dd/mm/yyyy for an ISO date, dd/mm/yyyy hh:mm for a timestamp (shown in Asia/Ho_Chi_Minh). */
export function date(value) {
  if (!value) return "";
  if (value.length <= 10) {
    const [y, m, d] = value.split("-");
    return `${d}/${m}/${y}`;
  }
  const stamp = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : value + "Z");
  if (Number.isNaN(stamp)) return value;
  const iso = local(stamp);
  return `${date(iso.slice(0, 10))} ${iso.slice(11, 16)}`;
}

/** The date in Hạ Long as YYYY-MM-DD, `days` from today. */
export function today(days = 0) {
  return local(Date.now() + days * 864e5).slice(0, 10);
}

export function uuid() {
  return crypto.randomUUID ? crypto.randomUUID()
    : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
}

export function card(...children) {
  return h("section", { class: "card" }, ...children);
}

export function badge(text, kind) {
  return h("span", { class: "badge" + (kind ? " badge--" + kind : "") }, text);
}

/** A modal question; resolves with the value of the choice taken: [[value, text], …]. */
export function ask(question, choices) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "dialog" }, h("p", {}, question),
      choices.map(([value, text], i) => h("button", { type: "button", class: "button button--block" + (i ? " button--secondary" : ""),
        onclick: () => { dialog.close(); dialog.remove(); resolve(value); } }, text)));
    document.body.append(dialog);
    dialog.showModal();
  });
}
