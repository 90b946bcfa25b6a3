// The figures of a site that its managers look over, worked out from the pulled records
// (duework.js siteRecords, with the site's actions, findings and people beside them). Pure:
// records and the time in, plain values out; manager.js and home.js draw them.

import { isoWeekday } from "./calendar.js";
import { CLOSED } from "./actionrules.js";
import { dueEntries, OPEN } from "./duework.js";
import { nameOf, pathText } from "./i18n.js";
import { WallClock } from "./recurrence.js";
import { locationPath } from "./target.js";

const DAY_MS = 86_400_000;

// Age buckets of open actions, by time since raised: [key, up to how many days].
export const AGES = [
  ["day", 1],
  ["days3", 3],
  ["week", 7],
  ["older", Infinity],
];
export const OLDEST = 3;

const byRaised = (a, b) => Date.parse(a.raised_at) - Date.parse(b.raised_at) || (a.id < b.id ? -1 : 1);

export function ageOf(action, now) {
  const days = (now - Date.parse(action.raised_at)) / DAY_MS;
  return AGES[AGES.findIndex(([, max]) => days < max)][0];
}

// Past its due time and not yet fixed, as GET /api/actions?overdue counts it for a
// manager: any action not closed.
export function pastDue(action, now) {
  return !CLOSED.has(action.state) && Date.parse(action.due_at) < now;
}

// The site's actions not closed, oldest first, those of one age bucket (`age`) or past due
// (`overdue`) if asked.
export function openActions(actions, now, { age = null, overdue = false } = {}) {
  return actions
    .filter((a) => !CLOSED.has(a.state))
    .filter((a) => (age === null || ageOf(a, now) === age) && (!overdue || pastDue(a, now)))
    .sort(byRaised);
}

// The open actions by age, how many are past due, and the OLDEST oldest of them.
export function actionAges(actions, now) {
  const open = openActions(actions, now);
  const buckets = AGES.map(([key]) => ({ key, count: open.filter((a) => ageOf(a, now) === key).length }));
  return {
    open: open.length,
    overdue: open.filter((a) => pastDue(a, now)).length,
    buckets,
    oldest: open.slice(0, OLDEST),
  };
}

// Today's due work (`total`, and `left`, those still to do) and the overdue count, as
// GET /api/due?scope=today and ?scope=overdue give them; `mine`, the person's own (its
// `mine` rule).
export function todayCounts(records, now, { mine = false } = {}) {
  const today = dueEntries({ records, now, scope: "today", mine });
  const overdue = dueEntries({ records, now, scope: "overdue", mine });
  return {
    total: today.length,
    left: today.filter((e) => e.status === "due" || e.status === "upcoming").length,
    overdue: overdue.filter((e) => OPEN.has(e.status)).length,
  };
}

// The start of this week (Monday, 00:00 at the site) in ms.
export function weekStart(records, now) {
  const wall = new WallClock(records.site?.timezone ?? "UTC");
  const today = wall.today(now);
  return wall.instant(today - (isoWeekday(today) - 1), 0);
}

// This week's work so far: the occurrences whose time has come (their window closed, or
// done already), done on time, done late, still overdue, and excused, counted apart and left
// out of the rate: the rate is done on time / due, excused ones not due.
export function weekFigures(records, now) {
  const week = dueEntries({ records, now, scope: "week" });
  const counted = week.filter((e) => Date.parse(e.occurrence.due_end) <= now || !OPEN.has(e.status));
  const excused = counted.filter((e) => e.status === "excused").length;
  const late = counted.filter((e) => e.status === "done_late").length;
  const overdue = counted.filter((e) => OPEN.has(e.status)).length;
  const due = counted.length - excused;
  const onTime = due - late - overdue;
  return { due, onTime, late, overdue, excused, rate: due ? Math.round((100 * onTime) / due) : null };
}

// Each member of the site who did checks this week or owns open actions (auditors look
// on, they do neither): checks done this week, how many failed, open actions, past due.
// Corrected checks count once, as their correction.
export function peopleFigures({ records, people, actions, now }) {
  const since = weekStart(records, now);
  const figures = new Map();
  const of = (id) => {
    if (!figures.has(id)) figures.set(id, { id, checks: 0, failed: 0, actions: 0, overdue: 0 });
    return figures.get(id);
  };
  for (const i of records.inspections) {
    const at = Date.parse(i.completed_at);
    if (i.superseded_by || at < since || at > now) continue;
    const person = of(i.inspector_id);
    person.checks += 1;
    if (i.result === "fail") person.failed += 1;
  }
  for (const a of actions) {
    if (CLOSED.has(a.state) || !a.owner_id) continue;
    const person = of(a.owner_id);
    person.actions += 1;
    if (pastDue(a, now)) person.overdue += 1;
  }
  const names = new Map(people.map((p) => [p.id, p]));
  return [...figures.values()]
    .map((f) => ({ ...f, person: names.get(f.id) ?? null }))
    .sort((a, b) => b.checks - a.checks || b.actions - a.actions || personName(a).localeCompare(personName(b)));
}

const personName = (figure) => figure.person?.name ?? "";

// Lookups for saying where a record is: its thing's name, asset number and place.
export function placeIndex(records) {
  return {
    assets: new Map(records.assets.map((a) => [a.id, a])),
    locations: new Map(records.locations.map((l) => [l.id, l])),
  };
}

// Where an action or a finding is: the thing's (or the place's) name, the asset number and
// the path of places above it, top first.
export function whereIs(index, { asset_id: assetId, location_id: locationId }) {
  const asset = assetId ? index.assets.get(assetId) : null;
  if (asset) {
    return { name: nameOf(asset), number: asset.asset_number ?? "", path: pathText(locationPath(asset.location_id, index.locations)) };
  }
  const place = locationId ? index.locations.get(locationId) : null;
  if (place) return { name: nameOf(place), number: place.code ?? "", path: pathText(locationPath(place.parent_id, index.locations)) };
  return null;
}
