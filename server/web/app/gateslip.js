// The visitor's slip (/app/slip/{visit_id}?size=80mm|a6), printed at the gate from the
// visit the device holds, offline too: who, whom they visit, when they came and until
// when, the host's signature line, and a QR of the visit's URL that checks them out when
// scanned on the way out. Sized for an 80 mm thermal printer or an A6 sheet (gate.css,
// @media print: only the slip is printed). The ID number on it is the masked one.

import { h, show } from "./dom.js";
import { gateStyles } from "./gate.js";
import { findVisit } from "./gatelocal.js";
import { language, t } from "./i18n.js";
import { backButton } from "./nav.js";
import * as store from "./store.js";

const SVG = "http://www.w3.org/2000/svg";

// The QR of `text` as an SVG (one path of dark modules, a quiet zone of four), drawn by
// qrcode-generator (THIRD_PARTY.md), error correction M: a slip gets folded and creased.
export async function qrSvg(text, label) {
  const { default: qrcode } = await import("/web/vendor/qrcode.js");
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const size = count + 8;
  let path = "";
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (qr.isDark(row, col)) path += `M${col + 4} ${row + 4}h1v1h-1z`;
    }
  }
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  svg.setAttribute("class", "slip-qr");
  svg.dataset.testid = "slip-qr";
  const back = document.createElementNS(SVG, "rect");
  back.setAttribute("width", String(size));
  back.setAttribute("height", String(size));
  back.setAttribute("fill", "#fff");
  const dark = document.createElementNS(SVG, "path");
  dark.setAttribute("d", path);
  dark.setAttribute("fill", "#000");
  svg.append(back, dark);
  return svg;
}

function when(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(language(), {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  }).format(new Date(iso));
}

function expectedUntil(visit) {
  if (visit.expected_until) return visit.expected_until;
  const minutes = visit.expected_stay_minutes;
  const from = visit.entered_at ?? visit.checked_in_at;
  return minutes && from ? new Date(Date.parse(from) + minutes * 60_000).toISOString() : null;
}

// The printed page's size: one @page rule for the document, in its own small file (the
// app's policy allows no inline style), swapped when the other size is chosen.
function pageSize(size) {
  const href = `/web/app/gateslip-${size}.css`;
  let link = document.querySelector("link[data-slip-page]");
  if (!link) {
    link = h("link", { rel: "stylesheet", "data-slip-page": true });
    document.head.append(link);
  }
  if (link.getAttribute("href") === href) return Promise.resolve();
  // Drawn once the rule is in: a slip printed at once must not come out on the default page.
  const loaded = new Promise((done) => {
    link.onload = done;
    link.onerror = done;
    setTimeout(done, 2000);
  });
  link.setAttribute("href", href);
  return loaded;
}

export async function render(view, current) {
  gateStyles();
  const user = await store.getMeta("user");
  const visit = current.id ? await findVisit(user, current.id) : null;
  if (!visit) return show(view, h("p", { class: "card warn", "data-testid": "slip-missing" }, t("gate.slip_missing")), backButton());
  const size = current.query.get("size") === "a6" ? "a6" : "80mm";
  await pageSize(size);
  const row = (label, value, testid) => (value ? h("tr", {}, h("th", { scope: "row" }, label), h("td", { "data-testid": testid }, value)) : null);
  const url = `${location.origin}/app/visits/${visit.id}`;
  const slip = h("article", { class: `slip slip-${size}`, "data-testid": "slip", "data-size": size, "data-url": url },
    h("h1", { class: "slip-title" }, "会客单 · Visitor slip"),
    h("table", { class: "slip-fields" }, h("tbody", {},
      row(t("gate.name"), visit.visitor, "slip-name"),
      row(t("gate.organisation"), visit.organisation, "slip-organisation"),
      row(t("gate.id_number"), visit.id_masked ?? (visit.id_type === "none" ? t("gate.id_type.none") : ""), "slip-id"),
      row(t("gate.host"), visit.host?.name, "slip-host"),
      row(t("gate.purpose"), visit.purpose, "slip-purpose"),
      row(t("gate.party_size"), visit.party_size ? String(visit.party_size) : "", "slip-party"),
      row(t("gate.plate"), visit.plate, "slip-plate"),
      row(t("gate.badge"), visit.badge, "slip-badge"),
      row(t("gate.checked_in_at"), when(visit.checked_in_at), "slip-in"),
      row(t("gate.expected_until"), when(expectedUntil(visit)), "slip-until"),
      row(t("gate.checked_out_at"), when(visit.checked_out_at), "slip-out"))),
    h("div", { class: "slip-qr-box" }, await qrSvg(url, t("gate.slip_qr"))),
    h("p", { class: "slip-hint" }, t("gate.slip_hint")),
    h("p", { class: "slip-sign" }, visit.signed_at ? t("gate.signed_at", { time: when(visit.signed_at) }) : t("gate.host_signature")));
  show(view,
    h("div", { class: "card slip-tools no-print" },
      h("h1", {}, t("gate.slip")),
      h("button", { type: "button", class: "gate-big", "data-testid": "slip-print", onclick: () => window.print() }, t("gate.print"))),
    h("div", { class: "slip-sheet" }, slip),
    h("div", { class: "no-print" }, backButton(`/app/visits/${visit.id}`)));
}
