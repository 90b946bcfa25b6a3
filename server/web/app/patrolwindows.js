// When a patrol schedule's rounds are due and who walks them: the phone's reading of
// server/patrols/windows.py, so that offline it names the same windows (and so the same
// round ids) as the server. Only what the phone needs: the windows dated around today, and
// whether the person logged in is on duty for them.
//
// Wall-clock times become instants as checklists do (recurrence.js occurrences are reused).
// A round belongs to the local date its window starts on, so the 02:00 round of a night
// belongs to the evening before and its key is `2026-11-23T02:00+1`. Fixed windows last
// their duration in elapsed time; the slots of a repeating schedule tile the night with no
// gap. Grace is elapsed time after a window's end.

import { isoDay, SchoolCalendar } from "./calendar.js";
import { occurrencesFor, WallClock } from "./recurrence.js";
import { sha256 as plainSha256 } from "./sha256.js";

const DAY_MINUTES = 24 * 60;
const MINUTE_MS = 60_000;

function minutes(clock) {
  return Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
}

function clock(total) {
  const m = ((total % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

// A daily rule over the given windows, as one "version" of a checklist schedule in force
// since 1970: recurrence.js then yields exactly the server's occurrences.
function daily(windows) {
  return [{ effective_from: 0, rule: { every: "daily", windows } }];
}

// (start, end) of each slot of a repeating schedule, in minutes from the first midnight.
export function slots(times) {
  const first = minutes(times.start);
  let last = minutes(times.end);
  if (last <= first) last += DAY_MINUTES;
  const found = [];
  for (let at = first; at < last; at += times.every_minutes) found.push([at, Math.min(at + times.every_minutes, last)]);
  return found;
}

function isDue(days, calendar, day) {
  if (days === "every_day") return true;
  if (days === "school_days") return calendar.isSchoolDay(day);
  return calendar.termOf(day) !== null;
}

// The windows of `schedule` (a pulled patrol_schedule) dated `firstDay` to `lastDay` (day
// numbers, inclusive), in order of their start: {scheduleId, key, localDate, start, end,
// graceEnd}, times in ms. `calendar`: the site's pulled calendar record's `calendar`, or
// null (school days are then Monday to Friday, and there are no terms).
export function roundWindows(schedule, { firstDay, lastDay, tz, calendar = null, wall = null }) {
  const clockOf = wall ?? new WallClock(tz);
  const school = new SchoolCalendar(calendar ?? {});
  const times = schedule.times;
  const found = [];
  const add = (key, localDate, start, end, graceMinutes) =>
    found.push({ scheduleId: schedule.id, key, localDate, start, end, graceEnd: end + graceMinutes * MINUTE_MS });
  if (times.kind === "fixed") {
    const windows = times.windows.map((w) => ({ start: w.start, end: clock(minutes(w.start) + w.duration_minutes) }));
    const byStart = new Map(times.windows.map((w) => [w.start, w]));
    for (const due of occurrencesFor(daily(windows), firstDay, lastDay, { tz, wall: clockOf })) {
      if (!isDue(schedule.days, school, due.localDate)) continue;
      const fixed = byStart.get(due.key.split("T")[1]);
      add(due.key, due.localDate, due.dueStart, due.dueStart + fixed.duration_minutes * MINUTE_MS, fixed.grace_minutes ?? 0);
    }
  } else {
    const all = slots(times);
    const slot = ([start, end]) => ({ start: clock(start), end: clock(end) });
    const evening = all.filter(([start]) => start < DAY_MINUTES).map(slot);
    const morning = all.filter(([start]) => start >= DAY_MINUTES).map(slot);
    for (const [windows, shift] of [[evening, 0], [morning, 1]]) {
      if (!windows.length) continue;
      for (const due of occurrencesFor(daily(windows), firstDay + shift, lastDay + shift, { tz, wall: clockOf })) {
        const day = due.localDate - shift;
        if (!isDue(schedule.days, school, day)) continue;
        const key = `${isoDay(day)}T${due.key.split("T")[1]}${shift ? "+1" : ""}`;
        add(key, day, due.dueStart, due.dueEnd, times.grace_minutes ?? 0);
      }
    }
  }
  return found.sort((a, b) => a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// Who owes the rounds dated `day` (a day number): {role} or {people, replaced}. A
// substitute for someone not on the roster that day is added all the same (windows.py).
export function whoIsDue(schedule, day) {
  const who = schedule.who;
  if (who.kind === "role") return { role: who.role, people: [], replaced: [] };
  if (who.kind === "people") return { role: null, people: [...who.people], replaced: [] };
  const date = isoDay(day);
  const people = (who.duties ?? []).filter((d) => d.day === date).map((d) => d.person);
  const replaced = [];
  for (const swap of who.substitutes ?? []) {
    if (swap.day !== date) continue;
    const at = people.indexOf(swap.replaces);
    if (at >= 0) {
      people.splice(at, 1);
      replaced.push(swap.replaces);
    }
    if (!people.includes(swap.person)) people.push(swap.person);
  }
  return { role: null, people: [...new Set(people)], replaced };
}

// Whether the person (`userId`, with `role` at the schedule's site) owes the rounds of `day`.
export function isOnDuty(schedule, day, userId, role) {
  const duty = whoIsDue(schedule, day);
  return duty.role !== null ? duty.role === role : duty.people.includes(userId);
}

// --- round ids -----------------------------------------------------------------------

// A scheduled window's round id, the same on every phone and on the server
// (windows.py round_id_for): a UUIDv8 of the first 16 bytes of SHA-256 of
// `{schedule_id}/{window_key}`.
export async function roundIdFor(scheduleId, windowKey) {
  const bytes = new Uint8Array((await sha256(new TextEncoder().encode(`${scheduleId}/${windowKey}`))).slice(0, 16));
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// crypto.subtle exists only in a secure context: a school that serves the app over plain
// HTTP on its own network still gets the same ids, from sha256.js.
async function sha256(data) {
  if (globalThis.crypto?.subtle) return crypto.subtle.digest("SHA-256", data);
  return plainSha256(data);
}
