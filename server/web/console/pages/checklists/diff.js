// What changed between two versions of a template, as a person reads it: items added,
// removed and changed (label, kind, answers offered, limits, what it needs), and the
// template's own title, category, frequency and where it applies. Items are matched by
// their key, which answers are stored under.

import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { categoryName, frequencyText, itemFacts, textOf, typeName, whereText } from "./words.js";

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

// The names of an item's facts (words.js itemFacts), for a changed one.
const FACT_NAMES = {
  help: "checklists.fact_help",
  required: "checklists.fact_required",
  critical: "checklists.fact_critical",
  allow_na: "checklists.fact_allow_na",
  limits: "checklists.fact_limits",
  decimals: "checklists.fact_decimals",
  multiple: "checklists.fact_multiple",
  fail_options: "checklists.fact_fail_options",
  max_length: "checklists.fact_max_length",
  must_not_be_past: "checklists.fact_must_not_be_past",
  min_count: "checklists.fact_min_count",
  prefill: "checklists.fact_prefill",
  evidence: "checklists.fact_evidence",
  show_if: "checklists.fact_show_if",
};

function change(name, before, after) {
  return { name, before: before || t("checklists.none_value"), after: after || t("checklists.none_value") };
}

// The label in both languages: a change to either is a change.
function textChanges(name, before, after) {
  const found = [];
  for (const [lang, suffix] of [["zh-CN", "checklists.in_zh"], ["en", "checklists.in_en"]]) {
    const a = before?.[lang] ?? "";
    const b = after?.[lang] ?? "";
    if (a !== b) found.push(change(`${name}${t(suffix)}`, a, b));
  }
  return found;
}

function optionChanges(before, after, lang) {
  const found = [];
  const old = new Map((before.options ?? []).map((o) => [o.value, o]));
  const now = new Map((after.options ?? []).map((o) => [o.value, o]));
  for (const [value, option] of now) {
    if (!old.has(value)) found.push(change(t("checklists.option_added"), "", textOf(option.label, lang)));
    else if (!same(old.get(value).label, option.label)) {
      found.push(...textChanges(t("checklists.option_label", { option: value }), old.get(value).label, option.label));
    }
  }
  for (const [value, option] of old) {
    if (!now.has(value)) found.push(change(t("checklists.option_removed"), textOf(option.label, lang), ""));
  }
  return found;
}

function itemChanges(before, after, templates, lang) {
  const found = [...textChanges(t("checklists.fact_label"), before.label, after.label)];
  if (before.type !== after.type) found.push(change(t("checklists.fact_type"), typeName(before.type), typeName(after.type)));
  found.push(...optionChanges(before, after, lang));
  const a = itemFacts(before, templates[0], lang);
  const b = itemFacts(after, templates[1], lang);
  for (const [name, key] of Object.entries(FACT_NAMES)) {
    if ((a[name] ?? "") !== (b[name] ?? "")) found.push(change(t(key), a[name], b[name]));
  }
  return found;
}

// The difference from template `a` to template `b` (the API's `template`s).
export function difference(a, b, lang) {
  const general = [
    ...textChanges(t("checklists.fact_title"), a.title, b.title),
    ...textChanges(t("checklists.fact_guidance"), a.guidance, b.guidance),
  ];
  if (a.category !== b.category) general.push(change(t("checklists.category"), categoryName(a.category), categoryName(b.category)));
  if (!same(a.frequency, b.frequency)) general.push(change(t("checklists.frequency"), frequencyText(a.frequency), frequencyText(b.frequency)));
  if (!same(a.applies_to, b.applies_to)) general.push(change(t("checklists.applies_by_default"), whereText(a.applies_to), whereText(b.applies_to)));
  if (!!a.all_ok !== !!b.all_ok) {
    const said = (on) => (on ? t("checklists.all_ok_yes") : t("checklists.all_ok_no"));
    general.push(change(t("checklists.all_ok"), said(a.all_ok), said(b.all_ok)));
  }
  const old = new Map(a.items.map((i) => [i.key, i]));
  const now = new Map(b.items.map((i) => [i.key, i]));
  const added = b.items.filter((i) => !old.has(i.key));
  const removed = a.items.filter((i) => !now.has(i.key));
  const changed = b.items.filter((i) => old.has(i.key))
    .map((item) => ({ item, changes: itemChanges(old.get(item.key), item, [a, b], lang) }))
    .filter((c) => c.changes.length);
  // The items both versions have, in another order.
  const moved = !same(b.items.filter((i) => old.has(i.key)).map((i) => i.key),
    a.items.filter((i) => now.has(i.key)).map((i) => i.key));
  return { general, added, removed, changed, moved };
}

function changeList(changes) {
  return h("ul", { class: "changes" }, changes.map((c) => h("li", { "data-testid": "change" },
    h("span", { class: "change-name" }, c.name), " ",
    h("del", {}, h("span", { class: "sr-only" }, t("checklists.was")), c.before),
    h("span", { "aria-hidden": "true" }, " → "),
    h("ins", {}, h("span", { class: "sr-only" }, t("checklists.now")), c.after))));
}

// The difference drawn: `from` and `to` are the versions' numbers.
export function differenceView(a, b, from, to, lang) {
  const found = difference(a, b, lang);
  const label = (item) => h("span", { lang }, textOf(item.label, lang));
  const nothing = !found.general.length && !found.added.length && !found.removed.length && !found.changed.length && !found.moved;
  return h("div", { class: "difference", "data-testid": "difference" },
    h("p", { class: "muted" }, t("checklists.difference_between", { from, to })),
    nothing ? h("p", { "data-testid": "no-difference" }, t("checklists.no_difference")) : null,
    found.general.length ? h("section", { "data-testid": "changed-general" }, h("h4", {}, t("checklists.changed_general")), changeList(found.general)) : null,
    found.added.length ? h("section", { "data-testid": "items-added" }, h("h4", {}, t("checklists.items_added", { count: found.added.length })),
      h("ul", { class: "diff-items added" }, found.added.map((i) => h("li", { "data-key": i.key }, label(i), " ", h("span", { class: "badge kind" }, typeName(i.type)))))) : null,
    found.removed.length ? h("section", { "data-testid": "items-removed" }, h("h4", {}, t("checklists.items_removed", { count: found.removed.length })),
      h("ul", { class: "diff-items removed" }, found.removed.map((i) => h("li", { "data-key": i.key }, label(i), " ", h("span", { class: "badge kind" }, typeName(i.type)))))) : null,
    found.changed.length ? h("section", { "data-testid": "items-changed" }, h("h4", {}, t("checklists.items_changed", { count: found.changed.length })),
      h("ul", { class: "diff-items changed" }, found.changed.map(({ item, changes }) =>
        h("li", { "data-key": item.key }, label(item), changeList(changes))))) : null,
    found.moved ? h("p", { class: "muted", "data-testid": "items-moved" }, t("checklists.items_moved")) : null);
}
