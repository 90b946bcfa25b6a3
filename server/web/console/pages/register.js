// The register: the site's places as a tree (add, rename, move, retire; a place never moves
// under itself, and a stale edit says so and shows what is stored now). Its other parts
// (assets, import, tags, labels) are tabs of this page.

import * as api from "../api.js";
import { h, claim, showFor } from "../dom.js";
import { pageMessage, problemSlot, showProblem } from "../forms.js";
import { PLACE_KINDS } from "../kinds.js";
import { loadStrings, t } from "../i18n.js";

// The kinds a place may be, each with its name.
const KINDS = PLACE_KINDS;
// The register's parts: the places are drawn here, each other part by a module of
// register/ (loaded when its tab is opened, with its own strings, bundle register-{key}),
// whose draw(ctx, redraw) gives the page's sections.
const TABS = [
  { key: "locations", name: "register.tab_locations", draw: drawLocations },
  { key: "assets", name: "register.tab_assets", load: () => import("./register/assets.js") },
  { key: "import", name: "register.tab_import", load: () => import("./register/import.js") },
  { key: "tags", name: "register.tab_tags", load: () => import("./register/tags.js") },
  { key: "labels", name: "register.tab_labels", load: () => import("./register/labels.js") },
];
const PAGE = 500;

function kindName(kind) {
  return KINDS[kind] ? t(KINDS[kind]) : kind;
}

function kindSelect(id, chosen) {
  return h("select", { id, name: "kind" },
    Object.entries(KINDS).map(([kind, name]) => h("option", { value: kind, selected: kind === chosen }, t(name))));
}

// Every active place of the site, page after page.
async function allLocations(siteId) {
  const found = [];
  let after = null;
  do {
    const query = new URLSearchParams({ site_id: siteId, limit: String(PAGE) });
    if (after) query.set("after", after);
    const page = await api.get(`/api/locations?${query}`);
    found.push(...page.items);
    after = page.next_after ?? null;
  } while (after);
  return found;
}

// Children by parent id (null: the site's top places), each list in the site's order.
function tree(locations) {
  const children = new Map();
  for (const place of locations) {
    const siblings = children.get(place.parent_id) ?? [];
    siblings.push(place);
    children.set(place.parent_id, siblings);
  }
  for (const siblings of children.values()) {
    siblings.sort((a, b) => a.sort_order - b.sort_order || a.name.localeCompare(b.name, "zh-CN"));
  }
  return children;
}

// The place itself and every place inside it: where it may not be moved to.
function inside(children, id) {
  const found = new Set([id]);
  const todo = [id];
  while (todo.length) {
    for (const child of children.get(todo.pop()) ?? []) {
      found.add(child.id);
      todo.push(child.id);
    }
  }
  return found;
}

function placeForm(place, ctx, { parentId = null, choices = [], onSaved }) {
  const prefix = place ? `loc-${place.id}` : `new-${parentId ?? "top"}`;
  const name = h("input", { id: `${prefix}-name`, name: "name", required: true, value: place?.name ?? "" });
  const nameEn = h("input", { id: `${prefix}-name_en`, name: "name_en", value: place?.name_en ?? "" });
  const code = h("input", { id: `${prefix}-code`, name: "code", value: place?.code ?? "" });
  const kind = kindSelect(`${prefix}-kind`, place?.kind ?? (parentId ? "room" : "building"));
  const parent = place
    ? h("select", { id: `${prefix}-parent`, name: "parent_id" },
      h("option", { value: "" }, t("register.top_level")),
      choices.map((c) => h("option", { value: c.id, selected: c.id === place.parent_id }, c.label)))
    : null;
  // One id per form: the same form sent again (a lost answer) makes one place.
  const newId = place ? null : api.uuid7();
  const form = h("form", { class: "place-form", "data-testid": place ? "place-edit" : "place-new" },
    h("div", { class: "grid" },
      h("div", {}, h("label", { for: name.id }, t("register.name")), name, problemSlot("name")),
      h("div", {}, h("label", { for: nameEn.id }, t("register.name_en")), nameEn, problemSlot("name_en")),
      h("div", {}, h("label", { for: kind.id }, t("register.kind")), kind, problemSlot("kind")),
      h("div", {}, h("label", { for: code.id }, t("register.code")), code, problemSlot("code")),
      parent ? h("div", {}, h("label", { for: parent.id }, t("register.parent")), parent, problemSlot("parent_id")) : null),
    h("button", { "data-testid": place ? "save-place" : "add-place" }, place ? t("register.save") : t("register.add")),
    problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), name_en: nameEn.value.trim(), code: code.value.trim(), kind: kind.value };
    try {
      if (place) {
        body.parent_id = parent.value || null;
        body.version = place.version;
        await api.patch(`/api/locations/${place.id}`, body);
      } else {
        await api.post("/api/locations", { ...body, site_id: ctx.site.id, parent_id: parentId, id: newId });
      }
    } catch (error) {
      if (error.code === "location.version_conflict") return onSaved(t("register.stale", { name: place.name }), true);
      return showProblem(form, error, ctx.describeError);
    }
    await onSaved(place ? t("register.saved", { name: body.name }) : t("register.added", { name: body.name }));
  });
  return form;
}

function placeNode(place, children, everything, ctx, redraw, canChange) {
  const slot = h("div", { class: "place-more" });
  const open = (draw) => () => {
    if (slot.dataset.open === draw.name) {
      slot.replaceChildren();
      delete slot.dataset.open;
      return;
    }
    slot.dataset.open = draw.name;
    slot.replaceChildren(draw());
  };
  const edit = function edit() {
    const excluded = inside(children, place.id);
    const choices = everything.filter((c) => !excluded.has(c.id));
    return placeForm(place, ctx, { choices, onSaved: redraw });
  };
  const addInside = function addInside() {
    return placeForm(null, ctx, { parentId: place.id, onSaved: redraw });
  };
  const retire = async () => {
    if (!confirm(t("register.confirm_retire", { name: place.name }))) return;
    try {
      await api.patch(`/api/locations/${place.id}`, { status: "retired", version: place.version });
    } catch (error) {
      return redraw(ctx.describeError(error), true);
    }
    await redraw(t("register.retired", { name: place.name }));
  };
  const kids = children.get(place.id) ?? [];
  return h("li", { "data-testid": "place", "data-name": place.name },
    h("div", { class: "place-line" },
      h("span", { class: "place-name" }, place.name),
      place.name_en ? h("span", { class: "muted" }, place.name_en) : null,
      h("span", { class: "badge" }, kindName(place.kind)),
      place.code ? h("span", { class: "muted code" }, place.code) : null,
      canChange ? h("span", { class: "row place-actions" },
        h("button", { type: "button", class: "small plain", "data-testid": "edit-place", onclick: open(edit) }, t("register.edit")),
        h("button", { type: "button", class: "small plain", "data-testid": "add-inside", onclick: open(addInside) }, t("register.add_inside")),
        h("button", { type: "button", class: "small danger", "data-testid": "retire-place", onclick: retire }, t("register.retire"))) : null),
    slot,
    kids.length ? h("ul", { class: "places" }, kids.map((k) => placeNode(k, children, everything, ctx, redraw, canChange))) : null);
}

async function drawLocations(ctx, redraw) {
  const locations = await allLocations(ctx.site.id);
  const children = tree(locations);
  const byId = new Map(locations.map((l) => [l.id, l]));
  // Each place as a choice of parent, with its whole path.
  const label = (place) => {
    const names = [];
    for (let at = place; at; at = byId.get(at.parent_id)) names.unshift(at.name);
    return names.join(" › ");
  };
  const everything = locations.map((l) => ({ id: l.id, label: label(l) }))
    .sort((a, b) => a.label.localeCompare(b.label, "zh-CN"));
  const canChange = ctx.site.role !== "auditor";
  const top = children.get(null) ?? [];
  return [
    h("section", { class: "card" },
      h("h2", {}, t("register.places", { count: locations.length })),
      top.length
        ? h("ul", { class: "places tree", "data-testid": "places" }, top.map((p) => placeNode(p, children, everything, ctx, redraw, canChange)))
        : h("p", { class: "muted", "data-testid": "no-places" }, t("register.no_places"))),
    canChange
      ? h("section", { class: "card" }, h("h2", {}, t("register.add_top")),
        placeForm(null, ctx, { onSaved: redraw }))
      : null,
  ];
}

export async function render(view, ctx) {
  const ticket = claim(view);
  const { site, chooser, describeError } = ctx;
  const query = new URLSearchParams(location.search);
  const tab = TABS.find((x) => x.key === query.get("view")) ?? TABS[0];
  const redraw = async (message, failed = false) => {
    if (!(await render(view, ctx))) return;
    if (message) view.prepend(pageMessage(message, failed));
  };
  const tabs = h("nav", { class: "tabs", "aria-label": t("register.tabs") },
    TABS.map((x) => h("a", { href: `/console/register?site=${encodeURIComponent(site.id)}&view=${x.key}`, "aria-current": x === tab ? "page" : null, "data-testid": `tab-${x.key}` }, t(x.name))));
  let body;
  try {
    const draw = tab.draw ?? (await Promise.all([tab.load(), loadStrings(`register-${tab.key}`)]))[0].draw;
    body = await draw(ctx, redraw);
  } catch (error) {
    body = [h("p", { class: "card warn", role: "alert", "data-testid": "load-error" }, describeError(error))];
  }
  return showFor(ticket, view, h("section", { class: "card" }, h("h1", {}, t("nav.register")), chooser, tabs), ...body);
}
