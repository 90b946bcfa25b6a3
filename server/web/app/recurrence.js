// When each occurrence of a schedule is due, and whether it was done: the phone's reading
// of checklists/recurrence.py, so that offline it answers as the server does.
//
// Rules are read in the site's local time. A day is midnight to midnight on the wall clock;
// each local time becomes one instant: a time the clocks go back over is its first pass, a
// time they skip is the moment of the jump. A window the jump swallows whole opens at the
// jump and lasts as long as it does on the clock face. A window whose end is earlier than
// its start ends the next day and belongs to the day it starts.
//
// Dates are day numbers (calendar.js), instants are milliseconds since the epoch, and a
// "naive" time is a wall-clock time written as if it were UTC milliseconds.

import { dateParts, fromParts, isoDay, isoWeekday, monthLength, WEEKDAYS_ONLY } from "./calendar.js";

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
// Beyond this, the next occurrence is too far off to bound lateness (recurrence.py).
export const LATE_HORIZON_DAYS = 732;

export class CalendarRequired extends Error {
  constructor() {
    super("a rule of n times per term needs the site's calendar and its terms");
    this.code = "schedule.calendar_required";
  }
}

// --- wall clocks ---------------------------------------------------------------------

const formatters = new Map();

function formatter(zone) {
  let found = formatters.get(zone);
  if (!found) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, found);
  }
  return found;
}

// The wall-clock time of an instant in a zone, as a naive time. Seconds are enough:
// transitions fall on whole seconds.
export function wallTime(instant, zone) {
  const parts = {};
  for (const part of formatter(zone).formatToParts(new Date(instant))) parts[part.type] = part.value;
  const naive = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
  return naive + (((instant % 1000) + 1000) % 1000);
}

function offsetAt(instant, zone) {
  return wallTime(instant, zone) - instant;
}

// The zone's offsets for a naive time, [fold 0, fold 1] as Python's zoneinfo gives them:
// equal most of the time; the two passes of a repeated time; or, for a skipped time, the
// offsets before and after the jump.
function folds(naive, zone) {
  const before = offsetAt(naive - 1.5 * DAY_MS, zone);
  const after = offsetAt(naive + 1.5 * DAY_MS, zone);
  if (before === after) return [before, before];
  const firstValid = offsetAt(naive - before, zone) === before;
  const secondValid = offsetAt(naive - after, zone) === after;
  if (firstValid && !secondValid) return [before, before];
  if (secondValid && !firstValid) return [after, after];
  return [before, after];
}

// The instant of a naive time (fold 0), or the moment clocks jumped over it (_instant).
export function instantOf(naive, zone) {
  const instant = naive - folds(naive, zone)[0];
  if (wallTime(instant, zone) === naive) return instant;
  return jumpOver(naive, instant, zone);
}

// The moment clocks jumped over `naive`, given an instant past the jump (_jump_over).
function jumpOver(naive, after, zone) {
  const before = after - 2 * DAY_MS;
  let low = 0;
  let high = 2 * 86_400;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (wallTime(before + middle * 1000, zone) > naive) high = middle;
    else low = middle + 1;
  }
  return before + low * 1000;
}

// Wall-clock times of one zone as instants; a day with one offset from midnight to
// midnight is read with it, a day clocks change on is read exactly (_WallClock).
export class WallClock {
  constructor(zone) {
    this.zone = zone;
    this.offsets = new Map();
  }

  instant(day, minutes) {
    let offset = this.offsets.get(day);
    if (offset === undefined) {
      const found = new Set([...folds(day * DAY_MS, this.zone), ...folds((day + 1) * DAY_MS, this.zone)]);
      offset = found.size === 1 ? [...found][0] : null;
      this.offsets.set(day, offset);
    }
    const naive = day * DAY_MS + minutes * MINUTE_MS;
    return offset === null ? instantOf(naive, this.zone) : naive - offset;
  }

  // The local date of an instant.
  today(instant) {
    return Math.floor(wallTime(instant, this.zone) / DAY_MS);
  }
}

// --- occurrences ---------------------------------------------------------------------

function minutesOf(clock) {
  const [hours, minutes] = clock.split(":").map(Number);
  return hours * 60 + minutes;
}

function inOrder(versions) {
  const ordered = [...versions]
    .map((v) => ({ effectiveFrom: dayNumberOf(v.effective_from), rule: v.rule, skipHolidays: Boolean(v.skip_holidays) }))
    .sort((a, b) => a.effectiveFrom - b.effectiveFrom);
  for (let at = 1; at < ordered.length; at += 1) {
    if (ordered[at].effectiveFrom === ordered[at - 1].effectiveFrom) {
      throw new Error(`two versions take effect on ${isoDay(ordered[at].effectiveFrom)}`);
    }
  }
  return ordered;
}

function dayNumberOf(value) {
  return typeof value === "number" ? value : fromParts(...value.split("-").map(Number));
}

function* days(rule, first, last, calendar) {
  if (rule.every === "monthly") {
    let { year, month } = dateParts(first);
    const end = dateParts(last);
    while (year < end.year || (year === end.year && month <= end.month)) {
      const length = monthLength(year, month);
      const day = fromParts(year, month, rule.day === "last" ? length : Math.min(rule.day, length));
      if (first <= day && day <= last) yield day;
      [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
    }
    return;
  }
  if (rule.every === "yearly") {
    for (let year = dateParts(first).year; year <= dateParts(last).year; year += 1) {
      const day = fromParts(year, rule.month, Math.min(rule.day, monthLength(year, rule.month)));
      if (first <= day && day <= last) yield day;
    }
    return;
  }
  const weekdays = rule.every === "weekly" ? new Set(rule.weekdays) : null;
  const schoolOnly = rule.every === "daily" && Boolean(rule.school_days_only);
  for (let day = first; day <= last; day += 1) {
    if (weekdays !== null) {
      if (weekdays.has(isoWeekday(day))) yield day;
    } else if (!schoolOnly || calendar.isSchoolDay(day)) {
      yield day;
    }
  }
}

// Due: [local date, key, due start, due end].
function onDay(rule, day, wall) {
  const windows = rule.windows ?? [];
  if (!windows.length) return [[day, isoDay(day), wall.instant(day, 0), wall.instant(day + 1, 0)]];
  const found = windows.map((window) => {
    const opens = minutesOf(window.start);
    const closes = minutesOf(window.end);
    const endDay = closes < opens ? day + 1 : day;
    const dueStart = wall.instant(day, opens);
    let dueEnd = wall.instant(endDay, closes);
    if (dueEnd <= dueStart) {
      // Swallowed by a spring-forward jump: as long as on the clock, from the jump.
      dueEnd = dueStart + ((endDay - day) * 1440 + closes - opens) * MINUTE_MS;
    }
    return [day, `${isoDay(day)}T${window.start}`, dueStart, dueEnd];
  });
  return found.sort((a, b) => a[2] - b[2] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
}

function* perTerm(rule, first, last, wall, calendar) {
  for (const term of calendar.termsFrom(first)) {
    if (term.firstDay > last) return;
    const bounds = [];
    for (let part = 0; part <= rule.times; part += 1) {
      bounds.push(term.firstDay + Math.floor((term.days * part) / rule.times));
    }
    for (let part = 0; part < rule.times; part += 1) {
      const opens = bounds[part];
      const closes = bounds[part + 1];
      // A term shorter than `times` days has windows of no day at all: none is due.
      if (opens === closes || !(first <= opens && opens <= last)) continue;
      const key = `term-${term.key}#${part + 1}of${rule.times}`;
      yield [opens, key, wall.instant(opens, 0), wall.instant(closes, 0)];
    }
  }
}

function* stream(versions, start, until, wall, calendar) {
  for (let at = 0; at < versions.length; at += 1) {
    const version = versions[at];
    const first = Math.max(start, version.effectiveFrom);
    let last = at + 1 === versions.length ? until : versions[at + 1].effectiveFrom - 1;
    last = Math.min(last, until);
    if (!version.rule || first > last) continue;
    if (version.rule.every === "per_term") {
      if (!calendar) throw new CalendarRequired();
      yield* perTerm(version.rule, first, last, wall, calendar);
      continue;
    }
    for (const day of days(version.rule, first, last, calendar ?? WEEKDAYS_ONLY)) {
      if (version.skipHolidays && calendar && calendar.isHoliday(day)) continue;
      yield* onDay(version.rule, day, wall);
    }
  }
}

// Occurrences of one schedule dated `start` to `end` (day numbers, inclusive), each from the
// version in effect on its date: {key, localDate, dueStart, dueEnd, lateUntil (or null)}.
// `versions` as in a pulled schedule record; `calendar` a SchoolCalendar or null.
// Throws CalendarRequired for a per-term rule without a calendar.
export function occurrencesFor(versions, start, end, { tz, calendar = null, wall = null }) {
  if (end < start) return [];
  const clock = wall ?? new WallClock(tz);
  const found = [];
  let following = null;
  for (const due of stream(inOrder(versions), start, end + LATE_HORIZON_DAYS, clock, calendar)) {
    if (due[0] > end) {
      following = due;
      break;
    }
    found.push(due);
  }
  return found.map((due, at) => {
    const after = at + 1 < found.length ? found[at + 1] : following;
    let lateUntil = null;
    if (after !== null && after[0] - due[0] <= LATE_HORIZON_DAYS) lateUntil = Math.max(after[2], due[3]);
    return { key: due[1], localDate: due[0], dueStart: due[2], dueEnd: due[3], lateUntil };
  });
}

function openStatus(occurrence, late, excused, now) {
  if (late) return "done_late";
  if (excused) return "excused";
  if (now < occurrence.dueStart) return "upcoming";
  if (now < occurrence.dueEnd) return "due";
  return "overdue";
}

// The first index whose time is not below `value` (or above it, with `right`).
function bisect(times, value, low = 0, right = false) {
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (right ? times[middle] <= value : times[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

// The status of each occurrence of one schedule on one target as of `now`, given the
// business times (ms) of the inspections of the target with the schedule's template and
// the excused occurrence keys. Work done outranks an excusal.
export function statuses(occurrences, completedAt, excused, now) {
  let times = [...completedAt].sort((a, b) => a - b);
  times = times.slice(0, bisect(times, now, 0, true));
  const excusedKeys = new Set(excused);
  return occurrences.map((occurrence) => {
    let at = bisect(times, occurrence.dueStart);
    if (at < times.length && times[at] < occurrence.dueEnd) return "done";
    at = bisect(times, occurrence.dueEnd, at);
    const late = at < times.length && (occurrence.lateUntil === null || times[at] < occurrence.lateUntil);
    return openStatus(occurrence, late, excusedKeys.has(occurrence.key), now);
  });
}
