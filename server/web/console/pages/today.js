// Today: what the office sees first each morning at one site. The checks due today and
// those overdue, the corrective actions still to be put right by age and by owner, the
// high-severity findings still open and, for admins and managers, the records phones sent
// that the server refused and the phones that have stopped syncing. Every figure is counted
// on the server (GET /api/sites/{id}/today) and opens the list it counts. Nothing here
// changes anything: an auditor sees the same page, without the phones.

import * as api from "../api.js";
import { h, claim, showFor, useStyles } from "../dom.js";
import { formatDate, formatDateTime, t } from "../i18n.js";

const DAY_MS = 86_400_000;
// Refused records shown at first, and how many more each "show more" asks for (the API
// gives at most 500).
const REFUSED_FIRST = 10;
const REFUSED_MORE = 100;
const REFUSED_MOST = 500;
// What each kind of record a phone sends is called (the op types of server/syncing/push.py).
const OP_NAMES = {
  "inspection.submitted": "today.what_inspection",
  "hazard.reported": "today.what_report",
  "action.transitioned": "today.what_action_step",
  "occurrence.excused": "today.what_excusal",
  "excusal.decided": "today.what_decision",
};

// Why a phone's record was refused, by the refusal's code (the codes the record kinds above
// can be refused with).
const REASONS = {
  "request.invalid": "today.why.request.invalid",
  "not_found": "today.why.not_found",
  "auth.forbidden": "today.why.auth.forbidden",
  "inspection.id_not_uuid7": "today.why.inspection.id_not_uuid7",
  "inspection.target_required": "today.why.inspection.target_required",
  "inspection.completed_in_future": "today.why.inspection.completed_in_future",
  "inspection.started_after_completed": "today.why.inspection.started_after_completed",
  "inspection.unknown_template": "today.why.inspection.unknown_template",
  "inspection.unknown_version": "today.why.inspection.unknown_version",
  "inspection.invalid_answers": "today.why.inspection.invalid_answers",
  "inspection.supersedes_mismatch": "today.why.inspection.supersedes_mismatch",
  "inspection.conflict": "today.why.inspection.conflict",
  "inspection.already_superseded": "today.why.inspection.already_superseded",
  "action.conflict": "today.why.action.conflict",
  "action.step_conflict": "today.why.action.step_conflict",
  "action.reason_required": "today.why.action.reason_required",
  "action.id_not_uuid7": "today.why.action.id_not_uuid7",
  "report.conflict": "today.why.report.conflict",
  "report.id_not_uuid7": "today.why.report.id_not_uuid7",
  "report.target_required": "today.why.report.target_required",
  "report.reported_in_future": "today.why.report.reported_in_future",
  "occurrence.id_not_uuid7": "today.why.occurrence.id_not_uuid7",
  "occurrence.target_required": "today.why.occurrence.target_required",
  "occurrence.not_a_target": "today.why.occurrence.not_a_target",
  "occurrence.unknown": "today.why.occurrence.unknown",
  "occurrence.conflict": "today.why.occurrence.conflict",
  "excusal.id_not_uuid7": "today.why.excusal.id_not_uuid7",
  "excusal.conflict": "today.why.excusal.conflict",
  "excusal.already_decided": "today.why.excusal.already_decided",
  "excusal.decided_in_future": "today.why.excusal.decided_in_future",
  "sync.invalid_hlc": "today.why.sync.invalid_hlc",
  "sync.unknown_type": "today.why.sync.unknown_type",
  "sync.unknown_version": "today.why.sync.unknown_version",
  "sync.invalid_body": "today.why.sync.invalid_body",
  "sync.write_failed": "today.why.sync.write_failed",
  "sync.seq_reused": "today.why.sync.seq_reused",
};

// An address of another console page; commas are kept as they are, as the pages agreed
// (state=open,in_progress).
function address(section, site, params) {
  const pairs = [["site", site.id], ...Object.entries(params)];
  const query = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ",")}`).join("&");
  return `/console/${section}?${query}`;
}

const plan = (site, params) => address("plan", site, { view: "due", ...params });
const repairs = (site, params) => address("repairs", site, { view: "actions", ...params });
const TO_DO = "open,in_progress";

// One figure: its number and what it counts, a link to the list of it. `alert`: a number
// above zero that asks for attention.
function figure(testid, count, label, href, { alert = false, detail = null } = {}) {
  const classes = ["figure", alert && count > 0 ? "figure-alert" : null, count === 0 ? "figure-zero" : null];
  return h("a", { class: classes.filter(Boolean).join(" "), href, "data-testid": testid },
    h("span", { class: "figure-count", "data-testid": "count" }, String(count)),
    h("span", { class: "figure-label" }, label),
    detail ? h("span", { class: "figure-detail" }, detail) : null);
}

// The checks, and the high-severity findings they turned up.
function checksCard(site, due, highFindings) {
  if (!due.schedules) {
    return h("section", { class: "card", "data-testid": "today-checks" },
      h("h2", {}, t("today.checks")),
      h("div", { class: "figures" }, findingsFigure(site, highFindings)),
      h("p", { class: "muted", "data-testid": "no-schedules" }, t("today.no_schedules")),
      h("p", {}, h("a", { href: address("plan", site, { view: "schedules" }), "data-testid": "to-schedules" },
        t("today.to_schedules"))));
  }
  const detail = [t("today.due_done", { count: due.done }), t("today.due_left", { count: due.left })];
  if (due.excused) detail.push(t("today.due_excused", { count: due.excused }));
  return h("section", { class: "card", "data-testid": "today-checks" },
    h("h2", {}, t("today.checks")),
    h("div", { class: "figures" },
      figure("figure-due-today", due.today, t("today.due_today"), plan(site, { when: "today" }),
        { detail: detail.join(t("today.detail_separator")) }),
      figure("figure-due-overdue", due.overdue, t("today.due_overdue"), plan(site, { when: "overdue" }),
        { alert: true, detail: t("today.due_overdue_detail") }),
      findingsFigure(site, highFindings)));
}

function findingsFigure(site, count) {
  return figure("figure-findings-high", count, t("today.findings_high"),
    address("repairs", site, { view: "findings", severity: "high", status: "open" }),
    { alert: true, detail: t("today.findings_high_detail") });
}

function ownerRow(site, owner) {
  const who = owner.owner_id ?? "none";
  const name = owner.owner_id
    ? (owner.owner_name || t("today.someone"))
    : t("today.unassigned");
  const open = repairs(site, { state: TO_DO, owner: who });
  return h("tr", { "data-testid": "owner", "data-owner": who, class: owner.owner_id ? null : "unassigned" },
    h("th", { scope: "row" }, h("a", { href: open, "data-testid": "owner-name" }, name)),
    h("td", {}, h("a", { href: open, "data-testid": "owner-open" }, String(owner.open))),
    h("td", {}, owner.overdue
      ? h("a", { href: repairs(site, { overdue: "1", owner: who }), class: "overdue-link", "data-testid": "owner-overdue" },
        String(owner.overdue))
      : h("span", { class: "muted", "data-testid": "owner-overdue" }, "0")));
}

function actionsCard(site, actions) {
  const owners = actions.owners.length
    ? h("div", { class: "wide-table" }, h("table", { class: "owners", "data-testid": "owners" },
      h("caption", {}, t("today.owners")),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, t("today.owner")),
        h("th", { scope: "col" }, t("today.owner_open")),
        h("th", { scope: "col" }, t("today.owner_overdue")))),
      h("tbody", {}, actions.owners.map((o) => ownerRow(site, o)))))
    : h("p", { class: "muted", "data-testid": "no-actions" }, t("today.actions_none"));
  return h("section", { class: "card", "data-testid": "today-actions" },
    h("h2", {}, t("today.actions")),
    h("div", { class: "figures" },
      figure("figure-actions-open", actions.open, t("today.actions_open"), repairs(site, { state: TO_DO })),
      figure("figure-actions-aged-3", actions.aged_3_days, t("today.actions_aged_3"),
        repairs(site, { state: TO_DO, older_than_days: "3" }), { alert: true }),
      figure("figure-actions-aged-7", actions.aged_7_days, t("today.actions_aged_7"),
        repairs(site, { state: TO_DO, older_than_days: "7" }), { alert: true }),
      figure("figure-actions-overdue", actions.overdue, t("today.actions_overdue"),
        repairs(site, { overdue: "1" }), { alert: true }),
      figure("figure-actions-fixed", actions.awaiting_sign_off, t("today.actions_fixed"),
        repairs(site, { state: "fixed" }))),
    owners);
}

// Why the server refused a record, in the person's language: the sentence for its code
// when the console has one, else the code itself.
function refusalReason(op) {
  return REASONS[op.code] ? t(REASONS[op.code]) : t("today.why_unknown", { code: op.code ?? op.status });
}

function refusedRow(op) {
  return h("tr", { "data-testid": "refused", "data-code": op.code ?? "" },
    h("td", {}, formatDateTime(op.received_at)),
    h("td", {}, op.user_name || t("today.someone")),
    h("td", {}, OP_NAMES[op.type] ? t(OP_NAMES[op.type]) : op.type),
    h("td", {},
      op.status === "conflict" ? h("span", { class: "badge badge-warn" }, t("today.status_conflict")) : null,
      h("span", { class: "reason" }, refusalReason(op))));
}

// The refused records, newest first; more of them on request (read only: nothing is sent).
// The API lists the newest up to a limit: asking for more asks again with a larger one.
function refusedList(site, first, describeError) {
  if (!first.length) return h("p", { class: "muted", "data-testid": "refused-none" }, t("today.refused_none"));
  const body = h("tbody", {}, first.map(refusedRow));
  const status = h("p", { class: "warn", role: "status" });
  let shown = first.length;
  const more = h("button", { type: "button", class: "small plain", "data-testid": "refused-more" }, t("today.refused_more"));
  more.hidden = first.length < REFUSED_FIRST;
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const limit = Math.min(shown + REFUSED_MORE, REFUSED_MOST);
      const found = await api.get(`/api/sync/refused?site_id=${encodeURIComponent(site.id)}&limit=${limit}`);
      body.replaceChildren(...found.map(refusedRow));
      more.hidden = found.length < limit || limit === REFUSED_MOST;
      shown = found.length;
      status.textContent = "";
    } catch (error) {
      status.textContent = describeError(error);
    }
    more.disabled = false;
  });
  return h("div", {},
    h("div", { class: "wide-table" }, h("table", { class: "refused", "data-testid": "refused-list" },
      h("caption", { class: "sr-only" }, t("today.refused_title")),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, t("today.refused_when")),
        h("th", { scope: "col" }, t("today.refused_who")),
        h("th", { scope: "col" }, t("today.refused_what")),
        h("th", { scope: "col" }, t("today.refused_why")))),
      body)),
    h("div", { class: "row" }, more), status);
}

function quietRow(phone, people, asOf) {
  let seen;
  if (phone.last_sync_at) {
    const days = Math.floor((Date.parse(asOf) - Date.parse(phone.last_sync_at)) / DAY_MS);
    seen = t("today.synced_ago", { time: formatDateTime(phone.last_sync_at), days });
  } else {
    seen = t("today.never_synced", { date: formatDate(phone.enrolled_at) });
  }
  return h("tr", { "data-testid": "quiet-phone", "data-user": phone.user_id },
    h("td", {}, h("a", { href: people, "data-testid": "quiet-person" }, phone.user_name || t("today.someone"))),
    h("td", {}, phone.device_name),
    h("td", {}, seen));
}

function syncCard(site, sync, refused, asOf, describeError) {
  const people = address("people", site, {});
  const quiet = sync.quiet.length
    ? h("div", {},
      h("div", { class: "wide-table" }, h("table", { class: "quiet", "data-testid": "quiet-list" },
        h("caption", { class: "sr-only" }, t("today.quiet", { days: sync.quiet_days })),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, t("today.phone_person")),
          h("th", { scope: "col" }, t("today.phone_name")),
          h("th", { scope: "col" }, t("today.phone_last_sync")))),
        h("tbody", {}, sync.quiet.map((p) => quietRow(p, people, asOf))))),
      sync.quiet_total > sync.quiet.length
        ? h("p", { class: "muted" }, t("today.quiet_more", { count: sync.quiet_total - sync.quiet.length }))
        : null,
      h("p", {}, h("a", { href: people, "data-testid": "to-people" }, t("today.to_people"))))
    : h("p", { class: "muted", "data-testid": "quiet-none" }, t("today.quiet_none", { days: sync.quiet_days }));
  return h("section", { class: "card today-sync", "data-testid": "today-sync" },
    h("h2", {}, t("today.sync")),
    h("div", { class: "figures" },
      figure("figure-refused", sync.refused, t("today.refused"), "#refused",
        { alert: true, detail: t("today.refused_detail", { days: sync.refused_days }) }),
      figure("figure-quiet", sync.quiet_total, t("today.quiet_phones"), people,
        { alert: true, detail: t("today.quiet_detail", { days: sync.quiet_days }) })),
    h("h3", { id: "refused", tabindex: "-1" }, t("today.refused_title")),
    h("p", { class: "muted small-text" }, t("today.refused_help")),
    refusedList(site, refused, describeError),
    h("h3", {}, t("today.quiet", { days: sync.quiet_days })),
    h("p", { class: "muted small-text" }, t("today.quiet_help")),
    quiet);
}

// A site with nothing in its register: nothing can be due; where to begin instead of a
// page of zeros.
function emptyCard(site) {
  const canChange = site.role !== "auditor";
  return h("section", { class: "card note today-empty", "data-testid": "today-empty" },
    h("h2", {}, t("today.empty_title")),
    h("p", {}, canChange ? t("today.empty_body") : t("today.empty_body_read")),
    h("p", { class: "row" },
      h("a", { class: "button", href: address("register", site, { view: "locations" }), "data-testid": "to-register" },
        t("today.to_register")),
      canChange
        ? h("a", { href: address("register", site, { view: "import" }), "data-testid": "to-import" }, t("today.to_import"))
        : null));
}

export async function render(view, ctx) {
  const ticket = claim(view);
  const { site, chooser, describeError } = ctx;
  useStyles("today");
  const manages = site.role === "admin" || site.role === "manager";
  let figures;
  let refused = [];
  try {
    [figures, refused] = await Promise.all([
      api.get(`/api/sites/${site.id}/today`),
      manages ? api.get(`/api/sync/refused?site_id=${encodeURIComponent(site.id)}&limit=${REFUSED_FIRST}`) : [],
    ]);
  } catch (error) {
    return showFor(ticket, view, h("section", { class: "card" }, h("h1", {}, t("nav.today")), chooser,
      h("p", { class: "warn", role: "alert", "data-testid": "load-error" }, describeError(error))));
  }
  const empty = !figures.things;
  const intro = empty ? null : (manages ? t("today.intro") : t("today.intro_read"));
  const head = h("section", { class: "card" },
    h("h1", {}, t("nav.today")), chooser,
    h("p", { class: "muted", "data-testid": "as-of" },
      t("today.as_of", { time: formatDateTime(figures.as_of) }), intro ? ` · ${intro}` : null));
  const sync = figures.sync;
  const syncWorth = sync && (sync.refused || sync.quiet_total || refused.length);
  if (empty) {
    return showFor(ticket, view, head, emptyCard(site), syncWorth ? syncCard(site, sync, refused, figures.as_of, describeError) : null);
  }
  return showFor(ticket, view, head,
    checksCard(site, figures.due, figures.high_findings),
    actionsCard(site, figures.actions),
    sync ? syncCard(site, sync, refused, figures.as_of, describeError) : null);
}
