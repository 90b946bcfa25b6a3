// The due screen (/app/due): what is due today and overdue at each of the person's sites,
// from the pulled schedules (duework.js), so it works the same offline. Each entry opens its
// target's checklist; "won't do" asks for a reason and puts an `occurrence.excused` op into
// the outbox (the server decides who may excuse: a refusal is shown here).
//
// dueSection() shows the same for one thing on its target page.

import { dueEntries, dueOn, entryKey, OPEN, siteRecords } from "./duework.js";
import { h, show } from "./dom.js";
import { label, language, nameOf, pathText, pick, refusal, t } from "./i18n.js";
import { backButton, formatTime, go, render as redraw, requestSync } from "./nav.js";
import * as store from "./store.js";
import { locationPath } from "./target.js";

const MAX_REASON = 2000;
// "Won't do" forms being written: the screen is not drawn again under the person, neither
// by a sync nor by a drawing that was already under way when the form was opened.
const writing = new Set();

function isWriting() {
  return [...writing].some((form) => form.isConnected);
}

// A sync (or a drawing) that came while a reason was being written left the screen as it
// was; closing the form without saving draws it then (saving draws it anyway).
let missed = false;

export function redrawOnSync() {
  if (!isWriting()) return true;
  missed = true;
  return false;
}

function siteIds(user) {
  return (user?.sites ?? []).map((s) => ({ id: s.site_id, name: s.site_name }));
}

// Wall-clock hours and minutes of an instant at the site.
function clock(iso, zone) {
  return new Date(iso).toLocaleTimeString(language(), { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

function day(isoDate) {
  const [year, month, date] = isoDate.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, date)).toLocaleDateString(language(), { timeZone: "UTC", month: "numeric", day: "numeric" });
}

// When the entry is due, in the site's time: its window, the whole day, or a term's part.
function when(entry, zone, today) {
  const o = entry.occurrence;
  const date = o.local_date === today ? "" : `${day(o.local_date)} `;
  if (/T\d\d:\d\d$/.test(o.key)) return `${date}${clock(o.due_start, zone)}–${clock(o.due_end, zone)}`;
  if (/^\d{4}-\d\d-\d\d$/.test(o.key)) return date ? date.trim() : t("due.all_day");
  const last = new Date(Date.parse(o.due_end) - 1).toLocaleDateString("sv-SE", { timeZone: zone });
  return t("due.by", { date: day(last) });
}

// Lookups built once per site's records: active tags by thing, places by id.
const indexes = new WeakMap();

function indexOf(records) {
  let found = indexes.get(records);
  if (!found) {
    const tags = new Map();
    for (const g of records.tags) {
      if (g.status === "active") tags.set(g.asset_id ? `a|${g.asset_id}` : `l|${g.location_id}`, g.code);
    }
    found = { tags, locations: new Map(records.locations.map((l) => [l.id, l])) };
    indexes.set(records, found);
  }
  return found;
}

// The code of the target's active tag, for the link to its page.
function tagCode(records, entry) {
  const { asset_id: assetId, location_id: locationId } = entry.target;
  return indexOf(records).tags.get(assetId ? `a|${assetId}` : `l|${locationId}`) ?? null;
}

function place(records, entry) {
  const from = entry.target.asset_id ? entry.thing?.location_id : entry.thing?.parent_id;
  return pathText(locationPath(from, indexOf(records).locations));
}

function title(entry) {
  return pick(entry.title_zh, entry.title_en) || entry.template_key;
}

// The "won't do" form under an entry: a reason is required.
function excuseForm(entry, item, button) {
  button.disabled = true;
  const reason = h("textarea", { rows: 3, maxlength: MAX_REASON, "data-testid": "due-reason", "aria-label": t("due.reason") });
  const problem = h("p", { class: "warn problem", "data-testid": "due-reason-problem", role: "alert" });
  reason.addEventListener("input", () => {
    if (reason.value.trim()) problem.textContent = "";
  });
  const close = () => {
    writing.delete(form);
    button.disabled = false;
    form.remove();
    if (missed && !isWriting()) redraw();
  };
  const save = async () => {
    const text = reason.value.trim();
    if (!text) {
      problem.textContent = t("due.reason_missing");
      reason.focus();
      return;
    }
    confirm.disabled = true;
    const at = new Date().toISOString();
    const body = { id: store.uuid7(), schedule_id: entry.schedule_id, occurrence_key: entry.occurrence.key, reason: text };
    if (entry.target.asset_id) body.asset_id = entry.target.asset_id;
    else body.location_id = entry.target.location_id;
    await store.enqueue({ type: "occurrence.excused", opId: store.uuid7(), occurredAt: at, body });
    writing.delete(form);
    await redraw();
    requestSync();
  };
  const confirm = h("button", { type: "button", "data-testid": "due-excuse-save", onclick: save }, t("due.excuse_save"));
  const form = h("div", { class: "due-excuse", "data-testid": "due-excuse-form" },
    h("label", { class: "item-label" }, t("due.reason"), h("span", { class: "required" }, " *")),
    reason,
    problem,
    h("div", { class: "row" },
      confirm,
      h("button", { type: "button", class: "plain", "data-testid": "due-excuse-cancel", onclick: close }, t("due.cancel"))));
  writing.add(form);
  item.append(form);
  reason.focus();
}

// One entry: the checklist's title, the thing and its place, when, its status; open ones
// lead to the checklist and may be excused.
function entryItem(records, entry, { zone, today, showTarget = true }) {
  const code = tagCode(records, entry);
  const open = OPEN.has(entry.status);
  const item = h("li", {
    class: `due-entry due-${entry.status}`,
    "data-testid": "due-entry",
    "data-key": entryKey(entry),
    "data-status": entry.status,
  });
  const where = place(records, entry);
  const heading = open && code
    ? h("button", { type: "button", class: "link due-title", "data-testid": "due-open", onclick: () => go(`/t/${code}?checklist=${entry.template_key}`) }, title(entry))
    : h("div", { class: "due-title" }, title(entry));
  item.append(h("div", { class: "due-main" },
    heading,
    showTarget ? h("div", {}, pick(entry.target.name, entry.thing?.name_en), where ? h("span", { class: "muted" }, ` · ${where}`) : null,
      entry.thing && entry.thing.status !== "active" ? h("span", { class: "muted" }, ` · ${label("status", entry.thing.status)}`) : null) : null,
    h("div", { class: "muted" }, when(entry, zone, today), " ",
      h("span", { class: `due-state due-state-${entry.status}`, "data-testid": "due-status" }, t(`due.status.${entry.status}`))),
    open && !code ? h("div", { class: "muted", "data-testid": "due-no-tag" }, t("due.no_tag")) : null));
  // "Won't do" is on the due screen only: a sync draws the target page again, which would
  // lose a reason being written.
  if (open && showTarget) {
    const button = h("button", { type: "button", class: "plain", "data-testid": "due-excuse" }, t("due.excuse"));
    button.addEventListener("click", () => excuseForm(entry, item, button));
    item.append(button);
  }
  return item;
}

function list(records, entries, options, empty) {
  if (!entries.length) return h("p", { class: "muted" }, empty);
  return h("ul", { class: "list" }, entries.map((e) => entryItem(records, e, options)));
}

// A refused "won't do", named by its checklist and thing where the phone knows them.
function refusedName(body, allRecords) {
  for (const records of allRecords) {
    const schedule = records.schedules.find((x) => x.id === body.schedule_id);
    if (!schedule) continue;
    const template = records.templates.find((x) => x.key === schedule.template_key)?.template;
    const thing = body.asset_id
      ? records.assets.find((x) => x.id === body.asset_id)
      : records.locations.find((x) => x.id === body.location_id);
    const what = template ? pick(template.title["zh-CN"], template.title.en) : schedule.template_key;
    return thing ? `${what} · ${nameOf(thing)}` : what;
  }
  return null;
}

async function refusedExcusals(allRecords) {
  const refused = (await store.refusedOps()).filter((r) => r.op.type === "occurrence.excused");
  if (!refused.length) return null;
  return h("section", { class: "card" }, h("h2", { class: "warn" }, t("due.refused")),
    h("ul", { class: "list" }, refused.map((r) =>
      h("li", { "data-testid": "due-refused" },
        h("div", {}, refusedName(r.op.body, allRecords)),
        h("div", { class: "muted" }, r.op.body.occurrence_key, " · ", formatTime(r.op.occurred_at)),
        h("div", { class: "warn reason", "data-testid": "due-refused-reason" }, refusal(r.code, r.status))))));
}

function siteSection(site, records, now, several) {
  if (!records.site) return h("section", { class: "card" }, h("h2", {}, site.name), h("p", { class: "muted" }, t("due.not_pulled")));
  const zone = records.site.timezone;
  const today = new Date(now).toLocaleDateString("sv-SE", { timeZone: zone });
  const overdue = dueEntries({ records, now, scope: "overdue" });
  const todays = dueEntries({ records, now, scope: "today" });
  const options = { zone, today };
  const name = nameOf(records.site);
  return h("div", { "data-testid": "due-site", "data-site": site.id },
    several ? h("h2", { class: "due-site-name" }, name) : null,
    h("section", { class: "card", "data-testid": "due-overdue" },
      h("h2", {}, t("due.overdue", { count: overdue.length })),
      list(records, overdue, options, t("due.none_overdue"))),
    h("section", { class: "card", "data-testid": "due-today" },
      h("h2", {}, t("due.today", { count: todays.filter((e) => e.status === "due" || e.status === "upcoming").length })),
      list(records, todays.filter((e) => e.status === "due" || e.status === "upcoming"), options, t("due.none_today"))),
    h("section", { class: "card", "data-testid": "due-closed" },
      h("h2", {}, t("due.closed")),
      list(records, todays.filter((e) => !OPEN.has(e.status)), options, t("due.none_closed"))));
}

export async function render(view) {
  const user = await store.getMeta("user");
  const sites = siteIds(user);
  const now = Date.now();
  const allRecords = await Promise.all(sites.map((site) => siteRecords(site.id)));
  const sections = sites.map((site, at) => siteSection(site, allRecords[at], now, sites.length > 1));
  const refused = await refusedExcusals(allRecords.filter((r) => r.site));
  if (isWriting()) {
    missed = true;
    return;
  }
  missed = false;
  writing.clear();
  show(view,
    h("div", { class: "card" }, h("h1", { "data-testid": "due-title" }, t("due.title"))),
    refused,
    ...sections,
    backButton());
}

// What is due on one thing, for its target page (`target` as describeTarget gives it):
// this week's occurrences and those overdue, each leading to its checklist.
export async function dueSection(target) {
  const siteId = target.tag.site_id;
  const records = await siteRecords(siteId);
  if (!records.site) return null;
  const id = target.kind === "asset" ? target.asset.id : target.location.id;
  const now = Date.now();
  const zone = records.site.timezone;
  const today = new Date(now).toLocaleDateString("sv-SE", { timeZone: zone });
  const entries = dueOn({ records, now, target: id });
  return h("section", { class: "card", "data-testid": "target-due" },
    h("h2", {}, t("due.on_target")),
    list(records, entries, { zone, today, showTarget: false }, t("due.none_on_target")));
}
