// What every console page shares: the side navigation, the top bar's person and log-out,
// and the route of the current URL.

import { h, show } from "./dom.js";
import { t } from "./i18n.js";

// The console's sections, in the order of the side navigation. Only the sites page exists
// yet; the others are shown, marked as coming, and are not links.
export const SECTIONS = [
  { key: "sites", path: "/console/" },
  { key: "today" },
  { key: "register" },
  { key: "checklists" },
  { key: "plan" },
  { key: "repairs" },
  { key: "people" },
  { key: "notifications" },
];

// The roles the console is for; an auditor's pages are read only.
export const CONSOLE_ROLES = ["admin", "manager", "auditor"];

// /console/ is the sites page; /console/{section} a section (not available yet); anything
// else is no page of the console.
export function route() {
  const [first = "", ...rest] = location.pathname.replace(/^\/console\/?/, "").split("/").filter(Boolean);
  if (!first) return { name: "sites" };
  const known = SECTIONS.some((s) => s.key === first && !s.path) && !rest.length;
  return known ? { name: "soon", section: first } : { name: "missing" };
}

// The side navigation, with `current` marked. Sections to come are plain text with a mark,
// so nothing in it leads to an error.
export function drawNav(nav, current) {
  const item = (section) => {
    const label = t(`nav.${section.key}`);
    const here = section.key === current ? "page" : null;
    const entry = section.path
      ? h("a", { href: section.path, "aria-current": here, "data-testid": `nav-${section.key}` }, label)
      : h("span", { class: "soon", "aria-disabled": "true", "aria-current": here, "data-testid": `nav-${section.key}` },
        h("span", {}, label), h("small", { class: "soon-mark" }, t("nav.soon")));
    return h("li", {}, entry);
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

// A page for a section that is not there yet, and for a URL that is no page at all.
export function notYet(view, section) {
  show(view, h("section", { class: "card", "data-testid": "not-yet" },
    h("h1", {}, section ? t("soon.title", { section: t(`nav.${section}`) }) : t("missing.title")),
    h("p", { class: "muted" }, section ? t("soon.body") : t("missing.body")),
    h("p", {}, h("a", { href: "/console/", "data-testid": "back-home" }, t("soon.back")))));
}
