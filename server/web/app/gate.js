// Gate mode (/app/gate): the gatekeeper's tablet or phone at the school gate, large buttons
// for the few things done there all day: register a visitor (gatecheckin.js), see who is
// still inside and check them out, scan a visitor's slip or a pupil's early-leave pass,
// look up today's passes and check a pick-up card (gatepasses.js). All from the device's
// own data, so the gate keeps working when the school's network does not.

import { h, show } from "./dom.js";
import { t } from "./i18n.js";
import { backButton, formatTime, go } from "./nav.js";
import { gateSites, visitsOf } from "./gatelocal.js";
import * as store from "./store.js";

const VISIT_PATH = /\/app\/visits\/([0-9a-f-]{36})\/?$/i;
const PASS_PATH = /\/app\/passes\/([0-9a-f-]{36})\/?$/i;

// The gate's own look (large buttons), loaded with its first screen.
export function gateStyles() {
  if (document.querySelector("link[data-gate-css]")) return;
  document.head.append(h("link", { rel: "stylesheet", href: "/web/app/gate.css", "data-gate-css": true }));
}

export function redrawOnSync(current) {
  // The camera restarting under the person at every sync would lose the slip in view; a
  // form being filled is never drawn again.
  return !["scan", "checkin", "passes", "cards"].includes(current.id);
}

export async function render(view, current) {
  gateStyles();
  const user = await store.getMeta("user");
  const sites = gateSites(user);
  if (!sites.length) {
    return show(view, h("p", { class: "card muted", "data-testid": "gate-no-site" }, t("gate.no_site")), backButton());
  }
  const siteId = current.query.get("site") ?? sites[0].site_id;
  const site = sites.find((s) => s.site_id === siteId) ?? sites[0];
  if (current.id === "checkin") return (await import("./gatecheckin.js")).render(view, { ...current, site, user });
  if (current.id === "scan") return renderScan(view, site);
  if (current.id === "passes" || current.id === "cards") {
    return (await import("./gatepasses.js")).render(view, { ...current, site, user });
  }
  if (current.id === "inside") return renderInside(view, site);
  return renderHome(view, site, sites);
}

function big(testid, text, path, { count = null, plain = false } = {}) {
  return h("button", { type: "button", class: `gate-big${plain ? " plain" : ""}`, "data-testid": testid, onclick: () => go(path) },
    h("span", { class: "gate-big-text" }, text),
    count === null ? null : h("span", { class: "gate-count", "data-testid": `${testid}-count` }, String(count)));
}

export function stateLabel(visit) {
  return h("span", { class: `due-state gate-state gate-state-${visit.state}`, "data-testid": "gate-visit-state", "data-state": visit.state },
    t(`gate.state.${visit.state}`));
}

export function visitLine(visit, { action = null } = {}) {
  return h("li", { "data-testid": "gate-visit", "data-id": visit.id, "data-state": visit.state },
    h("button", { type: "button", class: "link gate-visit-open", onclick: () => go(`/app/visits/${visit.id}`) },
      `${visit.visitor ?? t("gate.unknown_visitor")}${visit.organisation ? ` · ${visit.organisation}` : ""}`),
    h("div", { class: "gate-visit-meta" },
      stateLabel(visit),
      h("span", { class: "muted" }, ` ${t("gate.host_is", { host: visit.host?.name ?? "" })}`),
      visit.checked_in_at ? h("span", { class: "muted" }, ` · ${formatTime(visit.checked_in_at)}`) : null,
      visit.local ? h("span", { class: "due-state", "data-testid": "gate-visit-waiting" }, t("gate.not_sent")) : null),
    action);
}

async function renderHome(view, site, sites) {
  const visits = await visitsOf(site.site_id);
  const inside = visits.filter((v) => v.state === "inside");
  const waiting = visits.filter((v) => v.state === "pending" && v.checked_in_at);
  const q = `?site=${site.site_id}`;
  show(view,
    h("section", { class: "card gate-home", "data-testid": "gate-home", "data-site": site.site_id },
      h("h1", {}, t("gate.title")),
      sites.length > 1 ? h("p", { class: "muted" }, site.site_name) : null,
      h("div", { class: "gate-grid" },
        big("gate-checkin", t("gate.check_in"), `/app/gate/checkin${q}`),
        big("gate-inside", t("gate.inside"), `/app/gate/inside${q}`, { count: inside.length }),
        big("gate-scan", t("gate.scan"), `/app/gate/scan${q}`),
        big("gate-passes", t("gate.passes"), `/app/gate/passes${q}`, { plain: true }),
        big("gate-cards", t("gate.cards"), `/app/gate/cards${q}`, { plain: true }))),
    waiting.length
      ? h("section", { class: "card", "data-testid": "gate-waiting" },
        h("h2", {}, t("gate.awaiting_host", { count: waiting.length })),
        h("ul", { class: "list" }, waiting.map((v) => visitLine(v))))
      : null,
    sites.length > 1
      ? h("section", { class: "card" }, sites.filter((s) => s !== site).map((s) =>
        h("button", { type: "button", class: "wide plain", onclick: () => go(`/app/gate?site=${s.site_id}`) }, s.site_name)))
      : null,
    backButton());
}

async function renderInside(view, site) {
  const visits = await visitsOf(site.site_id);
  const order = (v) => v.entered_at ?? v.checked_in_at ?? "";
  const inside = visits.filter((v) => v.state === "inside").sort((a, b) => order(a).localeCompare(order(b)));
  const pending = visits.filter((v) => v.state === "pending" || v.state === "approved");
  const { checkOut } = await import("./gatevisit.js");
  const out = (visit) => h("button", {
    type: "button", class: "wide", "data-testid": "gate-check-out",
    onclick: async () => {
      await checkOut(visit, "list");
      await renderInside(view, site);
    },
  }, t("gate.check_out"));
  show(view,
    h("section", { class: "card", "data-testid": "gate-inside-list", "data-count": String(inside.length) },
      h("h1", {}, t("gate.inside_title", { count: inside.length })),
      inside.length
        ? h("ul", { class: "list" }, inside.map((v) => visitLine(v, { action: out(v) })))
        : h("p", { class: "muted", "data-testid": "gate-none-inside" }, t("gate.none_inside"))),
    pending.length
      ? h("section", { class: "card" }, h("h2", {}, t("gate.not_yet_in")), h("ul", { class: "list" }, pending.map((v) => visitLine(v))))
      : null,
    backButton(`/app/gate?site=${site.site_id}`));
}

// What a scanned QR at the gate is: a visitor's slip or a pupil's pass, from any host.
export function gateTarget(text) {
  let path = String(text).trim();
  try {
    path = new URL(path).pathname;
  } catch {
    // a bare path
  }
  const visit = VISIT_PATH.exec(path);
  if (visit) return `/app/visits/${visit[1].toLowerCase()}?scanned=1`;
  const pass = PASS_PATH.exec(path);
  return pass ? `/app/passes/${pass[1].toLowerCase()}?scanned=1` : null;
}

async function renderScan(view, site) {
  const { cameraScreen } = await import("./scan.js");
  const typed = h("input", { id: "gate-typed", "data-testid": "gate-typed", autocomplete: "off" });
  const form = h("form", { class: "card" },
    h("label", { for: "gate-typed" }, t("gate.typed_label")), typed,
    h("button", { class: "wide" }, t("gate.open")));
  const message = h("p", { class: "warn", role: "alert", "data-testid": "gate-typed-message" });
  form.append(message);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = typed.value.trim();
    const target = gateTarget(value) ?? gateTarget(`/app/visits/${value}`);
    if (target) go(target);
    else message.textContent = t("gate.not_a_slip");
  });
  await cameraScreen(view, {
    title: t("gate.scan_title"),
    read: gateTarget,
    onCode: (target) => go(target),
    below: [form, backButton(`/app/gate?site=${site.site_id}`)],
  });
}
