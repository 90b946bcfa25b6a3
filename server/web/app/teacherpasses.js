// The class teacher's side of an early-leave pass: my passes of today and tomorrow
// (/app/leave), a new one (/app/leave/new) and one pass (/app/leave/{id}): the parent's
// agreement taken by phone or through a one-time link, and cancelling. Online, through the
// REST API like the host's screen (hostvisits.js): a teacher is not among the gate's
// people, so no pass comes back to their phone by sync. The gate reads the pass by its QR.

import { ApiError, describeError } from "./api.js";
import { h, show } from "./dom.js";
import { gateStyles } from "./gate.js";
import { checkPhone } from "./gatedocs.js";
import { label, refusal, t } from "./i18n.js";
import { backButton, formatTime, go, render as redraw } from "./nav.js";
import { READERS } from "./roles.js";
import * as store from "./store.js";

const WINDOW_HOURS = 2;
const DAY = 24 * 60 * 60 * 1000;

// The parent's link last made, by pass: the server shows it once, so a redraw (the language
// switched, a refusal) must not lose it.
const madeLinks = new Map();
// The new pass's choices a redraw (the language switched) would lose: show() in dom.js
// gives text fields back their text, not a checkbox or a select.
let chosen = null;

async function call(path, { method = "GET", body } = {}) {
  const device = await store.getMeta("device");
  const response = await fetch(path, {
    method,
    headers: {
      Accept: "application/json",
      Authorization: `Bearer ${device.token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
  });
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return response.json();
}

function problem(error) {
  return h("p", { class: "card warn", role: "alert", "data-testid": "leave-error" }, describeError(error));
}

// The sites where the person may make a pass: any but an auditor's.
function teacherSites(user) {
  return (user?.sites ?? []).filter((s) => !READERS.has(s.role));
}

// The site's date of an instant (its timezone from the pulled site; the phone's before the
// first pull), as the server files a pass under.
async function siteDate(siteId, at) {
  const [site] = await store.recordsOf(siteId, "site");
  const zone = site?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

// A collector's or parent's phone as the server checks it for a pass: a mobile, or a
// landline (a parent may be reached at work). The fault's code is the server's.
export function passPhoneFault(text) {
  const { faults } = checkPhone(text);
  return faults.length && faults[0] !== "visit.phone_landline" ? "pass.phone_format" : null;
}

export async function render(view, current) {
  gateStyles();
  if (!navigator.onLine) {
    return show(view, h("p", { class: "card warn", "data-testid": "leave-offline" }, t("leave.needs_network")), backButton());
  }
  const user = await store.getMeta("user");
  const sites = teacherSites(user);
  if (!sites.length) return show(view, h("p", { class: "card warn", "data-testid": "leave-not-allowed" }, t("leave.not_allowed")), backButton());
  if (current.id === "new") return renderForm(view, sites);
  if (!current.id) return renderList(view, sites);
  let pass;
  try {
    pass = await call(`/api/passes/${encodeURIComponent(current.id)}`);
  } catch (error) {
    return show(view, problem(error), backButton("/app/leave"));
  }
  return renderPass(view, pass);
}

function stateBadge(pass) {
  return h("span", { class: `due-state gate-state leave-state-${pass.state}`, "data-testid": "leave-state", "data-state": pass.state },
    label("leave.state", pass.state));
}

function windowText(pass) {
  return `${formatTime(pass.leave_from)}–${formatTime(pass.leave_until)}`;
}

function collectorText(pass) {
  return pass.collector ? t("gate.pass_collector", { name: pass.collector }) : t("leave.alone");
}

async function renderList(view, sites) {
  const now = Date.now();
  let passes;
  try {
    const asked = await Promise.all(sites.flatMap((site) => [now, now + DAY].map(async (at) =>
      call(`/api/sites/${site.site_id}/passes?date=${await siteDate(site.site_id, at)}`))));
    const byId = new Map(asked.flat().map((p) => [p.id, p]));
    passes = [...byId.values()].sort((a, b) => (a.leave_from ?? "").localeCompare(b.leave_from ?? ""));
  } catch (error) {
    return show(view, problem(error), backButton());
  }
  show(view,
    h("section", { class: "card", "data-testid": "leave-list", "data-count": String(passes.length) },
      h("h1", {}, t("leave.title")),
      h("button", { type: "button", class: "gate-big", "data-testid": "leave-new", onclick: () => go("/app/leave/new") }, t("leave.new")),
      passes.length
        ? h("ul", { class: "list" }, passes.map((p) => h("li", { "data-testid": "leave-pass", "data-id": p.id, "data-state": p.state },
          h("button", { type: "button", class: "link gate-visit-open", onclick: () => go(`/app/leave/${p.id}`) },
            `${p.pupil ?? ""}${p.class_name ? ` · ${p.class_name}` : ""}`),
          h("div", { class: "gate-visit-meta" }, stateBadge(p), h("span", { class: "muted" }, ` ${windowText(p)}`)),
          h("div", { class: "muted" }, collectorText(p)))))
        : h("p", { class: "muted", "data-testid": "leave-none" }, t("leave.none"))),
    backButton());
}

// A value for <input type="datetime-local"> in the phone's own time.
function localInput(ms) {
  const at = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

function field(id, text, input) {
  return h("div", { class: "gate-field" }, h("label", { for: id }, text), input);
}

function renderForm(view, sites) {
  const now = Date.now();
  const input = (id, attrs = {}) => h("input", { id, "data-testid": id, ...attrs });
  const site = h("select", { id: "leave-site", "data-testid": "leave-site" },
    sites.map((s) => h("option", { value: s.site_id }, s.site_name)));
  const pupil = input("leave-pupil", { maxlength: 100, autocomplete: "off" });
  const className = input("leave-class", { maxlength: 50, autocomplete: "off" });
  const reason = h("textarea", { id: "leave-reason", "data-testid": "leave-reason", maxlength: 500, rows: 2 });
  const from = input("leave-from", { type: "datetime-local", value: localInput(now) });
  const until = input("leave-until", { type: "datetime-local", value: localInput(now + WINDOW_HOURS * 60 * 60 * 1000) });
  const alone = input("leave-alone", { type: "checkbox" });
  const collector = input("leave-collector", { maxlength: 100, autocomplete: "off" });
  const phone = input("leave-collector-phone", { type: "tel", inputmode: "tel", maxlength: 40, autocomplete: "off" });
  const who = h("div", {}, field("leave-collector", t("leave.collector"), collector), field("leave-collector-phone", t("leave.collector_phone"), phone));
  alone.addEventListener("change", () => {
    who.hidden = alone.checked;
  });
  // Only a redraw of the form on the screen keeps them; the form opened afresh starts empty.
  if (!view.querySelector('[data-testid="leave-form"]')) chosen = null;
  if (chosen) {
    site.value = chosen.site;
    alone.checked = chosen.alone;
    who.hidden = alone.checked;
  }
  const keep = () => {
    chosen = { site: site.value, alone: alone.checked };
  };
  const message = h("p", { class: "warn", role: "alert", "data-testid": "leave-message" });
  const fault = () => {
    if (!pupil.value.trim()) return t("leave.pupil_missing");
    if (!reason.value.trim()) return t("leave.reason_missing");
    const start = Date.parse(from.value);
    const end = Date.parse(until.value);
    if (Number.isNaN(start) || Number.isNaN(end) || end <= start) return refusal("pass.window_invalid");
    if (alone.checked) return null;
    if (!collector.value.trim()) return t("leave.collector_missing");
    return passPhoneFault(phone.value) && refusal("pass.phone_format");
  };
  const submit = async (event) => {
    event.preventDefault();
    message.textContent = fault() ?? "";
    if (message.textContent) return;
    const passId = store.uuid7();
    const body = {
      id: store.uuid7(), pass_id: passId,
      pupil: pupil.value.trim(), class_name: className.value.trim(), reason: reason.value.trim(),
      leave_from: new Date(from.value).toISOString(), leave_until: new Date(until.value).toISOString(),
      collector: alone.checked ? null : collector.value.trim(),
      collector_phone: alone.checked ? null : phone.value.trim(),
      created_at: new Date().toISOString(),
    };
    try {
      await call(`/api/sites/${site.value}/passes`, { method: "POST", body });
    } catch (error) {
      message.textContent = describeError(error);
      return;
    }
    chosen = null;
    history.replaceState({ inApp: true }, "", `/app/leave/${passId}`);
    await redraw();
  };
  show(view,
    h("form", { class: "card", "data-testid": "leave-form", novalidate: true, onsubmit: submit, onchange: keep },
      h("h1", {}, t("leave.new_title")),
      sites.length > 1 ? field("leave-site", t("leave.site"), site) : null,
      field("leave-pupil", t("leave.pupil"), pupil),
      field("leave-class", t("leave.class"), className),
      field("leave-reason", t("leave.reason"), reason),
      field("leave-from", t("leave.from"), from),
      field("leave-until", t("leave.until"), until),
      h("div", { class: "gate-check" }, alone, h("label", { for: "leave-alone" }, t("leave.alone_choice"))),
      who,
      message,
      h("button", { type: "submit", class: "gate-big gate-submit", "data-testid": "leave-submit" }, t("leave.submit"))),
    backButton("/app/leave"));
}

async function copyText(text, said) {
  try {
    await navigator.clipboard.writeText(text);
    said.textContent = t("leave.copied");
  } catch {
    said.textContent = t("leave.copy_by_hand");
  }
}

function linkBox(link) {
  const said = h("p", { class: "muted", role: "status", "data-testid": "leave-copied" });
  const url = h("input", { id: "leave-link-url", "data-testid": "leave-link-url", readonly: true, value: link.url });
  url.addEventListener("focus", () => url.select());
  return h("div", { "data-testid": "leave-link" },
    h("label", { for: "leave-link-url" }, t("leave.link_label")), url,
    h("button", { type: "button", class: "wide", "data-testid": "leave-link-copy", onclick: () => copyText(link.url, said) }, t("leave.copy")),
    h("p", { class: "muted", "data-testid": "leave-link-expires" }, t("leave.link_expires", { time: formatTime(link.expires_at) })),
    said);
}

async function renderPass(view, pass) {
  const message = h("p", { class: "warn", role: "alert", "data-testid": "leave-pass-message" });
  const send = async (path, body) => {
    message.textContent = "";
    try {
      await call(path, { method: "POST", body });
      await redraw();
    } catch (error) {
      message.textContent = describeError(error);
    }
  };
  const open = pass.state === "awaiting_parent" || pass.state === "confirmed";
  const parentName = h("input", { id: "leave-parent-name", "data-testid": "leave-parent-name", maxlength: 100, autocomplete: "off" });
  const parentPhone = h("input", { id: "leave-parent-phone", "data-testid": "leave-parent-phone", type: "tel", inputmode: "tel", maxlength: 40, autocomplete: "off" });
  const confirmParent = () => {
    if (!parentName.value.trim()) return (message.textContent = t("leave.parent_missing"));
    if (passPhoneFault(parentPhone.value)) return (message.textContent = refusal("pass.phone_format"));
    return send(`/api/passes/${pass.id}/confirmations`, {
      id: store.uuid7(), parent_name: parentName.value.trim(), parent_phone: parentPhone.value.trim(),
      confirmed_at: new Date().toISOString(), channel: "teacher",
    });
  };
  const kept = madeLinks.get(pass.id);
  const linkPlace = h("div", {}, kept && Date.parse(kept.expires_at) > Date.now() ? linkBox(kept) : null);
  const makeLink = async () => {
    message.textContent = "";
    try {
      const link = await call(`/api/passes/${pass.id}/parent-links`, { method: "POST" });
      madeLinks.set(pass.id, link);
      linkPlace.replaceChildren(linkBox(link));
    } catch (error) {
      message.textContent = describeError(error);
    }
  };
  const cancelReason = h("input", { id: "leave-cancel-reason", "data-testid": "leave-cancel-reason", maxlength: 500 });
  const cancel = () => {
    if (!confirm(t("leave.cancel_sure"))) return null;
    return send(`/api/passes/${pass.id}/cancellations`, { id: store.uuid7(), cancelled_at: new Date().toISOString(), reason: cancelReason.value.trim() });
  };
  const gateUrl = `${location.origin}/app/passes/${pass.id}`;
  const { qrSvg } = await import("./gateslip.js");
  const confirmed = pass.confirmed_by_parent;
  show(view,
    h("section", { class: "card", "data-testid": "leave-pass-page", "data-state": pass.state },
      h("h1", {}, t("leave.pass_title", { name: pass.pupil ?? "" })),
      h("p", {}, stateBadge(pass)),
      pass.blockers.map((b) => h("p", { class: "warn", "data-testid": "leave-blocker" }, label("gate.blocker", b))),
      h("dl", {},
        h("dt", {}, t("leave.class")), h("dd", {}, pass.class_name || "—"),
        h("dt", {}, t("leave.reason")), h("dd", {}, pass.reason),
        h("dt", {}, t("leave.window")), h("dd", {}, pass.leave_from ? windowText(pass) : "—"),
        h("dt", {}, t("leave.collector")), h("dd", {}, pass.collector ? `${pass.collector} · ${pass.collector_phone_masked ?? ""}` : t("leave.alone")),
        confirmed ? [h("dt", {}, t("leave.parent")), h("dd", { "data-testid": "leave-confirmed" },
          `${confirmed.name} · ${confirmed.phone_masked} · ${formatTime(confirmed.at)} · ${label("leave.channel", confirmed.channel)}`)] : null,
        pass.cancelled_at ? [h("dt", {}, t("leave.cancelled_at")), h("dd", {}, formatTime(pass.cancelled_at))] : null,
        pass.exited_at ? [h("dt", {}, t("leave.exited_at")), h("dd", {}, formatTime(pass.exited_at))] : null)),
    pass.state === "awaiting_parent"
      ? h("section", { class: "card", "data-testid": "leave-parent" },
        h("h2", {}, t("leave.parent_title")),
        h("p", { class: "muted" }, t("leave.parent_hint")),
        field("leave-parent-name", t("leave.parent_name"), parentName),
        field("leave-parent-phone", t("leave.parent_phone"), parentPhone),
        h("button", { type: "button", class: "gate-big", "data-testid": "leave-confirm", onclick: confirmParent }, t("leave.confirm")),
        h("button", { type: "button", class: "wide plain", "data-testid": "leave-make-link", onclick: makeLink }, t("leave.make_link")),
        linkPlace)
      : null,
    message,
    open
      ? h("section", { class: "card", "data-testid": "leave-gate-qr" },
        h("h2", {}, t("leave.gate_title")),
        h("p", { class: "muted" }, t("leave.gate_hint")),
        h("div", { class: "slip-qr-box" }, await qrSvg(gateUrl, t("leave.gate_title"))),
        h("p", { class: "muted leave-url", "data-testid": "leave-gate-url" }, gateUrl))
      : null,
    open
      ? h("section", { class: "card", "data-testid": "leave-cancel-box" },
        h("label", { for: "leave-cancel-reason" }, t("leave.cancel_reason")), cancelReason,
        h("button", { type: "button", class: "wide plain", "data-testid": "leave-cancel", onclick: cancel }, t("leave.cancel")))
      : null,
    backButton("/app/leave"));
}
