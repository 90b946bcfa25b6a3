// The app: log in and enrol, keep the pulled data fresh, show a tag's target from the
// phone's own copy, online or not, fill in its checklists, and send what was filled in.
// Routes: /app/ (home), /t/{code} (a tag), /t/{code}?checklist={key} (a checklist) and
// /t/{code}?report=1 (reporting a repair or hazard).

import * as api from "./api.js";
import { formatCode, InvalidTagCode, normalizeCode } from "./codes.js";
import { h, show } from "./dom.js";
import { label, language, loadLanguage, pick, t } from "./i18n.js";
import { checklistForm } from "./form.js";
import { GapError, pushAll, uploadBlobs } from "./outbox.js";
import * as store from "./store.js";
import { idle, pullAll } from "./sync.js";
import { reportForm } from "./report.js";
import { describeTarget } from "./target.js";

const view = document.getElementById("view");
const statusLine = document.getElementById("status");
const langButton = document.getElementById("lang");
// "never" | "running" | "ok" | "offline" | "error" | "signed_out"; offline is also what the
// browser says.
let sync = { state: "never", reason: "" };
// Photos that could not be uploaded do not make the sync fail; they are said apart.
let photoError = "";
let retryTimer = null;
let retryDelay = 0;

function formatTime(iso) {
  const at = new Date(iso);
  const options = { hour: "2-digit", minute: "2-digit" };
  if (at.toDateString() !== new Date().toDateString()) {
    Object.assign(options, { month: "numeric", day: "numeric" });
  }
  return at.toLocaleString(language(), options);
}

async function renderStatus() {
  const [lastSync, waiting, photos, refused] = await Promise.all([
    store.getMeta("last_sync"),
    store.outboxCount(),
    store.blobsWaiting(),
    store.refusedCount(),
  ]);
  const time = lastSync ? formatTime(lastSync) : "";
  let state = sync.state;
  let text;
  if (state === "running") text = t("sync.running");
  else if (state === "signed_out") text = t("sync.signed_out", { waiting });
  else if (!navigator.onLine || state === "offline") {
    state = "offline";
    text = lastSync ? t("sync.offline", { time, waiting }) : t("sync.offline_never");
  } else if (state === "error") text = t("sync.failed", { reason: sync.reason, waiting });
  else if (lastSync) {
    state = "ok";
    text = t("sync.done", { time, waiting });
  } else text = t("sync.never");
  if (photos) text += ` · ${t("sync.photos_waiting", { photos })}`;
  if (photoError) text += ` · ${t("sync.photos_failed", { reason: photoError })}`;
  if (refused) text += ` · ${t("sync.refused", { refused })}`;
  statusLine.dataset.state = state;
  statusLine.textContent = text;
}

function describeError(error) {
  if (error instanceof api.ApiError) return error.message || t("error.server", { status: error.status });
  return t("error.network");
}

async function syncNow() {
  if (!(await store.getMeta("device"))) return;
  if (!navigator.onLine) return renderStatus();
  clearTimeout(retryTimer);
  sync = { state: "running", reason: "" };
  await renderStatus();
  try {
    await pushAll();
    await pullAll();
    sync = { state: "ok", reason: "" };
    try {
      await uploadBlobs();
      photoError = "";
    } catch (error) {
      photoError = describeError(error);
    }
  } catch (error) {
    // No answer at all is being offline, whatever navigator.onLine said.
    if (error instanceof GapError) sync = { state: "error", reason: t("sync.gap") };
    else if (!(error instanceof api.ApiError)) sync = { state: "offline", reason: "" };
    else if (error.status === 401) sync = { state: "signed_out", reason: "" };
    else sync = { state: "error", reason: describeError(error) };
  }
  scheduleRetry();
  await renderStatus();
  const current = route();
  if ((current.name === "target" && !current.checklist && !current.report) || sync.state === "signed_out") await render();
}

// While records or photos are still waiting after a failed sync, try again later, waiting
// twice as long each time (up to five minutes).
async function scheduleRetry() {
  const waiting = (await store.outboxCount()) + (await store.blobsWaiting());
  const failed = sync.state === "error" || sync.state === "offline" || photoError;
  if (!waiting || !failed || sync.state === "signed_out") {
    retryDelay = 0;
    return;
  }
  retryDelay = Math.min(retryDelay ? retryDelay * 2 : 5000, 300_000);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(syncNow, retryDelay);
}

function route() {
  const path = location.pathname;
  if (path.startsWith("/t/")) {
    const query = new URLSearchParams(location.search);
    const checklist = query.get("checklist");
    const report = query.has("report");
    return { name: "target", code: decodeURIComponent(path.slice(3)), checklist, report };
  }
  return { name: "home" };
}

function go(path) {
  history.pushState({ inApp: true }, "", path);
  return render();
}

function codeError(error) {
  return error instanceof InvalidTagCode ? t(`code.${error.reason}`, error.vars) : String(error);
}

// The login form. A person whose token stopped working logs in again from home: the phone
// enrols anew and keeps its data.
function loginForm() {
  const message = h("p", { class: "warn", "data-testid": "login-message", role: "alert" });
  const form = h(
    "form",
    { class: "card", "data-testid": "login-form" },
    h("h1", {}, t("login.title")),
    h("label", { for: "username" }, t("login.username")),
    h("input", { id: "username", name: "username", autocomplete: "username", required: true }),
    h("label", { for: "password" }, t("login.password")),
    h("input", {
      id: "password",
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
    }),
    h("button", { class: "wide", "data-testid": "login-submit" }, t("login.submit")),
    message,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!navigator.onLine) {
      message.textContent = t("login.needs_network");
      return;
    }
    message.className = "muted";
    message.textContent = t("login.busy");
    try {
      const enrolled = await api.loginAndEnrol(
        form.username.value.trim(),
        form.password.value,
        t("device.name"),
      );
      await store.setMeta({
        device: { token: enrolled.token, tokenId: enrolled.tokenId, deviceId: enrolled.deviceId },
        user: enrolled.user,
        csrf: enrolled.csrf,
      });
      await store.renumberOutbox(enrolled.deviceId);
    } catch (error) {
      message.className = "warn";
      message.textContent = t("login.failed", { reason: describeError(error) });
      return;
    }
    sync = { state: "never", reason: "" };
    await render();
    await syncNow();
  });
  return form;
}

function renderLogin() {
  show(view, loginForm());
}

function codeForm() {
  const error = h("p", { class: "warn", "data-testid": "code-error", role: "alert" });
  const input = h("input", {
    id: "code",
    name: "code",
    inputmode: "text",
    autocapitalize: "characters",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: t("home.code_placeholder"),
    "data-testid": "code-input",
  });
  const form = h(
    "form",
    { class: "card" },
    h("h1", {}, t("home.title")),
    h("label", { for: "code" }, t("home.code_label")),
    input,
    h("button", { class: "wide", "data-testid": "code-submit" }, t("home.open")),
    error,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!input.value.trim()) {
      error.textContent = t("code.empty");
      return;
    }
    try {
      go(`/t/${normalizeCode(input.value)}`);
    } catch (problem) {
      error.textContent = codeError(problem);
    }
  });
  return form;
}

async function logout() {
  const waiting = await store.outboxCount();
  if (waiting > 0 && !confirm(t("logout.confirm_waiting", { waiting }))) return;
  await idle();
  const [device, csrf] = await Promise.all([store.getMeta("device"), store.getMeta("csrf")]);
  if (navigator.onLine && device) await api.logout(device.token, device.tokenId, csrf);
  await store.clearAll();
  sync = { state: "never", reason: "" };
  history.replaceState({}, "", "/app/");
  await render();
  await renderStatus();
}

// Records the server refused, with its reason: for the person to act on.
async function refusedCard() {
  const refused = await store.refusedOps();
  if (!refused.length) return null;
  return h("section", { class: "card" }, h("h2", { class: "warn" }, t("refused.title")),
    h("ul", { class: "list" }, refused.map((r) =>
      h("li", { "data-testid": "refused" },
        h("div", {}, t(`op.${r.op.type}`), " · ", formatTime(r.op.occurred_at)),
        h("div", { class: "warn" }, `${r.code ?? r.status}${r.detail ? `: ${r.detail}` : ""}`)))));
}

async function renderHome() {
  const user = await store.getMeta("user");
  const refused = await refusedCard();
  const sites = (user?.sites ?? []).map((s) => s.site_name).join("、");
  show(
    view,
    sync.state === "signed_out" ? loginForm() : null,
    codeForm(),
    refused,
    h(
      "div",
      { class: "card" },
      h("p", { class: "muted", "data-testid": "signed-in" }, t("home.signed_in", { name: user?.display_name, sites })),
      h("div", { class: "row" },
        h("button", { type: "button", "data-testid": "sync-now", onclick: syncNow }, t("home.sync_now")),
        h("button", { type: "button", class: "plain", "data-testid": "logout", onclick: logout }, t("home.logout")),
      ),
    ),
  );
}

function backButton() {
  const back = () => (history.state?.inApp ? history.back() : go("/app/"));
  return h("button", { type: "button", class: "wide plain", "data-testid": "back", onclick: back }, t("target.back"));
}

async function loadTarget(code) {
  const found = await store.findTag(code);
  if (!found) return null;
  const { scope, tag } = found;
  const [asset, location, locations, people, templates, overrides, findings] = await Promise.all([
    tag.asset_id ? store.getRecord(scope, "asset", tag.asset_id) : null,
    tag.location_id ? store.getRecord(scope, "location", tag.location_id) : null,
    store.recordsOf(scope, "location"),
    store.recordsOf(scope, "person"),
    store.recordsOf(scope, "template"),
    store.recordsOf(scope, "site_checklist"),
    store.recordsOf(scope, "finding"),
  ]);
  return describeTarget({ tag, asset, location, locations, people, templates, overrides, findings });
}

function tagNote(tag) {
  if (tag.status === "replaced") {
    return h("p", { class: "card note" }, t("target.replaced"));
  }
  if (tag.status === "retired") return h("p", { class: "card note" }, t("target.retired"));
  return null;
}

// Back on the target page after a record was saved on the phone, saying so.
function sameCode(typed, code) {
  try {
    return normalizeCode(typed) === code;
  } catch (error) {
    if (error instanceof InvalidTagCode) return false;
    throw error;
  }
}

// The notice stays while the person is on that page, through the redraws a sync makes.
let savedNotice = null;

async function savedOnPhone(code, message) {
  history.replaceState({ inApp: true }, "", `/t/${code}`);
  savedNotice = { code, message };
  await render();
  await renderStatus();
  syncNow();
}

function renderReport(code, siteId, target) {
  const where = target.kind === "asset"
    ? pick(target.asset.name, target.asset.name_en)
    : pick(target.location.name, target.location.name_en);
  const parts = reportForm({ target, siteId, onDone: () => savedOnPhone(code, t("report.submitted")) });
  show(view, h("p", { class: "muted" }, where), ...parts,
    h("button", { type: "button", class: "wide plain", "data-testid": "back", onclick: () => go(`/t/${code}`) },
      t("target.back")));
}

async function renderChecklist(code, found, target, key) {
  const record = found.templates.find((r) => r.key === key);
  const back = () => go(`/t/${code}`);
  if (!record || !target.checklists.some((c) => c.key === key)) {
    show(view, h("div", { class: "card" }, h("p", { class: "warn" }, t("form.not_applicable"))), backButton());
    return;
  }
  const where = target.kind === "asset"
    ? pick(target.asset.name, target.asset.name_en)
    : pick(target.location.name, target.location.name_en);
  const parts = await checklistForm({
    template: record.template,
    target,
    siteId: found.tag.site_id,
    code,
    onDone: () => savedOnPhone(code, t("form.submitted")),
  });
  show(view, h("p", { class: "muted" }, where), ...parts,
    h("button", { type: "button", class: "wide plain", "data-testid": "back", onclick: back }, t("target.back")));
}

async function renderTarget(rawCode, checklist, report) {
  let code;
  try {
    code = normalizeCode(rawCode);
  } catch (problem) {
    show(view, h("div", { class: "card" },
      h("h1", {}, t("target.invalid")),
      h("p", { class: "code" }, rawCode),
      h("p", { class: "warn", "data-testid": "code-error" }, codeError(problem)),
    ), backButton());
    return;
  }
  const target = await loadTarget(code);
  if (target?.kind && checklist) {
    const found = await store.findTag(code);
    const templates = await store.recordsOf(found.scope, "template");
    return renderChecklist(code, { tag: found.tag, templates }, target, checklist);
  }
  if (target?.kind && report) return renderReport(code, target.tag.site_id, target);
  const tagLine = h("p", { class: "muted" }, `${t("target.tag")} `, h("span", { class: "code" }, formatCode(code)));
  if (!target || !target.kind) {
    show(view, h("div", { class: "card", "data-testid": "not-found" },
      tagLine, h("h1", {}, t("target.not_found")), h("p", { class: "muted" }, t("target.not_found_hint")),
    ), codeForm(), backButton());
    return;
  }
  const none = t("none");
  const path = target.path.map((l) => pick(l.name, l.name_en)).join(" › ") || none;
  let title;
  let rows;
  if (target.kind === "asset") {
    const asset = target.asset;
    title = pick(asset.name, asset.name_en);
    rows = [
      ["target.category", label("category", asset.category), "target-category"],
      ["target.location", path, "target-location"],
      ["target.asset_number", asset.asset_number || none, "target-asset-number"],
      ["target.keeper", target.keeper?.name ?? none, "target-keeper"],
      ["target.status", label("status", asset.status), "target-status"],
    ];
  } else {
    const place = target.location;
    title = pick(place.name, place.name_en);
    rows = [
      ["target.kind", label("kind", place.kind), "target-kind"],
      ["target.location", path, "target-location"],
      ["target.room_code", place.code || none, "target-room-code"],
    ];
  }
  const findings = target.findings.map((f) =>
    h("li", { "data-testid": "finding" },
      h("div", {}, f.label ? pick(f.label["zh-CN"], f.label.en) : f.item_key),
      h("div", { class: f.severity === "high" ? "sev-high" : "muted" },
        t("target.finding_observed", { severity: t(`severity.${f.severity}`), date: formatTime(f.observed_at) })),
    ),
  );
  const checklists = target.checklists.map((template) =>
    h("li", { "data-testid": "checklist", "data-key": template.key },
      h("button", { type: "button", class: "link", onclick: () => go(`/t/${code}?checklist=${template.key}`) },
        pick(template.title["zh-CN"], template.title.en))),
  );
  show(
    view,
    tagNote(target.tag),
    h("div", { class: "card", "data-testid": "target" },
      tagLine,
      h("h1", { "data-testid": "target-title" }, title),
      h("dl", {}, rows.map(([key, value, id]) => [h("dt", {}, t(key)), h("dd", { "data-testid": id }, value)])),
    ),
    h("section", { class: "card" }, h("h2", {}, t("target.findings")),
      findings.length ? h("ul", { class: "list" }, findings) : h("p", { class: "muted" }, t("target.no_findings"))),
    h("section", { class: "card" }, h("h2", {}, t("target.checklists")),
      checklists.length ? h("ul", { class: "list" }, checklists) : h("p", { class: "muted" }, t("target.no_checklists"))),
    h("section", { class: "card" },
      h("button", { type: "button", class: "wide", "data-testid": "report-open", onclick: () => go(`/t/${code}?report=1`) },
        t("report.open"))),
    backButton(),
  );
}

async function render() {
  langButton.textContent = t("lang.switch");
  if (!(await store.getMeta("device"))) return renderLogin();
  const current = route();
  if (current.name !== "target") {
    savedNotice = null;
    return renderHome();
  }
  await renderTarget(current.code, current.checklist, current.report);
  const onPage = !current.checklist && !current.report;
  if (savedNotice && onPage && sameCode(current.code, savedNotice.code)) {
    view.prepend(
      h("p", { class: "card note", "data-testid": "submitted", role: "status" }, savedNotice.message),
    );
  } else {
    savedNotice = null;
  }
}

async function start() {
  await loadLanguage();
  langButton.addEventListener("click", async () => {
    await loadLanguage(language() === "zh-CN" ? "en" : "zh-CN");
    await Promise.all([render(), renderStatus()]);
  });
  window.addEventListener("popstate", render);
  window.addEventListener("online", syncNow);
  window.addEventListener("offline", renderStatus);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
      console.warn("service worker not registered", error);
    });
  }
  await Promise.all([render(), renderStatus()]);
  await syncNow();
}

start();
