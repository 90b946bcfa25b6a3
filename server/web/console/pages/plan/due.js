// The due list: today's, this week's or the overdue work (when=), narrowed on the server to
// mine, one building, one checklist or a text (mine=1, building=, checklist=, q=), with
// the counts of what became of it. An occurrence that will not be done is excused with a
// reason; where the site asks for it, a manager approves or rejects an inspector's
// excusal here. The filters are the address's query, so other pages link to a view of it.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { problemSlot, showProblem } from "../../forms.js";
import { language, t } from "../../i18n.js";
import { dayText, describeFor, timeText, titleOf } from "./common.js";

const WHEN = [["today", "plan.when_today"], ["week", "plan.when_week"], ["overdue", "plan.when_overdue"]];
const STATUS = {
  done: "plan.status_done",
  done_late: "plan.status_done_late",
  due: "plan.status_due",
  upcoming: "plan.status_upcoming",
  overdue: "plan.status_overdue",
  excused: "plan.status_excused",
};
const COUNTS = [
  ["overdue", "plan.count_overdue"], ["due", "plan.count_due"], ["upcoming", "plan.count_upcoming"],
  ["passed", "plan.count_passed"], ["failed", "plan.count_failed"], ["excused", "plan.count_excused"],
  ["awaiting_approval", "plan.count_awaiting"],
];
const EXCUSAL_STATE = {
  accepted: "plan.excusal_accepted",
  pending: "plan.excusal_pending",
  approved: "plan.excusal_approved",
  rejected: "plan.excusal_rejected",
};
const OPEN = new Set(["due", "upcoming", "overdue"]);
const DECIDERS = new Set(["admin", "manager"]);
// A school's list can run to thousands of entries: it is read a page at a time.
const PAGE = 100;

function filtersOf(query) {
  const when = query.get("when");
  return {
    when: WHEN.some(([w]) => w === when) ? when : "today",
    mine: query.get("mine") === "1",
    building: query.get("building") || "",
    checklist: query.get("checklist") || "",
    q: (query.get("q") ?? "").trim(),
    page: Math.max(1, Number.parseInt(query.get("page") ?? "1", 10) || 1),
  };
}

function address(site, filters) {
  const query = new URLSearchParams({ site: site.id, view: "due", when: filters.when });
  if (filters.mine) query.set("mine", "1");
  for (const name of ["building", "checklist", "q"]) if (filters[name]) query.set(name, filters[name]);
  if (filters.page > 1) query.set("page", String(filters.page));
  return `/console/plan?${query}`;
}

// When an occurrence is due, as the site's calendar and clock say it.
function whenText(site, occurrence) {
  const dated = /^\d{4}-\d{2}-\d{2}/.exec(occurrence.key);
  if (!dated) return `${timeText(site, occurrence.due_start)} – ${timeText(site, occurrence.due_end)}`;
  const day = dayText(dated[0], true);
  const hours = new Intl.DateTimeFormat(language(), { timeStyle: "short", timeZone: site.timezone });
  const start = hours.format(new Date(occurrence.due_start));
  const end = hours.format(new Date(occurrence.due_end));
  // A whole day runs midnight to midnight: its times say nothing.
  return start === end ? day : `${day} ${start}–${end}`;
}

function excusalText(excusal, site) {
  const lines = [
    h("div", {}, h("span", { class: `badge excusal-${excusal.state}`, "data-testid": "excusal-state" }, t(EXCUSAL_STATE[excusal.state]))),
    h("div", { class: "small-text", "data-testid": "excusal-reason" }, t("plan.excusal_reason_by", { reason: excusal.reason, name: excusal.excused_by.name })),
  ];
  if (excusal.decided_by) {
    lines.push(h("div", { class: "muted small-text" }, t("plan.excusal_decided", {
      name: excusal.decided_by.name, time: timeText(site, excusal.decided_at),
    }), excusal.decision_note ? ` · ${excusal.decision_note}` : ""));
  }
  return lines;
}

function excuseForm(entry, ctx, redraw, formId) {
  const reason = h("textarea", { id: `${formId}-reason`, name: "reason", rows: 2, maxlength: 2000, required: true });
  const form = h("form", { class: "excuse-form", "data-testid": "excuse-form" },
    h("label", { for: reason.id }, t("plan.excuse_reason")), reason, problemSlot("reason"),
    h("div", { class: "row" }, h("button", { class: "small", "data-testid": "excuse-submit" }, t("plan.excuse_submit"))),
    problemSlot());
  // One id per form: the same excusal sent again (a lost answer) is stored once.
  const id = api.uuid7();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let stored;
    try {
      stored = await api.post("/api/occurrences/excusals", {
        id,
        schedule_id: entry.schedule_id,
        occurrence_key: entry.occurrence.key,
        asset_id: entry.target.asset_id,
        location_id: entry.target.location_id,
        reason: reason.value.trim(),
      });
    } catch (error) {
      return showProblem(form, error, describeFor(ctx));
    }
    const key = stored.state === "pending" ? "plan.excused_pending" : "plan.excused";
    await redraw(t(key, { name: entry.target.name }));
  });
  return form;
}

async function decide(entry, decision, ctx, redraw) {
  try {
    await api.post("/api/occurrences/excusals/decisions", {
      id: api.uuid7(),
      excusal_id: entry.excusal.id,
      decision,
      decided_at: new Date().toISOString(),
    });
  } catch (error) {
    return redraw(ctx.describeError(error), true);
  }
  await redraw(t(decision === "approve" ? "plan.approved" : "plan.rejected", { name: entry.target.name }));
}

function entryRows(entry, at, ctx, redraw) {
  const { site } = ctx;
  const excusal = entry.excusal;
  const canExcuse = ctx.canChange && OPEN.has(entry.status) && excusal?.state !== "pending";
  const canDecide = DECIDERS.has(site.role) && excusal?.state === "pending";
  const formRow = canExcuse ? h("tr", { class: "excuse-row", hidden: true }, h("td", { colspan: 5 })) : null;
  const toggle = (event) => {
    if (!formRow.hidden) {
      formRow.hidden = true;
      formRow.firstChild.replaceChildren();
      event.currentTarget.setAttribute("aria-expanded", "false");
      return;
    }
    formRow.firstChild.replaceChildren(excuseForm(entry, ctx, redraw, `excuse-${at}`));
    formRow.hidden = false;
    event.currentTarget.setAttribute("aria-expanded", "true");
    formRow.querySelector("textarea").focus();
  };
  let outcome = null;
  if (entry.result) {
    outcome = h("span", { class: `badge result-${entry.result}`, "data-testid": "result" },
      t(entry.result === "pass" ? "plan.result_pass" : "plan.result_fail"));
  }
  // Done work opens the inspection that did it, on the repairs page.
  const inspection = entry.inspection_id
    ? h("a", {
      class: "small-text open-inspection",
      href: `/console/repairs?site=${encodeURIComponent(site.id)}&inspection=${encodeURIComponent(entry.inspection_id)}`,
      "data-testid": "open-inspection",
    }, t("plan.open_inspection"))
    : null;
  const row = h("tr", {
    class: `due-entry status-${entry.status}`,
    "data-testid": "due-entry",
    "data-status": entry.status,
    "data-key": entry.occurrence.key,
    "data-target": entry.target.name,
  },
  h("td", { class: "due-when" }, whenText(site, entry.occurrence)),
  h("td", {}, h("div", { class: "due-title" }, titleOf(entry)), h("div", { class: "muted small-text" }, entry.target.name)),
  h("td", {}, h("span", { class: `badge status-${entry.status}`, "data-testid": "status" }, t(STATUS[entry.status]))),
  h("td", {}, outcome, inspection, excusal ? excusalText(excusal, site) : null),
  ctx.canChange ? h("td", { class: "due-actions" },
    canExcuse ? h("button", { type: "button", class: "small plain", "data-testid": "excuse", "aria-label": t("plan.excuse_named", { name: entry.target.name }), "aria-expanded": "false", onclick: toggle }, t("plan.excuse")) : null,
    canDecide ? h("div", { class: "row" },
      h("button", { type: "button", class: "small", "data-testid": "approve", onclick: () => decide(entry, "approve", ctx, redraw) }, t("plan.approve")),
      h("button", { type: "button", class: "small danger", "data-testid": "reject", onclick: () => decide(entry, "reject", ctx, redraw) }, t("plan.reject")))
      : null) : null);
  return [row, formRow];
}

function filterForm(ctx, filters, buildings, checklists, redraw) {
  const building = h("select", { id: "due-building", name: "building" },
    h("option", { value: "" }, t("plan.all_buildings")),
    buildings.map((b) => h("option", { value: b.id, selected: b.id === filters.building }, b.name)));
  const checklist = h("select", { id: "due-checklist", name: "checklist" },
    h("option", { value: "" }, t("plan.all_checklists")),
    checklists.map(([key, title]) => h("option", { value: key, selected: key === filters.checklist }, title)));
  const q = h("input", { id: "due-q", name: "q", type: "search", value: filters.q, maxlength: 100, placeholder: t("plan.due_q_hint") });
  const mine = h("input", { id: "due-mine", type: "checkbox", checked: filters.mine });
  const form = h("form", { class: "due-filters", "data-testid": "due-filters", role: "search" },
    h("div", {}, h("label", { for: building.id }, t("plan.building")), building),
    h("div", {}, h("label", { for: checklist.id }, t("plan.checklist")), checklist),
    h("div", {}, h("label", { for: q.id }, t("plan.due_q")), q),
    h("div", { class: "due-filter-end" },
      h("label", { class: "check", for: mine.id }, mine, t("plan.mine")),
      h("button", { class: "small", "data-testid": "apply-filters" }, t("plan.apply"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const next = { when: filters.when, mine: mine.checked, building: building.value, checklist: checklist.value, q: q.value.trim(), page: 1 };
    history.pushState({}, "", address(ctx.site, next));
    await redraw();
  });
  return form;
}

function policyLine(policy, ctx, redraw) {
  const text = t(policy.approval_required ? "plan.policy_on" : "plan.policy_off");
  if (!DECIDERS.has(ctx.site.role)) return h("p", { class: "muted small-text", "data-testid": "excusal-policy" }, text);
  const toggle = async () => {
    try {
      await api.put(`/api/sites/${ctx.site.id}/excusal-policy`, { approval_required: !policy.approval_required });
    } catch (error) {
      return redraw(ctx.describeError(error), true);
    }
    await redraw(t(policy.approval_required ? "plan.policy_turned_off" : "plan.policy_turned_on"));
  };
  return h("div", { class: "row policy", "data-testid": "excusal-policy" },
    h("span", { class: "muted small-text" }, text),
    h("button", { type: "button", class: "small plain", "data-testid": "toggle-policy", onclick: toggle },
      t(policy.approval_required ? "plan.policy_stop" : "plan.policy_start")));
}

// Where this page of the list is in the whole, with the pages either side.
function pager(site, filters, due) {
  if (due.total <= PAGE && filters.page === 1) return null;
  const first = (filters.page - 1) * PAGE + 1;
  const last = first + due.items.length - 1;
  return h("nav", { class: "row pager", "aria-label": t("plan.pages"), "data-testid": "pager" },
    h("span", { class: "muted small-text" }, t("plan.page_range", { first, last: Math.max(first, last), total: due.total })),
    filters.page > 1
      ? h("a", { class: "button plain-link", href: address(site, { ...filters, page: filters.page - 1 }), "data-testid": "page-previous" }, t("plan.page_previous"))
      : null,
    last < due.total
      ? h("a", { class: "button plain-link", href: address(site, { ...filters, page: filters.page + 1 }), "data-testid": "page-next" }, t("plan.page_next"))
      : null);
}

export async function draw(ctx, redraw, query) {
  const { site } = ctx;
  const filters = filtersOf(query);
  const params = new URLSearchParams({ site_id: site.id, scope: filters.when, limit: String(PAGE), offset: String((filters.page - 1) * PAGE) });
  if (filters.mine) params.set("mine", "true");
  for (const name of ["building", "checklist", "q"]) if (filters[name]) params.set(name, filters[name]);
  const places = new URLSearchParams({ site_id: site.id, limit: "500" });
  const [due, schedules, locations, policy] = await Promise.all([
    api.get(`/api/due?${params}`),
    api.get(`/api/sites/${site.id}/schedules`),
    api.get(`/api/locations?${places}`),
    api.get(`/api/sites/${site.id}/excusal-policy`),
  ]);
  // The buildings: the places at the top of the school's tree.
  const buildings = locations.items.filter((l) => !l.parent_id).sort((a, b) => a.name.localeCompare(b.name, "zh-CN"));
  const checklists = [...new Map(schedules.map((s) => [s.template_key, titleOf(s)]))]
    .sort((a, b) => a[1].localeCompare(b[1], language()));
  const whenLinks = h("nav", { class: "when-links", "aria-label": t("plan.when") },
    WHEN.map(([w, name]) => h("a", {
      href: address(site, { ...filters, when: w, page: 1 }),
      "aria-current": w === filters.when ? "page" : null,
      "data-testid": `when-${w}`,
    }, t(name))));
  const counts = h("ul", { class: "due-counts", "data-testid": "due-counts" },
    COUNTS.map(([name, key]) => h("li", { class: `count count-${name}`, "data-testid": `count-${name}` },
      h("span", { class: "count-number" }, String(due.counts[name])), " ", t(key))));
  const period = due.first_day === due.last_day ? dayText(due.first_day, true) : `${dayText(due.first_day)} – ${dayText(due.last_day)}`;
  const table = due.items.length
    ? h("div", { class: "wide-table" }, h("table", { class: "due-table", "data-testid": "due-list" },
      h("caption", { class: "sr-only" }, t("plan.due_caption")),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, t("plan.col_when")),
        h("th", { scope: "col" }, t("plan.col_work")),
        h("th", { scope: "col" }, t("plan.col_status")),
        h("th", { scope: "col" }, t("plan.col_outcome")),
        ctx.canChange ? h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("plan.cal_actions"))) : null)),
      h("tbody", {}, due.items.map((entry, at) => entryRows(entry, at, ctx, redraw)))))
    : h("p", { class: "muted", "data-testid": "due-empty" }, t("plan.due_empty"));
  return [
    h("section", { class: "card" },
      whenLinks,
      h("p", { class: "muted small-text", "data-testid": "due-period" },
        t(filters.when === "overdue" ? "plan.period_overdue" : "plan.period", { period })),
      filterForm(ctx, filters, buildings, checklists, redraw),
      counts,
      policyLine(policy, ctx, redraw)),
    h("section", { class: "card" }, table, pager(site, filters, due)),
  ];
}
