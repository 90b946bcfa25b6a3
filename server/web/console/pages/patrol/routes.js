// Routes: the checkpoints a round visits, in order (or in any order), each an active tag
// of the site with a name of its own if the route gives one (`label`; without one, people
// read the tagged thing's name, and a thing renamed renames the checkpoint), a checklist
// to fill in there, the walking time from the checkpoint before it, where it is and an
// NFC sticker bound to it. The editor loads and sends back the route's own name only, so
// saving never turns the thing's name into a fixed one. Every change is a new
// version: rounds already started keep the version they began on. A change made against a
// version someone else has changed since is refused and the route shown as it is now.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { problemSlot } from "../../forms.js";
import { language, t } from "../../i18n.js";
import { MODES, pick, showProblemIn } from "./common.js";

const FOUND = 10;

function titleOf(template) {
  return language() === "en" && template.title_en ? template.title_en : template.title_zh || template.key;
}

function field(id, label, control, problem) {
  return h("div", {}, h("label", { for: id }, label), control, problem === undefined ? null : problemSlot(problem));
}

// A checkpoint as the editor holds it: the route's own names (`label`, empty when it has
// none) and, when known, the tagged thing's, which a checkpoint without a label shows.
function editable(checkpoint) {
  return {
    ...checkpoint,
    label: checkpoint.label ?? "",
    label_en: checkpoint.label_en ?? "",
    thing_name: checkpoint.thing_name || (checkpoint.label ? "" : checkpoint.name ?? ""),
    thing_name_en: checkpoint.thing_name_en || (checkpoint.label_en ? "" : checkpoint.name_en ?? ""),
  };
}

// One checkpoint's row in the editor: its tag and names in view, the rest folded.
function checkpointRow(prefix, checkpoint, templates) {
  const p = (name) => `${prefix}-${name}`;
  const name = h("input", { id: p("name"), value: checkpoint.label, maxlength: "200", "data-testid": "cp-name",
    placeholder: checkpoint.thing_name || t("patrol.cp_name_placeholder") });
  const nameEn = h("input", { id: p("name-en"), value: checkpoint.label_en, maxlength: "200", "data-testid": "cp-name-en",
    placeholder: checkpoint.thing_name_en || t("patrol.cp_name_en_placeholder") });
  const checklist = h("select", { id: p("checklist"), "data-testid": "cp-checklist" },
    h("option", { value: "" }, t("patrol.cp_no_checklist")),
    templates.map((x) => h("option", { value: x.key, selected: x.key === (checkpoint.checklist?.key ?? checkpoint.checklist) }, titleOf(x))));
  const gap = h("input", { id: p("gap"), type: "number", min: "0", max: "86400", step: "1", value: checkpoint.min_gap_seconds ?? "", "data-testid": "cp-gap" });
  const lat = h("input", { id: p("lat"), type: "number", min: "-90", max: "90", step: "any", value: checkpoint.position?.lat ?? "" });
  const lon = h("input", { id: p("lon"), type: "number", min: "-180", max: "180", step: "any", value: checkpoint.position?.lon ?? "" });
  const radius = h("input", { id: p("radius"), type: "number", min: "1", max: "10000", step: "any", value: checkpoint.radius_m ?? 50 });
  const nfc = h("input", { id: p("nfc"), value: checkpoint.nfc_serial ?? "", placeholder: "04:A2:1B:7C:5D:80:00", class: "code", autocomplete: "off" });
  const slot = (part) => h("p", { class: "field-problem warn", role: "alert", "data-part": part });
  const element = h("li", { class: "cp-row", "data-testid": "cp-row", "data-tag": checkpoint.tag },
    h("div", { class: "cp-row-head" },
      h("span", { class: "cp-number", "data-testid": "cp-number" }),
      h("strong", { class: "code" }, checkpoint.tag),
      checkpoint.thing ? h("span", { class: "muted small-text" }, checkpoint.thing) : null,
      h("span", { class: "cp-tools" },
        h("button", { type: "button", class: "small plain", "data-move": "-1", "aria-label": t("patrol.cp_up_named", { tag: checkpoint.tag }) }, "↑"),
        h("button", { type: "button", class: "small plain", "data-move": "1", "aria-label": t("patrol.cp_down_named", { tag: checkpoint.tag }) }, "↓"),
        h("button", { type: "button", class: "small danger", "data-move": "remove", "data-testid": "cp-remove" }, t("patrol.cp_remove")))),
    h("div", { class: "grid cp-grid" },
      field(name.id, t("patrol.cp_name"), name),
      field(nameEn.id, t("patrol.cp_name_en"), nameEn),
      field(checklist.id, t("patrol.cp_checklist"), checklist),
      field(gap.id, t("patrol.cp_gap"), gap)),
    h("details", { class: "cp-more" },
      h("summary", {}, t("patrol.cp_more")),
      h("div", { class: "grid cp-grid" },
        field(lat.id, t("patrol.cp_lat"), lat),
        field(lon.id, t("patrol.cp_lon"), lon),
        field(radius.id, t("patrol.cp_radius"), radius),
        field(nfc.id, t("patrol.cp_nfc"), nfc)),
      h("p", { class: "muted small-text" }, t("patrol.cp_more_hint"))),
    slot("row"));
  element.read = () => {
    const number = (input) => (input.value.trim() === "" ? null : Number(input.value));
    const position = number(lat) !== null && number(lon) !== null ? { lat: number(lat), lon: number(lon) } : null;
    return {
      tag: checkpoint.tag,
      name: name.value.trim(),
      name_en: nameEn.value.trim(),
      checklist: checklist.value || null,
      min_gap_seconds: number(gap),
      position,
      radius_m: number(radius) ?? 50,
      nfc_serial: nfc.value.trim().toUpperCase() || null,
    };
  };
  return element;
}

// The route's checkpoints in order, and a search of the site's tags to add one.
function checkpointEditor(ctx, route, templates) {
  const rows = [];
  const list = h("ol", { class: "cp-list", "data-testid": "cp-list" });
  const renumber = () => {
    list.replaceChildren(...rows);
    rows.forEach((row, i) => {
      row.querySelector(".cp-number").textContent = String(i + 1);
      // A problem about checkpoints[i] goes to the row that is the i-th sent.
      row.querySelector("[data-part]").dataset.problem = `checkpoints[${i}]`;
    });
  };
  let made = 0;
  const add = (checkpoint) => {
    if (rows.some((r) => r.dataset.tag === checkpoint.tag)) return false;
    const row = checkpointRow(`cp-${made++}`, checkpoint, templates);
    row.addEventListener("click", (event) => {
      const move = event.target.closest("button")?.dataset.move;
      if (!move) return;
      const at = rows.indexOf(row);
      if (move === "remove") rows.splice(at, 1);
      else {
        const to = at + Number(move);
        if (to < 0 || to >= rows.length) return;
        [rows[at], rows[to]] = [rows[to], rows[at]];
      }
      renumber();
    });
    rows.push(row);
    renumber();
    return true;
  };
  for (const checkpoint of route?.checkpoints ?? []) add(editable(checkpoint));
  const search = h("input", { id: `${route?.id ?? "new"}-tag-q`, type: "search", autocomplete: "off", placeholder: t("patrol.tag_search_hint"), "data-testid": "tag-q" });
  const found = h("ul", { class: "plain-list found", "data-testid": "tag-found" });
  const run = async () => {
    const params = new URLSearchParams({ status: "active", limit: String(FOUND) });
    if (search.value.trim()) params.set("q", search.value.trim());
    let page;
    try {
      page = await api.get(`/api/sites/${ctx.site.id}/tags?${params}`);
    } catch (error) {
      return found.replaceChildren(h("li", { class: "warn" }, ctx.describeError(error)));
    }
    found.replaceChildren(...(page.items.length ? page.items.map((tag) => {
      const thing = [tag.target_name, tag.target_number, tag.place.join(" › ")].filter(Boolean).join(" · ");
      const button = h("button", { type: "button", class: "small", "data-testid": "tag-add", "data-code": tag.code,
        "aria-label": t("patrol.tag_add_named", { code: tag.printed_code || tag.code, thing }) }, t("patrol.tag_add"));
      const added = () => {
        button.disabled = true;
        button.textContent = t("patrol.tag_added");
        button.setAttribute("aria-label", t("patrol.tag_added_named", { code: tag.printed_code || tag.code }));
      };
      button.addEventListener("click", () => {
        // No name of the route's own: the thing's shows (and follows it if renamed).
        add({ tag: tag.code, label: "", label_en: "", thing_name: tag.target_name, thing_name_en: "", thing });
        added();
      });
      if (rows.some((r) => r.dataset.tag === tag.code)) added();
      return h("li", { class: "row" }, h("span", {}, h("span", { class: "code" }, tag.printed_code || tag.code), " ", thing), button);
    }) : [h("li", { class: "muted" }, t("patrol.tag_none_found"))]));
  };
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      run();
    }
  });
  const element = h("fieldset", { class: "cp-editor" },
    h("legend", {}, t("patrol.checkpoints")),
    h("p", { class: "muted small-text" }, t("patrol.checkpoints_order_hint")),
    list, problemSlot("checkpoints"),
    h("label", { for: search.id }, t("patrol.tag_search")),
    h("div", { class: "row search-row" }, search,
      h("button", { type: "button", class: "small", "data-testid": "tag-search", onclick: run }, t("patrol.tag_search_button"))),
    found);
  return { element, read: () => rows.map((r) => r.read()) };
}

function routeForm(ctx, redraw, templates, route = null) {
  const prefix = route ? `route-${route.id}` : "route-new";
  const name = h("input", { id: `${prefix}-name`, value: route?.name ?? "", required: true, maxlength: "200", "data-testid": "route-name" });
  const nameEn = h("input", { id: `${prefix}-name-en`, value: route?.name_en ?? "", maxlength: "200", "data-testid": "route-name-en" });
  const mode = h("select", { id: `${prefix}-mode`, "data-testid": "route-mode" },
    Object.entries(MODES).map(([key, label]) => h("option", { value: key, selected: key === (route?.mode ?? "sequence") }, t(label))));
  const editor = checkpointEditor(ctx, route, templates);
  const submit = h("button", { "data-testid": route ? "route-save" : "route-add" }, route ? t("patrol.route_save") : t("patrol.route_add"));
  const form = h("form", { class: route ? "route-edit" : "card route-new", "data-testid": route ? "route-edit" : "route-new" },
    route ? null : h("h2", {}, t("patrol.route_new_title")),
    h("div", { class: "grid" },
      field(name.id, t("patrol.route_name"), name, "name"),
      field(nameEn.id, t("patrol.route_name_en"), nameEn, "name_en"),
      field(mode.id, t("patrol.route_mode"), mode, "mode")),
    editor.element,
    route ? h("p", { class: "muted small-text" }, t("patrol.route_version_hint", { version: route.version })) : null,
    submit, problemSlot("base_version"), problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), name_en: nameEn.value.trim(), mode: mode.value, checkpoints: editor.read() };
    submit.disabled = true;
    let saved;
    try {
      saved = route
        ? await api.put(`/api/patrol/routes/${route.id}`, { ...body, base_version: route.version })
        : await api.post(`/api/sites/${ctx.site.id}/patrol/routes`, body);
    } catch (error) {
      submit.disabled = false;
      if (error.code === "route.version_conflict") return redraw(t("patrol.route_stale", { name: pick(route.name, route.name_en) }), true);
      return showProblemIn(form, error, ctx.describeError);
    }
    await redraw(route
      ? t("patrol.route_saved", { name: pick(saved.name, saved.name_en), version: saved.version })
      : t("patrol.route_added", { name: pick(saved.name, saved.name_en) }));
  });
  return form;
}

function retireForm(ctx, redraw, route) {
  const submit = h("button", { class: "danger", "data-testid": "route-retire" }, t("patrol.route_retire"));
  const form = h("form", { class: "route-retire" },
    h("p", { class: "muted small-text" }, t("patrol.route_retire_hint")), submit, problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!confirm(t("patrol.route_retire_confirm", { name: pick(route.name, route.name_en) }))) return;
    try {
      await api.post(`/api/patrol/routes/${route.id}/retire`);
    } catch (error) {
      if (error.code === "route.version_conflict") return redraw(t("patrol.route_stale", { name: pick(route.name, route.name_en) }), true);
      return showProblemIn(form, error, ctx.describeError);
    }
    await redraw(t("patrol.route_retired", { name: pick(route.name, route.name_en) }));
  });
  return form;
}

function routeItem(ctx, redraw, templates, route) {
  const more = h("div", { class: "route-more" });
  const open = (name, draw) => () => {
    if (more.dataset.open === name) {
      more.replaceChildren();
      delete more.dataset.open;
      return;
    }
    more.dataset.open = name;
    more.replaceChildren(draw());
  };
  const retired = route.status === "retired";
  return h("li", { class: `card route${retired ? " retired" : ""}`, "data-testid": "route", "data-id": route.id, "data-version": route.version },
    h("div", { class: "schedule-head" },
      h("h3", { class: "schedule-title" }, pick(route.name, route.name_en)),
      h("span", { class: "badge badge-off" }, t(MODES[route.mode] ?? route.mode)),
      h("span", { class: "badge badge-off", "data-testid": "route-version" }, t("patrol.version", { version: route.version })),
      retired ? h("span", { class: "badge badge-off", "data-testid": "route-retired" }, t("patrol.retired")) : null),
    h("ol", { class: "route-checkpoints", "data-testid": "route-checkpoints" }, route.checkpoints.map((c) =>
      h("li", {}, pick(c.name, c.name_en) || c.tag, " ", h("span", { class: "muted code small-text" }, c.tag),
        c.checklist ? h("span", { class: "muted small-text" }, ` · ${pick(c.checklist.title_zh, c.checklist.title_en)}`) : null,
        c.min_gap_seconds ? h("span", { class: "muted small-text" }, ` · ${t("patrol.cp_gap_is", { s: c.min_gap_seconds })}`) : null,
        c.nfc_serial ? h("span", { class: "muted small-text" }, ` · NFC`) : null))),
    ctx.canChange && !retired
      ? h("div", { class: "row" },
        h("button", { type: "button", class: "small plain", "data-testid": "route-open-edit", onclick: open("edit", () => routeForm(ctx, redraw, templates, route)) }, t("patrol.route_change")),
        h("button", { type: "button", class: "small danger", "data-testid": "route-open-retire", onclick: open("retire", () => retireForm(ctx, redraw, route)) }, t("patrol.route_retire")))
      : null,
    more);
}

export async function draw(ctx, redraw) {
  const [routes, templates] = await Promise.all([
    api.get(`/api/sites/${ctx.site.id}/patrol/routes?include_retired=true`),
    ctx.canChange ? api.get("/api/templates") : [],
  ]);
  templates.sort((a, b) => titleOf(a).localeCompare(titleOf(b), language()));
  routes.sort((a, b) => (a.status === "retired") - (b.status === "retired"));
  return [
    h("p", { class: "card muted small-text" }, t("patrol.routes_hint")),
    routes.length
      ? h("ul", { class: "plain-list", "data-testid": "routes" }, routes.map((r) => routeItem(ctx, redraw, templates, r)))
      : h("p", { class: "card muted", "data-testid": "no-routes" }, t("patrol.no_routes")),
    ctx.canChange ? routeForm(ctx, redraw, templates) : null,
  ];
}
