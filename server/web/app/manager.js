// The manager screen (/app/manager): for each site where the person is an admin or a
// manager, today's due work and what is overdue, and the open corrective actions by age,
// each leading to the actions themselves. All from the pulled data, so it works offline,
// and it says as of which sync.

import { CLOSED, MANAGERS } from "./actionrules.js";
import { h, show } from "./dom.js";
import { dueEntries, OPEN, siteRecords } from "./duework.js";
import { nameOf, pick, t } from "./i18n.js";
import { backButton, formatTime, go } from "./nav.js";
import * as store from "./store.js";

const DAY_MS = 86_400_000;

// Age buckets of open actions, by time since raised: [key, up to how many days].
export const AGES = [
  ["day", 1],
  ["days3", 3],
  ["week", 7],
  ["older", Infinity],
];
const OLDEST = 3;

export function redrawOnSync() {
  return true;
}

export function managedSites(user) {
  return (user?.sites ?? []).filter((s) => MANAGERS.has(s.role));
}

// Pure: the site's actions not closed, by age (oldest first within each bucket, at most
// OLDEST of them kept), with how many are past their due time (as GET /api/actions?overdue
// counts them). `now` in ms.
export function actionAges(actions, now) {
  const open = actions
    .filter((a) => !CLOSED.has(a.state))
    .sort((a, b) => Date.parse(a.raised_at) - Date.parse(b.raised_at) || (a.id < b.id ? -1 : 1));
  const buckets = AGES.map(([key]) => ({ key, count: 0, oldest: [] }));
  for (const action of open) {
    const days = (now - Date.parse(action.raised_at)) / DAY_MS;
    const bucket = buckets[AGES.findIndex(([, max]) => days < max)];
    bucket.count += 1;
    if (bucket.oldest.length < OLDEST) bucket.oldest.push(action);
  }
  const overdue = open.filter((a) => Date.parse(a.due_at) < now).length;
  return { open: open.length, overdue, buckets };
}

// Pure: today's due work (`total`, and `left`, those still to do) and the overdue count, as
// GET /api/due?scope=today and ?scope=overdue give them.
export function dueCounts(records, now) {
  const today = dueEntries({ records, now, scope: "today" });
  const overdue = dueEntries({ records, now, scope: "overdue" });
  return {
    total: today.length,
    left: today.filter((e) => e.status === "due" || e.status === "upcoming").length,
    overdue: overdue.filter((e) => OPEN.has(e.status)).length,
  };
}

function count(testid, value, text) {
  return h("div", { class: "manager-count", "data-testid": testid, "data-count": String(value) },
    h("strong", {}, String(value)), h("span", {}, text));
}

function actionLink(action, now, places) {
  const age = now - Date.parse(action.raised_at);
  const time = formatTime(action.raised_at);
  const raised = age < DAY_MS
    ? t("manager.raised_hours", { hours: Math.max(0, Math.floor(age / 3_600_000)), time })
    : t("manager.raised", { days: Math.floor(age / DAY_MS), time });
  const place = places.get(action.asset_id ?? action.location_id);
  return h("li", { "data-testid": "manager-action", "data-id": action.id },
    h("button", { type: "button", class: "link", onclick: () => go(`/app/actions/${action.id}`) },
      pick(action.title, action.title_en)),
    place ? h("div", { class: "muted" }, place) : null,
    h("div", { class: Date.parse(action.due_at) < now ? "warn" : "muted" },
      raised,
      Date.parse(action.due_at) < now ? ` · ${t("manager.past_due")}` : ""));
}

async function siteSection(site, now) {
  const records = await siteRecords(site.site_id);
  if (!records.site) {
    return h("section", { class: "card", "data-testid": "manager-site", "data-site": site.site_id },
      h("h2", {}, site.site_name), h("p", { class: "muted" }, t("manager.not_pulled")));
  }
  const due = dueCounts(records, now);
  const ages = actionAges(await store.recordsOf(site.site_id, "action"), now);
  const places = new Map([...records.assets, ...records.locations].map((r) => [r.id, nameOf(r)]));
  const buckets = ages.buckets.map((b) =>
    h("li", { "data-testid": "manager-age", "data-age": b.key, "data-count": String(b.count) },
      h("div", { class: "manager-age" }, h("span", {}, t(`manager.age_${b.key}`)), h("strong", {}, String(b.count))),
      b.oldest.length ? h("ul", { class: "list manager-oldest" }, b.oldest.map((a) => actionLink(a, now, places))) : null));
  return h("div", { "data-testid": "manager-site", "data-site": site.site_id },
    h("section", { class: "card" },
      h("h2", {}, nameOf(records.site)),
      h("div", { class: "manager-counts" },
        count("manager-due-today", due.total, t("manager.due_today")),
        count("manager-due-left", due.left, t("manager.due_left")),
        count("manager-overdue", due.overdue, t("manager.overdue"))),
      h("button", { type: "button", class: "wide plain", onclick: () => go("/app/due") }, t("manager.open_due"))),
    h("section", { class: "card" },
      h("h2", {}, t("manager.actions")),
      h("div", { class: "manager-counts" },
        count("manager-actions-open", ages.open, t("manager.actions_open")),
        count("manager-actions-overdue", ages.overdue, t("manager.actions_overdue"))),
      h("ul", { class: "list" }, buckets)));
}

export async function render(view) {
  const [user, lastSync] = await Promise.all([store.getMeta("user"), store.getMeta("last_sync")]);
  const sites = managedSites(user);
  const now = Date.now();
  const asOf = h("p", { class: "muted", "data-testid": "manager-as-of" },
    lastSync ? t("manager.as_of", { time: formatTime(lastSync) }) : t("manager.never_synced"));
  if (!sites.length) {
    show(view, h("div", { class: "card" }, h("h1", {}, t("manager.title")),
      h("p", { class: "muted", "data-testid": "manager-none" }, t("manager.only_managers"))), backButton());
    return;
  }
  const sections = await Promise.all(sites.map((site) => siteSection(site, now)));
  show(view,
    h("div", { class: "card" }, h("h1", { "data-testid": "manager-title" }, t("manager.title")), asOf),
    ...sections,
    backButton());
}
