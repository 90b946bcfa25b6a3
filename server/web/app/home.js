// The parts of home each role needs (roles.js homeParts), from the pulled data: the
// overview of the sites a person looks over, their own open actions by due time, their own
// due work (the `mine` rule), and for an auditor what they may do. Loaded with home, never
// with a tag's page.

import { isOverdue, myActions } from "./actionrules.js";
import { h } from "./dom.js";
import { siteRecords } from "./duework.js";
import { nameOf, pick, t } from "./i18n.js";
import { count, placeLines } from "./manager.js";
import { formatTime, go } from "./nav.js";
import { actionAges, placeIndex, todayCounts, whereIs } from "./overview.js";
import { homeParts, READERS, readsOnly } from "./roles.js";
import * as store from "./store.js";

const SHOWN_ACTIONS = 3;

function wide(testid, text, path, plain = true) {
  return h("button", { type: "button", class: plain ? "wide plain" : "wide", "data-testid": testid, onclick: () => go(path) }, text);
}

// The figures of each site looked over, one line of counts a site, and the way in.
async function overviewPart(sites, now) {
  const lines = await Promise.all(sites.map(async (site) => {
    const [records, actions] = await Promise.all([siteRecords(site.site_id), store.recordsOf(site.site_id, "action")]);
    if (!records.site) return h("p", { class: "muted" }, site.site_name, " · ", t("manager.not_pulled"));
    const due = todayCounts(records, now);
    const ages = actionAges(actions, now);
    const list = `/app/manager/actions?site=${site.site_id}`;
    return h("div", { "data-testid": "home-overview-site", "data-site": site.site_id },
      sites.length > 1 ? h("h3", {}, nameOf(records.site)) : null,
      h("div", { class: "manager-counts pairs" },
        count("home-due-left", due.left, t("manager.due_left"), "/app/due"),
        count("home-overdue", due.overdue, t("manager.overdue"), "/app/due?overdue=1"),
        count("home-actions-open", ages.open, t("home.actions_open"), list),
        count("home-actions-overdue", ages.overdue, t("manager.actions_overdue"), `${list}&overdue=1`)));
  }));
  return h("section", { class: "card", "data-testid": "home-overview" },
    h("h2", {}, t("manager.title")),
    lines,
    wide("menu-manager", t("home.open_overview"), "/app/manager", false));
}

// The person's own open actions, the soonest due first, and those waiting for their
// sign-off.
async function actionsPart(user, sites, now) {
  const all = await Promise.all(sites.map(async (site) => {
    const [actions, records] = await Promise.all([
      store.recordsOf(site.site_id, "action"),
      Promise.all(["asset", "location"].map((entity) => store.recordsOf(site.site_id, entity))),
    ]);
    const places = placeIndex({ assets: records[0], locations: records[1] });
    return actions.map((action) => ({ action, where: whereIs(places, action) }));
  }));
  const found = all.flat();
  const where = new Map(found.map((f) => [f.action.id, f.where]));
  const mine = myActions(found.map((f) => f.action), user.id);
  const item = (action) => {
    const place = where.get(action.id);
    const late = isOverdue(action, now);
    return h("li", { "data-testid": "home-action", "data-id": action.id },
      h("button", { type: "button", class: "link", onclick: () => go(`/app/actions/${action.id}`) }, pick(action.title, action.title_en)),
      ...placeLines(place),
      h("div", { class: late ? "warn" : "muted" }, t("actions.due", { time: formatTime(action.due_at) }),
        late ? h("span", { class: "badge" }, t("actions.overdue")) : null));
  };
  const more = mine.todo.length - SHOWN_ACTIONS;
  return h("section", { class: "card", "data-testid": "home-actions", "data-count": String(mine.todo.length) },
    h("h2", {}, t("home.my_actions", { count: mine.todo.length })),
    mine.todo.length
      ? h("ul", { class: "list" }, mine.todo.slice(0, SHOWN_ACTIONS).map(item))
      : h("p", { class: "muted" }, t("home.no_actions")),
    more > 0 ? h("p", { class: "muted" }, t("home.more_actions", { count: more })) : null,
    mine.signOff.length
      ? h("p", { class: "note-line", "data-testid": "home-sign-off" }, t("home.sign_off", { count: mine.signOff.length }))
      : null,
    wide("menu-actions", t("home.all_actions"), "/app/actions"));
}

// What is due today and overdue on the things that are the person's to check (`mine`), or
// on everything at their sites.
async function duePart(sites, now, mine) {
  const pulled = (await Promise.all(sites.map((site) => siteRecords(site.site_id)))).filter((r) => r.site);
  const counts = pulled.map((records) => todayCounts(records, now, { mine }));
  const left = counts.reduce((sum, c) => sum + c.left, 0);
  const overdue = counts.reduce((sum, c) => sum + c.overdue, 0);
  const list = mine ? "/app/due?mine=1" : "/app/due?mine=0";
  return h("section", { class: "card", "data-testid": "home-due", "data-mine": String(mine) },
    h("h2", {}, t(mine ? "home.my_due" : "home.site_due")),
    // Before the first pull there is nothing to count: said so, not "0".
    pulled.length
      ? h("div", { class: "manager-counts" },
        count("home-my-due", left, t("home.my_due_today"), list),
        count("home-my-overdue", overdue, t("home.my_overdue"), `${list}&overdue=1`))
      : h("p", { class: "muted" }, t("manager.not_pulled")),
    wide("home-open-due", t(mine ? "home.open_my_due" : "home.open_site_due"), list, false),
    mine ? wide("menu-due", t("home.menu_due"), "/app/due?mine=0") : null);
}

// The person's rounds: the one to walk now and the next, at each site, and the way into
// patrol mode (patrol.js). `entries`: what patrolduty.js found for each site.
async function patrolPart(sites, user, now) {
  const [{ myWindows, nowAndNext, patrolRecords, windowPath }, { stateBadge, windowTimes }] =
    await Promise.all([import("./patrolduty.js"), import("./patrol.js")]);
  const lines = await Promise.all(sites.map(async (site) => {
    const records = await patrolRecords(site.site_id);
    if (!records.site) return [];
    const shown = nowAndNext(await myWindows(records, user, now), now);
    return shown.map((entry) =>
      h("li", { "data-testid": "home-patrol-round", "data-when": entry.when, "data-state": entry.state },
        h("button", { type: "button", class: "link", onclick: () => go(windowPath(site.site_id, entry)) },
          `${t(`home.patrol_${entry.when}`)} ${windowTimes(entry.window, records.site.timezone)} · `,
          pick(entry.schedule.name, entry.schedule.name_en)),
        stateBadge(entry.state, entry.kept?.waiting)));
  }));
  const found = lines.flat();
  return h("section", { class: "card", "data-testid": "home-patrol" },
    h("h2", {}, t("home.patrol")),
    found.length ? h("ul", { class: "list" }, found) : h("p", { class: "muted" }, t("home.patrol_none")),
    wide("menu-patrol", t("home.open_patrol"), "/app/patrol", false));
}

// Whether anyone not on the patrol staff owes a round today at one of these sites.
async function roundsDue(sites, user, now) {
  // Most sites have no round schedule: then nothing of patrol mode is loaded.
  const scheduled = await Promise.all(sites.map(async (site) => (await store.recordsOf(site.site_id, "patrol_schedule")).length > 0));
  if (!scheduled.includes(true)) return [];
  const { myWindows, patrolRecords } = await import("./patrolduty.js");
  const due = await Promise.all(sites.filter((_, at) => scheduled[at]).map(async (site) => {
    const entries = await myWindows(await patrolRecords(site.site_id), user, now);
    return entries.some((e) => ["upcoming", "open", "in_progress"].includes(e.state)) ? site : null;
  }));
  return due.filter(Boolean);
}

function patrolSites(user) {
  return (user?.sites ?? []).filter((s) => !READERS.has(s.role));
}

// Gate mode (gate.js) for those who work the gate: how many visitors are inside and how
// many wait for their host, and the way in.
async function gatePart(sites) {
  const { visitsOf } = await import("./gatelocal.js");
  const visits = (await Promise.all(sites.map((site) => visitsOf(site.site_id)))).flat();
  const inside = visits.filter((v) => v.state === "inside").length;
  const waiting = visits.filter((v) => v.state === "pending" && v.checked_in_at).length;
  return h("section", { class: "card", "data-testid": "home-gate" },
    h("h2", {}, t("home.gate")),
    h("p", { class: "muted", "data-testid": "home-gate-counts" }, t("home.gate_counts", { inside, waiting })),
    wide("menu-gate", t("home.open_gate"), "/app/gate", false));
}

// Where the gate's part goes: first for a gatekeeper (the gate is their work), after the
// first part for a manager.
function withGate(parts, user) {
  const sites = (user?.sites ?? []).filter((s) => ["gatekeeper", "admin", "manager"].includes(s.role));
  if (!sites.length) return parts;
  const leads = sites.some((s) => s.role === "gatekeeper") &&
    !(user?.sites ?? []).some((s) => ["admin", "manager", "maintainer", "inspector"].includes(s.role));
  const at = leads ? 0 : Math.min(1, parts.length);
  return [...parts.slice(0, at), { part: "gate", sites }, ...parts.slice(at)];
}

// Visitors waiting at a gate for the person's word (hostvisits.js, online).
function hostPart() {
  return h("section", { class: "card", "data-testid": "home-host" },
    wide("menu-host-visits", t("home.my_visitors"), "/app/visits"));
}

// Early-leave passes the person made as a class teacher (teacherpasses.js, online): for
// everyone who records, but those whose work is the gate alone.
function leavePart(user) {
  const sites = (user?.sites ?? []).filter((s) => !READERS.has(s.role) && s.role !== "gatekeeper");
  return sites.length
    ? h("section", { class: "card", "data-testid": "home-leave" }, wide("menu-leave", t("home.leave_passes"), "/app/leave"))
    : null;
}

function readOnlyPart() {
  return h("section", { class: "card note", "data-testid": "home-read-only" },
    h("h2", {}, t("home.read_only")), h("p", {}, t("home.read_only_hint")));
}

// Home's parts in the order the person's roles give them; `scan` draws the scanner (main.js
// has it, with the typed code: it is drawn with home, never later).
export async function roleParts(user, { scan, now = Date.now() }) {
  const parts = withGate(homeParts(user), user);
  if (!parts.some((p) => p.part === "patrol") && !readsOnly(user)) {
    const due = await roundsDue(patrolSites(user), user, now);
    // After the person's own first part: their round is today's, their role's work is theirs.
    if (due.length) parts.splice(1, 0, { part: "patrol", sites: due });
  }
  const drawn = await Promise.all(parts.map(({ part, sites }) => {
    if (part === "overview") return overviewPart(sites, now);
    if (part === "patrol") return patrolPart(sites, user, now);
    if (part === "gate") return gatePart(sites);
    if (part === "actions") return actionsPart(user, sites, now);
    if (part === "due" || part === "site_due") return duePart(sites, now, part === "due");
    return scan();
  }));
  return readsOnly(user) ? [...drawn, readOnlyPart()] : [...drawn, hostPart(), leavePart(user)].filter(Boolean);
}
