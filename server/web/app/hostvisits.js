// The host's side of a visit: the visits waiting for my word (/app/visits) and one visit
// (/app/visits/{id}, the link the register sends the host): approve, refuse with a reason,
// and sign with a finger. Online, through the REST API: a host is not among the gate's
// people, so no visit reaches their phone by sync.

import { ApiError, describeError } from "./api.js";
import { h, show } from "./dom.js";
import { gateStyles, stateLabel } from "./gate.js";
import { t } from "./i18n.js";
import { backButton, formatTime, go, render as redraw } from "./nav.js";
import * as store from "./store.js";

const MAX_STROKES = 200;
const MAX_POINTS = 500;

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
  return h("p", { class: "card warn", role: "alert", "data-testid": "host-error" }, describeError(error));
}

export async function render(view, current) {
  gateStyles();
  if (!navigator.onLine) {
    return show(view, h("p", { class: "card warn", "data-testid": "host-offline" }, t("host.needs_network")), backButton());
  }
  if (!current.id) return renderList(view);
  let visit;
  try {
    visit = await call(`/api/visits/${encodeURIComponent(current.id)}`);
  } catch (error) {
    return show(view, problem(error), backButton());
  }
  return renderVisit(view, visit);
}

async function renderList(view) {
  let visits;
  try {
    visits = await call("/api/me/visits?state=pending");
  } catch (error) {
    return show(view, problem(error), backButton());
  }
  show(view,
    h("section", { class: "card", "data-testid": "host-list", "data-count": String(visits.length) },
      h("h1", {}, t("host.title")),
      visits.length
        ? h("ul", { class: "list" }, visits.map((v) => h("li", { "data-testid": "host-visit", "data-id": v.id },
          h("button", { type: "button", class: "link", onclick: () => go(`/app/visits/${v.id}`) },
            `${v.visitor ?? ""}${v.organisation ? ` · ${v.organisation}` : ""}`),
          h("div", { class: "muted" }, v.purpose, v.checked_in_at ? ` · ${formatTime(v.checked_in_at)}` : ""))))
        : h("p", { class: "muted", "data-testid": "host-none" }, t("host.none"))),
    backButton());
}

// A finger's signature as strokes of x,y pairs in the canvas's own units, within the
// limits the server takes.
function signaturePad(onDone) {
  const canvas = h("canvas", { class: "signature", width: 600, height: 240, "data-testid": "host-signature" });
  const context = canvas.getContext("2d");
  const strokes = [];
  let drawing = null;
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [Math.round(((event.clientX - box.left) * canvas.width) / box.width), Math.round(((event.clientY - box.top) * canvas.height) / box.height)];
  };
  const clear = () => {
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    strokes.length = 0;
  };
  clear();
  canvas.addEventListener("pointerdown", (event) => {
    if (strokes.length >= MAX_STROKES) return;
    canvas.setPointerCapture(event.pointerId);
    drawing = [...at(event)];
    strokes.push(drawing);
    Object.assign(context, { lineWidth: 4, lineCap: "round", strokeStyle: "#111" });
    context.beginPath();
    context.moveTo(drawing[0], drawing[1]);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing || drawing.length >= MAX_POINTS * 2) return;
    const [x, y] = at(event);
    drawing.push(x, y);
    context.lineTo(x, y);
    context.stroke();
  });
  canvas.addEventListener("pointerup", () => {
    drawing = null;
  });
  const said = h("p", { class: "warn", role: "alert" });
  return h("div", {}, canvas,
    h("div", { class: "row" },
      h("button", { type: "button", class: "plain", onclick: clear }, t("form.clear_signature")),
      h("button", {
        type: "button", "data-testid": "host-sign",
        onclick: () => (strokes.length ? onDone(strokes.map((s) => [...s])) : (said.textContent = t("host.sign_first"))),
      }, t("host.sign"))),
    said);
}

function renderVisit(view, visit) {
  const message = h("p", { class: "warn", role: "alert", "data-testid": "host-message" });
  const reason = h("input", { id: "host-reason", "data-testid": "host-reason", maxlength: 500 });
  const send = async (path, body) => {
    message.textContent = "";
    try {
      await call(path, { method: "POST", body });
      await redraw();
    } catch (error) {
      message.textContent = describeError(error);
    }
  };
  const decide = (decision) => send(`/api/visits/${visit.id}/decisions`, {
    id: store.uuid7(), decision, channel: "app", decided_at: new Date().toISOString(),
    ...(decision === "refused" ? { reason: reason.value.trim() } : {}),
  });
  const undecided = visit.consent === "pending";
  show(view,
    h("section", { class: "card", "data-testid": "host-visit-page", "data-state": visit.state, "data-consent": visit.consent },
      h("h1", {}, t("host.visit_title", { name: visit.visitor ?? "" })),
      h("p", {}, stateLabel(visit)),
      h("dl", {},
        visit.organisation ? [h("dt", {}, t("gate.organisation")), h("dd", {}, visit.organisation)] : null,
        visit.purpose ? [h("dt", {}, t("gate.purpose")), h("dd", {}, visit.purpose)] : null,
        visit.party_size ? [h("dt", {}, t("gate.party_size")), h("dd", {}, String(visit.party_size))] : null,
        visit.checked_in_at ? [h("dt", {}, t("gate.checked_in_at")), h("dd", {}, formatTime(visit.checked_in_at))] : null,
        visit.refused_at ? [h("dt", {}, t("gate.refused_at")), h("dd", { "data-testid": "host-refused" }, `${formatTime(visit.refused_at)} · ${visit.refusal_reason}`)] : null)),
    undecided
      ? h("section", { class: "card", "data-testid": "host-decide" },
        h("button", { type: "button", class: "gate-big", "data-testid": "host-approve", onclick: () => decide("approved") }, t("host.approve")),
        h("label", { for: "host-reason" }, t("host.refusal_reason")), reason,
        h("button", { type: "button", class: "wide plain", "data-testid": "host-refuse", onclick: () => decide("refused") }, t("host.refuse")),
        message)
      : message,
    visit.consent === "approved" && !visit.signed_at
      ? h("section", { class: "card", "data-testid": "host-sign-box" }, h("h2", {}, t("host.sign_title")),
        signaturePad((strokes) => send(`/api/visits/${visit.id}/signatures`, { id: store.uuid7(), signed_at: new Date().toISOString(), strokes })))
      : null,
    visit.signed_at ? h("p", { class: "card note", "data-testid": "host-signed" }, t("gate.signed_at", { time: formatTime(visit.signed_at) })) : null,
    backButton("/app/visits"));
}
