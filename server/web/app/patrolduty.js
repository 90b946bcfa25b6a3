// The rounds a person owes today and tonight, from the pulled patrol schedules and routes
// of each of their sites, and the state of each: from this phone's own facts first (what it
// has not sent yet is newer than anything pulled), else from the server's judged round
// (`patrol_round`), else from the clock (upcoming, open now, missed). Used by the patrol
// list and by home.

import { roundIdFor, roundWindows, isOnDuty } from "./patrolwindows.js";
import { keptRounds, localState } from "./patrolround.js";
import { WallClock } from "./recurrence.js";
import { READERS } from "./roles.js";
import * as store from "./store.js";

// States a round can still be walked in: the patrol list offers them first.
export const OPEN_STATES = new Set(["open", "in_progress"]);

// Everything the patrol screens read of one site.
export async function patrolRecords(siteId) {
  const entities = ["site", "calendar", "patrol_route", "patrol_schedule", "patrol_round"];
  const [site, calendar, routes, schedules, rounds] = await Promise.all(entities.map((e) => store.recordsOf(siteId, e)));
  return {
    siteId,
    site: site[0] ?? null,
    calendar: calendar[0]?.calendar ?? null,
    routes: routes.filter((r) => r.status !== "retired"),
    schedules: schedules.filter((s) => s.status !== "retired"),
    rounds: new Map(rounds.map((r) => [r.id, r])),
  };
}

// The sites where the person may walk rounds (an auditor only reads).
export function patrolSites(user) {
  return (user?.sites ?? []).filter((s) => !READERS.has(s.role));
}

// A round's state for the screens. `kept`: {record, waiting} of this phone, or null;
// `pulled`: the server's RoundSummary, or null; `window`: {start, graceEnd}, or null.
export function stateOf({ kept, pulled, window, now }) {
  const local = kept?.record ? localState(kept.record, now) : null;
  if (local && (kept.waiting || !pulled)) return local;
  if (pulled && !(pulled.state === "upcoming" && window && now >= window.start)) return pulled.state;
  if (local) return local;
  if (!window || now < window.start) return "upcoming";
  return now < window.graceEnd ? "open" : "missed";
}

// The windows of the site's schedules the person owes, dated yesterday (only those of the
// night that reaches into today) and today, each {schedule, route, window, roundId, state,
// kept, pulled}, in order of their start.
export async function myWindows(records, user, now = Date.now(), kept = null) {
  if (!records.site) return [];
  const tz = records.site.timezone;
  const wall = new WallClock(tz);
  const today = wall.today(now);
  const midnight = wall.instant(today, 0);
  const role = (user?.sites ?? []).find((s) => s.site_id === records.siteId)?.role ?? null;
  const routes = new Map(records.routes.map((r) => [r.id, r]));
  const byId = new Map((kept ?? (await keptRounds())).map((k) => [k.record.round_id, k]));
  const found = [];
  for (const schedule of records.schedules) {
    const route = routes.get(schedule.route_id);
    if (!route || schedule.status !== "active") continue;
    // The rule owes no window whose grace ended before it took effect (the server keeps
    // what earlier rules owed).
    const since = schedule.rule_since ? Date.parse(schedule.rule_since) : -Infinity;
    const windows = roundWindows(schedule, { firstDay: today - 1, lastDay: today, tz, calendar: records.calendar, wall });
    for (const window of windows) {
      if (window.localDate < today && window.end <= midnight) continue;
      if (window.graceEnd <= since) continue;
      if (!isOnDuty(schedule, window.localDate, user?.id, role)) continue;
      const roundId = await roundIdFor(schedule.id, window.key);
      const mine = byId.get(roundId) ?? null;
      const pulled = records.rounds.get(roundId) ?? null;
      found.push({
        schedule,
        route,
        window,
        roundId,
        kept: mine,
        pulled,
        state: stateOf({ kept: mine, pulled, window, now }),
      });
    }
  }
  return found.sort((a, b) => a.window.start - b.window.start);
}

// The round to walk now and the one after it, for home: [{...entry, when: "now"|"next"}].
export function nowAndNext(entries, now) {
  const current = entries.find((e) => OPEN_STATES.has(e.state));
  const next = entries.find((e) => e.state === "upcoming" && e.window.start > now);
  return [
    current ? { ...current, when: "now" } : null,
    next ? { ...next, when: "next" } : null,
  ].filter(Boolean);
}

// The URL of a scheduled window's round.
export function windowPath(siteId, entry) {
  const query = new URLSearchParams({ site: siteId, schedule: entry.schedule.id, window: entry.window.key });
  return `/app/patrol/${entry.roundId}?${query}`;
}

// A clock time in the site's zone ("22:00").
const clocks = new Map();
export function clockIn(ms, zone) {
  if (!clocks.has(zone)) clocks.set(zone, new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }));
  return clocks.get(zone).format(new Date(ms));
}
