// What the parts of the patrol page share: the names of a round's states and of the flags
// a scan can carry (server/patrols/judging.py), the page's addresses, times on the site's
// clock, a state's chip and the problems the patrol API answers, said in the person's
// language.

import { h } from "../../dom.js";
import { has, language, t } from "../../i18n.js";

// Each state with its name and the mark the month's grid prints for it (readable without
// colour, on paper too).
export const STATES = {
  completed: { name: "patrol.state_completed", mark: "patrol.mark_completed" },
  incomplete: { name: "patrol.state_incomplete", mark: "patrol.mark_incomplete" },
  missed: { name: "patrol.state_missed", mark: "patrol.mark_missed" },
  in_progress: { name: "patrol.state_in_progress", mark: "patrol.mark_in_progress" },
  upcoming: { name: "patrol.state_upcoming", mark: "patrol.mark_upcoming" },
  cancelled: { name: "patrol.state_cancelled", mark: "patrol.mark_cancelled" },
};

// Each flag a scan can carry: a short name for a chip, and what it means for the round's
// page. A flag never refused a scan: a person decides what it means.
export const FLAGS = {
  "scan.out_of_sequence": ["patrol.flag.scan.out_of_sequence", "patrol.flag_help.scan.out_of_sequence"],
  "scan.too_fast": ["patrol.flag.scan.too_fast", "patrol.flag_help.scan.too_fast"],
  "scan.implausible_speed": ["patrol.flag.scan.implausible_speed", "patrol.flag_help.scan.implausible_speed"],
  "scan.outside_window": ["patrol.flag.scan.outside_window", "patrol.flag_help.scan.outside_window"],
  "scan.off_duty": ["patrol.flag.scan.off_duty", "patrol.flag_help.scan.off_duty"],
  "scan.duplicate": ["patrol.flag.scan.duplicate", "patrol.flag_help.scan.duplicate"],
  "scan.unknown_tag": ["patrol.flag.scan.unknown_tag", "patrol.flag_help.scan.unknown_tag"],
  "scan.retired_tag": ["patrol.flag.scan.retired_tag", "patrol.flag_help.scan.retired_tag"],
  "scan.other_route": ["patrol.flag.scan.other_route", "patrol.flag_help.scan.other_route"],
  "scan.gps_far": ["patrol.flag.scan.gps_far", "patrol.flag_help.scan.gps_far"],
  "scan.gps_absent": ["patrol.flag.scan.gps_absent", "patrol.flag_help.scan.gps_absent"],
  "scan.clock_skew": ["patrol.flag.scan.clock_skew", "patrol.flag_help.scan.clock_skew"],
  "scan.other_device": ["patrol.flag.scan.other_device", "patrol.flag_help.scan.other_device"],
  "scan.nfc_mismatch": ["patrol.flag.scan.nfc_mismatch", "patrol.flag_help.scan.nfc_mismatch"],
};
// Signs of a round walked by someone else or not walked at all (judging.py SERIOUS).
export const SERIOUS = new Set([
  "scan.too_fast", "scan.implausible_speed", "scan.off_duty", "scan.retired_tag", "scan.nfc_mismatch", "scan.other_device",
]);

export const METHODS = { qr: "patrol.method_qr", typed: "patrol.method_typed", nfc: "patrol.method_nfc" };
export const MODES = { sequence: "patrol.mode_sequence", any_order: "patrol.mode_any_order" };
export const DAYS = {
  every_day: "patrol.days_every_day",
  school_days: "patrol.days_school_days",
  in_terms: "patrol.days_in_terms",
};
// The roles a schedule's rounds may be owed by (role.* are the console's shared names).
export const PATROL_ROLES = ["guard", "gatekeeper", "inspector", "maintainer", "manager", "admin"];

export const canChange = (site) => site.role === "admin" || site.role === "manager";

// A text in the person's language when it has both.
export function pick(zh, en) {
  return language() === "en" && en ? en : zh;
}

// The page's address for a site with `params` (null and empty values left out).
export function address(siteId, params = {}) {
  const query = new URLSearchParams({ site: siteId });
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, String(value));
  }
  return `/console/patrol?${query}`;
}

// A round's own page; the date lets it show a window nobody walked (it has no round yet).
export function roundAddress(siteId, round) {
  return address(siteId, { round: round.id ?? round.round_id, date: round.local_date ?? round.date ?? null });
}

// The date it is now at the site, as YYYY-MM-DD.
export function siteToday(site) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: site.timezone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
}

// YYYY-MM-DD moved by `by` days.
export function shiftDay(day, by) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + by)).toISOString().slice(0, 10);
}

export function shiftMonth(month, by) {
  const [y, m] = month.split("-").map(Number);
  const at = new Date(Date.UTC(y, m - 1 + by, 1));
  return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, "0")}`;
}

export const isDay = (text) => /^\d{4}-\d{2}-\d{2}$/.test(text ?? "");
export const isMonth = (text) => /^\d{4}-(0[1-9]|1[0-2])$/.test(text ?? "");

// A local date (YYYY-MM-DD) for a person: a day at the site, not an instant.
export function dayText(day, options = { dateStyle: "medium" }) {
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(language(), { ...options, timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, d)));
}

export function weekdayText(day) {
  return dayText(day, { weekday: "short" });
}

export function monthText(month) {
  const [y, m] = month.split("-").map(Number);
  return new Intl.DateTimeFormat(language(), { year: "numeric", month: "long", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, 1)));
}

// An instant as the site's clock shows it: the time of day (with seconds for scans), or
// the date and time.
export function clockText(site, iso, seconds = false) {
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: site.timezone };
  if (seconds) options.second = "2-digit";
  return new Intl.DateTimeFormat(language(), options).format(new Date(iso));
}

export function timeText(site, iso) {
  return new Intl.DateTimeFormat(language(), { dateStyle: "medium", timeStyle: "short", hourCycle: "h23", timeZone: site.timezone })
    .format(new Date(iso));
}

// The local date an instant falls on at the site.
function localDay(site, iso) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: site.timezone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date(iso));
}

// A round's window as its clock times ("22:00–00:00"), "next day" where it starts after
// the date it belongs to (the 02:00 round of a night).
export function windowText(site, round) {
  if (!round.window_start || !round.window_end) return "";
  const text = `${clockText(site, round.window_start)}–${clockText(site, round.window_end)}`;
  return round.local_date && localDay(site, round.window_start) !== round.local_date ? t("patrol.next_day", { time: text }) : text;
}

export function scheduleName(round) {
  return round.voluntary ? t("patrol.voluntary") : pick(round.schedule_name, round.schedule_name_en);
}

export function routeName(round) {
  return pick(round.route_name, round.route_name_en);
}

export function flagName(code) {
  return FLAGS[code] ? t(FLAGS[code][0]) : code;
}

export function flagHelp(code) {
  return FLAGS[code] ? t(FLAGS[code][1]) : code;
}

export function stateName(state) {
  return STATES[state] ? t(STATES[state].name) : state;
}

export function stateMark(state) {
  return STATES[state] ? t(STATES[state].mark) : "?";
}

// A state as a chip: its mark and its name, so colour is never the only sign.
export function stateChip(state, testid = "round-state") {
  return h("span", { class: `chip state-${state}`, "data-testid": testid, "data-state": state },
    h("span", { class: "chip-mark", "aria-hidden": "true" }, stateMark(state)), stateName(state));
}

// The flags a supervisor hears about at once first, each group in the order of the list
// above.
export function ordered(flags) {
  const order = Object.keys(FLAGS);
  const rank = (f) => (SERIOUS.has(f) ? 0 : 100) + (order.includes(f) ? order.indexOf(f) : 99);
  return [...flags].sort((a, b) => rank(a) - rank(b));
}

export function flagChip(code, { long = false } = {}) {
  const serious = SERIOUS.has(code);
  return h("span", { class: `chip flag${serious ? " flag-serious" : ""}`, "data-testid": "flag", "data-flag": code, title: flagHelp(code) },
    long ? flagHelp(code) : flagName(code));
}

export function badge(text, kind, testid) {
  return h("span", { class: `badge ${kind}`, "data-testid": testid }, text);
}

// What a round's supervisor must still do or has done, as badges.
export function roundBadges(round) {
  // Upcoming is the state until the grace passes: a window open now that no one started is
  // said so, as the server judged it (its clock, not this computer's).
  const open = round.state === "upcoming" && round.window_open === true;
  return [
    open ? badge(t("patrol.open_not_started"), "badge-ask", "open-not-started") : null,
    round.late ? badge(t("patrol.late"), "badge-warn", "late") : null,
    round.needs_countersign ? badge(t("patrol.needs_countersign"), "badge-ask", "needs-countersign") : null,
    round.countersigned ? badge(t("patrol.countersigned"), "badge-done", "countersigned") : null,
    round.closed && !round.countersigned ? badge(t("patrol.closed"), "badge-done", "closed") : null,
  ];
}

// Whether a supervisor should look at the round: missed, not all checkpoints, late or
// flagged, and no one has commented on it yet; or waiting for a countersignature.
export function wantsAttention(round) {
  if (round.state === "cancelled") return false;
  if (round.needs_countersign && ["completed", "incomplete"].includes(round.state)) return true;
  if (round.closed) return false;
  return round.state === "missed" || round.state === "incomplete" || round.late || round.flags.length > 0;
}

export function coverageText(round) {
  return t("patrol.coverage", { covered: round.covered, expected: round.expected });
}

// Label and value, as a round's facts are listed.
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, value]) => value !== null && value !== undefined && value !== "")
    .map(([name, value, testid]) => h("div", {}, h("dt", {}, name), h("dd", { "data-testid": testid }, value))));
}

// The console's reading of a refusal: where the field it names is inside a list
// ("checkpoints[2].tag", "times.windows[0].start"), the slot of the nearest part the form
// has; the words for the code about that part when the page has them.
export function showProblemIn(within, error, describeError) {
  for (const old of within.querySelectorAll(".field-problem")) old.textContent = "";
  const slots = [];
  let field = error.field ?? "";
  while (field) {
    slots.push(field);
    const cut = Math.max(field.lastIndexOf("."), field.lastIndexOf("["));
    field = cut > 0 ? field.slice(0, cut) : "";
  }
  slots.push("");
  const slot = slots.map((f) => within.querySelector(`[data-problem="${CSS.escape(f)}"]`)).find(Boolean);
  // A problem inside one part of a list ("checkpoints[2].tag") is said as about that part
  // ({base}_item) where the page has words for it, else as about the list.
  const base = error.field?.split(/[.[]/)[0];
  const keys = base && base !== error.field ? [`refusal.${error.code}.${base}_item`, `refusal.${error.code}.${base}`] : [];
  const key = keys.find(has);
  const text = key ? t(key, { detail: error.message }) : describeError(error);
  if (slot) slot.textContent = text;
}

export function loadError(error, describeError) {
  return h("p", { class: "card warn", role: "alert", "data-testid": "load-error" }, describeError(error));
}

// A person's name from a reference the API gives ({id, name}), or "someone".
export function personName(person) {
  return person?.name || t("patrol.someone");
}
