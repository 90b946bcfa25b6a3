// The register's assets: the site's extinguishers, panels, equipment and the rest, filtered
// and paged by the server (a site may hold tens of thousands), added, changed (a stale
// change shows what is stored now beside what the person typed) and retired. The filters
// are in the page's address, so a link or a reload opens the same list.

import * as api from "../../api.js";
import { h, useStyles } from "../../dom.js";
import { problemSlot, showProblem } from "../../forms.js";
import { t } from "../../i18n.js";

// The categories the built-in checklists know (server/registry/assets.py), each with its
// name; a site may use others, shown by their code.
export const CATEGORIES = {
  fire_extinguisher: "assets.category_fire_extinguisher",
  fire_hydrant_box: "assets.category_fire_hydrant_box",
  fire_alarm_panel: "assets.category_fire_alarm_panel",
  emergency_light: "assets.category_emergency_light",
  exit_sign: "assets.category_exit_sign",
  electrical_panel: "assets.category_electrical_panel",
  playground_equipment: "assets.category_playground_equipment",
  sports_equipment: "assets.category_sports_equipment",
  kitchen_gas: "assets.category_kitchen_gas",
  water_dispenser: "assets.category_water_dispenser",
  refrigerator: "assets.category_refrigerator",
  disinfection_cabinet: "assets.category_disinfection_cabinet",
  other: "assets.category_other",
};
// Attributes the checklists read (an extinguisher's expiry prefills its monthly check),
// each with its label; dates are kept as YYYY-MM-DD.
const ATTRIBUTES = {
  expiry_date: "assets.attr_expiry_date",
  manufacture_date: "assets.attr_manufacture_date",
  purchase_date: "assets.attr_purchase_date",
  model: "assets.attr_model",
};
// The list's filters, as the address names them.
const FILTERS = ["location", "category", "status", "q", "untagged"];
const PAGE = 50;
const LOCATION_PAGE = 500;

export function categoryName(category) {
  return CATEGORIES[category] ? t(CATEGORIES[category]) : category;
}

// Every active place of the site, each with its whole path, in path order.
async function placesOf(siteId) {
  const found = [];
  let after = null;
  do {
    const query = new URLSearchParams({ site_id: siteId, limit: String(LOCATION_PAGE) });
    if (after) query.set("after", after);
    const page = await api.get(`/api/locations?${query}`);
    found.push(...page.items);
    after = page.next_after ?? null;
  } while (after);
  return found.map((l) => ({ id: l.id, label: l.path.join(" › ") }))
    .sort((a, b) => a.label.localeCompare(b.label, "zh-CN"));
}

function filtersOf(query) {
  return Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ""]));
}

// The address of the list with `filters`, read from `after` on; earlier pages' cursors
// stay in the history entry, for "previous page".
function showList(filters, after = "", cursors = []) {
  const url = new URL(location.href);
  for (const key of [...FILTERS, "after"]) url.searchParams.delete(key);
  for (const key of FILTERS) if (filters[key]) url.searchParams.set(key, filters[key]);
  if (after) url.searchParams.set("after", after);
  history.replaceState({ cursors }, "", url);
}

function placeSelect(id, places, chosen, empty) {
  return h("select", { id, name: "location_id" },
    h("option", { value: "" }, empty),
    places.map((p) => h("option", { value: p.id, selected: p.id === chosen }, p.label)));
}

function categorySelect(id, chosen, empty = null) {
  const known = Object.keys(CATEGORIES);
  const codes = chosen && !known.includes(chosen) ? [...known, chosen] : known;
  return h("select", { id, name: "category" },
    empty ? h("option", { value: "" }, empty) : null,
    codes.map((c) => h("option", { value: c, selected: c === chosen }, categoryName(c))));
}

function filterForm(filters, places, onFilter) {
  const place = placeSelect("filter-location", places, filters.location, t("assets.any_place"));
  const category = categorySelect("filter-category", filters.category, t("assets.any_category"));
  const status = h("select", { id: "filter-status", name: "status" },
    h("option", { value: "active", selected: filters.status !== "retired" }, t("assets.status_active")),
    h("option", { value: "retired", selected: filters.status === "retired" }, t("assets.status_retired")));
  const text = h("input", { id: "filter-q", name: "q", type: "search", value: filters.q });
  const untagged = h("input", { id: "filter-untagged", type: "checkbox", checked: filters.untagged === "1" });
  const form = h("form", { class: "card asset-filters", "data-testid": "asset-filters", role: "search" },
    h("h2", {}, t("assets.filters")),
    h("div", { class: "filter-grid" },
      h("div", { class: "span-2" }, h("label", { for: text.id }, t("assets.q")), text),
      h("div", {}, h("label", { for: place.id }, t("assets.place")), place),
      h("div", {}, h("label", { for: category.id }, t("assets.category")), category),
      h("div", {}, h("label", { for: status.id }, t("assets.status")), status)),
    h("div", { class: "row" },
      h("label", { class: "check", for: untagged.id }, untagged, t("assets.untagged")),
      h("button", { "data-testid": "apply-filters" }, t("assets.apply")),
      h("button", { type: "button", class: "plain", "data-testid": "clear-filters",
        onclick: () => onFilter({}) }, t("assets.clear"))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onFilter({
      location: place.value,
      category: category.value,
      status: status.value === "retired" ? "retired" : "",
      q: text.value.trim(),
      untagged: untagged.checked ? "1" : "",
    });
  });
  return form;
}

// The form's values as the API takes them; `asset` (null for a new one) keeps the
// attributes the form does not show.
function bodyOf(fields, asset) {
  const attributes = { ...(asset?.attributes ?? {}) };
  for (const key of Object.keys(ATTRIBUTES)) {
    const value = fields[`attr_${key}`].value.trim();
    if (value) attributes[key] = value;
    else delete attributes[key];
  }
  return {
    name: fields.name.value.trim(),
    name_en: fields.name_en.value.trim(),
    category: fields.category.value,
    asset_number: fields.asset_number.value.trim(),
    serial_number: fields.serial_number.value.trim(),
    location_id: fields.location_id.value || null,
    keeper_id: fields.keeper_id.value || null,
    attributes,
  };
}

// What a field's control shows for a value (a place's or a keeper's name, not its id).
function shown(key, value, { places, people }) {
  if (!value) return t("assets.empty");
  if (key === "location_id") return places.find((p) => p.id === value)?.label ?? value;
  if (key === "keeper_id") return people.find((p) => p.user_id === value)?.display_name ?? value;
  if (key === "category") return categoryName(value);
  return value;
}

// The fields of an asset, for adding one (`asset` null) or changing it. `typed`: what the
// person had typed when their change was refused as stale, shown under each field that
// differs from what is stored now.
function assetForm(asset, ctx, lists, { typed = null, onSaved, onStale }) {
  const { places, people } = lists;
  const prefix = asset ? `asset-${asset.id}` : "new-asset";
  const input = (key, attrs = {}) => h("input", { id: `${prefix}-${key}`, name: key, ...attrs });
  const fields = {
    name: input("name", { required: true, maxlength: 200, value: asset?.name ?? "" }),
    name_en: input("name_en", { maxlength: 200, value: asset?.name_en ?? "" }),
    category: categorySelect(`${prefix}-category`, asset?.category ?? "fire_extinguisher"),
    asset_number: input("asset_number", { maxlength: 64, value: asset?.asset_number ?? "" }),
    serial_number: input("serial_number", { maxlength: 64, value: asset?.serial_number ?? "" }),
    location_id: placeSelect(`${prefix}-location_id`, places, asset?.location_id ?? "", t("assets.no_place")),
    keeper_id: h("select", { id: `${prefix}-keeper_id`, name: "keeper_id" },
      h("option", { value: "" }, t("assets.no_keeper")),
      people.map((p) => h("option", { value: p.user_id, selected: p.user_id === asset?.keeper_id },
        t("person.with_role", { name: p.display_name, role: t(`role.${p.role}`) })))),
  };
  for (const key of Object.keys(ATTRIBUTES)) {
    const value = asset?.attributes?.[key];
    fields[`attr_${key}`] = input(`attr_${key}`, {
      type: key.endsWith("_date") ? "date" : "text",
      maxlength: 200,
      value: value === undefined || value === null ? "" : String(value),
    });
  }
  const labels = {
    name: t("assets.name"),
    name_en: t("assets.name_en"),
    category: t("assets.category"),
    asset_number: t("assets.asset_number"),
    serial_number: t("assets.serial_number"),
    location_id: t("assets.place"),
    keeper_id: t("assets.keeper"),
    ...Object.fromEntries(Object.entries(ATTRIBUTES).map(([k, name]) => [`attr_${k}`, t(name)])),
  };
  // The API's name for a field, where a refusal names it.
  const apiField = (key) => (key.startsWith("attr_") ? `attributes.${key.slice(5)}` : key);
  const cell = (key) => {
    const was = typed && typed[key] !== fields[key].value
      ? h("p", { class: "typed", "data-testid": `typed-${key}` },
        t("assets.you_typed", { value: shown(key, typed[key], lists) }))
      : null;
    const wide = key === "location_id" || key === "keeper_id" ? "span-2" : null;
    return h("div", { class: wide }, h("label", { for: fields[key].id }, labels[key]), fields[key], was, problemSlot(apiField(key)));
  };
  const newId = asset ? null : api.uuid7();
  const form = h("form", { class: "asset-form", "data-testid": asset ? "asset-edit" : "asset-new" },
    typed ? h("p", { class: "warn", role: "alert", "data-testid": "stale" }, t("assets.stale")) : null,
    h("div", { class: "form-grid" }, Object.keys(fields).map(cell)),
    h("p", { class: "muted small-text" }, t("assets.keeper_hint")),
    h("button", { "data-testid": asset ? "save-asset" : "add-asset" }, asset ? t("assets.save") : t("assets.add")),
    problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = bodyOf(fields, asset);
    let saved;
    try {
      saved = asset
        ? await api.patch(`/api/assets/${asset.id}`, { ...body, version: asset.version })
        : await api.post("/api/assets", { ...body, site_id: ctx.site.id, id: newId });
    } catch (error) {
      if (asset && error.code === "asset.version_conflict") {
        const values = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.value]));
        return onStale(values);
      }
      return showProblem(form, error, ctx.describeError);
    }
    await onSaved(saved);
  });
  return form;
}

function assetRows(asset, ctx, lists, redraw, canChange) {
  const group = h("tbody", { "data-testid": "asset", "data-name": asset.name, "data-status": asset.status });
  const retired = asset.status === "retired";
  const draw = (current, typed = null) => {
    const more = h("tr", { class: "asset-more" }, h("td", { colspan: canChange ? 6 : 5 }));
    const open = () => {
      if (more.dataset.open) {
        more.hidden = true;
        delete more.dataset.open;
        return;
      }
      more.dataset.open = "edit";
      more.hidden = false;
      more.firstChild.replaceChildren(editForm(current, typed));
    };
    const editForm = (stored, stale) => assetForm(stored, ctx, lists, {
      typed: stale,
      onSaved: (saved) => redraw(t("assets.saved", { name: saved.name })),
      // Someone else changed it: what is stored now, with what this person typed beside it.
      onStale: async (values) => {
        try {
          draw(await api.get(`/api/assets/${asset.id}`), values);
        } catch (error) {
          redraw(ctx.describeError(error), true);
        }
      },
    });
    const setStatus = (status, confirmKey, doneKey) => async () => {
      if (confirmKey && !confirm(t(confirmKey, { name: current.name }))) return;
      try {
        await api.patch(`/api/assets/${asset.id}`, { status, version: current.version });
      } catch (error) {
        const stale = error.code === "asset.version_conflict";
        return redraw(stale ? t("assets.stale_retire", { name: current.name }) : ctx.describeError(error), true);
      }
      await redraw(t(doneKey, { name: current.name }));
    };
    const expiry = current.attributes?.expiry_date;
    const numbers = [current.asset_number, current.serial_number && t("assets.serial_short", { serial: current.serial_number })]
      .filter(Boolean).join(" · ");
    const line = h("tr", { class: retired ? "ended" : null },
      h("td", {},
        h("div", { class: "asset-name", "data-testid": "asset-name" }, current.name),
        current.name_en ? h("div", { class: "muted" }, current.name_en) : null,
        numbers ? h("div", { class: "muted code", "data-testid": "asset-number" }, numbers) : null),
      h("td", {}, categoryName(current.category)),
      h("td", { "data-testid": "asset-place" }, current.location_path.length ? current.location_path.join(" › ") : t("assets.empty")),
      h("td", { "data-testid": "asset-keeper" }, current.keeper_name ?? t("assets.empty")),
      h("td", {},
        retired
          ? h("span", { class: "badge badge-off", "data-testid": "asset-retired" }, t("assets.status_retired"))
          : h("span", { class: "badge badge-on" }, t("assets.status_active")),
        expiry ? h("div", { class: "muted small-text" }, t("assets.expires", { date: expiry })) : null),
      canChange ? h("td", {}, h("div", { class: "row asset-actions" },
        retired ? null : h("button", { type: "button", class: "small plain", "data-testid": "edit-asset",
          "aria-expanded": typed ? "true" : "false", onclick: open }, t("assets.edit")),
        retired
          ? h("button", { type: "button", class: "small plain", "data-testid": "restore-asset",
            onclick: setStatus("active", null, "assets.restored") }, t("assets.restore"))
          : h("button", { type: "button", class: "small danger", "data-testid": "retire-asset",
            onclick: setStatus("retired", "assets.confirm_retire", "assets.retired") }, t("assets.retire")))) : null);
    more.hidden = true;
    group.replaceChildren(line, more);
    if (typed) open();
  };
  draw(asset);
  return group;
}

export async function draw(ctx, redraw) {
  useStyles("register-assets");
  const { site } = ctx;
  const canChange = site.role !== "auditor";
  const query = new URLSearchParams(location.search);
  const filters = filtersOf(query);
  const after = query.get("after") ?? "";
  const cursors = history.state?.cursors ?? [];
  const params = new URLSearchParams({ site_id: site.id, limit: String(PAGE), status: filters.status || "active" });
  if (filters.location) params.set("location_id", filters.location);
  if (filters.category) params.set("category", filters.category);
  if (filters.q) params.set("q", filters.q);
  if (filters.untagged) params.set("untagged", "true");
  if (after) params.set("after", after);
  const [page, places, people] = await Promise.all([
    api.get(`/api/assets?${params}`),
    placesOf(site.id),
    // The keepers a form offers: the site's people (who may read them: admins, managers).
    canChange ? api.get(`/api/sites/${site.id}/people`) : [],
  ]);
  const lists = { places, people };
  const onFilter = (chosen) => {
    showList(chosen);
    return redraw();
  };
  const pageNumber = cursors.length + 1;
  const pager = h("nav", { class: "row pager", "aria-label": t("assets.pages") },
    cursors.length ? h("button", { type: "button", class: "small plain", "data-testid": "previous-page", onclick: () => {
      const earlier = cursors.slice(0, -1);
      showList(filters, cursors.at(-1), earlier);
      return redraw();
    } }, t("assets.previous")) : null,
    h("span", { class: "muted", "data-testid": "page-number" }, t("assets.page", { number: pageNumber })),
    page.next_after ? h("button", { type: "button", class: "small plain", "data-testid": "next-page", onclick: () => {
      showList(filters, page.next_after, [...cursors, after]);
      return redraw();
    } }, t("assets.next")) : null);
  const filtered = FILTERS.some((k) => filters[k]);
  const table = h("table", { class: "assets", "data-testid": "assets" },
    h("caption", { class: "sr-only" }, t("assets.caption")),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("assets.name_number")),
      h("th", { scope: "col" }, t("assets.category")),
      h("th", { scope: "col" }, t("assets.place")),
      h("th", { scope: "col" }, t("assets.keeper")),
      h("th", { scope: "col" }, t("assets.status")),
      canChange ? h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("assets.actions"))) : null)),
    page.items.map((a) => assetRows(a, ctx, lists, redraw, canChange)));
  const added = async (saved) => {
    // The new asset is shown by its number (or name): at the end of a long list otherwise.
    showList({ q: saved.asset_number || saved.name });
    await redraw(t("assets.added", { name: saved.name }));
  };
  return [
    filterForm(filters, places, onFilter),
    canChange
      ? h("details", { class: "card add-asset" },
        h("summary", { "data-testid": "open-add-asset" }, t("assets.add_title")),
        assetForm(null, ctx, lists, { onSaved: added }))
      : h("p", { class: "card muted", "data-testid": "read-only" }, t("assets.read_only")),
    h("section", { class: "card" },
      h("h2", {}, filtered ? t("assets.found") : t("assets.all")),
      page.items.length
        ? h("div", { class: "wide-table" }, table)
        : h("p", { class: "muted", "data-testid": "no-assets" }, filtered ? t("assets.none_found") : t("assets.none")),
      page.items.length || cursors.length ? pager : null),
  ];
}
