// Repairs and findings: the site's corrective actions as a board by state (open, in
// progress, fixed and waiting to be signed off; verified and cancelled folded away), with
// their owner and due time, filtered by the address (state, owner, overdue, age); one
// action (`action={id}`, or `finding={id}` for the one raised from a finding) with what was
// found, every step since and the steps a manager may take; and the inspections and
// findings behind them (pages/repairs/). Admins and managers change; auditors read.

import * as api from "../api.js";
import { h, claim, showFor, useStyles } from "../dom.js";
import { pageMessage } from "../forms.js";
import { formatDateTime, t } from "../i18n.js";
import { address, badge, canChange, isOverdue, loadError, pick, replaceAddress, STATES } from "./repairs/common.js";

const VIEWS = {
  actions: "repairs.tab_actions",
  findings: "repairs.tab_findings",
  inspections: "repairs.tab_inspections",
};
const OPEN_STATES = ["open", "in_progress", "fixed"];
const CLOSED_STATES = ["verified", "cancelled"];
// A column shows its first actions and reads on when asked; closed ones, the latest few.
const PAGE = 20;
const CLOSED_PAGE = 10;

// The board's filters as the address gives them.
function filtersOf(query) {
  const chosen = (query.get("state") ?? "").split(",").filter((s) => STATES[s]);
  const days = Number.parseInt(query.get("older_than_days") ?? "", 10);
  return {
    states: chosen.length ? chosen : [...OPEN_STATES, ...CLOSED_STATES],
    stateGiven: chosen.length > 0,
    owner: query.get("owner") ?? "",
    overdue: query.get("overdue") === "1",
    olderThan: Number.isInteger(days) && days >= 0 ? days : null,
  };
}

function listPath(site, filters, state, after, limit) {
  const query = new URLSearchParams({ site_id: site.id, state, limit: String(limit) });
  if (filters.owner === "none") query.set("unowned", "true");
  else if (filters.owner) query.set("owner_id", filters.owner);
  if (filters.overdue) query.set("overdue", "true");
  if (filters.olderThan !== null) query.set("older_than_days", String(filters.olderThan));
  if (after) query.set("after", after);
  return `/api/actions?${query}`;
}

function actionCard(action, names, site) {
  const owner = action.owner_id ? names.get(action.owner_id)?.name ?? t("repairs.someone") : null;
  const late = isOverdue(action);
  return h("li", { class: `action-card${late ? " late" : ""}`, "data-testid": "action-card", "data-id": action.id, "data-state": action.state },
    h("a", { class: "action-title", href: address(site.id, { action: action.id }), "data-testid": "action-link" },
      pick(action.title, action.title_en)),
    h("div", { class: "action-line" },
      action.priority === "high" ? badge(t("repairs.priority_high"), "badge-warn", "high-priority") : null,
      late ? badge(t("repairs.overdue"), "badge-warn", "overdue") : null),
    h("div", { class: "muted small-text", "data-testid": "action-owner" },
      owner ? t("repairs.owner_is", { name: owner }) : t("repairs.unassigned")),
    h("div", { class: late ? "warn small-text" : "muted small-text", "data-testid": "action-due" },
      action.closed_at
        ? t("repairs.closed_on", { time: formatDateTime(action.closed_at) })
        : t("repairs.due_on", { time: formatDateTime(action.due_at) })));
}

// The people a page of actions names, and whether any of them holds one of those shown.
function learn(names, page) {
  const owners = new Set(page.items.map((a) => a.owner_id));
  for (const person of page.people) {
    const owner = owners.has(person.id) || (names.get(person.id)?.owner ?? false);
    names.set(person.id, { name: person.name, owner });
  }
}

// One state's actions, a page at a time.
async function column(site, filters, state, names) {
  const limit = CLOSED_STATES.includes(state) ? CLOSED_PAGE : PAGE;
  const first = await api.get(listPath(site, filters, state, null, limit));
  learn(names, first);
  const list = h("ul", { class: "action-list", "data-testid": `column-${state}-list` },
    first.items.map((a) => actionCard(a, names, site)));
  const heading = h("h2", {}, t(STATES[state]), " ", h("span", { class: "count", "data-testid": "count" }, String(first.total)));
  let after = first.next_after;
  const more = h("button", { type: "button", class: "small plain", "data-testid": "more", hidden: !after }, t("repairs.more"));
  more.addEventListener("click", async () => {
    more.disabled = true;
    const page = await api.get(listPath(site, filters, state, after, limit));
    learn(names, page);
    list.append(...page.items.map((a) => actionCard(a, names, site)));
    after = page.next_after;
    more.hidden = !after;
    more.disabled = false;
  });
  const empty = first.items.length ? null : h("p", { class: "muted small-text" }, t("repairs.none_here"));
  if (CLOSED_STATES.includes(state)) {
    // Folded: what is done matters less than what is not, unless it is what was asked for.
    return h("details", { class: "card closed-column", "data-testid": `column-${state}`, open: filters.stateGiven },
      h("summary", {}, heading), empty, list, more);
  }
  return h("section", { class: "board-column", "data-testid": `column-${state}` }, heading, empty, list, more);
}

function filterForm(site, filters, people, redraw) {
  const owner = h("select", { id: "filter-owner", "data-testid": "filter-owner" },
    h("option", { value: "" }, t("repairs.owner_anyone")),
    h("option", { value: "none", selected: filters.owner === "none" }, t("repairs.owner_none")),
    people.map((p) => h("option", { value: p.id, selected: p.id === filters.owner }, p.name)),
    // An owner the address names who is not among those offered (one who left, say).
    filters.owner && filters.owner !== "none" && !people.some((p) => p.id === filters.owner)
      ? h("option", { value: filters.owner, selected: true }, t("repairs.someone"))
      : null);
  const states = [...OPEN_STATES, ...CLOSED_STATES].map((state) => {
    const id = `filter-state-${state}`;
    return h("label", { class: "check", for: id },
      h("input", { type: "checkbox", id, value: state, checked: filters.stateGiven && filters.states.includes(state), "data-testid": id }),
      t(STATES[state]));
  });
  const overdue = h("input", { type: "checkbox", id: "filter-overdue", checked: filters.overdue, "data-testid": "filter-overdue" });
  const older = h("input", { type: "number", id: "filter-older", min: "0", max: "3650", value: filters.olderThan ?? "", "data-testid": "filter-older" });
  const form = h("form", { class: "card filters", "data-testid": "action-filters" },
    h("div", { class: "filter-grid" },
      h("div", {}, h("label", { for: owner.id }, t("repairs.filter_owner")), owner),
      h("div", {}, h("label", { for: older.id }, t("repairs.filter_older")), older),
      h("div", { class: "filter-check" }, h("label", { class: "check", for: overdue.id }, overdue, t("repairs.filter_overdue")))),
    h("fieldset", {}, h("legend", {}, t("repairs.filter_states")), states),
    h("a", { href: address(site.id, { view: "actions" }), "data-testid": "clear-filters" }, t("repairs.clear_filters")));
  const apply = () => {
    const chosen = states.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
    const days = older.value.trim();
    replaceAddress({
      state: chosen.join(","),
      owner: owner.value,
      overdue: overdue.checked ? "1" : "",
      older_than_days: /^\d+$/.test(days) ? days : "",
    });
    redraw();
  };
  form.addEventListener("change", apply);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  return form;
}

// The columns for the filters, and the names of the people they show.
async function boardOf(site, filters) {
  const names = new Map();
  // Overdue is work not yet put right: a fixed one waits for its sign-off, not its fixer.
  const states = filters.overdue ? filters.states.filter((s) => s === "open" || s === "in_progress") : filters.states;
  const columns = await Promise.all(states.map((state) => column(site, filters, state, names)));
  const open = columns.filter((c) => c.tagName === "SECTION");
  const closed = columns.filter((c) => c.tagName === "DETAILS");
  const board = h("div", { "data-testid": "board" },
    open.length ? h("div", { class: "board-columns" }, open) : null, closed);
  return { board, names };
}

async function drawBoard(ctx) {
  const { site } = ctx;
  const filters = filtersOf(new URLSearchParams(location.search));
  const [members, drawn] = await Promise.all([
    // Those who run the site choose among its people; an auditor among the owners shown.
    canChange(site) ? api.get(`/api/sites/${site.id}/people`) : null,
    boardOf(site, filters),
  ]);
  const people = members
    ? members.filter((m) => m.role !== "auditor").map((m) => ({ id: m.user_id, name: m.display_name }))
    : [...drawn.names].filter(([, p]) => p.owner).map(([id, p]) => ({ id, name: p.name }));
  let board = drawn.board;
  let asked = 0;
  // Only the columns are drawn again, so the filter being changed keeps the keyboard's
  // focus; an answer overtaken by a later change is dropped.
  const redraw = async () => {
    const mine = ++asked;
    const next = await boardOf(site, filtersOf(new URLSearchParams(location.search)));
    if (mine !== asked) return;
    board.replaceWith(next.board);
    board = next.board;
  };
  return [filterForm(site, filters, people, redraw), board];
}

const DRAW = {
  actions: async (ctx) => drawBoard(ctx),
  findings: async (ctx) => (await import("./repairs/findings.js")).drawFindings(ctx),
  inspections: async (ctx) => (await import("./repairs/inspections.js")).drawInspections(ctx),
};

export async function render(view, ctx) {
  const ticket = claim(view);
  const { site, chooser, describeError } = ctx;
  useStyles("repairs");
  const query = new URLSearchParams(location.search);
  const actionId = query.get("action");
  const findingId = query.get("finding");
  const inspectionId = query.get("inspection");
  const shown = VIEWS[query.get("view")] ? query.get("view") : (inspectionId ? "inspections" : "actions");
  const redraw = async (message, failed = false) => {
    if (!(await render(view, ctx))) return;
    if (message) view.prepend(pageMessage(message, failed));
  };
  const tabs = h("nav", { class: "tabs", "aria-label": t("repairs.tabs") },
    Object.entries(VIEWS).map(([key, name]) => h("a", {
      href: address(site.id, { view: key }),
      "aria-current": key === shown && !actionId && !findingId && !inspectionId ? "page" : null,
      "data-testid": `tab-${key}`,
    }, t(name))));
  const intro = h("p", { class: "muted" }, canChange(site) ? t("repairs.intro_manage") : t("repairs.intro_read"));
  let body;
  try {
    if (actionId) body = await (await import("./repairs/action.js")).drawAction(ctx, actionId, redraw);
    else if (findingId) body = await (await import("./repairs/action.js")).drawActionOf(ctx, findingId, redraw);
    else if (inspectionId) body = await (await import("./repairs/inspections.js")).drawInspection(ctx, inspectionId);
    else body = await DRAW[shown](ctx);
  } catch (error) {
    body = [loadError(error, describeError)];
  }
  return showFor(ticket, view, h("section", { class: "card" }, h("h1", {}, t("nav.repairs")), chooser, intro, tabs), ...body);
}
