// Patrol mode (/app/patrol): the rounds the person owes today and tonight at each of their
// sites with their windows and states, the rounds walked on this phone that no schedule
// lists (voluntary ones), and a voluntary round to start on every active route. A round
// itself is /app/patrol/{round_id} (patrolwalk.js). All from the phone's own data, so it
// works offline; it asks nothing of a service worker.

import { h, show } from "./dom.js";
import { nameOf, pick, t } from "./i18n.js";
import { backButton, go } from "./nav.js";
import { clockIn, myWindows, OPEN_STATES, patrolRecords, patrolSites, stateOf, windowPath } from "./patrolduty.js";
import { keptRounds } from "./patrolround.js";
import * as store from "./store.js";

export function redrawOnSync(current) {
  // The camera restarting under the person at every sync would lose the label in view.
  return !(current.id && current.query.has("camera"));
}

export async function render(view, current) {
  if (current.id) return (await import("./patrolwalk.js")).renderRound(view, current);
  return renderList(view);
}

// "22:00–00:00", and the grace after it where there is one.
export function windowTimes(window, zone) {
  const times = `${clockIn(window.start, zone)}–${clockIn(window.end, zone)}`;
  return window.graceEnd > window.end ? t("patrol.window_grace", { times, grace: clockIn(window.graceEnd, zone) }) : times;
}

export function stateBadge(state, waiting = false) {
  return h("span", { class: "patrol-state-line" },
    h("span", { class: `due-state patrol-state patrol-state-${state}`, "data-testid": "patrol-state" }, t(`patrol.state.${state}`)),
    waiting ? h("span", { class: "due-state", "data-testid": "patrol-waiting" }, t("patrol.waiting")) : null);
}

function windowItem(siteId, entry, zone, now) {
  const { schedule, route, window } = entry;
  const open = OPEN_STATES.has(entry.state);
  const soon = entry.state === "upcoming" && window.start - now < 3_600_000;
  return h("li", {
    "data-testid": "patrol-window",
    "data-state": entry.state,
    "data-round": entry.roundId,
    "data-window": window.key,
    class: open ? "patrol-now" : null,
  },
  h("button", { type: "button", class: open || soon ? "wide patrol-open" : "wide plain patrol-open", onclick: () => go(windowPath(siteId, entry)) },
    h("span", { class: "patrol-time" }, windowTimes(window, zone)),
    h("span", { class: "patrol-name" }, pick(schedule.name, schedule.name_en) || nameOf(route))),
  h("div", { class: "patrol-meta" }, stateBadge(entry.state, entry.kept?.waiting),
    entry.state === "in_progress" || entry.kept?.record?.started_at
      ? h("span", { class: "muted" }, ` ${t("patrol.covered_short", coveredOf(entry))}`)
      : null));
}

function coveredOf(entry) {
  const record = entry.kept?.record;
  if (record) {
    const tags = new Set(record.scans.map((s) => s.tag));
    return { covered: record.route.checkpoints.filter((c) => tags.has(c.tag)).length, expected: record.route.checkpoints.length };
  }
  return { covered: entry.pulled?.covered ?? 0, expected: entry.pulled?.expected ?? entry.route.checkpoints.length };
}

// Rounds walked on this phone at the site that no window of today lists: voluntary ones,
// and scheduled ones of other days still waiting to be sent.
function otherKept(siteId, kept, listed, records, now) {
  return kept
    .filter(({ record }) => record.site_id === siteId && !listed.has(record.round_id))
    .filter(({ record, waiting }) => waiting || !record.finished_at || now - Date.parse(record.finished_at) < 86_400_000)
    .map((k) => {
      const state = stateOf({ kept: k, pulled: records.rounds.get(k.record.round_id) ?? null, window: k.record.window, now });
      return h("li", { "data-testid": "patrol-kept", "data-state": state, "data-round": k.record.round_id },
        h("button", { type: "button", class: "wide plain patrol-open", onclick: () => go(`/app/patrol/${k.record.round_id}`) },
          h("span", { class: "patrol-name" }, nameOf(k.record.route)),
          h("span", { class: "patrol-time" }, k.record.schedule_id ? k.record.window?.key ?? "" : t("patrol.voluntary"))),
        h("div", { class: "patrol-meta" }, stateBadge(state, k.waiting)));
    });
}

async function siteSection(site, user, kept, several, now) {
  const records = await patrolRecords(site.site_id);
  if (!records.site) {
    return h("section", { class: "card" }, several ? h("h2", {}, site.site_name) : null, h("p", { class: "muted" }, t("manager.not_pulled")));
  }
  const zone = records.site.timezone;
  const entries = await myWindows(records, user, now, kept);
  const listed = new Set(entries.map((e) => e.roundId));
  const others = otherKept(site.site_id, kept, listed, records, now);
  return h("div", { "data-testid": "patrol-site", "data-site": site.site_id },
    several ? h("h2", { class: "due-site-name" }, nameOf(records.site)) : null,
    h("section", { class: "card", "data-testid": "patrol-windows" },
      h("h2", {}, t("patrol.my_rounds")),
      entries.length
        ? h("ul", { class: "list patrol-list" }, entries.map((e) => windowItem(site.site_id, e, zone, now)))
        : h("p", { class: "muted", "data-testid": "patrol-none" }, t("patrol.none_due"))),
    others.length
      ? h("section", { class: "card" }, h("h2", {}, t("patrol.on_this_phone")), h("ul", { class: "list patrol-list" }, others))
      : null,
    records.routes.length
      ? h("section", { class: "card", "data-testid": "patrol-routes" },
        h("h2", {}, t("patrol.voluntary_title")),
        h("p", { class: "muted" }, t("patrol.voluntary_hint")),
        records.routes.map((route) =>
          h("button", {
            type: "button",
            class: "wide plain",
            "data-testid": "patrol-voluntary",
            "data-route": route.id,
            onclick: () => go(`/app/patrol/new?${new URLSearchParams({ site: site.site_id, route: route.id })}`),
          }, t("patrol.start_voluntary", { route: nameOf(route), count: route.checkpoints.length }))))
      : null);
}

async function renderList(view) {
  const user = await store.getMeta("user");
  const sites = patrolSites(user);
  const now = Date.now();
  const kept = await keptRounds();
  const sections = await Promise.all(sites.map((site) => siteSection(site, user, kept, sites.length > 1, now)));
  show(view,
    h("div", { class: "card" }, h("h1", { "data-testid": "patrol-title" }, t("patrol.title")), h("p", { class: "muted" }, t("patrol.hint"))),
    ...(sites.length ? sections : [h("p", { class: "card muted" }, t("patrol.no_sites"))]),
    backButton());
}
