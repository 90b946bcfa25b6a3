// The management console: the session's person, or the login form; then the page of the
// current URL (routes in layout.js). The console registers no service worker and keeps
// nothing but the language choice in the browser.

import * as api from "./api.js";
import { h, show } from "./dom.js";
import { has, language, loadLanguage, loadStrings, t } from "./i18n.js";
import { drawNav, noSuchPage, route, siteChooser } from "./layout.js";
import { managedSites, renderNotForYou, renderSites } from "./sites.js";

const view = document.getElementById("view");
const nav = document.getElementById("side");
const who = document.getElementById("who");
const langButton = document.getElementById("lang");
const logoutButton = document.getElementById("logout");
// The signed-in person (GET /api/me) and their sites, read once per page load and after
// logging in; null when no one is signed in.
let session = null;

// What the person reads when a call fails: the reasons the console knows, in their language.
function describeError(error) {
  if (!(error instanceof api.ApiError)) return t("error.network");
  if (error.code === "auth.invalid_credentials") return t("login.wrong");
  if (error.code === "auth.rate_limited") return t("login.rate_limited");
  // The most precise the console knows: the code about this field, else the code.
  for (const key of [`refusal.${error.code}.${error.field}`, `refusal.${error.code}`]) {
    if (error.code && has(key)) return t(key, { detail: error.message });
  }
  if (error.status < 500 && error.code) return t("error.refused", { detail: error.message });
  return t("error.server", { status: error.status });
}

function loginForm() {
  const message = h("p", { class: "warn", "data-testid": "login-message", role: "alert" });
  const form = h(
    "form",
    { class: "card login", "data-testid": "login-form" },
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
    h("button", { "data-testid": "login-submit" }, t("login.submit")),
    message,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.className = "muted";
    message.textContent = t("login.busy");
    try {
      await api.login(form.username.value.trim(), form.password.value);
      session = await readSession();
    } catch (error) {
      message.className = "warn";
      message.textContent = describeError(error);
      return;
    }
    render();
  });
  return form;
}

async function readSession() {
  const me = await api.whoAmI();
  return me && { me, managed: managedSites(me, await api.sites()) };
}

async function logout() {
  // The session may have ended already; the login form is what follows either way.
  await api.logout().catch(() => null);
  session = null;
  history.replaceState({}, "", "/console/");
  render();
}

function render() {
  langButton.textContent = t("lang.switch");
  who.textContent = session ? session.me.display_name : "";
  logoutButton.hidden = !session;
  if (!session) {
    nav.hidden = true;
    return show(view, loginForm());
  }
  if (!session.managed.length) {
    nav.hidden = true;
    return renderNotForYou(view, session.me);
  }
  const current = route();
  if (current.name === "page") return renderPage(current);
  drawNav(nav, current.name, session.managed);
  if (current.name === "sites") renderSites(view, session.me, session.managed);
  else noSuchPage(view);
}

// A section's page for one of the person's sites: the one the address names, else the
// first. The page gets the site (with the person's role there) and draws itself.
async function renderPage(current) {
  const site = session.managed.find((s) => s.id === current.site) ?? session.managed[0];
  drawNav(nav, current.section, session.managed, site);
  if (current.roles && !current.roles.includes(site.role)) {
    show(view, h("section", { class: "card", "data-testid": "not-for-role", role: "status" },
      h("h1", {}, t(`nav.${current.section}`)), siteChooser(session.managed, site, current.section),
      h("p", {}, t("page.not_for_role", { role: t(`role.${site.role}`) }))));
    return;
  }
  const [page] = await Promise.all([current.load(), current.strings && loadStrings(current.strings)]);
  await page.render(view, {
    site,
    me: session.me,
    chooser: siteChooser(session.managed, site, current.section),
    describeError,
  });
}

async function start() {
  let failed = null;
  await Promise.all([
    loadLanguage(),
    readSession().then((s) => { session = s; }, (error) => { failed = error; }),
  ]);
  langButton.addEventListener("click", async () => {
    await loadLanguage(language() === "zh-CN" ? "en" : "zh-CN");
    render();
  });
  logoutButton.addEventListener("click", logout);
  render();
  if (failed) {
    const alert = { class: "card warn", role: "alert", "data-testid": "load-error" };
    view.prepend(h("p", alert, describeError(failed)));
  }
  document.body.classList.remove("starting");
}

start();
