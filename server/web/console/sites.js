// The console's first page: the sites where the person is an admin, a manager or an
// auditor, with their role at each (an auditor's access is read only and ends).

import { h, show } from "./dom.js";
import { formatDate, nameOf, t } from "./i18n.js";
import { CONSOLE_ROLES, sectionPath } from "./layout.js";

// `me` is GET /api/me (roles and when an auditor's ends); `sites` is GET /api/sites (the
// sites' names in both languages).
export function managedSites(me, sites) {
  const expiry = new Map(me.sites.map((s) => [s.site_id, s.expires_at]));
  return sites
    .filter((site) => CONSOLE_ROLES.includes(site.role))
    .map((site) => ({ ...site, expires_at: expiry.get(site.id) ?? null }));
}

// A site, its name leading to its Today page.
function siteCard(site) {
  return h("li", { class: "site", "data-testid": "site", "data-role": site.role },
    h("a", { class: "site-name", href: sectionPath("today", site.id), "data-testid": "site-name", title: t("sites.open") }, nameOf(site)),
    h("div", { class: "site-role" },
      h("span", { class: `role role-${site.role}`, "data-testid": "site-role" }, t(`role.${site.role}`)),
      site.role === "auditor" ? h("span", { class: "muted" }, t("sites.read_only")) : null,
      site.expires_at
        ? h("span", { class: "muted" }, t("sites.until", { date: formatDate(site.expires_at) }))
        : null));
}

export function renderSites(view, me, managed) {
  show(
    view,
    h("section", { class: "card" },
      h("h1", {}, t("sites.title")),
      h("p", { class: "muted", "data-testid": "signed-in-as" },
        t("sites.signed_in_as", { name: me.display_name, username: me.username })),
      h("ul", { class: "sites", "data-testid": "sites" }, managed.map(siteCard))),
    // Where a new site's admin starts; an auditor has nothing to set up.
    managed.some((s) => s.role !== "auditor")
      ? h("section", { class: "card note", "data-testid": "getting-started" },
        h("h2", {}, t("sites.start_title")),
        h("p", {}, t("sites.start_steps")))
      : null,
  );
}

// A person with none of the console's roles anywhere: what the console is, and where to go.
export function renderNotForYou(view, me) {
  show(view, h("section", { class: "card", "data-testid": "not-a-manager", role: "status" },
    h("h1", {}, t("none.title")),
    h("p", {}, t("none.body", { name: me.display_name })),
    h("p", {}, h("a", { class: "button", href: "/app/", "data-testid": "open-app" }, t("none.open_app")))));
}
