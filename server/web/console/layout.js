// What every console page shares: the side navigation, the top bar's person and log-out,
// and the route of the current URL.

import { h, show } from "./dom.js";
import { nameOf, t } from "./i18n.js";

// The console's sections, in the order of the side navigation. Each names its page's
// module, loaded when first shown: a domain adds its page as a module of pages/ and one
// line here, and no other page changes; `strings` names its own strings
// (i18n/{strings}.{lang}.json), `roles` limits a page to some of the console's roles at the
// site.
export const SECTIONS = [
  { key: "sites", path: "/console/" },
  { key: "today", page: () => import("./pages/today.js"), strings: "today" },
  { key: "register", page: () => import("./pages/register.js") },
  { key: "checklists", page: () => import("./pages/checklists.js"), strings: "checklists" },
  { key: "plan", page: () => import("./pages/plan.js"), strings: "plan" },
  { key: "repairs", page: () => import("./pages/repairs.js"), strings: "repairs" },
  { key: "patrol", page: () => import("./pages/patrol.js"), strings: "patrol" },
  // Visitor records are personal data for those who run the gate: not for auditors.
  { key: "gate", page: () => import("./pages/gate.js"), strings: "gate", roles: ["admin", "manager"] },
  // Usernames, phones and login locks are for those who run the site, not for auditors.
  { key: "people", page: () => import("./pages/people.js"), roles: ["admin", "manager"] },
  // A webhook's address holds its robot's key: admins only, as the API says.
  { key: "notifications", page: () => import("./pages/notifications.js"), roles: ["admin"] },
];

// The roles the console is for; an auditor's pages are read only.
export const CONSOLE_ROLES = ["admin", "manager", "auditor"];

// /console/ is the sites page; /console/{section}?site={id} a section's page for one site;
// anything else is no page of the console.
export function route() {
  const [first = "", ...rest] = location.pathname.replace(/^\/console\/?/, "").split("/").filter(Boolean);
  if (!first) return { name: "sites" };
  const section = SECTIONS.find((s) => s.key === first && !s.path);
  if (!section || rest.length) return { name: "missing" };
  const query = new URLSearchParams(location.search);
  return { name: "page", section: first, load: section.page, strings: section.strings, roles: section.roles, site: query.get("site") };
}

// The address of a section's page for a site.
export function sectionPath(key, siteId) {
  return `/console/${key}${siteId ? `?site=${encodeURIComponent(siteId)}` : ""}`;
}

// The side navigation, with `current` marked; a section's link keeps the site being looked
// at (`managed`: the person's sites with their role at each).
export function drawNav(nav, current, managed, site = null) {
  const siteId = site?.id;
  // On a site's page, the sections for the person's role there; elsewhere, those for
  // their role at one site at least.
  const roles = site ? [site.role] : managed.map((s) => s.role);
  const item = (section) => {
    if (section.roles && !roles.some((role) => section.roles.includes(role))) return null;
    const label = t(`nav.${section.key}`);
    const here = section.key === current ? "page" : null;
    const href = section.path ?? sectionPath(section.key, siteId);
    return h("li", {}, h("a", { href, "aria-current": here, "data-testid": `nav-${section.key}` }, label));
  };
  show(
    nav,
    h("ul", { class: "sections" }, SECTIONS.map(item)),
    h("ul", { class: "elsewhere" },
      h("li", {}, h("a", { href: "/app/", "data-testid": "link-app" }, t("nav.phone_app"))),
      h("li", {}, h("a", { href: "/schema", "data-testid": "link-api-docs" }, t("nav.api_docs")))),
  );
  nav.setAttribute("aria-label", t("nav.label"));
  nav.hidden = false;
}

// Which of the person's sites a page is about: a choice when there are several, each
// leading to the same page for that site; the site's name alone when there is one.
export function siteChooser(managed, site, section) {
  if (managed.length < 2) return h("p", { class: "muted", "data-testid": "site-shown" }, nameOf(site));
  const select = h("select", { id: "site-choice", "data-testid": "site-choice" },
    managed.map((s) => h("option", { value: s.id, selected: s.id === site.id }, nameOf(s))));
  select.addEventListener("change", () => location.assign(sectionPath(section, select.value)));
  return h("div", { class: "site-choice" }, h("label", { for: "site-choice" }, t("page.site")), select);
}

// A URL that is no page of the console.
export function noSuchPage(view) {
  show(view, h("section", { class: "card", "data-testid": "no-such-page" },
    h("h1", {}, t("missing.title")),
    h("p", { class: "muted" }, t("missing.body")),
    h("p", {}, h("a", { href: "/console/", "data-testid": "back-home" }, t("missing.back")))));
}
