// Pupils leaving through the gate: early-leave passes (/app/gate/passes, and a pass's QR
// opening /app/passes/{id}) checked against the pulled `leave_pass` feed and their exit
// recorded (`pass.exited`), and pick-up cards (/app/gate/cards) checked against who is
// standing at the gate (`card.checked`, the rules of server/gate/pickup_cards.py). Offline
// like the rest of the gate: the device judges from its copy and the server judges again.

import { h, show } from "./dom.js";
import { gateScope, gateSites } from "./gatelocal.js";
import { gateStyles } from "./gate.js";
import { label, t } from "./i18n.js";
import { backButton, formatTime, render as redraw, requestSync } from "./nav.js";
import * as store from "./store.js";

const KEPT_EXITS = "gate:exit:";

export function redrawOnSync(current) {
  return current.name !== "passes" || !current.query?.has("scanned");
}

export async function render(view, current) {
  gateStyles();
  const user = await store.getMeta("user");
  if (current.name === "passes") return renderPass(view, user, current);
  if (current.id === "cards") return renderCards(view, current.site);
  return renderPasses(view, current.site);
}

// A pass as the device knows it: the feed's, with an exit this device recorded since.
async function passWithExit(pass) {
  const exit = await store.getDraft(`${KEPT_EXITS}${pass.id}`);
  return exit && !pass.exited_at ? { ...pass, exited_at: exit.exited_at, state: "exited", local: true } : pass;
}

// Why the pass does not let the pupil out now: passes.py exit_blockers, judged on the
// device from the pass's times and facts.
export function blockersOf(pass, now = Date.now()) {
  if (pass.exited_at) return ["pass.already_exited"];
  if (pass.cancelled_at) return ["pass.cancelled"];
  const found = [];
  const confirmed = pass.confirmed_by_parent;
  if (!confirmed || Date.parse(confirmed.at) > now) found.push("pass.not_confirmed");
  if (now < Date.parse(pass.leave_from) || now > Date.parse(pass.leave_until)) found.push("pass.outside_window");
  return found;
}

async function recordExit(pass, method) {
  const at = new Date().toISOString();
  const opId = store.uuid7();
  await store.enqueue({
    type: "pass.exited", opId, occurredAt: at,
    body: { id: opId, site_id: pass.site_id, pass_id: pass.id, exited_at: at, collected_by: pass.collector ?? null, method },
  });
  await store.putDraft(`${KEPT_EXITS}${pass.id}`, { exited_at: at });
  requestSync();
}

function passCard(pass, method, after) {
  const blockers = blockersOf(pass);
  const ok = !blockers.length;
  return h("li", { "data-testid": "gate-pass", "data-id": pass.id, "data-ok": String(ok) },
    h("div", { class: "item-label" }, `${pass.pupil} · ${pass.class_name}`),
    h("div", { class: "muted" }, `${formatTime(pass.leave_from)}–${formatTime(pass.leave_until)} · ${pass.reason}`),
    pass.collector ? h("div", {}, t("gate.pass_collector", { name: pass.collector })) : null,
    pass.confirmed_by_parent ? h("div", { class: "muted" }, t("gate.pass_confirmed", { name: pass.confirmed_by_parent.name })) : null,
    blockers.map((b) => h("p", { class: "warn", "data-testid": "gate-pass-blocker" }, label("gate.blocker", b))),
    pass.exited_at
      ? h("p", { class: "note", "data-testid": "gate-pass-exited" }, t("gate.pass_exited", { time: formatTime(pass.exited_at) }))
      : h("button", {
        type: "button", class: ok ? "gate-big" : "wide plain", "data-testid": "gate-pass-exit",
        onclick: async () => {
          if (!ok && !confirm(t("gate.pass_exit_anyway"))) return;
          await recordExit(pass, method);
          await after();
        },
      }, t("gate.pass_exit")));
}

async function renderPasses(view, site) {
  const today = new Date();
  const pulled = await store.recordsOf(gateScope(site.site_id), "leave_pass");
  const passes = await Promise.all(pulled
    .filter((p) => new Date(p.leave_from).toDateString() === today.toDateString() && p.state !== "cancelled")
    .sort((a, b) => a.leave_from.localeCompare(b.leave_from))
    .map(passWithExit));
  show(view,
    h("section", { class: "card", "data-testid": "gate-pass-list", "data-count": String(passes.length) },
      h("h1", {}, t("gate.passes_title")),
      passes.length
        ? h("ul", { class: "list" }, passes.map((p) => passCard(p, "list", () => renderPasses(view, site))))
        : h("p", { class: "muted", "data-testid": "gate-no-passes" }, t("gate.no_passes"))),
    backButton(`/app/gate?site=${site.site_id}`));
}

async function renderPass(view, user, current) {
  let pass = null;
  for (const site of gateSites(user)) {
    pass ??= await store.getRecord(gateScope(site.site_id), "leave_pass", current.id);
  }
  if (!pass) {
    return show(view, h("p", { class: "card warn", "data-testid": "gate-pass-unknown" }, t("gate.pass_unknown")), backButton("/app/gate"));
  }
  pass = await passWithExit(pass);
  show(view,
    h("section", { class: "card", "data-testid": "gate-pass-page" },
      h("h1", {}, t("gate.pass_title")),
      h("ul", { class: "list" }, passCard(pass, current.query.has("scanned") ? "scan" : "list", () => redraw()))),
    backButton(`/app/gate?site=${pass.site_id}`));
}

// pickup_cards.py may_collect, on the device: validity ends are exclusive.
export function mayCollect(card, key, now = Date.now()) {
  const faults = [];
  if (card.revoked_at) faults.push("card.revoked");
  else if (card.valid_from && now < Date.parse(card.valid_from)) faults.push("card.not_yet_valid");
  else if (card.valid_until && now >= Date.parse(card.valid_until)) faults.push("card.expired");
  const collector = card.collectors.find((c) => c.key === key) ?? null;
  if (!collector) faults.push("card.not_a_collector");
  else if (collector.valid_from && now < Date.parse(collector.valid_from)) faults.push("card.collector_not_yet_valid");
  else if (collector.valid_until && now >= Date.parse(collector.valid_until)) faults.push("card.collector_expired");
  return { allowed: !faults.length, collector, faults };
}

async function renderCards(view, site) {
  const cards = await store.recordsOf(gateScope(site.site_id), "pickup_card");
  const search = h("input", { id: "gate-card-search", type: "search", "data-testid": "gate-card-search" });
  const list = h("ul", { class: "list" });
  const result = h("div", { "data-testid": "gate-card-result", role: "status" });
  const check = async (card, collector) => {
    const at = new Date().toISOString();
    const judged = mayCollect(card, collector.key);
    const opId = store.uuid7();
    await store.enqueue({
      type: "card.checked", opId, occurredAt: at,
      body: { id: opId, site_id: site.site_id, card_id: card.id, collector_key: collector.key, checked_at: at },
    });
    requestSync();
    result.dataset.allowed = String(judged.allowed);
    result.replaceChildren(h("p", { class: judged.allowed ? "note gate-verdict" : "warn gate-verdict" },
      judged.allowed ? t("gate.card_allowed", { name: collector.name, child: card.child }) : t("gate.card_refused", { name: collector.name })),
    ...judged.faults.map((f) => h("p", { class: "warn" }, label("gate.blocker", f))));
  };
  const draw = () => {
    const wanted = search.value.trim();
    const found = cards.filter((c) => !wanted || c.child.includes(wanted) || c.class_name.includes(wanted)).slice(0, 20);
    list.replaceChildren(...found.map((card) => h("li", { "data-testid": "gate-card", "data-id": card.id },
      h("div", { class: "item-label" }, `${card.child} · ${card.class_name}`),
      card.collectors.map((c) => h("button", {
        type: "button", class: "wide plain", "data-testid": "gate-card-collector", onclick: () => check(card, c),
      }, `${c.name}${c.relation ? `（${c.relation}）` : ""}`)))));
  };
  search.addEventListener("input", draw);
  draw();
  show(view,
    h("section", { class: "card", "data-testid": "gate-cards" },
      h("h1", {}, t("gate.cards_title")),
      h("label", { for: "gate-card-search" }, t("gate.card_search")), search,
      result,
      cards.length ? list : h("p", { class: "muted", "data-testid": "gate-no-cards" }, t("gate.no_cards"))),
    backButton(`/app/gate?site=${site.site_id}`));
}
