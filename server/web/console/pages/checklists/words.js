// A checklist template in words: the names of its kinds, categories and frequencies, and
// what each item asks, for the template page and the difference between two versions.
// The template's own texts are in the language chosen for it (`lang`); the words around
// them are `say`'s (the console's `t`, or the template's language's, as a phone in that
// language shows them).

import { t } from "../../i18n.js";
import { PLACE_KINDS } from "../../kinds.js";

// The item kinds of the template language (checklists/templates.py).
const ITEM_TYPES = {
  check: "checklists.type_check",
  number: "checklists.type_number",
  choice: "checklists.type_choice",
  text: "checklists.type_text",
  date: "checklists.type_date",
  photo: "checklists.type_photo",
  signature: "checklists.type_signature",
};

// The built-in library's categories; an organization's own may name others.
const CATEGORIES = {
  fire: "checklists.category_fire",
  electrical: "checklists.category_electrical",
  kitchen: "checklists.category_kitchen",
  building: "checklists.category_building",
  playground: "checklists.category_playground",
  sports: "checklists.category_sports",
  water: "checklists.category_water",
  gate: "checklists.category_gate",
};

// The asset categories the built-in checklists name; a site may add others.
export const ASSET_CATEGORIES = {
  fire_extinguisher: "checklists.asset_fire_extinguisher",
  fire_hydrant_box: "checklists.asset_fire_hydrant_box",
  fire_alarm_panel: "checklists.asset_fire_alarm_panel",
  emergency_light: "checklists.asset_emergency_light",
  exit_sign: "checklists.asset_exit_sign",
  electrical_panel: "checklists.asset_electrical_panel",
  kitchen_gas: "checklists.asset_kitchen_gas",
  disinfection_cabinet: "checklists.asset_disinfection_cabinet",
  refrigerator: "checklists.asset_refrigerator",
  water_dispenser: "checklists.asset_water_dispenser",
  playground_equipment: "checklists.asset_playground_equipment",
  sports_equipment: "checklists.asset_sports_equipment",
};

// The location kinds a checklist may apply to (checklists/templates.py LocationKind).
export const LOCATION_KINDS = { ...PLACE_KINDS, other: "checklists.kind_other" };

const FREQUENCIES = {
  daily: "checklists.every_daily",
  weekly: "checklists.every_weekly",
  monthly: "checklists.every_monthly",
  per_term: "checklists.every_per_term",
  yearly: "checklists.every_yearly",
  on_demand: "checklists.every_on_demand",
};

// ISO weekdays: 1 is Monday.
const WEEKDAYS = [null, "checklists.weekday_1", "checklists.weekday_2", "checklists.weekday_3",
  "checklists.weekday_4", "checklists.weekday_5", "checklists.weekday_6", "checklists.weekday_7"];

const CHECK_ANSWERS = {
  pass: "checklists.answer_pass",
  fail: "checklists.answer_fail",
  na: "checklists.answer_na",
};

const PREFILL_FIELDS = {
  serial_number: "checklists.prefill_serial_number",
  asset_number: "checklists.prefill_asset_number",
};

// The attributes the register keeps for assets (its form and its import's columns), by
// name; another attribute is shown as it is spelt.
const ATTRIBUTES = {
  expiry_date: "checklists.attribute_expiry_date",
  manufacture_date: "checklists.attribute_manufacture_date",
  purchase_date: "checklists.attribute_purchase_date",
  model: "checklists.attribute_model",
};

const named = (table, value, say) => (table[value] ? say(table[value]) : value);

export const categoryName = (category, say = t) => named(CATEGORIES, category, say);
export const assetCategoryName = (category, say = t) => named(ASSET_CATEGORIES, category, say);
export const kindName = (kind, say = t) => named(LOCATION_KINDS, kind, say);
export const typeName = (type, say = t) => named(ITEM_TYPES, type, say);

export function textOf(text, lang) {
  if (!text) return "";
  return lang === "en" ? text.en : text["zh-CN"];
}

function listed(values, say) {
  return values.join(say("list.separator"));
}

export function frequencyText(frequency, say = t) {
  if (!frequency) return "";
  if (frequency.every === "weekly" && frequency.weekday) {
    return say("checklists.every_weekly_on", { day: say(WEEKDAYS[frequency.weekday]) });
  }
  if (frequency.every === "per_term") return say(FREQUENCIES.per_term, { times: frequency.times });
  return named(FREQUENCIES, frequency.every, say);
}

// Where a template (or a site's rule) applies, in words.
export function whereText({ asset_categories: categories = [], location_kinds: kinds = [] }, say = t) {
  const parts = [];
  if (categories.length) parts.push(say("checklists.where_assets", { names: listed(categories.map((c) => assetCategoryName(c, say)), say) }));
  if (kinds.length) parts.push(say("checklists.where_places", { names: listed(kinds.map((k) => kindName(k, say)), say) }));
  return parts.length ? parts.join(say("checklists.where_and")) : say("checklists.where_nothing");
}

function optionLabel(item, value, lang) {
  const option = item.options?.find((o) => o.value === value);
  return option ? textOf(option.label, lang) : value;
}

function present(value) {
  return value !== null && value !== undefined;
}

// What an item asks beyond its label, one line each, keyed by the field it comes from
// (the difference between versions compares them field by field).
export function itemFacts(item, template, lang, say = t) {
  const facts = {};
  if (item.help) facts.help = textOf(item.help, lang);
  if (item.required_when === "failure") facts.required = say("checklists.required_on_failure");
  else facts.required = item.required === false ? say("checklists.optional") : say("checklists.required");
  if (item.critical) facts.critical = say("checklists.critical");
  if (item.type === "check") facts.allow_na = item.allow_na === false ? say("checklists.no_na") : say("checklists.with_na");
  if (item.type === "number") {
    const unit = item.unit ? ` ${item.unit}` : "";
    if (present(item.min) && present(item.max)) facts.limits = say("checklists.range_both", { min: item.min, max: item.max, unit });
    else if (present(item.min)) facts.limits = say("checklists.range_min", { min: item.min, unit });
    else if (present(item.max)) facts.limits = say("checklists.range_max", { max: item.max, unit });
    else if (item.unit) facts.limits = say("checklists.unit_only", { unit: item.unit });
    facts.decimals = item.decimals ? say("checklists.decimals", { decimals: item.decimals }) : say("checklists.whole_numbers");
  }
  if (item.type === "choice") {
    facts.multiple = item.multiple ? say("checklists.multiple") : say("checklists.single");
    if (item.fail_options?.length) {
      facts.fail_options = say("checklists.fails_on", { options: listed(item.fail_options.map((v) => optionLabel(item, v, lang)), say) });
    }
  }
  if (item.type === "text" && item.max_length && item.max_length !== 2000) facts.max_length = say("checklists.max_length", { count: item.max_length });
  if (item.type === "date" && item.must_not_be_past) facts.must_not_be_past = say("checklists.not_past");
  if (item.type === "photo" && item.min_count > 1) facts.min_count = say("checklists.min_photos", { count: item.min_count });
  if (item.prefill) {
    const source = item.prefill.attribute
      ? say("checklists.prefill_attribute", { name: named(ATTRIBUTES, item.prefill.attribute, say) })
      : named(PREFILL_FIELDS, item.prefill.field, say);
    facts.prefill = say("checklists.prefilled_from", { source });
  }
  if (item.evidence && (item.evidence.photo || item.evidence.note)) {
    const need = (what, level) => level && say(level === "required" ? "checklists.evidence_required" : "checklists.evidence_optional", { what });
    facts.evidence = say("checklists.on_failure_asks", {
      what: listed([need(say("checklists.evidence_photo"), item.evidence.photo), need(say("checklists.evidence_note"), item.evidence.note)].filter(Boolean), say),
    });
  }
  if (item.show_if) {
    const earlier = template.items.find((i) => i.key === item.show_if.item);
    const values = item.show_if.in ?? (present(item.show_if.equals) ? [item.show_if.equals] : []);
    const answer = (v) => (earlier?.type === "check" ? named(CHECK_ANSWERS, v, say) : optionLabel(earlier ?? {}, v, lang));
    facts.show_if = say("checklists.shown_when", {
      item: earlier ? textOf(earlier.label, lang) : item.show_if.item,
      answers: listed(values.map(answer), say),
    });
  }
  return facts;
}
