// Moving between screens and what every screen shares: the route of the current URL, going
// to another, the back button and times for people. main.js registers the
// renderer and the sync; screens call go() and requestSync() without importing main.js.

import { h } from "./dom.js";
import { language, t } from "./i18n.js";

let renderer = async () => {};
let syncer = async () => {};

export function setRenderer(fn) {
  renderer = fn;
}

export function setSyncer(fn) {
  syncer = fn;
}

// Sends what is waiting and pulls, as the sync button does (never throws).
export function requestSync() {
  return syncer();
}

export function render() {
  return renderer();
}

// Routes: /app/ (home), /app/{screen}[/{id}] (the app's other screens), /t/{code} (a tag),
// /t/{code}?checklist={key} (a checklist) and /t/{code}?report=1 (a repair or hazard).
export function route() {
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  if (path.startsWith("/t/")) {
    const checklist = query.get("checklist");
    const report = query.has("report");
    return { name: "target", code: decodeURIComponent(path.slice(3)), checklist, report, query };
  }
  const [screen = "", id = null] = path.replace(/^\/app\/?/, "").split("/").filter(Boolean);
  return { name: screen || "home", id: id && decodeURIComponent(id), query };
}

export function go(path) {
  history.pushState({ inApp: true }, "", path);
  return renderer();
}

export function backButton(fallback = "/app/") {
  const back = () => (history.state?.inApp ? history.back() : go(fallback));
  return h("button", { type: "button", class: "wide plain", "data-testid": "back", onclick: back }, t("target.back"));
}

// Making a date format is slow (on a slow phone, tens of milliseconds), so each one is made
// once and kept.
const formats = new Map();

export function formatTime(iso) {
  const at = new Date(iso);
  const withDay = at.toDateString() !== new Date().toDateString();
  const key = `${language()} ${withDay}`;
  if (!formats.has(key)) {
    const options = { hour: "2-digit", minute: "2-digit" };
    if (withDay) Object.assign(options, { month: "numeric", day: "numeric" });
    formats.set(key, new Intl.DateTimeFormat(language(), options));
  }
  return formats.get(key).format(at);
}
