// What the parts of the gate page share: the names of a visit's states, of the flags the
// register raises and of the refusals the gate's API answers (server/gate/), the page's
// addresses, times on the site's clock, and the site's gate settings. Every code is said in
// words: a code the page has no words for yet is said as "something to look at", never
// shown raw.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { has, language, t } from "../../i18n.js";

// A visit's states (server/gate/visits.py State), each with a mark readable without colour.
export const STATES = {
  pending: { name: "gate.state_pending", mark: "?" },
  approved: { name: "gate.state_approved", mark: "✓" },
  refused: { name: "gate.state_refused", mark: "✗" },
  inside: { name: "gate.state_inside", mark: "●" },
  left: { name: "gate.state_left", mark: "○" },
};

// Each flag a visit can carry: a short name for a chip, and what it means. A flag never
// refused a record: the gate let the facts in, and a manager decides what they mean.
export const FLAGS = {
  "visit.checked_in_twice": ["gate.flag.visit.checked_in_twice", "gate.flag_help.visit.checked_in_twice"],
  "visit.checked_out_twice": ["gate.flag.visit.checked_out_twice", "gate.flag_help.visit.checked_out_twice"],
  "visit.not_checked_in": ["gate.flag.visit.not_checked_in", "gate.flag_help.visit.not_checked_in"],
  "visit.checked_out_before_check_in": ["gate.flag.visit.checked_out_before_check_in", "gate.flag_help.visit.checked_out_before_check_in"],
  "visit.decided_by_other": ["gate.flag.visit.decided_by_other", "gate.flag_help.visit.decided_by_other"],
  "visit.approved_after_refusal": ["gate.flag.visit.approved_after_refusal", "gate.flag_help.visit.approved_after_refusal"],
  "visit.refused_after_approval": ["gate.flag.visit.refused_after_approval", "gate.flag_help.visit.refused_after_approval"],
  "visit.not_checked_out": ["gate.flag.visit.not_checked_out", "gate.flag_help.visit.not_checked_out"],
  "visit.overstay": ["gate.flag.visit.overstay", "gate.flag_help.visit.overstay"],
  "visit.never_approved": ["gate.flag.visit.never_approved", "gate.flag_help.visit.never_approved"],
  "visit.required_field_missing": ["gate.flag.visit.required_field_missing", "gate.flag_help.visit.required_field_missing"],
  "visit.vehicle_not_allowed": ["gate.flag.visit.vehicle_not_allowed", "gate.flag_help.visit.vehicle_not_allowed"],
  "visit.watchlist_match": ["gate.flag.visit.watchlist_match", "gate.flag_help.visit.watchlist_match"],
  "visit.checked_out_unsigned": ["gate.flag.visit.checked_out_unsigned", "gate.flag_help.visit.checked_out_unsigned"],
  "visit.purged": ["gate.flag.visit.purged", "gate.flag_help.visit.purged"],
  "pass.purged": ["gate.flag.pass.purged", "gate.flag_help.pass.purged"],
  "pass.used_twice": ["gate.flag.pass.used_twice", "gate.flag_help.pass.used_twice"],
  "pass.exited_unconfirmed": ["gate.flag.pass.exited_unconfirmed", "gate.flag_help.pass.exited_unconfirmed"],
  "pass.exited_outside_window": ["gate.flag.pass.exited_outside_window", "gate.flag_help.pass.exited_outside_window"],
  "pass.exited_after_cancel": ["gate.flag.pass.exited_after_cancel", "gate.flag_help.pass.exited_after_cancel"],
  "pass.other_collector": ["gate.flag.pass.other_collector", "gate.flag_help.pass.other_collector"],
  "pass.unknown": ["gate.flag.pass.unknown", "gate.flag_help.pass.unknown"],
  "pass.cancelled": ["gate.flag.pass.cancelled", "gate.flag_help.pass.cancelled"],
  "pass.not_confirmed": ["gate.flag.pass.not_confirmed", "gate.flag_help.pass.not_confirmed"],
  "pass.outside_window": ["gate.flag.pass.outside_window", "gate.flag_help.pass.outside_window"],
  "pass.already_exited": ["gate.flag.pass.already_exited", "gate.flag_help.pass.already_exited"],
};
// Signs that someone may have been let in who should not have been.
export const SERIOUS = new Set([
  "visit.watchlist_match", "visit.not_checked_out", "visit.never_approved", "visit.approved_after_refusal",
  "pass.exited_unconfirmed", "pass.exited_after_cancel", "pass.other_collector",
]);

// The refusals the gate's API answers, in words; the shared refusal.* words cover the
// house's own (not_found, forbidden, request.invalid).
export const ERRORS = {
  "visit.id_format": "gate.error.visit.id_format",
  "visit.id_old_form": "gate.error.visit.id_old_form",
  "visit.id_region": "gate.error.visit.id_region",
  "visit.id_birth_date": "gate.error.visit.id_birth_date",
  "visit.id_check_digit": "gate.error.visit.id_check_digit",
  "visit.no_document_reason": "gate.error.visit.no_document_reason",
  "visit.phone_format": "gate.error.visit.phone_format",
  "visit.phone_landline": "gate.error.visit.phone_landline",
  "visit.plate_format": "gate.error.visit.plate_format",
  "visit.host_not_member": "gate.error.visit.host_not_member",
  "visit.not_host": "gate.error.visit.not_host",
  "visit.not_a_manager": "gate.error.visit.not_a_manager",
  "visit.site_mismatch": "gate.error.visit.site_mismatch",
  "visit.recorded_in_future": "gate.error.visit.recorded_in_future",
  "visit.conflict": "gate.error.visit.conflict",
  "visit.id_not_uuid7": "gate.error.visit.id_not_uuid7",
  "gate_settings.version_conflict": "gate.error.gate_settings.version_conflict",
  "pickup_card.version_conflict": "gate.error.pickup_card.version_conflict",
  "pass.id_not_uuid7": "gate.error.pass.id_not_uuid7",
  "card.id_not_uuid7": "gate.error.card.id_not_uuid7",
  "card.conflict": "gate.error.card.conflict",
  "card.recorded_in_future": "gate.error.card.recorded_in_future",
  "watch.conflict": "gate.error.watch.conflict",
  "watch.no_document": "gate.error.watch.no_document",
  "pass.conflict": "gate.error.pass.conflict",
  "pass.site_mismatch": "gate.error.pass.site_mismatch",
  "pass.recorded_in_future": "gate.error.pass.recorded_in_future",
  "pass.window_invalid": "gate.error.pass.window_invalid",
  "pass.phone_format": "gate.error.pass.phone_format",
  "pass.not_creator": "gate.error.pass.not_creator",
  "pass.closed": "gate.error.pass.closed",
  "pickup_card.id_taken": "gate.error.pickup_card.id_taken",
  "pickup_card.window_invalid": "gate.error.pickup_card.window_invalid",
  "pickup_card.key_twice": "gate.error.pickup_card.key_twice",
  "pickup_card.phone_format": "gate.error.pickup_card.phone_format",
};

// The kinds of identity document (server/gate/documents.py DocumentKind).
export const ID_TYPES = {
  resident_id: "gate.id_type.resident_id",
  passport: "gate.id_type.passport",
  hk_macao_travel_permit: "gate.id_type.hk_macao_travel_permit",
  taiwan_travel_permit: "gate.id_type.taiwan_travel_permit",
  residence_permit: "gate.id_type.residence_permit",
  permanent_residence_id: "gate.id_type.permanent_residence_id",
  other: "gate.id_type.other",
  none: "gate.id_type.none",
};

export const WATCH = {
  none: null,
  match: "gate.watch_match",
  admitted: "gate.watch_admitted",
  denied: "gate.watch_denied",
};

export const canChange = (site) => site.role === "admin" || site.role === "manager";

// What a refusal says: the gate's words for its code (about the field when there are
// some), else the console's.
export function errorText(error, describeError) {
  const key = ERRORS[error?.code];
  if (key) {
    const about = `${key}.${error.field}`;
    return t(has(about) ? about : key);
  }
  return describeError(error);
}

// The refusal said in the slot of the field it names within `within` (a form), else in
// the form's own slot.
export function showProblem(within, error, describeError) {
  for (const old of within.querySelectorAll(".field-problem")) old.textContent = "";
  let slot = null;
  let field = error?.field ?? "";
  while (field && !slot) {
    slot = within.querySelector(`[data-problem="${CSS.escape(field)}"]`);
    const cut = Math.max(field.lastIndexOf("."), field.lastIndexOf("["));
    field = cut > 0 ? field.slice(0, cut) : "";
  }
  slot = slot ?? within.querySelector('[data-problem=""]');
  if (slot) slot.textContent = errorText(error, describeError);
}

export function problemSlot(field = "") {
  return h("p", { class: "field-problem warn", "data-problem": field, role: "alert" });
}

export function loadError(error, describeError) {
  return h("p", { class: "card warn", role: "alert", "data-testid": "load-error" }, errorText(error, describeError));
}

// The page's address for a site with `params` (null and empty values left out).
export function address(siteId, params = {}) {
  const query = new URLSearchParams({ site: siteId });
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, String(value));
  }
  return `/console/gate?${query}`;
}

// The date it is now at the site (YYYY-MM-DD) and the time of day there (HH:MM).
export function siteToday(site, at = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: site.timezone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(at);
}

export function siteClock(site, at = new Date()) {
  return new Intl.DateTimeFormat("en-GB", { timeZone: site.timezone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .format(at);
}

export const isDay = (text) => /^\d{4}-\d{2}-\d{2}$/.test(text ?? "");

export function shiftDay(day, by) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + by)).toISOString().slice(0, 10);
}

export function dayText(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(language(), { dateStyle: "medium", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, d)));
}

// An instant as the site's clock shows it: the time of day, or the date and time.
export function clockText(site, iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(language(), { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: site.timezone })
    .format(new Date(iso));
}

export function timeText(site, iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(language(), { dateStyle: "medium", timeStyle: "short", hourCycle: "h23", timeZone: site.timezone })
    .format(new Date(iso));
}

// A `datetime-local` input's value (the site's clock) as an aware instant, and back. The
// site's offset is found from the clock it shows at that time.
export function localInputValue(site, iso) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
    timeZone: site.timezone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

export function fromLocalInput(site, value) {
  if (!value) return null;
  const guess = new Date(`${value}:00Z`);
  // The site's clock at the guessed instant, read as if it were UTC, tells the offset.
  const shown = new Date(`${localInputValue(site, guess.toISOString())}:00Z`);
  const offset = shown.getTime() - guess.getTime();
  return new Date(guess.getTime() - offset).toISOString();
}

export function stateName(state) {
  return STATES[state] ? t(STATES[state].name) : t("gate.state_other");
}

export function stateChip(state, testid = "visit-state") {
  return h("span", { class: `gate-chip gate-state-${state}`, "data-testid": testid, "data-state": state },
    h("span", { class: "gate-chip-mark", "aria-hidden": "true" }, STATES[state]?.mark ?? "·"), stateName(state));
}

export function flagName(code) {
  return FLAGS[code] ? t(FLAGS[code][0]) : t("gate.flag_other");
}

export function flagHelp(code) {
  return FLAGS[code] ? t(FLAGS[code][1]) : t("gate.flag_other_help");
}

export function flagChip(code, { long = false } = {}) {
  const serious = SERIOUS.has(code);
  return h("span", { class: `gate-chip gate-flag${serious ? " gate-flag-serious" : ""}`, "data-testid": "flag", "data-flag": code, title: flagHelp(code) },
    long ? t("gate.flag_long", { name: flagName(code), help: flagHelp(code) }) : flagName(code));
}

export function idTypeName(kind) {
  return ID_TYPES[kind] ? t(ID_TYPES[kind]) : t("gate.id_type.other");
}

// The document as the register keeps it: its kind and the masked number, never more.
export function idText(visit) {
  if (!visit.id_type) return "";
  if (visit.id_type === "none") return idTypeName("none");
  return `${idTypeName(visit.id_type)} ${visit.id_masked ?? ""}`.trim();
}

export function personName(person) {
  return person?.name || t("gate.someone");
}

// Label and value pairs, as a visit's facts are listed (empty values left out).
export function facts(pairs) {
  return h("dl", { class: "gate-facts" }, pairs.filter(([, value]) => value !== null && value !== undefined && value !== "")
    .map(([name, value, testid]) => h("div", {}, h("dt", {}, name), h("dd", { "data-testid": testid }, value))));
}

// The site's gate settings (GET /api/sites/{id}/gate/settings), or the contract's defaults
// with `unsaved` set when the site has none to read (the settings API not there yet).
export const DEFAULT_SETTINGS = {
  version: 0,
  required_fields: ["phone", "purpose"],
  id_mask: "6+4",
  retention_days: 180,
  sign_before_checkout: false,
  closing_time: "18:00",
  vehicles_allowed: false,
  overstay_minutes: 240,
};

export async function gateSettings(site) {
  try {
    return await api.get(`/api/sites/${site.id}/gate/settings`);
  } catch (error) {
    if (error instanceof api.ApiError && (error.status === 404 || error.status === 405)) {
      return { ...DEFAULT_SETTINGS, site_id: site.id, unsaved: true };
    }
    throw error;
  }
}

// "now" as an aware instant for a fact recorded here.
export const nowIso = () => new Date().toISOString();
