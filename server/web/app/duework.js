// What is due at a site, worked out on the phone from the pulled records, as
// server/schedules/due.py and schedules.py work it out on the server: each schedule's
// occurrences on each of its targets, with their status as of now.
//
// An occurrence is done by an inspection of that target with that template whose business
// time falls in its window (an inspection pulled from the server, or one this phone made
// and has not sent yet), done late by one before the next occurrence opens, excused by a
// "won't do" that stands (pulled, or waiting in the outbox; not one pending a manager's
// approval or rejected), otherwise upcoming, due, then overdue. A done one says whether it
// passed or failed, and an excusal says why, who made it and what a manager decided.

import { isoDay, isoWeekday, SchoolCalendar } from "./calendar.js";
import { CalendarRequired, occurrencesFor, statuses, WallClock } from "./recurrence.js";
import { judgeWaiting } from "./results.js";
import { isMine } from "./roles.js";
import * as store from "./store.js";

const DAY_MS = 86_400_000;
export const OVERDUE_LOOKBACK_DAYS = 60;
export const OPEN = new Set(["due", "upcoming", "overdue"]);
// The roles whose own excusals stand at once, and who approve or reject others'.
export const APPROVERS = new Set(["admin", "manager"]);

// Everything one site's due work is computed from: the pulled records of its scope, the ops
// waiting in the outbox, and who this phone's person is there.
export async function siteRecords(scope) {
  const entities = [
    "site", "calendar", "schedule", "excusal", "asset", "location", "template", "inspection", "tag",
    "excusal_policy", "person",
  ];
  const [site, calendar, schedules, excusals, assets, locations, templates, inspections, tags, policy, people] =
    await Promise.all(entities.map((entity) => store.recordsOf(scope, entity)));
  const [waiting, user] = await Promise.all([store.waitingOps(), store.getMeta("user")]);
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
    people,
    approvalRequired: Boolean(policy[0]?.approval_required),
    userId: user?.id ?? null,
    role: (user?.sites ?? []).find((s) => s.site_id === scope)?.role ?? null,
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
      keeper_id: null,
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
      keeper_id: a.keeper_id ?? null,
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

// Each inspection's result as it stands: a corrected one's is its latest correction's,
// pulled or waiting in the outbox (judged as the server will judge it); null when the phone
// cannot tell (a waiting one made with a template version it no longer holds).
function resultsAsCorrected(records, waiting) {
  const templates = new Map((records.templates ?? []).map((t) => [t.key, t.template]));
  const zone = records.site?.timezone ?? "UTC";
  const result = new Map();
  const correction = new Map();
  for (const i of records.inspections ?? []) {
    result.set(i.id, i.result);
    if (i.superseded_by) correction.set(i.id, i.superseded_by);
  }
  for (const b of waiting) {
    result.set(b.id, judgeWaiting(templates.get(b.template_key), b, zone)?.result ?? null);
    if (b.supersedes) correction.set(b.supersedes, b.id);
  }
  return (id) => {
    let at = id;
    for (let step = 0; correction.has(at) && step < 100; step += 1) at = correction.get(at);
    return result.get(at) ?? null;
  };
}

// The inspections of each template and target, as [business time in ms, result] in time
// order: "template|target" -> list.
function completions(records) {
  const found = new Map();
  const seen = new Set();
  const waiting = (records.ops ?? []).filter((op) => op.type === "inspection.submitted").map((op) => op.body);
  const resultOf = resultsAsCorrected(records, waiting);
  const add = (id, templateKey, assetId, locationId, completedAt) => {
    if (id && seen.has(id)) return;
    if (id) seen.add(id);
    const key = `${templateKey}|${assetId ?? locationId}`;
    if (!found.has(key)) found.set(key, []);
    found.get(key).push([Date.parse(completedAt), resultOf(id)]);
  };
  for (const i of records.inspections ?? []) add(i.id, i.template_key, i.asset_id, i.location_id, i.completed_at);
  for (const b of waiting) add(b.id, b.template_key, b.asset_id ?? null, b.location_id ?? null, b.completed_at);
  for (const list of found.values()) list.sort((a, b) => a[0] - b[0]);
  return found;
}

// How a done occurrence came out (due.py's outcome): the result of the last inspection in
// the span that made it done, `done` in time order; at the same instant a failure outweighs
// a pass.
export function outcome(occurrence, status, done, now) {
  let start;
  let end;
  if (status === "done") [start, end] = [occurrence.dueStart, occurrence.dueEnd];
  else if (status === "done_late") [start, end] = [occurrence.dueEnd, occurrence.lateUntil];
  else return null;
  let last = null;
  for (const [at, result] of done) {
    if (at > now || at < start || (end !== null && at >= end)) continue;
    if (last === null || at > last[0] || result === "fail") last = [at, result];
  }
  return last ? last[1] : null;
}

// An excusal's state (approval.py): a decision says it; else pending where it waits for a
// manager, accepted where it stands without one.
function excusalState(needsApproval, decision) {
  if (decision === "approve") return "approved";
  if (decision === "reject") return "rejected";
  return needsApproval ? "pending" : "accepted";
}

export const standsExcused = (excusal) => excusal.state === "accepted" || excusal.state === "approved";

// The excusal that stands for each excused occurrence, as the server lists it (due.py's
// _standing): "schedule|target" -> Map(occurrence key -> excusal). An excusal waiting in
// the outbox is pending when the site asks for approval and this person may not give it;
// a decision waiting in the outbox decides its excusal already.
function excusals(records) {
  const names = new Map((records.people ?? []).map((p) => [p.id, p.name]));
  const person = (id) => (id ? { id, name: names.get(id) ?? "" } : null);
  const decisions = new Map();
  for (const op of records.ops ?? []) {
    if (op.type === "excusal.decided") decisions.set(op.body.excusal_id, op.body);
  }
  const all = [];
  for (const e of records.excusals ?? []) {
    const decided = e.state === "approved" || e.state === "rejected";
    const waiting = decided ? null : decisions.get(e.id);
    all.push({
      ...e,
      excused_by: person(e.excused_by),
      excused_at: e.received_at,
      state: waiting ? excusalState(false, waiting.decision) : e.state ?? "accepted",
      decided_by: person(waiting ? records.userId : e.decided_by ?? null),
      decided_at: waiting ? waiting.decided_at : e.decided_at ?? null,
      decision_note: waiting ? waiting.note ?? "" : e.decision_note ?? "",
      waiting: Boolean(waiting),
    });
  }
  const pending = records.approvalRequired && !APPROVERS.has(records.role);
  for (const op of records.ops ?? []) {
    if (op.type !== "occurrence.excused") continue;
    all.push({
      ...op.body,
      excused_by: person(records.userId),
      excused_at: null,
      state: excusalState(pending, null),
      decided_by: null,
      decided_at: null,
      decision_note: "",
      waiting: true,
    });
  }
  // Received ones in the order the server received them; those still on the phone after.
  const order = (e) => [e.excused_at === null ? 1 : 0, e.excused_at ?? "", e.id];
  all.sort((a, b) => compare(order(a), order(b)));
  const found = new Map();
  for (const e of all) {
    const key = `${e.schedule_id}|${e.asset_id ?? e.location_id}`;
    if (!found.has(key)) found.set(key, new Map());
    const byOccurrence = found.get(key);
    const earlier = byOccurrence.get(e.occurrence_key);
    // The latest not rejected, else the latest.
    if (!earlier || e.state !== "rejected" || earlier.state === "rejected") byOccurrence.set(e.occurrence_key, e);
  }
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
      const inspected = done.get(`${schedule.template_key}|${id}`) ?? [];
      const standing = excused.get(`${schedule.id}|${id}`) ?? new Map();
      const answers = statuses(
        covered,
        inspected.map(([at]) => at),
        [...standing].filter(([, e]) => standsExcused(e)).map(([key]) => key),
        now,
      );
      covered.forEach((occurrence, at) => result.push({
        schedule,
        thing,
        occurrence,
        status: answers[at],
        result: outcome(occurrence, answers[at], inspected, now),
        excusal: standing.get(occurrence.key) ?? null,
      }));
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
    result: found.result,
    excusal: found.excusal && {
      id: found.excusal.id,
      reason: found.excusal.reason,
      excused_by: found.excusal.excused_by,
      excused_at: found.excusal.excused_at,
      state: found.excusal.state,
      decided_by: found.excusal.decided_by,
      decided_at: found.excusal.decided_at,
      decision_note: found.excusal.decision_note,
      waiting: found.excusal.waiting,
    },
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
// location id) keeps what is due on that one thing; `mine` what is the person's (mineAt).
//
// Each entry: {site_id, schedule_id, template_key, title_zh, title_en, target {asset_id,
// location_id, name}, occurrence {key, local_date, due_start, due_end, late_until}, status,
// result ("pass" | "fail" for a done one, null if not done or not known), excusal (null, or
// {id, reason, excused_by {id, name}, excused_at, state, decided_by, decided_at,
// decision_note, waiting}), thing (the pulled asset or location record)}; times are ISO
// strings in UTC.
export function dueEntries({ records, now = Date.now(), scope = "today", target = null, mine = false }) {
  const at = typeof now === "number" ? now : now.getTime();
  const work = siteWork(records);
  const mineOnly = mine ? mineAt(records) : null;
  const only = target === null && !mine ? null
    : (thing) => (target === null || targetId(thing) === target) && (mineOnly === null || mineOnly(thing));
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

// GET /api/due's `mine` rule (roles.js isMine) for this site's person: a predicate on
// siteThings' things or on entries' `thing` records.
export function mineAt(records) {
  return (thing) => isMine(thing, records.userId, records.role);
}

// The entries by what became of them, as GET /api/due's `counts`: each entry once; those
// awaiting a manager's approval are also in their open status.
export function dueCounts(entries) {
  const counts = { passed: 0, failed: 0, excused: 0, awaiting_approval: 0, due: 0, upcoming: 0, overdue: 0 };
  for (const e of entries) {
    if (e.status === "done" || e.status === "done_late") counts[e.result === "fail" ? "failed" : "passed"] += 1;
    else {
      counts[e.status] += 1;
      if (e.excusal?.state === "pending") counts.awaiting_approval += 1;
    }
  }
  return counts;
}

// One occurrence on one target: schedule, occurrence key and target id.
export function entryKey(e) {
  return `${e.schedule_id}|${e.occurrence.key}|${e.target.asset_id ?? e.target.location_id}`;
}
