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
// HTTP on its own network still gets the same ids, from the small SHA-256 below.
async function sha256(data) {
  if (globalThis.crypto?.subtle) return crypto.subtle.digest("SHA-256", data);
  return sha256Plain(data);
}

const K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export function sha256Plain(data) {
  const bits = data.length * 8;
  const length = Math.ceil((data.length + 9) / 64) * 64;
  const padded = new Uint8Array(length);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(length - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(length - 4, bits >>> 0);
  const hash = Uint32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let block = 0; block < length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(block + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, h] = hash;
    for (let i = 0; i < 64; i++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      [h, g, f, e, d, c, b, a] = [g, f, e, (d + t1) >>> 0, c, b, a, (t1 + t2) >>> 0];
    }
    const next = [a, b, c, d, e, f, g, h];
    for (let i = 0; i < 8; i++) hash[i] = (hash[i] + next[i]) >>> 0;
  }
  const out = new DataView(new ArrayBuffer(32));
  hash.forEach((word, i) => out.setUint32(i * 4, word));
  return out.buffer;
}
