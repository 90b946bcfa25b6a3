// The manager screen (/app/manager): for each site where the person is an admin, a manager
// or an auditor (who only reads), this week's completion rate, today's due work and what is
// overdue, the open corrective actions by age with the oldest of them, the open high
// findings, and each person's checks and actions this week. Every count opens its list:
//
//   /app/manager/actions?site={id}[&age={AGES key}][&overdue=1][&owner={person id}]
//                                                                 open actions, oldest first
//   /app/manager/findings?site={id}                               open high findings
//   /app/manager/refused?site={id}                                records the server refused
//
// and the due counts open the due screen. All from the pulled data, so it works offline,
// and it says as of which sync; only the refused records (kept by the server alone) need
// the network.

import { h, show } from "./dom.js";
import { siteRecords } from "./duework.js";
import { label, nameOf, pick, refusal, t } from "./i18n.js";
import { backButton, formatTime, go } from "./nav.js";
import {
  actionAges,
  AGES,
  openActions,
  pastDue,
  peopleFigures,
  placeIndex,
  todayCounts,
  weekFigures,
  whereIs,
} from "./overview.js";
import { OVERSEERS, roleAt } from "./roles.js";
import * as store from "./store.js";

const DAY_MS = 86_400_000;

export function redrawOnSync() {
  return true;
}

function overseenSites(user) {
  return (user?.sites ?? []).filter((s) => OVERSEERS.has(s.role));
}

// Everything a site's part of the screen is drawn from.
async function siteData(siteId) {
  const [records, actions, findings, people] = await Promise.all([
    siteRecords(siteId),
    store.recordsOf(siteId, "action"),
    store.recordsOf(siteId, "finding"),
    store.recordsOf(siteId, "person"),
  ]);
  return { records, actions, findings, people, places: placeIndex(records) };
}

// A count that opens its list.
export function count(testid, value, text, path) {
  return h("button", {
    type: "button",
    class: "manager-count",
    "data-testid": testid,
    "data-count": String(value),
    onclick: () => go(path),
  }, h("strong", {}, String(value)), h("span", {}, text));
}

function age(action, now) {
  const since = now - Date.parse(action.raised_at);
  return since < DAY_MS
    ? t("manager.age_hours", { hours: Math.max(0, Math.floor(since / 3_600_000)) })
    : t("manager.age_days", { days: Math.floor(since / DAY_MS) });
}

function personName(people, id) {
  return people.find((p) => p.id === id)?.name ?? null;
}

// The thing's name with its asset number, and the place it is in, on lines of their own.
export function placeLines(where) {
  if (!where) return [h("div", { class: "muted" }, t("manager.no_place"))];
  return [
    h("div", { "data-testid": "manager-thing" }, where.name,
      where.number ? [" · ", h("span", { class: "muted nowrap" }, t("manager.number", { number: where.number }))] : null),
    where.path ? h("div", { class: "muted", "data-testid": "manager-place" }, where.path) : null,
  ];
}

// An open action: what is wrong, on what and where, whose it is and for how long.
function actionItem(action, { places, people }, now) {
  const owner = personName(people, action.owner_id);
  const late = pastDue(action, now);
  return h("li", { "data-testid": "manager-action", "data-id": action.id },
    h("button", { type: "button", class: "link", onclick: () => go(`/app/actions/${action.id}`) },
      pick(action.title, action.title_en)),
    ...placeLines(whereIs(places, action)),
    h("div", { class: "muted", "data-testid": "manager-owner" },
      owner ? t("manager.owner", { name: owner }) : t("manager.no_owner")),
    h("div", { class: late ? "warn" : "muted", "data-testid": "manager-age-of" },
      age(action, now), " · ", t("manager.raised_at", { time: formatTime(action.raised_at) }),
      late ? ` · ${t("manager.past_due")}` : ""));
}

function weekSection(week) {
  const part = (testid, value, key) =>
    h("div", { class: "manager-week-part", "data-testid": testid, "data-count": String(value) },
      h("strong", {}, String(value)), h("span", {}, t(key)));
  return h("section", { class: "card", "data-testid": "manager-week" },
    h("h2", {}, t("manager.week")),
    h("div", { class: "manager-rate", "data-testid": "manager-rate", "data-rate": String(week.rate ?? "") },
      // Early in the week nothing may be due yet: said so, not a rate of nothing.
      week.rate === null
        ? h("span", { class: "muted" }, t("manager.rate_none"))
        : [h("strong", {}, `${week.rate}%`), h("span", {}, t("manager.rate"))]),
    h("div", { class: "manager-week-parts" },
      part("manager-week-due", week.due, "manager.week_due"),
      part("manager-week-on-time", week.onTime, "manager.week_on_time"),
      part("manager-week-late", week.late, "manager.week_late"),
      part("manager-week-overdue", week.overdue, "manager.week_overdue"),
      part("manager-week-excused", week.excused, "manager.week_excused")),
    h("p", { class: "muted help" }, t("manager.rate_help")));
}

function peopleSection(figures, site) {
  const rows = figures.map((f) =>
    h("tr", { "data-testid": "manager-person", "data-id": f.id },
      h("th", { scope: "row" }, f.person?.name ?? t("manager.someone"),
        f.person ? h("div", { class: "muted person-role" }, label("role", f.person.role)) : null),
      h("td", { "data-testid": "person-checks" }, String(f.checks)),
      h("td", { "data-testid": "person-failed", class: f.failed ? "warn" : "" }, String(f.failed)),
      h("td", { "data-testid": "person-actions" },
        f.actions
          ? h("button", { type: "button", class: "link", onclick: () => go(`/app/manager/actions?site=${site}&owner=${f.id}`) },
            String(f.actions))
          : "0",
        f.overdue ? h("div", { class: "warn person-overdue", "data-testid": "person-overdue" }, t("manager.person_overdue", { count: f.overdue })) : null)));
  return h("section", { class: "card", "data-testid": "manager-people" },
    h("h2", {}, t("manager.people")),
    rows.length
      ? h("table", { class: "manager-people" },
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, t("manager.person")),
          h("th", { scope: "col" }, t("manager.person_checks")),
          h("th", { scope: "col" }, t("manager.person_failed")),
          h("th", { scope: "col" }, t("manager.person_actions")))),
        h("tbody", {}, rows))
      : h("p", { class: "muted" }, t("manager.people_none")));
}

async function siteSection(site, role, now) {
  const data = await siteData(site.site_id);
  const { records, actions, findings } = data;
  if (!records.site) {
    return h("section", { class: "card", "data-testid": "manager-site", "data-site": site.site_id },
      h("h2", {}, site.site_name), h("p", { class: "muted" }, t("manager.not_pulled")));
  }
  const id = site.site_id;
  const due = todayCounts(records, now);
  const ages = actionAges(actions, now);
  const high = findings.filter((f) => f.status === "open" && f.severity === "high").length;
  const list = (query) => `/app/manager/actions?site=${id}${query}`;
  const buckets = ages.buckets.map((b) =>
    h("li", { "data-testid": "manager-age", "data-age": b.key, "data-count": String(b.count) },
      h("button", { type: "button", class: "manager-age", onclick: () => go(list(`&age=${b.key}`)) },
        h("span", {}, t(`manager.age_${b.key}`)), h("strong", {}, String(b.count)))));
  return h("div", { "data-testid": "manager-site", "data-site": id },
    h("section", { class: "card" },
      h("h2", {}, nameOf(records.site)),
      h("div", { class: "manager-counts" },
        count("manager-due-today", due.total, t("manager.due_today"), "/app/due"),
        count("manager-due-left", due.left, t("manager.due_left"), "/app/due"),
        count("manager-overdue", due.overdue, t("manager.overdue"), "/app/due?overdue=1")),
      h("div", { class: "manager-counts" },
        count("manager-findings-high", high, t("manager.findings_high"), `/app/manager/findings?site=${id}`),
        // The server keeps the refused records, and shows them to a site's managers only.
        role === "auditor" ? null : refusedCount(id))),
    weekSection(weekFigures(records, now)),
    h("section", { class: "card" },
      h("h2", {}, t("manager.actions")),
      h("div", { class: "manager-counts" },
        count("manager-actions-open", ages.open, t("manager.actions_open"), list("")),
        count("manager-actions-overdue", ages.overdue, t("manager.actions_overdue"), list("&overdue=1"))),
      h("ul", { class: "list manager-ages" }, buckets),
      ages.oldest.length
        ? [h("h3", {}, t("manager.oldest")),
          h("ul", { class: "list manager-oldest" }, ages.oldest.map((a) => actionItem(a, data, now)))]
        : null),
    peopleSection(peopleFigures({ records, people: data.people, actions, now }), id));
}

// --- refused records: asked of the server ------------------------------------------------

async function fetchRefused(siteId) {
  const [device, api] = await Promise.all([store.getMeta("device"), import("./api.js")]);
  return api.siteRefusals(device.token, siteId);
}

// How many records of the site the server refused, filled in once it has answered; offline
// the count is not known.
function refusedCount(siteId) {
  const button = count("manager-refused", "…", t("manager.refused"), `/app/manager/refused?site=${siteId}`);
  if (navigator.onLine) {
    fetchRefused(siteId).then((found) => {
      button.dataset.count = String(found.length);
      button.querySelector("strong").textContent = String(found.length);
    }, () => {
      button.querySelector("strong").textContent = t("none");
    });
  } else {
    button.querySelector("strong").textContent = t("none");
  }
  return button;
}

// --- the lists ---------------------------------------------------------------------------

function listPage(view, title, testid, items, empty) {
  show(view,
    h("div", { class: "card", "data-testid": testid },
      h("h1", { "data-testid": "manager-list-title" }, title),
      items.length
        ? h("ul", { class: "list" }, items)
        : h("p", { class: "muted", "data-testid": "manager-list-empty" }, empty)),
    backButton("/app/manager"));
}

async function actionsList(view, siteId, query, now) {
  const data = await siteData(siteId);
  const age = AGES.some(([key]) => key === query.get("age")) ? query.get("age") : null;
  const overdue = query.get("overdue") === "1";
  const owner = query.get("owner");
  const found = openActions(data.actions, now, { age, overdue }).filter((a) => !owner || a.owner_id === owner);
  let title = t("manager.list_open");
  if (age) title = t("manager.list_age", { age: t(`manager.age_${age}`) });
  if (overdue) title = t("manager.list_overdue");
  if (owner) title = t("manager.list_owner", { name: personName(data.people, owner) ?? t("manager.someone") });
  listPage(view, title, "manager-actions-list", found.map((a) => actionItem(a, data, now)), t("manager.list_none"));
}

async function findingsList(view, siteId) {
  const data = await siteData(siteId);
  const templates = new Map(data.records.templates.map((r) => [r.key, r.template]));
  const found = data.findings
    .filter((f) => f.status === "open" && f.severity === "high")
    .sort((a, b) => Date.parse(a.observed_at) - Date.parse(b.observed_at));
  const byFinding = new Map(data.actions.map((a) => [a.finding_id, a]));
  const items = found.map((f) => {
    const item = templates.get(f.template_key)?.items.find((i) => i.key === f.item_key);
    const action = byFinding.get(f.id);
    return h("li", { "data-testid": "manager-finding", "data-id": f.id },
      h("div", { class: "sev-high" }, item ? pick(item.label["zh-CN"], item.label.en) : f.item_key),
      ...placeLines(whereIs(data.places, f)),
      h("div", { class: "muted" }, t("manager.observed", { time: formatTime(f.observed_at) })),
      action
        ? h("button", { type: "button", class: "link", onclick: () => go(`/app/actions/${action.id}`) },
          t("manager.finding_action", { state: t(`actions.state.${action.state}`) }))
        : null);
  });
  listPage(view, t("manager.list_findings"), "manager-findings-list", items, t("manager.list_none"));
}

async function refusedList(view, siteId) {
  if (!navigator.onLine) {
    listPage(view, t("manager.list_refused"), "manager-refused-list", [], t("manager.refused_offline"));
    return;
  }
  let found;
  try {
    found = await fetchRefused(siteId);
  } catch (error) {
    const api = await import("./api.js");
    listPage(view, t("manager.list_refused"), "manager-refused-list", [], api.describeError(error));
    return;
  }
  const items = found.map((r) =>
    h("li", { "data-testid": "manager-refused-op", "data-id": r.op_id },
      h("div", {}, t(`op.${r.type}`), " · ", r.user_name || t("manager.someone")),
      h("div", { class: "muted" }, formatTime(r.occurred_at ?? r.received_at)),
      h("div", { class: "warn reason" }, refusal(r.code, r.status))));
  listPage(view, t("manager.list_refused"), "manager-refused-list", items, t("manager.list_none"));
}

const LISTS = { actions: actionsList, findings: findingsList, refused: refusedList };

export async function render(view, route) {
  const [user, lastSync] = await Promise.all([store.getMeta("user"), store.getMeta("last_sync")]);
  const sites = overseenSites(user);
  const now = Date.now();
  const listed = route?.id && Object.hasOwn(LISTS, route.id) ? route.query.get("site") : null;
  if (listed && sites.some((s) => s.site_id === listed)) {
    await LISTS[route.id](view, listed, route.query, now);
    return;
  }
  const asOf = h("p", { class: "muted", "data-testid": "manager-as-of" },
    lastSync ? t("manager.as_of", { time: formatTime(lastSync) }) : t("manager.never_synced"));
  if (!sites.length) {
    show(view, h("div", { class: "card" }, h("h1", {}, t("manager.title")),
      h("p", { class: "muted", "data-testid": "manager-none" }, t("manager.only_managers"))), backButton());
    return;
  }
  const sections = await Promise.all(sites.map((site) => siteSection(site, roleAt(user, site.site_id), now)));
  show(view,
    h("div", { class: "card" }, h("h1", { "data-testid": "manager-title" }, t("manager.title")), asOf),
    ...sections,
    backButton());
}
