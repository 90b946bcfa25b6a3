// A day's register (GET /api/sites/{id}/visits?date=): every visit in order of check-in,
// with its state, host, times, the masked document and phone and its flags in words; a
// visit waiting for its host may be decided here as the host said on the phone, and a
// watchlist match admitted or denied by the manager. A visit (visit={id}) is its timeline
// and its slip (an A6 PDF, and a page for an 80 mm printer).

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import {
  WATCH, address, canChange, clockText, dayText, facts, flagChip, idText, idTypeName, isDay, nowIso, personName,
  problemSlot, shiftDay, showProblem, siteToday, stateChip, timeText,
} from "./common.js";

// The visit's times as one line: in, entered (approved), expected until, out.
export function timesText(site, visit) {
  const parts = [];
  if (visit.checked_in_at) parts.push(t("gate.time_in", { time: clockText(site, visit.checked_in_at) }));
  if (visit.expected_until && !visit.checked_out_at) parts.push(t("gate.time_until", { time: clockText(site, visit.expected_until) }));
  if (visit.checked_out_at) parts.push(t("gate.time_out", { time: clockText(site, visit.checked_out_at) }));
  return parts.join(t("gate.sep"));
}

// The watch state in words, when the visitor's document is on the watchlist.
export function watchBadge(visit) {
  const key = WATCH[visit.watch ?? "none"];
  if (!key) return null;
  return h("span", { class: `badge gate-watch gate-watch-${visit.watch}`, "data-testid": "visit-watch", "data-watch": visit.watch }, t(key));
}

// What a manager may do for a visit waiting at the gate: record the host's answer given by
// phone, or decide a watchlist match. Each a small form of its own.
function decisionForms(ctx, visit, redraw) {
  const { site, describeError } = ctx;
  if (!canChange(site)) return null;
  const forms = [];
  if (visit.state === "pending" && visit.consent === "pending" && visit.host) {
    const slot = problemSlot();
    const reason = h("input", { id: `refuse-${visit.id}`, name: "reason", maxlength: 500, "data-testid": "refuse-reason", placeholder: t("gate.refuse_reason_hint") });
    const decide = (decision) => async (event) => {
      event.preventDefault();
      const form = event.target.closest("form");
      try {
        await api.post(`/api/visits/${visit.id}/decisions`, {
          id: api.uuid7(), decision, channel: "phone", by_id: visit.host.id, decided_at: nowIso(),
          reason: decision === "refused" ? reason.value.trim() : "",
        });
      } catch (error) {
        showProblem(form, error, describeError);
        return;
      }
      const name = visit.visitor ?? t("gate.unnamed");
      await redraw(t(decision === "approved" ? "gate.approved_message" : "gate.refused_message", { name, host: personName(visit.host) }));
    };
    forms.push(h("form", { class: "gate-decide", "data-testid": "phone-decision" },
      h("p", { class: "small-text" }, t("gate.phone_decision_hint", { host: personName(visit.host) })),
      h("div", { class: "row" },
        h("button", { type: "button", class: "small", "data-testid": "approve-by-phone", onclick: decide("approved") }, t("gate.approve_by_phone")),
        h("label", { for: `refuse-${visit.id}`, class: "sr-only" }, t("gate.refuse_reason")),
        reason,
        h("button", { type: "button", class: "small danger", "data-testid": "refuse-by-phone", onclick: decide("refused") }, t("gate.refuse_by_phone"))),
      slot));
  }
  if (visit.watch === "match") forms.push(watchForm(ctx, visit, redraw));
  return forms.length ? forms : null;
}

// A watchlist match decided by the manager in the console (POST .../watch-decisions).
export function watchForm(ctx, visit, redraw) {
  const { describeError } = ctx;
  const reason = h("input", { id: `watch-reason-${visit.id}`, name: "reason", maxlength: 500, "data-testid": "watch-reason" });
  const decide = (decision) => async (event) => {
    event.preventDefault();
    const form = event.target.closest("form");
    try {
      await api.post(`/api/visits/${visit.id}/watch-decisions`, {
        id: api.uuid7(), decision, channel: "app", decided_at: nowIso(), reason: reason.value.trim(),
      });
    } catch (error) {
      showProblem(form, error, describeError);
      return;
    }
    const name = visit.visitor ?? t("gate.unnamed");
    await redraw(t(decision === "admit" ? "gate.watch_admit_message" : "gate.watch_deny_message", { name }));
  };
  return h("form", { class: "gate-decide gate-watch-form", "data-testid": "watch-decision" },
    h("p", { class: "small-text warn" }, t("gate.watch_decide_hint")),
    h("label", { for: `watch-reason-${visit.id}` }, t("gate.watch_reason")),
    reason,
    h("div", { class: "row" },
      h("button", { type: "button", class: "small", "data-testid": "watch-admit", onclick: decide("admit") }, t("gate.watch_admit")),
      h("button", { type: "button", class: "small danger", "data-testid": "watch-deny", onclick: decide("deny") }, t("gate.watch_deny"))),
    problemSlot());
}

// A visit as a row of the day's table; what a manager may do for it (a decision by phone,
// a watchlist match) as a row of its own under it, across the table.
function visitRows(ctx, visit, redraw) {
  const { site } = ctx;
  const flagged = visit.flags.length > 0 || visit.watch === "match";
  const forms = decisionForms(ctx, visit, redraw);
  const row = h("tr", { "data-testid": "visit", "data-id": visit.id, "data-state": visit.state, class: `${flagged ? "gate-row-flagged" : ""}${forms ? " gate-row-open" : ""}` },
    h("td", { class: "gate-col-visitor" },
      h("a", { class: "gate-visitor", href: address(site.id, { visit: visit.id }), "data-testid": "visit-name" }, visit.visitor ?? t("gate.unnamed")),
      visit.organisation ? h("span", { class: "block small-text muted" }, visit.organisation) : null,
      visit.party_size > 1 ? h("span", { class: "block small-text muted", "data-testid": "visit-party" }, t("gate.party", { count: visit.party_size })) : null),
    h("td", { class: "gate-col-document" },
      h("span", { class: "block", "data-testid": "visit-id" },
        h("span", { class: "block small-text" }, idTypeName(visit.id_type)),
        visit.id_masked && visit.id_type !== "none" ? [" ", h("span", { class: "block gate-id" }, visit.id_masked)] : null),
      visit.phone_masked ? h("span", { class: "block small-text", "data-testid": "visit-phone" }, visit.phone_masked) : null),
    h("td", { class: "gate-col-host", "data-testid": "visit-host" }, visit.host ? personName(visit.host) : "—",
      visit.purpose ? h("span", { class: "block small-text muted" }, visit.purpose) : null),
    h("td", { class: "gate-col-state" }, h("span", { class: "gate-state-line" }, stateChip(visit.state), watchBadge(visit)),
      h("span", { class: "block small-text gate-times", "data-testid": "visit-times" }, timesText(site, visit)),
      visit.flags.length ? h("span", { class: "gate-flags" }, visit.flags.map((f) => flagChip(f))) : null));
  if (!forms) return [row];
  return [row, h("tr", { class: `gate-actions-row${flagged ? " gate-row-flagged" : ""}`, "data-testid": "visit-actions", "data-id": visit.id },
    h("td", { colspan: 4 }, h("div", { class: "gate-actions" }, forms)))];
}

function dayChooser(site, day, today) {
  const link = (d) => address(site.id, { date: d === today ? null : d });
  return h("form", { class: "row gate-day-chooser", method: "get", action: "/console/gate" },
    h("input", { type: "hidden", name: "site", value: site.id }),
    h("a", { class: "button gate-plain-link", href: link(shiftDay(day, -1)), "data-testid": "day-previous" }, t("gate.day_previous")),
    h("label", { for: "gate-date", class: "sr-only" }, t("gate.day_choose")),
    h("input", { id: "gate-date", name: "date", type: "date", value: day, max: today, "data-testid": "day-input" }),
    h("button", { class: "small" }, t("gate.day_show")),
    day < today ? h("a", { class: "button gate-plain-link", href: link(shiftDay(day, 1)), "data-testid": "day-next" }, t("gate.day_next")) : null);
}

// The counts of the day by state, so the register reads at a glance.
function counts(visits) {
  const count = (test) => visits.filter(test).length;
  const items = [
    ["all", t("gate.count_all"), visits.length],
    ["pending", t("gate.state_pending"), count((v) => v.state === "pending")],
    ["inside", t("gate.state_inside"), count((v) => v.state === "inside")],
    ["left", t("gate.state_left"), count((v) => v.state === "left")],
    ["refused", t("gate.state_refused"), count((v) => v.state === "refused")],
    ["flagged", t("gate.count_flagged"), count((v) => v.flags.length > 0 || v.watch === "match")],
  ];
  return h("ul", { class: "gate-counts", "data-testid": "day-counts" }, items.map(([key, name, n]) =>
    h("li", { class: `gate-count${n ? "" : " gate-count-zero"}`, "data-testid": `count-${key}` },
      h("span", { class: "gate-count-number", "data-testid": "count" }, String(n)), h("span", {}, name))));
}

export async function drawLog(ctx, redraw, query) {
  const { site } = ctx;
  const today = siteToday(site);
  const day = isDay(query.get("date")) ? query.get("date") : today;
  const visits = await api.get(`/api/sites/${site.id}/visits?date=${day}`);
  const title = day === today ? t("gate.log_title_today", { date: dayText(day) }) : t("gate.log_title", { date: dayText(day) });
  return [
    h("section", { class: "card", "data-testid": "gate-log", "data-date": day },
      h("h2", {}, title),
      dayChooser(site, day, today),
      counts(visits),
      visits.length
        ? h("div", { class: "wide-table", tabindex: "0", role: "region", "aria-label": title },
          h("table", { class: "gate-visits" },
            h("caption", { class: "sr-only" }, title),
            h("thead", {}, h("tr", {},
              h("th", { scope: "col" }, t("gate.col_visitor")),
              h("th", { scope: "col" }, t("gate.col_document")),
              h("th", { scope: "col" }, t("gate.col_host")),
              h("th", { scope: "col" }, t("gate.col_state")))),
            h("tbody", {}, visits.flatMap((v) => visitRows(ctx, v, redraw)))))
        : h("p", { class: "muted", "data-testid": "day-empty" }, t("gate.day_empty"))),
  ];
}

// A visit's timeline: each thing that happened to it, in order, on the site's clock.
function timeline(site, visit) {
  const steps = [
    [visit.checked_in_at, "gate.step_checked_in", visit.host ? t("gate.step_host", { host: personName(visit.host) }) : ""],
    [visit.approved_at, "gate.step_approved", visit.decided_by ? t("gate.step_by", { name: personName(visit.decided_by) }) : ""],
    [visit.refused_at, "gate.step_refused", [visit.decided_by ? t("gate.step_by", { name: personName(visit.decided_by) }) : "", visit.refusal_reason].filter(Boolean).join(t("gate.sep"))],
    [visit.entered_at, "gate.step_entered", ""],
    [visit.signed_at, "gate.step_signed", ""],
    // The agreed end of the stay, where it mattered: not yet left, or left after it.
    [visit.expected_until && !(visit.checked_out_at && new Date(visit.checked_out_at) <= new Date(visit.expected_until)) ? visit.expected_until : null, "gate.step_expected", ""],
    [visit.checked_out_at, "gate.step_checked_out", ""],
  ].filter(([at]) => at).sort((a, b) => new Date(a[0]) - new Date(b[0]));
  return h("ol", { class: "gate-timeline", "data-testid": "timeline" }, steps.map(([at, name, more]) =>
    h("li", { "data-testid": "step" },
      h("span", { class: "gate-step-time" }, timeText(site, at)),
      h("span", { class: "gate-step-name" }, t(name)),
      more ? h("span", { class: "muted small-text" }, more) : null)));
}

export async function drawVisit(ctx, redraw, visitId) {
  const { site } = ctx;
  const visit = await api.get(`/api/visits/${visitId}`);
  const back = address(site.id, { date: visit.local_date === siteToday(site) ? null : visit.local_date });
  return [
    h("section", { class: "card", "data-testid": "visit-detail", "data-id": visit.id, "data-state": visit.state },
      h("p", {}, h("a", { href: back, "data-testid": "back-to-log" }, t("gate.back_to_log"))),
      h("h2", { "data-testid": "visit-title" }, visit.visitor ?? t("gate.unnamed")),
      h("div", { class: "row" }, stateChip(visit.state), watchBadge(visit)),
      facts([
        [t("gate.document"), idText(visit), "detail-id"],
        [t("gate.phone"), visit.phone_masked, "detail-phone"],
        [t("gate.organisation"), visit.organisation],
        [t("gate.col_host"), visit.host ? personName(visit.host) : null, "detail-host"],
        [t("gate.purpose"), visit.purpose],
        [t("gate.party_size"), visit.party_size ? String(visit.party_size) : null],
        [t("gate.plate"), visit.plate],
        [t("gate.badge_number"), visit.badge],
        [t("gate.watch_by"), visit.watch_decided_by ? personName(visit.watch_decided_by) : null],
      ]),
      visit.flags.length ? h("div", { class: "gate-flag-list", "data-testid": "detail-flags" },
        h("h3", {}, t("gate.col_flags")),
        h("ul", { class: "plain-list" }, visit.flags.map((f) => h("li", {}, flagChip(f, { long: true }))))) : null,
      h("h3", {}, t("gate.timeline")),
      timeline(site, visit),
      decisionForms(ctx, visit, redraw),
      h("h3", {}, t("gate.slip")),
      h("p", { class: "row" },
        h("a", { class: "button gate-plain-link", href: `/api/visits/${visit.id}/slip.pdf`, target: "_blank", rel: "noopener", "data-testid": "slip-pdf" }, t("gate.slip_pdf")),
        h("a", { class: "button gate-plain-link", href: `/api/visits/${visit.id}/slip`, target: "_blank", rel: "noopener", "data-testid": "slip-80mm" }, t("gate.slip_80mm"))),
      h("p", { class: "muted small-text" }, t("gate.slip_hint"))),
  ];
}

export async function draw(ctx, redraw, query) {
  const visitId = query.get("visit");
  return visitId ? drawVisit(ctx, redraw, visitId) : drawLog(ctx, redraw, query);
}
