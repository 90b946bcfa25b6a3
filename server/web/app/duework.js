// What is due at a site, worked out on the phone from the pulled records, as
// server/schedules/due.py and schedules.py work it out on the server: each schedule's
// occurrences on each of its targets, with their status as of now.
//
// An occurrence is done by an inspection of that target with that template whose business
// time falls in its window (an inspection pulled from the server, or one this phone made
// and has not sent yet), done late by one before the next occurrence opens, excused by a
// "won't do" (pulled, or waiting in the outbox), otherwise upcoming, due, then overdue.

import { isoDay, isoWeekday, SchoolCalendar } from "./calendar.js";
import { CalendarRequired, occurrencesFor, statuses, WallClock } from "./recurrence.js";
import * as store from "./store.js";

const DAY_MS = 86_400_000;
export const OVERDUE_LOOKBACK_DAYS = 60;
export const OPEN = new Set(["due", "upcoming", "overdue"]);

// Everything one site's due work is computed from: the pulled records of its scope and the
// ops waiting in the outbox.
export async function siteRecords(scope) {
  const entities = ["site", "calendar", "schedule", "excusal", "asset", "location", "template", "inspection", "tag"];
  const [site, calendar, schedules, excusals, assets, locations, templates, inspections, tags] =
    await Promise.all(entities.map((entity) => store.recordsOf(scope, entity)));
  const waiting = await store.waitingOps();
  return {
    site: site[0] ?? null,
    calendar: calendar[0]?.calendar ?? null,
    schedules,
    excusals,
    assets,
    locations,
    templates,
    inspections,
    tags,
    ops: waiting.map((r) => r.op).filter(Boolean),
  };
}

// --- targets (schedules.py) ------------------------------------------------------------

// Every asset and location of the site as a schedule selects them (SiteThing).
export function siteThings(records) {
  return [
    ...records.locations.map((l) => ({
      asset_id: null,
      location_id: l.id,
      parent_id: l.parent_id,
      name: l.name,
      category: null,
      kind: l.kind,
      status: l.status,
      created_at: l.created_at ?? null,
      updated_at: l.updated_at ?? null,
      record: l,
    })),
    ...records.assets.map((a) => ({
      asset_id: a.id,
      location_id: a.location_id,
      parent_id: null,
      name: a.name,
      category: a.category,
      kind: null,
      status: a.status,
      created_at: a.created_at ?? null,
      updated_at: a.updated_at ?? null,
      record: a,
    })),
  ];
}

export function targetId(thing) {
  return thing.asset_id ?? thing.location_id;
}

function subtreeIds(things, root) {
  const children = new Map();
  for (const t of things) {
    if (t.asset_id !== null) continue;
    if (!children.has(t.parent_id)) children.set(t.parent_id, []);
    children.get(t.parent_id).push(t.location_id);
  }
  const found = new Set();
  const stack = [root];
  while (stack.length) {
    const node = stack.pop();
    if (found.has(node)) continue;
    found.add(node);
    stack.push(...(children.get(node) ?? []));
  }
  return found;
}

// The things a schedule's target spec selects, retired ones included, in name order.
export function selectTargets(spec, things) {
  let chosen;
  if (spec.by === "category") {
    chosen = things.filter((t) => t.asset_id !== null && t.category === spec.category);
  } else if (spec.by === "subtree") {
    const known = things.some((t) => t.asset_id === null && t.location_id === spec.location_id);
    const inside = known ? subtreeIds(things, spec.location_id) : new Set();
    const assets = spec.assets ?? true;
    const category = spec.asset_category ?? null;
    const kind = spec.location_kind ?? null;
    chosen = things.filter(
      (t) =>
        inside.has(t.location_id) &&
        ((t.asset_id !== null && assets && (category === null || category === t.category)) ||
          (t.asset_id === null && kind !== null && t.kind === kind)),
    );
  } else {
    const assets = new Set(spec.asset_ids ?? []);
    const locations = new Set(spec.location_ids ?? []);
    chosen = things.filter((t) => assets.has(t.asset_id) || (t.asset_id === null && locations.has(t.location_id)));
  }
  const order = (t) => [t.name, targetId(t)];
  return chosen.sort((a, b) => compare(order(a), order(b)));
}

// The local dates a thing is covered on: from the day it was created to the day it was
// retired. A record that does not say when it was made is covered from any date; a retired
// one that does not say when it was retired is covered on none.
export function coverage(thing, wall) {
  const first = thing.created_at ? wall.today(Date.parse(thing.created_at)) : -Infinity;
  if (thing.status === "active") return [first, Infinity];
  const last = thing.updated_at ? wall.today(Date.parse(thing.updated_at)) : -Infinity;
  return [first, last];
}

function compare(a, b) {
  for (let i = 0; i < a.length; i += 1) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}

// --- what was done ------------------------------------------------------------------------

// Business times of the inspections of each template and target: "template|target" -> ms.
function completions(records) {
  const found = new Map();
  const seen = new Set();
  const add = (id, templateKey, assetId, locationId, completedAt) => {
    if (id && seen.has(id)) return;
    if (id) seen.add(id);
    const key = `${templateKey}|${assetId ?? locationId}`;
    if (!found.has(key)) found.set(key, []);
    found.get(key).push(Date.parse(completedAt));
  };
  for (const i of records.inspections ?? []) add(i.id, i.template_key, i.asset_id, i.location_id, i.completed_at);
  for (const op of records.ops ?? []) {
    if (op.type !== "inspection.submitted") continue;
    const b = op.body;
    add(b.id, b.template_key, b.asset_id ?? null, b.location_id ?? null, b.completed_at);
  }
  return found;
}

// Excused occurrence keys of each schedule and target: "schedule|target" -> Set.
function excusals(records) {
  const found = new Map();
  const add = (e) => {
    const key = `${e.schedule_id}|${e.asset_id ?? e.location_id}`;
    if (!found.has(key)) found.set(key, new Set());
    found.get(key).add(e.occurrence_key);
  };
  for (const e of records.excusals ?? []) add(e);
  for (const op of records.ops ?? []) if (op.type === "occurrence.excused") add(op.body);
  return found;
}

// --- due ------------------------------------------------------------------------------------

function reachBack(schedule, calendar) {
  const perTerm = schedule.versions.some((v) => v.rule?.every === "per_term");
  if (perTerm && calendar && calendar.terms.length) return Math.max(...calendar.terms.map((t) => t.days));
  return 1;
}

// Every occurrence dated `first` to `last` (day numbers) on every covered target, with its
// status as of `now`; `reachingIn` also takes earlier ones whose windows may reach in.
function findDue(work, first, last, now, { reachingIn = false, only = null } = {}) {
  const done = completions(work.records);
  const excused = excusals(work.records);
  const result = [];
  for (const schedule of work.records.schedules) {
    const targets = selectTargets(schedule.targets, work.things).filter((t) => only === null || only(t));
    if (!targets.length) continue;
    const start = reachingIn ? first - reachBack(schedule, work.calendar) : first;
    let found;
    try {
      found = occurrencesFor(schedule.versions, start, last, { calendar: work.calendar, wall: work.wall });
    } catch (error) {
      if (error instanceof CalendarRequired) continue;
      throw error;
    }
    if (!found.length) continue;
    for (const thing of targets) {
      const [from, until] = coverage(thing, work.wall);
      const covered = found.filter((o) => from <= o.localDate && o.localDate <= until);
      if (!covered.length) continue;
      const id = targetId(thing);
      const answers = statuses(
        covered,
        done.get(`${schedule.template_key}|${id}`) ?? [],
        excused.get(`${schedule.id}|${id}`) ?? [],
        now,
      );
      covered.forEach((occurrence, at) => result.push({ schedule, thing, occurrence, status: answers[at] }));
    }
  }
  const order = (f) => [f.occurrence.dueStart, f.schedule.template_key, f.thing.name, targetId(f.thing), f.occurrence.key];
  return result.sort((a, b) => compare(order(a), order(b)));
}

const iso = (ms) => (ms === null ? null : new Date(ms).toISOString());

// A found occurrence as the server's DueEntry, with the thing's pulled record beside it.
function entry(work, found) {
  const title = work.titles.get(found.schedule.template_key) ?? {};
  return {
    site_id: work.records.site?.id ?? found.schedule.site_id,
    schedule_id: found.schedule.id,
    template_key: found.schedule.template_key,
    title_zh: title["zh-CN"] ?? "",
    title_en: title.en ?? "",
    target: {
      asset_id: found.thing.asset_id,
      location_id: found.thing.asset_id === null ? found.thing.location_id : null,
      name: found.thing.name,
    },
    occurrence: {
      key: found.occurrence.key,
      local_date: isoDay(found.occurrence.localDate),
      due_start: iso(found.occurrence.dueStart),
      due_end: iso(found.occurrence.dueEnd),
      late_until: iso(found.occurrence.lateUntil),
    },
    status: found.status,
    thing: found.thing.record,
  };
}

function siteWork(records) {
  const tz = records.site?.timezone ?? "UTC";
  const wall = new WallClock(tz);
  return {
    records,
    wall,
    calendar: records.calendar ? new SchoolCalendar(records.calendar) : null,
    things: siteThings(records),
    titles: new Map((records.templates ?? []).map((t) => [t.key, t.template?.title ?? {}])),
  };
}

// The start of `first` to the end of `last` at the site (due.py's _days).
function span(wall, first, last) {
  return [wall.instant(first, 0), wall.instant(last + 1, 0)];
}

// The due work of one site as GET /api/due answers it, from `records` (siteRecords) as of
// `now` (ms or a Date). `scope`: "today" and "week", every occurrence whose window is open
// at some time of today or of this week (Monday to Sunday), whatever its status; "overdue",
// those overdue now whose windows closed in the last 60 days. `target` (an asset or a
// location id) keeps what is due on that one thing.
//
// Each entry: {site_id, schedule_id, template_key, title_zh, title_en, target {asset_id,
// location_id, name}, occurrence {key, local_date, due_start, due_end, late_until}, status,
// thing (the pulled asset or location record)}; times are ISO strings in UTC.
export function dueEntries({ records, now = Date.now(), scope = "today", target = null }) {
  const at = typeof now === "number" ? now : now.getTime();
  const work = siteWork(records);
  const only = target === null ? null : (thing) => targetId(thing) === target;
  const today = work.wall.today(at);
  let found;
  if (scope === "overdue") {
    const since = at - OVERDUE_LOOKBACK_DAYS * DAY_MS;
    found = findDue(work, work.wall.today(since), today, at, { reachingIn: true, only }).filter(
      (f) => f.status === "overdue" && f.occurrence.dueEnd > since,
    );
  } else if (scope === "today" || scope === "week") {
    const first = scope === "today" ? today : today - (isoWeekday(today) - 1);
    const last = scope === "today" ? today : first + 6;
    const [start, end] = span(work.wall, first, last);
    found = findDue(work, first, last, at, { reachingIn: true, only }).filter(
      (f) => f.occurrence.dueStart < end && f.occurrence.dueEnd > start,
    );
  } else {
    throw new Error(`unknown scope ${scope}`);
  }
  return found.map((f) => entry(work, f));
}

// What one thing has due, as the answer to a tag scan (due.py's due_on): this week's
// occurrences, done ones too, and those overdue from the last 60 days, by due time.
export function dueOn({ records, now = Date.now(), target }) {
  const week = dueEntries({ records, now, scope: "week", target });
  const seen = new Set(week.map(entryKey));
  const overdue = dueEntries({ records, now, scope: "overdue", target }).filter((e) => !seen.has(entryKey(e)));
  return [...week, ...overdue].sort((a, b) =>
    compare([a.occurrence.due_start, a.template_key, a.occurrence.key], [b.occurrence.due_start, b.template_key, b.occurrence.key]),
  );
}

// One occurrence on one target: schedule, occurrence key and target id.
export function entryKey(e) {
  return `${e.schedule_id}|${e.occurrence.key}|${e.target.asset_id ?? e.target.location_id}`;
}
