// What the parts of the repairs page share: the names of states, steps and results, the
// page's addresses, an answer as a person reads it, and photos shown from the server.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { language, t } from "../../i18n.js";

export const STATES = {
  open: "repairs.state_open",
  in_progress: "repairs.state_in_progress",
  fixed: "repairs.state_fixed",
  verified: "repairs.state_verified",
  cancelled: "repairs.state_cancelled",
};
export const SEVERITIES = { high: "repairs.severity_high", normal: "repairs.severity_normal" };
export const FINDING_STATUSES = {
  open: "repairs.finding_open",
  rechecked: "repairs.finding_rechecked",
  resolved: "repairs.finding_resolved",
  withdrawn: "repairs.finding_withdrawn",
};
export const OUTCOMES = {
  pass: "repairs.outcome_pass",
  fail: "repairs.outcome_fail",
  na: "repairs.outcome_na",
  unanswered: "repairs.outcome_unanswered",
};
// Who may open a photo's original, EXIF location included (server/blobs/controllers.py).
const ORIGINAL_ROLES = ["admin", "manager", "auditor"];

export const canChange = (site) => site.role === "admin" || site.role === "manager";

// Past its due time and not yet put right (a fixed one waits for its sign-off instead).
export const isOverdue = (action) => (action.state === "open" || action.state === "in_progress") && new Date(action.due_at) < new Date();

// A text in the person's language when it has both.
export function pick(zh, en) {
  return language() === "en" && en ? en : zh;
}

export function label(text) {
  return text ? pick(text["zh-CN"], text.en) : "";
}

// The page's address for a site with `params` (null and empty values left out).
export function address(siteId, params = {}) {
  const query = new URLSearchParams({ site: siteId });
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, String(value));
  }
  return `/console/repairs?${query}`;
}

// The address shown kept as it is, with `params` changed: a filter changed is a link that
// can be shared and a reload that shows the same list.
export function replaceAddress(changes) {
  const query = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "" || value === false) query.delete(name);
    else query.set(name, String(value));
  }
  history.replaceState({}, "", `${location.pathname}?${query}`);
}

export function badge(text, kind, testid) {
  return h("span", { class: `badge ${kind}`, "data-testid": testid }, text);
}

export function stateBadge(state) {
  return badge(t(STATES[state]), `state-${state}`, "action-state");
}

// A reading with its limit: the limit an answer was held to, or "" when it had none.
export function limitText({ min = null, max = null, unit = "", not_past: notPast = false }) {
  const withUnit = (text) => (unit ? `${text} ${unit}` : text);
  if (min !== null && max !== null) return withUnit(t("repairs.limit_range", { min, max }));
  if (min !== null) return withUnit(t("repairs.limit_at_least", { min }));
  if (max !== null) return withUnit(t("repairs.limit_at_most", { max }));
  return notPast ? t("repairs.limit_not_past") : "";
}

function answerOf(type, value, unit = "") {
  if (value === null || value === undefined || value === "") return t("repairs.unanswered");
  if (type === "check") return OUTCOMES[value] ? t(OUTCOMES[value]) : String(value);
  if (type === "number") return unit ? `${value} ${unit}` : String(value);
  if (type === "photo") return t("repairs.photo_count", { count: Array.isArray(value) ? value.length : 0 });
  if (type === "signature") return t("repairs.signed");
  return Array.isArray(value) ? value.join(", ") : String(value);
}

// The failing answer an action carries (it keeps the chosen options' labels it was raised with).
export function evidenceAnswer(seen) {
  if (seen.item_type === "choice") return pick(seen.answer_label, seen.answer_label_en) || String(seen.answer);
  return answerOf(seen.item_type, seen.answer, seen.unit);
}

// One answer of an inspection, read with its template's item.
export function itemAnswer(item, value) {
  if (item.type === "choice" && value !== null && value !== undefined) {
    const chosen = Array.isArray(value) ? value : [value];
    const names = item.options.filter((o) => chosen.includes(o.value)).map((o) => label(o.label));
    return names.length ? names.join(t("list.separator")) : chosen.join(", ");
  }
  return answerOf(item.type, value, item.unit ?? "");
}

export function itemLimit(item) {
  if (item.type === "choice" && item.fail_options?.length) {
    const passing = item.options.filter((o) => !item.fail_options.includes(o.value)).map((o) => label(o.label));
    return t("repairs.limit_choice", { options: passing.join(t("list.separator")) });
  }
  if (item.type === "number") return limitText({ min: item.min ?? null, max: item.max ?? null, unit: item.unit ?? "" });
  if (item.type === "date") return limitText({ not_past: item.must_not_be_past ?? false });
  return "";
}

// Which of these photos the server has (one still on a phone is not asked for).
export async function shownPhotos(digests) {
  const unique = [...new Set(digests)].filter(Boolean);
  if (!unique.length) return new Set();
  const query = new URLSearchParams(unique.map((d) => ["sha256", d]));
  return new Set((await api.get(`/api/blobs?${query}`)).shown);
}

// Photos as the server's viewer copies, each with a link to its original for those who may
// open it; one not uploaded yet is said to be on its way.
export function photoList(digests, shown, site, testid = "photos") {
  if (!digests?.length) return null;
  const original = ORIGINAL_ROLES.includes(site.role);
  return h("ul", { class: "photos", "data-testid": testid }, digests.map((digest, i) => {
    if (!shown.has(digest)) {
      return h("li", { class: "photo-missing muted", "data-testid": "photo-missing" }, t("repairs.photo_missing"));
    }
    const alt = t("repairs.photo_alt", { n: i + 1 });
    return h("li", {},
      h("img", { src: `/api/blobs/${digest}`, alt, "data-sha256": digest, loading: "lazy" }),
      original
        ? h("a", { href: `/api/blobs/${digest}?original=true`, target: "_blank", rel: "noopener", "data-testid": "photo-original" },
          t("repairs.photo_original"))
        : null);
  }));
}

// Label and value, as the facts of an action or an inspection are listed.
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, value]) => value !== null && value !== undefined && value !== "")
    .map(([name, value, testid]) => h("div", {}, h("dt", {}, name), h("dd", { "data-testid": testid }, value))));
}

// What a thing an action or an inspection is about is called: its name, place and number.
export async function thingOf(assetId, locationId) {
  if (assetId) {
    const asset = await api.get(`/api/assets/${assetId}`);
    return [pick(asset.name, asset.name_en), asset.location_path.join(" › "),
      asset.asset_number ? t("repairs.asset_number", { number: asset.asset_number }) : ""].filter(Boolean).join(" · ");
  }
  if (locationId) {
    const place = await api.get(`/api/locations/${locationId}`);
    return place.path.join(" › ") || place.name;
  }
  return "";
}

// Templates by key, each read once per page: the checklists' titles and their items.
const templates = new Map();
export function templateOf(key, version = null) {
  const name = version ? `${key}@${version}` : key;
  if (!templates.has(name)) {
    const path = version ? `/api/templates/${encodeURIComponent(key)}/versions/${version}` : `/api/templates/${encodeURIComponent(key)}`;
    templates.set(name, api.get(path).catch(() => null));
  }
  return templates.get(name);
}

export async function itemLabel(key, itemKey) {
  const found = await templateOf(key);
  const item = found?.template.items.find((i) => i.key === itemKey);
  return item ? label(item.label) : itemKey;
}

export function loadError(error, describeError) {
  return h("p", { class: "card warn", role: "alert", "data-testid": "load-error" }, describeError(error));
}
