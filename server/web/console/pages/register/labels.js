// The register's labels: the label stock to print on, which tags (a building or place, a
// category, assets or places), how many labels and pages that makes, the first label as it
// will print, and the PDF. Making a PDF stores nothing, so auditors print labels too.

import * as api from "../../api.js";
import { h, show, useStyles } from "../../dom.js";
import { problemSlot, showProblem } from "../../forms.js";
import { t } from "../../i18n.js";
import { thingPicker } from "./picker.js";

const TARGETS = { all: "labels.targets_all", assets: "labels.targets_assets", locations: "labels.targets_locations" };
// The asset categories the built-in checklists name, with their names; a site may use others.
const CATEGORIES = {
  fire_extinguisher: "labels.category_fire_extinguisher",
  fire_hydrant_box: "labels.category_fire_hydrant_box",
  fire_alarm_panel: "labels.category_fire_alarm_panel",
  emergency_light: "labels.category_emergency_light",
  exit_sign: "labels.category_exit_sign",
  electrical_panel: "labels.category_electrical_panel",
  kitchen_gas: "labels.category_kitchen_gas",
  disinfection_cabinet: "labels.category_disinfection_cabinet",
  refrigerator: "labels.category_refrigerator",
  water_dispenser: "labels.category_water_dispenser",
  playground_equipment: "labels.category_playground_equipment",
  sports_equipment: "labels.category_sports_equipment",
};
const PICKER_WORDS = {
  label: "labels.place_label",
  location: "labels.place_kind",
  placeholder: "labels.place_placeholder",
  search: "labels.place_search",
  searching: "labels.place_searching",
  none: "labels.place_none",
  more: "labels.place_more",
  chosen: "labels.place_chosen",
};

const mm = (value) => String(Number(value.toFixed(1)));

// A preset as a person knows the stock: the paper, how many on a page, each label's size.
function presetName(preset) {
  const size = { width: mm(preset.label_width), height: mm(preset.label_height) };
  if (preset.kind === "roll") return t("labels.preset_roll", size);
  const a4 = preset.page_width === 210 && preset.page_height === 297;
  const paper = a4 ? "A4" : `${mm(preset.page_width)} × ${mm(preset.page_height)} mm`;
  return t("labels.preset_sheet", { paper, columns: preset.columns, rows: preset.rows, count: preset.columns * preset.rows, ...size });
}

// The choices live in the page's address, so switching the language keeps them.
function keepChoices(query) {
  const kept = new URLSearchParams(location.search);
  for (const name of ["preset", "targets", "category", "location_id"]) {
    if (query.get(name)) kept.set(name, query.get(name));
    else kept.delete(name);
  }
  history.replaceState({}, "", `${location.pathname}?${kept}`);
}

async function keptPlace(id) {
  if (!id) return null;
  const place = await api.get(`/api/locations/${encodeURIComponent(id)}`).catch(() => null);
  return place && { kind: "location", id: place.id, name: place.name, number: place.code, place: place.path.slice(0, -1).join(" › ") };
}

export async function draw(ctx) {
  useStyles("register-tags");
  const kept = new URLSearchParams(location.search);
  const [presets, keptThing] = await Promise.all([
    api.get(`/api/sites/${ctx.site.id}/labels/presets`),
    keptPlace(kept.get("location_id")),
  ]);
  const byName = new Map(presets.map((p) => [p.name, p]));
  // Every stock in full (a choice's size is the point of it), rather than a cut-off select.
  const keptPreset = byName.has(kept.get("preset")) ? kept.get("preset") : presets[0].name;
  const stocks = presets.map((p) => h("input", { type: "radio", name: "preset", id: `label-preset-${p.name}`, value: p.name,
    checked: p.name === keptPreset }));
  const preset = {
    get value() {
      return stocks.find((input) => input.checked).value;
    },
  };
  const targets = h("select", { id: "label-targets", name: "targets", "data-testid": "label-targets" },
    Object.entries(TARGETS).map(([value, key]) => h("option", { value, selected: value === kept.get("targets") }, t(key))));
  const category = h("select", { id: "label-category", name: "category", "data-testid": "label-category" },
    h("option", { value: "" }, t("labels.category_any")),
    Object.entries(CATEGORIES).map(([value, key]) => h("option", { value, selected: value === kept.get("category") }, t(key))));
  let ready = false;
  const place = thingPicker(ctx, { id: "label-place", kinds: ["location"], words: PICKER_WORDS, onChoose: () => ready && refresh() });
  if (keptThing) place.show(keptThing);
  ready = true;
  const wholeSchool = h("button", { type: "button", class: "small plain", "data-testid": "label-place-clear", onclick: () => place.clear() },
    t("labels.place_clear"));

  const facts = h("div", { class: "label-facts", "data-testid": "label-plan", "aria-live": "polite" });
  const sample = h("div", { class: "label-sample-box" });
  const download = h("button", { "data-testid": "label-download", disabled: true }, t("labels.download"));
  const form = h("form", { class: "card label-form", "data-testid": "label-form" },
    h("h2", {}, t("labels.choose_title")),
    h("fieldset", { class: "label-stocks", "data-testid": "label-preset" },
      h("legend", {}, t("labels.preset")),
      presets.map((p, i) => h("label", { class: "check", for: stocks[i].id }, stocks[i], presetName(p))),
      problemSlot("preset")),
    h("div", { class: "grid" },
      h("div", {}, h("label", { for: targets.id }, t("labels.targets")), targets, problemSlot("targets")),
      h("div", {}, h("label", { for: category.id }, t("labels.category")), category,
        h("p", { class: "muted small-text" }, t("labels.category_hint")), problemSlot("category"))),
    place.element,
    h("div", { class: "row" }, h("span", { class: "muted small-text" }, t("labels.place_hint")), wholeSchool),
    problemSlot());

  // The request both the plan and the PDF answer, from what is chosen now.
  const chosen = () => {
    const query = new URLSearchParams({ site_id: ctx.site.id, preset: preset.value, targets: targets.value });
    const where = place.chosen();
    if (where) query.set("location_id", where.id);
    if (category.value) query.set("category", category.value);
    return query;
  };
  let shownUrl = null;
  let asked = 0;
  async function refresh() {
    const query = chosen();
    keepChoices(query);
    const ask = ++asked;
    let plan;
    try {
      plan = await api.get(`/api/sites/${ctx.site.id}/labels?${query}`);
    } catch (error) {
      download.disabled = true;
      return showProblem(form, error, ctx.describeError);
    }
    if (ask !== asked) return; // a later choice was made meanwhile
    for (const slot of form.querySelectorAll(".field-problem")) slot.textContent = "";
    const stock = byName.get(preset.value);
    const tooMany = plan.labels > plan.max_labels;
    download.disabled = !plan.labels || tooMany;
    download.dataset.count = plan.labels;
    show(facts,
      h("p", { "data-testid": "label-count", "data-count": plan.labels },
        plan.labels ? t("labels.plan", { count: plan.labels, pages: plan.pages }) : t("labels.plan_none")),
      tooMany ? h("p", { class: "warn" }, t("labels.too_many", { max: plan.max_labels })) : null,
      plan.labels ? null : h("p", {}, h("a", { href: `/console/register?site=${encodeURIComponent(ctx.site.id)}&view=tags` }, t("labels.go_tags"))),
      h("p", { class: "muted small-text" }, t("labels.print_hint")),
      download);
    if (shownUrl) URL.revokeObjectURL(shownUrl);
    shownUrl = null;
    if (!plan.sample_code) return sample.replaceChildren();
    const blob = await api.download(`/api/tags/${encodeURIComponent(plan.sample_code)}/label.png?preset=${encodeURIComponent(preset.value)}`)
      .catch(() => null);
    if (ask !== asked || !blob) return;
    shownUrl = URL.createObjectURL(blob);
    const image = h("img", { class: "label-sample", src: shownUrl, "data-testid": "label-sample", "data-code": plan.sample_code,
      alt: t("labels.sample_alt", { code: plan.sample_code }) });
    // Drawn at the label's printed size.
    image.style.width = `${stock.label_width}mm`;
    sample.replaceChildren(h("p", { class: "muted small-text" }, t("labels.sample")), image);
  }

  download.addEventListener("click", async () => {
    download.disabled = true;
    const busy = h("p", { class: "muted", "data-testid": "label-busy" }, t("labels.making"));
    facts.append(busy);
    try {
      const blob = await api.download(`/api/labels.pdf?${chosen()}`);
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: `labels-${preset.value}.pdf`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      // The browser has the file once the click is handled; the address is let go later.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      showProblem(form, error, ctx.describeError);
    }
    busy.remove();
    download.disabled = false;
  });
  for (const input of [...stocks, targets, category]) input.addEventListener("change", refresh);
  form.addEventListener("submit", (event) => event.preventDefault());
  await refresh();
  return [
    h("p", { class: "card muted" }, t("labels.intro")),
    form,
    h("section", { class: "card", "data-testid": "label-preview" },
      h("h2", {}, t("labels.preview_title")),
      h("div", { class: "label-preview" }, facts, sample)),
  ];
}
