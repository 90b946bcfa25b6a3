// Who is still inside (GET /api/sites/{id}/visits?state=inside), longest there first, kept
// fresh: read again every 30 seconds and whenever the window comes back into focus. A
// visitor is checked out from the list (method "list"). At or after the site's closing
// time the day's anomalies follow: visitors not checked out, stays past what was agreed,
// check-ins never approved (the rules of server/gate/visits.py anomalies, on the day's
// register as the server judged it).

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import {
  address, canChange, clockText, flagChip, fromLocalInput, gateSettings, idText, nowIso, personName, problemSlot,
  showProblem, siteClock, siteToday,
} from "./common.js";
import { watchBadge } from "./today.js";

export const REFRESH_MS = 30_000;

const NOT_CHECKED_OUT = "visit.not_checked_out";
const OVERSTAY = "visit.overstay";
const NEVER_APPROVED = "visit.never_approved";

const before = (iso, limit) => iso !== null && iso !== undefined && new Date(iso) <= limit;

// When a visit's stay runs out: the agreed one, else the site's default stay from entry.
function stayEnd(visit, settings) {
  if (visit.expected_until) return new Date(visit.expected_until);
  if (!visit.entered_at || !settings.overstay_minutes) return null;
  return new Date(new Date(visit.entered_at).getTime() + settings.overstay_minutes * 60_000);
}

// The day's anomalies as of `closing` (a Date): what visits.anomalies finds, one line per
// visit and code. A check-in, decision or check-out after closing is read as not yet made;
// a visitor refused before any approval was turned away at the gate.
export function anomaliesOf(visits, closing, settings) {
  const found = [];
  for (const visit of visits) {
    if (!before(visit.checked_in_at, closing)) continue;
    const approved = before(visit.approved_at, closing);
    const turnedAway = !approved && before(visit.refused_at, closing);
    const left = before(visit.checked_out_at, closing);
    if (!left && !turnedAway) found.push({ visit, code: NOT_CHECKED_OUT, at: closing });
    if (!approved && !turnedAway) found.push({ visit, code: NEVER_APPROVED, at: new Date(visit.checked_in_at) });
    const until = stayEnd(visit, settings);
    if (approved && until) {
      const end = left ? new Date(visit.checked_out_at) : closing;
      if (end > until) found.push({ visit, code: OVERSTAY, at: until });
    }
  }
  return found.sort((a, b) => a.at - b.at || a.code.localeCompare(b.code));
}

function insideRow(ctx, visit, redraw) {
  const { site, describeError } = ctx;
  const name = visit.visitor ?? t("gate.unnamed");
  const checkOut = async (event) => {
    event.preventDefault();
    const form = event.target.closest("form");
    if (!confirm(t("gate.check_out_confirm", { name }))) return;
    try {
      await api.post(`/api/visits/${visit.id}/checkout`, { id: api.uuid7(), checked_out_at: nowIso(), method: "list" });
    } catch (error) {
      showProblem(form, error, describeError);
      return;
    }
    await redraw(t("gate.checked_out_message", { name }));
  };
  const over = visit.expected_until && new Date(visit.expected_until) < new Date();
  return h("li", { class: `gate-inside${over ? " gate-over" : ""}`, "data-testid": "inside", "data-id": visit.id },
    h("div", { class: "gate-inside-who" },
      h("a", { class: "gate-visitor", href: address(site.id, { visit: visit.id }), "data-testid": "inside-name" }, name),
      visit.organisation ? h("span", { class: "small-text muted" }, visit.organisation) : null,
      h("span", { class: "small-text" }, idText(visit)),
      watchBadge(visit)),
    h("div", { class: "gate-inside-when small-text" },
      h("span", { "data-testid": "inside-host" }, t("gate.visiting", { host: personName(visit.host) })),
      h("span", { "data-testid": "inside-since" }, t("gate.inside_since", { time: clockText(site, visit.entered_at) })),
      visit.expected_until
        ? h("span", { class: over ? "warn" : null, "data-testid": "inside-until" },
          t(over ? "gate.over_since" : "gate.time_until", { time: clockText(site, visit.expected_until) }))
        : null,
      visit.badge ? h("span", {}, t("gate.badge_is", { badge: visit.badge })) : null),
    visit.flags.length ? h("span", { class: "gate-flags" }, visit.flags.map((f) => flagChip(f))) : null,
    canChange(site)
      ? h("form", { class: "gate-check-out", onsubmit: checkOut },
        h("button", { class: "small", "data-testid": "check-out", "aria-label": t("gate.check_out_named", { name }) }, t("gate.check_out")),
        problemSlot())
      : null);
}

function anomalyCard(site, anomalies, closingText) {
  return h("section", { class: "card note gate-anomalies", "data-testid": "anomalies" },
    h("h2", {}, t("gate.anomalies_title", { count: anomalies.length, time: closingText })),
    h("p", { class: "muted small-text" }, t("gate.anomalies_hint")),
    anomalies.length
      ? h("ul", { class: "plain-list" }, anomalies.map(({ visit, code, at }) =>
        h("li", { class: "gate-anomaly", "data-testid": "anomaly", "data-code": code, "data-id": visit.id },
          flagChip(code),
          h("a", { href: address(site.id, { visit: visit.id }), "data-testid": "anomaly-name" }, visit.visitor ?? t("gate.unnamed")),
          h("span", { class: "small-text muted" }, [
            visit.host ? t("gate.visiting", { host: personName(visit.host) }) : null,
            t("gate.anomaly_at", { time: clockText(site, at.toISOString()) }),
          ].filter(Boolean).join(t("gate.sep"))))))
      : h("p", { class: "muted", "data-testid": "anomalies-none" }, t("gate.anomalies_none")));
}

export async function draw(ctx, redraw) {
  const { site } = ctx;
  const today = siteToday(site);
  const [inside, settings] = await Promise.all([
    api.get(`/api/sites/${site.id}/visits?state=inside`),
    gateSettings(site),
  ]);
  const closing = new Date(fromLocalInput(site, `${today}T${settings.closing_time}`));
  const closed = new Date() >= closing;
  const anomalies = closed ? anomaliesOf(await api.get(`/api/sites/${site.id}/visits?date=${today}`), closing, settings) : null;
  const updated = h("p", { class: "muted small-text", "data-testid": "inside-updated", role: "status" },
    t("gate.updated_at", { time: siteClock(site) }));
  const root = h("section", { class: "card", "data-testid": "inside-list" },
    h("h2", {}, t("gate.inside_title", { count: inside.length })),
    h("p", { class: "muted small-text" }, t("gate.inside_hint")),
    updated,
    inside.length
      ? h("ul", { class: "plain-list gate-inside-list" }, inside.map((v) => insideRow(ctx, v, redraw)))
      : h("p", { class: "muted", "data-testid": "inside-empty" }, t("gate.inside_empty")),
    closed ? null : h("p", { class: "muted small-text", "data-testid": "anomalies-later" },
      t("gate.anomalies_later", { time: settings.closing_time })));
  // Kept fresh while shown: the timer and the focus listener end once the list is gone
  // (another tab, another day, a redraw that made a new list).
  const refresh = () => {
    if (!root.isConnected) return stop();
    if (!document.querySelector("form.gate-check-out:focus-within")) redraw();
  };
  const timer = setInterval(refresh, REFRESH_MS);
  const onFocus = () => refresh();
  function stop() {
    clearInterval(timer);
    window.removeEventListener("focus", onFocus);
  }
  window.addEventListener("focus", onFocus);
  return [root, closed ? anomalyCard(site, anomalies, settings.closing_time) : null].filter(Boolean);
}
