// The due screen (/app/due): what is due today and overdue at each of the person's sites,
// from the pulled schedules (duework.js), so it works the same offline. Work is grouped by
// building and floor, each entry with its thing's name and asset number; a done check says
// whether it passed or failed, an excused one why, by whom and what a manager decided, and
// the counts keep excused work apart from done and from overdue. Each open entry opens its
// target's checklist; "won't do" asks for a reason and puts an `occurrence.excused` op into
// the outbox (the server decides who may excuse: a refusal is shown here). A manager
// approves or rejects an excusal here (an `excusal.decided` op).
//
// The query of the URL says what is shown, so other screens link to a view of it:
//   mine=1               only the person's work (GET /api/due's `mine`: what they keep and,
//                        for an inspector, what no one keeps); mine=0 everyone's. Without
//                        it: mine where the person is an inspector, everyone's elsewhere.
//   overdue=1            only what is overdue
//   building={id}        only what is in that building (a location at the top of the tree)
//   checklist={key}      only that checklist (a template key)
//   q={text}             only things whose name, asset number or place holds the text
// e.g. /app/due?mine=1&overdue=1. The filters on the screen change the URL in place.
//
// dueSection() shows what is due on one thing on its target page.

import { APPROVERS, dueCounts, dueEntries, dueOn, entryKey, OPEN, siteRecords } from "./duework.js";
import { h, show } from "./dom.js";
import { label, language, nameOf, pick, refusal, t } from "./i18n.js";
import { backButton, formatTime, go, render as redraw, requestSync } from "./nav.js";
import { READERS } from "./roles.js";
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

// The lists of the screen on show, drawn again alone when a filter changes: the filters
// themselves (and a search being typed) stay as they are.
let shown = null;

export function redrawOnSync() {
  if (isWriting()) {
    missed = true;
    return false;
  }
  if (shown?.search.isConnected && document.activeElement === shown.search) {
    refresh();
    return false;
  }
  return true;
}

// The lists drawn again from what the sync brought, the search keeping its focus.
async function refresh() {
  const sites = shown.sites;
  const allRecords = await Promise.all(sites.map((site) => siteRecords(site.id)));
  if (shown.sites !== sites) return;
  Object.assign(shown, { allRecords, now: Date.now() });
  drawLists();
}

// --- the filters (the URL's query) -----------------------------------------------------

function filtersOf(query) {
  return {
    mine: query.has("mine") ? query.get("mine") === "1" : null,
    overdue: query.get("overdue") === "1",
    building: query.get("building") || null,
    checklist: query.get("checklist") || null,
    q: (query.get("q") ?? "").trim(),
  };
}

function setFilter(name, value) {
  const query = new URLSearchParams(location.search);
  if (value === null || value === "" || value === false) query.delete(name);
  else query.set(name, value === true ? "1" : value);
  const search = query.toString();
  history.replaceState(history.state, "", `${location.pathname}${search ? `?${search}` : ""}`);
  drawLists();
}

// Mine unless the URL says otherwise, where the person inspects.
function mineAtSite(filters, records) {
  return filters.mine ?? records.role === "inspector";
}

// --- places ----------------------------------------------------------------------------

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

// Where the entry's thing is: the building and floor it is grouped under (the campus left
// out) and the rest of the way to it.
function placeOf(records, entry) {
  const from = entry.target.asset_id ? entry.thing?.location_id : entry.thing?.parent_id;
  const path = locationPath(from, indexOf(records).locations).filter((l) => l.kind !== "campus");
  const group = path.slice(0, path[1]?.kind === "floor" ? 2 : 1);
  return { group, rest: path.slice(group.length), building: path[0] ?? null };
}

function title(entry) {
  return pick(entry.title_zh, entry.title_en) || entry.template_key;
}

function thingName(entry) {
  return pick(entry.target.name, entry.thing?.name_en);
}

function matches(records, entry, filters) {
  if (filters.checklist && entry.template_key !== filters.checklist) return false;
  const where = placeOf(records, entry);
  if (filters.building && where.building?.id !== filters.building) return false;
  if (!filters.q) return true;
  const text = [thingName(entry), entry.target.name, entry.thing?.asset_number ?? "",
    ...[...where.group, ...where.rest].map(nameOf)].join(" ").toLowerCase();
  return text.includes(filters.q.toLowerCase());
}

// --- when and how it stands -------------------------------------------------------------

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

// The status as a person reads it: a done check by how it came out.
function stateBadge(entry) {
  const late = entry.status === "done_late";
  let key = `due.status.${entry.status}`;
  let shade = entry.status;
  if ((entry.status === "done" || late) && entry.result) {
    key = `due.result.${late ? "late_" : ""}${entry.result}`;
    shade = entry.result === "fail" ? "failed" : "done";
  }
  return h("span", { class: `due-state due-state-${shade}`, "data-testid": "due-status" }, t(key));
}

const personName = (person) => person?.name || t("due.someone");

// The "won't do" beside an entry: why and by whom, and where it stands.
function excusalNote(records, entry) {
  const e = entry.excusal;
  if (!e) return null;
  const state = {
    pending: t("due.excusal.pending"),
    accepted: t("due.excusal.accepted"),
    approved: t("due.excusal.approved", { name: personName(e.decided_by) }),
    rejected: t("due.excusal.rejected", { name: personName(e.decided_by) }),
  }[e.state];
  const deciding = !e.waiting && (e.state === "pending" || e.state === "accepted") && APPROVERS.has(records.role);
  return h("div", { class: `due-excusal due-excusal-${e.state}`, "data-testid": "due-excusal", "data-state": e.state },
    h("div", { "data-testid": "due-excusal-reason" }, t("due.excusal.by", { name: personName(e.excused_by), reason: e.reason })),
    h("div", { class: e.state === "pending" || e.state === "rejected" ? "warn" : "muted", "data-testid": "due-excusal-state" },
      state, e.waiting ? ` · ${t("due.excusal.waiting")}` : "",
      e.decision_note ? ` · ${e.decision_note}` : ""),
    // One that stands already can still be rejected; one pending is approved or rejected.
    deciding ? h("div", { class: "row due-decide" },
      e.state === "pending"
        ? h("button", { type: "button", "data-testid": "due-approve", onclick: () => decide(e, "approve") }, t("due.approve"))
        : null,
      h("button", { type: "button", class: "plain", "data-testid": "due-reject", onclick: () => decide(e, "reject") }, t("due.reject"))) : null);
}

async function decide(excusal, decision) {
  const at = new Date().toISOString();
  await store.enqueue({
    type: "excusal.decided",
    opId: store.uuid7(),
    occurredAt: at,
    body: { id: store.uuid7(), excusal_id: excusal.id, decision, note: "", decided_at: at },
  });
  await redraw();
  requestSync();
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

// One entry: the checklist's title, the thing with its asset number and the rest of its
// place, when, how it stands, its excusal; open ones lead to the checklist and may be
// excused (unless an excusal waits for a manager).
function entryItem(records, entry, { zone, today, showTarget = true }) {
  const code = tagCode(records, entry);
  const open = OPEN.has(entry.status);
  const item = h("li", {
    class: `due-entry due-${entry.status}`,
    "data-testid": "due-entry",
    "data-key": entryKey(entry),
    "data-status": entry.status,
    "data-result": entry.result ?? null,
  });
  const heading = open && code
    ? h("button", { type: "button", class: "link due-title", "data-testid": "due-open", onclick: () => go(`/t/${code}?checklist=${entry.template_key}`) }, title(entry))
    : h("div", { class: "due-title" }, title(entry));
  const number = entry.thing?.asset_number;
  const rest = showTarget ? placeOf(records, entry).rest : [];
  item.append(h("div", { class: "due-main" },
    heading,
    showTarget ? h("div", { "data-testid": "due-thing" }, thingName(entry),
      number ? h("span", { class: "muted", "data-testid": "due-number" }, ` · ${t("due.number", { number })}`) : null,
      rest.length ? h("span", { class: "muted" }, ` · ${rest.map(nameOf).join(" › ")}`) : null,
      entry.thing && entry.thing.status !== "active" ? h("span", { class: "muted" }, ` · ${label("status", entry.thing.status)}`) : null) : null,
    h("div", { class: "muted" }, when(entry, zone, today), " ", stateBadge(entry)),
    excusalNote(records, entry),
    open && !code ? h("div", { class: "muted", "data-testid": "due-no-tag" }, t("due.no_tag")) : null));
  // "Won't do" is on the due screen only: a sync draws the target page again, which would
  // lose a reason being written.
  const awaiting = entry.excusal?.state === "pending";
  if (open && showTarget && !awaiting && !READERS.has(records.role)) {
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

// The entries under their building and floor, places in name order, each in due order.
function grouped(records, entries, options, empty) {
  if (!entries.length) return h("p", { class: "muted" }, empty);
  const groups = new Map();
  for (const entry of entries) {
    const { group } = placeOf(records, entry);
    const key = group.map((l) => l.id).join("/");
    if (!groups.has(key)) groups.set(key, { name: group.map(nameOf).join(" · ") || t("due.no_place"), entries: [] });
    groups.get(key).entries.push(entry);
  }
  const order = [...groups.values()].sort((a, b) => a.name.localeCompare(b.name, language()));
  return order.map((g) => h("div", { class: "due-group", "data-testid": "due-group", "data-place": g.name },
    h("h3", { class: "due-place" }, g.name),
    list(records, g.entries, options, "")));
}

// A refused "won't do" or decision, named by its checklist and thing where the phone
// knows them.
function refusedName(body, allRecords) {
  for (const records of allRecords) {
    const excusal = body.excusal_id ? records.excusals.find((x) => x.id === body.excusal_id) : body;
    const schedule = excusal && records.schedules.find((x) => x.id === excusal.schedule_id);
    if (!schedule) continue;
    const template = records.templates.find((x) => x.key === schedule.template_key)?.template;
    const thing = excusal.asset_id
      ? records.assets.find((x) => x.id === excusal.asset_id)
      : records.locations.find((x) => x.id === excusal.location_id);
    const what = template ? pick(template.title["zh-CN"], template.title.en) : schedule.template_key;
    return thing ? `${what} · ${nameOf(thing)}` : what;
  }
  return null;
}

async function refusedExcusals(allRecords) {
  const refused = (await store.refusedOps())
    .filter((r) => r.op.type === "occurrence.excused" || r.op.type === "excusal.decided");
  if (!refused.length) return null;
  return h("section", { class: "card" }, h("h2", { class: "warn" }, t("due.refused")),
    h("ul", { class: "list" }, refused.map((r) =>
      h("li", { "data-testid": "due-refused" },
        h("div", {}, refusedName(r.op.body, allRecords)),
        h("div", { class: "muted" }, t(`op.${r.op.type}`), " · ", r.op.body.occurrence_key ?? "", " · ", formatTime(r.op.occurred_at)),
        h("div", { class: "warn reason", "data-testid": "due-refused-reason" }, refusal(r.code, r.status))))));
}

// --- a site's part --------------------------------------------------------------------

function countsLine(counts) {
  const chip = (key, value, text) =>
    h("span", { class: `due-count due-count-${key}`, "data-testid": `due-count-${key}`, "data-count": String(value) },
      h("strong", {}, String(value)), " ", text);
  return h("div", { class: "due-counts", "data-testid": "due-counts" },
    chip("overdue", counts.overdue, t("due.count.overdue")),
    chip("open", counts.due + counts.upcoming, t("due.count.open")),
    chip("passed", counts.passed, t("due.count.passed")),
    chip("failed", counts.failed, t("due.count.failed")),
    chip("excused", counts.excused, t("due.count.excused")),
    counts.awaiting_approval ? chip("awaiting", counts.awaiting_approval, t("due.count.awaiting")) : null);
}

// A site's lists, worked out once per drawing of the screen and kept while filters change
// (a search is typed a letter at a time).
const worked = new WeakMap();

function entriesOf(records, now, mine) {
  if (!worked.has(records)) worked.set(records, new Map());
  const lists = worked.get(records);
  if (!lists.has(mine)) {
    lists.set(mine, {
      overdue: dueEntries({ records, now, scope: "overdue", mine }),
      today: dueEntries({ records, now, scope: "today", mine }),
    });
  }
  return lists.get(mine);
}

function siteSection(site, records, now, several, filters) {
  if (!records.site) return h("section", { class: "card" }, h("h2", {}, site.name), h("p", { class: "muted" }, t("due.not_pulled")));
  const zone = records.site.timezone;
  const today = new Date(now).toLocaleDateString("sv-SE", { timeZone: zone });
  const mine = mineAtSite(filters, records);
  const keep = (entries) => entries.filter((e) => matches(records, e, filters));
  const lists = entriesOf(records, now, mine);
  const overdue = keep(lists.overdue);
  const todays = filters.overdue ? [] : keep(lists.today);
  const seen = new Set(overdue.map(entryKey));
  const counts = dueCounts([...overdue, ...todays.filter((e) => !seen.has(entryKey(e)))]);
  const options = { zone, today };
  const open = todays.filter((e) => e.status === "due" || e.status === "upcoming");
  const closed = todays.filter((e) => !OPEN.has(e.status));
  return h("div", { "data-testid": "due-site", "data-site": site.id, "data-mine": String(mine) },
    several ? h("h2", { class: "due-site-name" }, nameOf(records.site)) : null,
    countsLine(counts),
    h("section", { class: "card", "data-testid": "due-overdue" },
      h("h2", {}, t("due.overdue", { count: overdue.length })),
      grouped(records, overdue, options, t("due.none_overdue"))),
    filters.overdue ? null : h("section", { class: "card", "data-testid": "due-today" },
      h("h2", {}, t("due.today", { count: open.length })),
      grouped(records, open, options, t("due.none_today"))),
    filters.overdue ? null : h("section", { class: "card", "data-testid": "due-closed" },
      h("h2", {}, t("due.closed")),
      grouped(records, closed, options, t("due.none_closed"))));
}

// The filters, drawn from the URL: mine or everyone's, overdue only, a building, a
// checklist, a search.
function filterBar(filters, allRecords) {
  const inspects = allRecords.some((r) => r.role === "inspector");
  const toggles = [];
  const toggle = (value, text) => {
    const button = h("button", {
      type: "button",
      "data-testid": value ? "due-mine" : "due-all",
      onclick: () => setFilter("mine", value ? "1" : "0"),
    }, text);
    toggles.push([button, value]);
    return button;
  };
  // The pressed one follows the URL as the filters change.
  const pressWho = (now) => {
    const mine = now.mine ?? inspects;
    for (const [button, value] of toggles) {
      button.className = mine === value ? "toggle on" : "toggle";
      button.setAttribute("aria-pressed", String(mine === value));
    }
  };
  const buildings = new Map();
  const checklists = new Map();
  for (const records of allRecords) {
    // What placeOf takes for a building: the top of the tree, under a campus if any.
    const byId = indexOf(records).locations;
    for (const l of records.locations) {
      const parent = l.parent_id ? byId.get(l.parent_id) : null;
      if (l.status === "active" && l.kind !== "campus" && (!parent || parent.kind === "campus")) {
        buildings.set(l.id, nameOf(l));
      }
    }
    for (const s of records.schedules) {
      const template = records.templates.find((x) => x.key === s.template_key)?.template;
      checklists.set(s.template_key, template ? pick(template.title["zh-CN"], template.title.en) : s.template_key);
    }
  }
  const choice = (testid, name, all, options, value) => {
    const select = h("select", { "data-testid": testid, "aria-label": all, onchange: () => setFilter(name, select.value) },
      h("option", { value: "" }, all),
      [...options].sort((a, b) => a[1].localeCompare(b[1], language())).map(([id, text]) =>
        h("option", { value: id, selected: id === value }, text)));
    return select;
  };
  const search = h("input", {
    type: "search",
    id: "due-search",
    "data-testid": "due-search",
    placeholder: t("due.filter.search"),
    "aria-label": t("due.filter.search"),
    value: filters.q,
    oninput: () => setFilter("q", search.value.trim()),
  });
  const overdue = h("input", { type: "checkbox", id: "due-overdue-only", "data-testid": "due-overdue-only", checked: filters.overdue,
    onchange: () => setFilter("overdue", overdue.checked) });
  const bar = h("section", { class: "card due-filters", "data-testid": "due-filters" },
    h("div", { class: "row due-who", role: "group", "aria-label": t("due.filter.who") },
      toggle(true, t("due.filter.mine")), toggle(false, t("due.filter.all"))),
    h("label", { class: "due-check", for: "due-overdue-only" }, overdue, t("due.filter.overdue")),
    h("div", { class: "due-selects" },
      choice("due-building", "building", t("due.filter.building_all"), buildings, filters.building),
      choice("due-checklist", "checklist", t("due.filter.checklist_all"), checklists, filters.checklist)),
    search);
  pressWho(filters);
  return { bar, search, pressWho };
}

function drawLists() {
  if (!shown?.lists.isConnected) return;
  const filters = filtersOf(new URLSearchParams(location.search));
  shown.pressWho(filters);
  shown.lists.replaceChildren(...shown.sites.map((site, at) =>
    siteSection(site, shown.allRecords[at], shown.now, shown.sites.length > 1, filters)));
}

export async function render(view) {
  const user = await store.getMeta("user");
  const sites = (user?.sites ?? []).map((s) => ({ id: s.site_id, name: s.site_name }));
  const now = Date.now();
  const allRecords = await Promise.all(sites.map((site) => siteRecords(site.id)));
  const filters = filtersOf(new URLSearchParams(location.search));
  const sections = sites.map((site, at) => siteSection(site, allRecords[at], now, sites.length > 1, filters));
  const refused = await refusedExcusals(allRecords.filter((r) => r.site));
  if (isWriting()) {
    missed = true;
    return;
  }
  missed = false;
  writing.clear();
  const { bar, search, pressWho } = filterBar(filters, allRecords.filter((r) => r.site));
  const lists = h("div", { "data-testid": "due-lists" }, sections);
  shown = { sites, allRecords, now, search, pressWho, lists };
  show(view,
    h("div", { class: "card" }, h("h1", { "data-testid": "due-title" }, t("due.title"))),
    refused,
    bar,
    lists,
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
