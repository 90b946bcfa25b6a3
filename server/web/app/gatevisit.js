// One visit at the gate (/app/visits/{id}): where it stands, the host's consent given by
// phone (who said it, when) or a refusal, the slip to print, and the check-out, which the
// slip's QR opens straight to. A visit this device does not hold (a host opening the link
// the register sent them) is the host's screen (hostvisits.js).

import { h, show } from "./dom.js";
import { gateStyles, stateLabel } from "./gate.js";
import { findVisit, MANAGER_ROLES, peopleOf, recordFact, settingsOf } from "./gatelocal.js";
import { t } from "./i18n.js";
import { backButton, formatTime, go, render as redraw, requestSync } from "./nav.js";
import * as store from "./store.js";

export function redrawOnSync(current) {
  return !current.query?.has("decide");
}

export async function render(view, current) {
  gateStyles();
  const user = await store.getMeta("user");
  const visit = current.id ? await findVisit(user, current.id) : null;
  if (!visit) return (await import("./hostvisits.js")).render(view, current);
  return renderVisit(view, visit, current, user);
}

// The check-out: `slip` when the slip's QR was read, `list` when picked by hand.
export async function checkOut(visit, method) {
  const at = new Date().toISOString();
  await recordFact(visit, "visit.checked_out", { checked_out_at: at, method }, { at, fields: { checked_out_at: at } });
  requestSync();
}

function line(label, value, testid = null) {
  if (value === null || value === undefined || value === "") return null;
  return [h("dt", {}, label), h("dd", { "data-testid": testid }, value)];
}

async function phoneConsent(view, visit, current) {
  const people = await peopleOf(visit.site_id);
  const who = h("select", { id: "gate-by", "data-testid": "gate-consent-by" },
    people.filter((p) => p.id === visit.host?.id || MANAGER_ROLES.has(p.role)).map((p) =>
      h("option", { value: p.id, selected: p.id === visit.host?.id }, p.id === visit.host?.id ? t("gate.the_host", { name: p.name }) : p.name)));
  const reason = h("input", { id: "gate-refusal-reason", "data-testid": "gate-refusal-reason", maxlength: 500 });
  const record = async (decision) => {
    const at = new Date().toISOString();
    const by = people.find((p) => p.id === who.value);
    const decidedBy = by ? { id: by.id, name: by.name } : null;
    if (decision === "approved") {
      await recordFact(visit, "visit.approved", { channel: "phone", by_id: who.value, approved_at: at },
        { at, fields: { approved_at: at, decided_by: decidedBy } });
    } else {
      await recordFact(visit, "visit.refused", { channel: "phone", by_id: who.value, refused_at: at, reason: reason.value.trim() },
        { at, fields: { refused_at: at, decided_by: decidedBy, refusal_reason: reason.value.trim() } });
    }
    history.replaceState(history.state, "", `/app/visits/${visit.id}`);
    await redraw();
    requestSync();
  };
  return h("section", { class: "card", "data-testid": "gate-consent" },
    h("h2", {}, t("gate.consent_title")),
    h("p", { class: "muted" }, t("gate.consent_hint")),
    h("label", { for: "gate-by" }, t("gate.consent_by")), who,
    h("button", { type: "button", class: "gate-big", "data-testid": "gate-approve", onclick: () => record("approved") }, t("gate.approve_phone")),
    h("label", { for: "gate-refusal-reason" }, t("gate.refusal_reason")), reason,
    h("button", { type: "button", class: "wide plain", "data-testid": "gate-refuse", onclick: () => record("refused") }, t("gate.refuse_phone")));
}

async function renderVisit(view, visit, current) {
  const open = visit.state !== "left" && visit.state !== "refused";
  // The slip's QR read by the gate's scanner, or by the device's own camera app, which
  // opens the visit's URL from outside the app.
  const scanned = current.query?.has("scanned") || !history.state?.inApp;
  const settings = await settingsOf(visit.site_id);
  const unsigned = open && settings.sign_before_checkout && !visit.signed_at
    ? h("p", { class: "warn", "data-testid": "gate-unsigned" }, t("gate.unsigned"))
    : null;
  const outButton = open && visit.checked_in_at
    ? h("button", {
      type: "button", class: "gate-big", "data-testid": "gate-visit-check-out",
      onclick: async () => {
        await checkOut(visit, scanned ? "slip" : "list");
        history.replaceState(history.state, "", `/app/visits/${visit.id}`);
        await redraw();
      },
    }, t("gate.check_out"))
    : null;
  const consent = visit.state === "pending" && visit.watch !== "match" && !visit.approved_at && !visit.refused_at
    ? await phoneConsent(view, visit, current)
    : null;
  const slip = (size) => h("button", {
    type: "button", class: "wide plain", "data-testid": `gate-slip-${size}`, onclick: () => go(`/app/slip/${visit.id}?size=${size}`),
  }, t(`gate.print_${size}`));
  show(view,
    current.query?.has("new") ? h("p", { class: "card note", role: "status", "data-testid": "gate-saved" }, t("gate.saved")) : null,
    scanned && outButton ? h("div", { class: "card gate-scanned" }, h("p", {}, t("gate.scanned_slip")), outButton) : null,
    h("section", { class: "card", "data-testid": "gate-visit-page", "data-state": visit.state, "data-id": visit.id },
      h("h1", {}, visit.visitor ?? t("gate.unknown_visitor")),
      h("p", {}, stateLabel(visit),
        visit.local ? h("span", { class: "due-state", "data-testid": "gate-visit-waiting" }, t("gate.not_sent")) : null),
      visit.watch === "match" ? h("p", { class: "warn", "data-testid": "gate-watch-pending" }, t("gate.watch_pending")) : null,
      unsigned,
      h("dl", {},
        line(t("gate.organisation"), visit.organisation),
        line(t("gate.id_number"), visit.id_masked ?? (visit.id_type === "none" ? t("gate.id_type.none") : null), "gate-visit-id"),
        line(t("gate.phone"), visit.phone_masked ?? (visit.phone ? visit.phone.replace(/^(\d{3})\d{4}(\d{4})$/, "$1****$2") : null)),
        line(t("gate.host"), visit.host?.name),
        line(t("gate.purpose"), visit.purpose),
        line(t("gate.party_size"), visit.party_size),
        line(t("gate.plate"), visit.plate),
        line(t("gate.badge"), visit.badge),
        line(t("gate.checked_in_at"), visit.checked_in_at && formatTime(visit.checked_in_at), "gate-visit-in"),
        line(t("gate.approved_at"), visit.approved_at && `${formatTime(visit.approved_at)} · ${visit.decided_by?.name ?? ""}`, "gate-visit-approved"),
        line(t("gate.refused_at"), visit.refused_at && `${formatTime(visit.refused_at)} · ${visit.refusal_reason || ""}`, "gate-visit-refused"),
        line(t("gate.checked_out_at"), visit.checked_out_at && formatTime(visit.checked_out_at), "gate-visit-out"))),
    consent,
    visit.checked_in_at ? h("section", { class: "card" }, h("h2", {}, t("gate.slip")), slip("80mm"), slip("a6")) : null,
    scanned ? null : outButton ? h("section", { class: "card" }, outButton) : null,
    backButton(`/app/gate?site=${visit.site_id}`));
}
