// The app: log in and enrol, keep the pulled data fresh and send what the phone made, and
// show the screen of the current URL (routes in nav.js). Screens live in their own modules.

import { formatCode, InvalidTagCode, normalizeCode } from "./codes.js";
import { h, show } from "./dom.js";
import { language, loadLanguage, refusal, t } from "./i18n.js";
import { formatTime, go, route, setRenderer, setSyncer } from "./nav.js";
import * as store from "./store.js";
import { afterPaint, codeForm, leaveForm, readEarly, renderTarget } from "./targetpage.js";

// Talking to the server (logging in, sending, pulling) is loaded when first needed: the
// first screen is drawn from the phone's own data, so a tag URL does not wait for it.
const server = () => import("./api.js");
const sending = () => Promise.all([server(), import("./outbox.js"), import("./sync.js")]);

// The app's screens besides home and the target page: route name -> module with
// render(view, route). Loaded when first shown, so a tag URL waits only for the modules of
// the target page (the shell preloads those, see server/web/controllers.py).
const SCREENS = {
  actions: () => import("./actions.js"),
  due: () => import("./due.js"),
  gate: () => import("./gate.js"),
  inspections: () => import("./inspection.js"),
  leave: () => import("./teacherpasses.js"),
  manager: () => import("./manager.js"),
  passes: () => import("./gatepasses.js"),
  patrol: () => import("./patrol.js"),
  scan: () => import("./scan.js"),
  slip: () => import("./gateslip.js"),
  visits: () => import("./gatevisit.js"),
};

function screen(name) {
  return Object.hasOwn(SCREENS, name) ? SCREENS[name]() : null;
}

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

async function syncNow() {
  if (!(await store.getMeta("device"))) return;
  if (!navigator.onLine) return renderStatus();
  clearTimeout(retryTimer);
  sync = { state: "running", reason: "" };
  const [api, { GapError, pushAll, uploadBlobs }, { pullAll }] = await sending();
  await renderStatus();
  try {
    await pushAll();
    await pullAll();
    sync = { state: "ok", reason: "" };
    try {
      await uploadBlobs();
      photoError = "";
    } catch (error) {
      photoError = api.describeError(error);
    }
  } catch (error) {
    // No answer at all is being offline, whatever navigator.onLine said.
    if (error instanceof GapError) sync = { state: "error", reason: t("sync.gap") };
    else if (!(error instanceof api.ApiError)) sync = { state: "offline", reason: "" };
    else if (error.status === 401) sync = { state: "signed_out", reason: "" };
    else sync = { state: "error", reason: api.describeError(error) };
  }
  scheduleRetry();
  await renderStatus();
  // A page that only shows pulled data is drawn again; a form being filled in is not.
  const current = route();
  const showsData = current.name === "target"
    ? !current.checklist && !current.report
    : (await screen(current.name))?.redrawOnSync?.(current) ?? current.name === "home";
  if (showsData || sync.state === "signed_out") await render();
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

// The login form. A person whose token stopped working logs in again from home: the phone
// enrols anew and keeps its data.
function loginForm() {
  const message = h("p", { class: "warn", "data-testid": "login-message", role: "alert" });
  // A tag opened before logging in (the first scan, or a scan in WeChat): what it is for.
  const current = route();
  const forTag = current.name === "target"
    ? h("p", { class: "muted", "data-testid": "login-for-tag" }, t("login.for_tag", { code: shownCode(current.code) }))
    : null;
  const form = h(
    "form",
    { class: "card", "data-testid": "login-form" },
    h("h1", {}, t("login.title")),
    forTag,
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
    const api = await server();
    try {
      const enrolled = await api.loginAndEnrol(
        form.username.value.trim(),
        form.password.value,
        t("device.name"),
      );
      // Not while another tab is sending the outbox under the old device's numbers.
      await store.exclusive("push", async () => {
        await store.setMeta({
          device: { token: enrolled.token, tokenId: enrolled.tokenId, deviceId: enrolled.deviceId },
          user: enrolled.user,
          csrf: enrolled.csrf,
        });
        await store.renumberOutbox(enrolled.deviceId);
      });
    } catch (error) {
      message.className = "warn";
      message.textContent = t("login.failed", { reason: api.describeError(error) });
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

// Logging out deletes the phone's copy: the records and photos still waiting are named
// first, and kept if the person changes their mind. Another tab's push or pull finishes
// before the data goes (the same locks), so it cannot write into the cleared store.
async function logout() {
  const [waiting, photos] = await Promise.all([store.outboxCount(), store.blobsWaiting()]);
  if ((waiting || photos) && !confirm(t("logout.confirm_unsynced", { waiting, photos }))) return;
  const [api, , { idle }] = await sending();
  await idle();
  await store.exclusive("push", () => store.exclusive("pull", () => store.exclusive("blobs", async () => {
    const [device, csrf] = await Promise.all([store.getMeta("device"), store.getMeta("csrf")]);
    if (navigator.onLine && device) await api.logout(device.token, device.tokenId, csrf);
    await store.clearAll();
    await dropDataCaches();
  })));
  sync = { state: "never", reason: "" };
  history.replaceState({}, "", "/app/");
  await render();
  await renderStatus();
}

// Caches other than the app's own files (the service worker's rk-shell-*) hold data.
async function dropDataCaches() {
  if (!self.caches) return;
  const names = await caches.keys();
  await Promise.all(names.filter((n) => !n.startsWith("rk-shell-")).map((n) => caches.delete(n)));
}

// Records the server refused, with its reason: for the person to act on.
async function refusedCard() {
  const refused = await store.refusedOps();
  if (!refused.length) return null;
  return h("section", { class: "card" }, h("h2", { class: "warn" }, t("refused.title")),
    h("ul", { class: "list" }, refused.map((r) =>
      h("li", { "data-testid": "refused" },
        h("div", {}, t(`op.${r.op.type}`), " · ", formatTime(r.op.occurred_at)),
        h("div", { class: "warn reason", "data-testid": "refused-reason" }, refusal(r.code, r.status)),
        h("button", { type: "button", class: "plain", "data-testid": "dismiss-refused", onclick: () => dismiss(r) },
          t("refused.dismiss"))))));
}

// Once read (and, if need be, done again by hand), a refused record can go.
async function dismiss(refused) {
  if (!confirm(t("refused.confirm_dismiss"))) return;
  await store.dismissRefused(refused.op.op_id);
  await Promise.all([render(), renderStatus()]);
}

// The scanner, first of the ways to open a tag: a big button above the typed code.
function scanForm() {
  const form = codeForm();
  form.dataset.testid = "home-scan";
  form.querySelector("h1").after(
    h("button", { type: "button", class: "wide scan-button", "data-testid": "menu-scan", onclick: () => go("/app/scan") },
      t("home.menu_scan")),
  );
  return form;
}

// Home: the parts of the person's roles, their strongest role's first (roles.js), the
// scanner among them; then the records the server refused and the account.
async function renderHome() {
  const user = await store.getMeta("user");
  const [refused, parts] = await Promise.all([
    refusedCard(),
    import("./home.js").then(({ roleParts }) => roleParts(user, { scan: scanForm })),
  ]);
  const sites = (user?.sites ?? []).map((s) => s.site_name).join("、");
  show(
    view,
    sync.state === "signed_out" ? loginForm() : null,
    ...parts,
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

// A code as printed on its label, or as it came when it is no code at all.
function shownCode(typed) {
  try {
    return formatCode(normalizeCode(typed));
  } catch (error) {
    if (error instanceof InvalidTagCode) return typed;
    throw error;
  }
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

// Back on the tag page the form was opened from (one Back then leaves it), the notice at the
// top of the screen, where the eye is. `key`: its string, said in the language of each
// redraw, so a language switch on that page switches the notice too.
async function savedOnPhone(code, key) {
  savedNotice = { code, key, seen: false };
  await leaveForm(code);
  await render();
  await renderStatus();
  syncNow();
}

let drawn = false;
// Draws take turns: one asked for while another is under way starts when that one ends, and
// those asked for meanwhile share it. A draw reads the route and the phone's data when it
// starts, so the last one on the glass is of the latest URL and data: a screen drawn from
// what was there before a pull cannot land after the redraw that pull asked for.
let drawing = Promise.resolve();
let queued = null;

function render() {
  queued ??= drawing.catch(() => null).then(() => {
    queued = null;
    return paint();
  });
  drawing = queued;
  return queued;
}

async function paint() {
  try {
    await draw();
  } finally {
    if (!drawn) {
      drawn = true;
      document.body.classList.remove("starting");
      // The first screen since the page was opened, built and then on the glass, for
      // bench/bench_phone.py.
      performance.mark("rk:drawn");
      afterPaint().then(() => performance.mark("rk:ready"));
    }
  }
}

async function draw() {
  langButton.textContent = t("lang.switch");
  if (!(await store.getMeta("device"))) return renderLogin();
  const current = route();
  if (current.name !== "target") savedNotice = null;
  const other = current.name === "target" ? null : screen(current.name);
  if (current.name === "target") {
    await renderTarget(view, { ...current, onSaved: savedOnPhone });
  } else if (other) {
    await (await other).render(view, current);
  } else {
    return renderHome();
  }
  const onPage = current.name === "target" && !current.checklist && !current.report;
  if (savedNotice && onPage && sameCode(current.code, savedNotice.code)) {
    const notice = h("p", { class: "card note", "data-testid": "submitted", role: "status" }, t(savedNotice.key));
    view.prepend(notice);
    // Scrolled to once: a sync's redraw does not pull the page back up under a reader.
    if (!savedNotice.seen) window.scrollTo(0, 0);
    savedNotice.seen = true;
  } else {
    savedNotice = null;
  }
}

async function start() {
  setRenderer(render);
  setSyncer(syncNow);
  // The strings and the phone's data are read side by side; the first screen needs both.
  const first = route();
  if (first.name === "target") readEarly(first.code, first);
  await Promise.all([loadLanguage(), store.getMeta("device")]);
  langButton.addEventListener("click", async () => {
    await loadLanguage(language() === "zh-CN" ? "en" : "zh-CN");
    await Promise.all([render(), renderStatus()]);
  });
  window.addEventListener("popstate", render);
  window.addEventListener("online", syncNow);
  window.addEventListener("offline", renderStatus);
  // The page first, then the status line (its counts must not hold back the target page),
  // the service worker's update check and the sync.
  await render();
  await afterPaint();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
      console.warn("service worker not registered", error);
    });
  }
  await renderStatus();
  await syncNow();
}

start();
