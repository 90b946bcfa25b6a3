// One version of a template as a phone in the chosen language shows it: each item in
// order with its label and kind, the answers it offers (failing ones marked), its limits,
// hint, what is taken from the asset's record, and what it asks for when it fails. Read
// only: nothing here is answered.

import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { categoryName, frequencyText, itemFacts, textOf, typeName, whereText } from "./words.js";

// The facts shown under an item, in the order a person reads them.
const FACT_ORDER = ["help", "required", "critical", "limits", "decimals", "multiple", "fail_options",
  "allow_na", "max_length", "must_not_be_past", "min_count", "prefill", "evidence", "show_if"];

// The answers an item offers, as the phone's buttons; the failing ones marked.
function answers(item, lang, say) {
  let offered = [];
  if (item.type === "check") {
    offered = [
      { label: say("checklists.answer_pass"), fails: false },
      // "Fail" says it already.
      { label: say("checklists.answer_fail"), fails: true, said: true },
    ];
    if (item.allow_na !== false) offered.push({ label: say("checklists.answer_na"), fails: false });
  } else if (item.type === "choice") {
    const failing = new Set(item.fail_options ?? []);
    offered = item.options.map((o) => ({ label: textOf(o.label, lang), fails: failing.has(o.value), value: o.value }));
  } else {
    return null;
  }
  return h("ul", { class: "answers", "aria-label": say("checklists.answers") },
    offered.map((o) => h("li", { class: o.fails ? "answer fails" : "answer", "data-value": o.value ?? null },
      o.label, o.fails && !o.said ? h("span", { class: "sr-only" }, ` (${say("checklists.fails")})`) : null)));
}

function itemBlock(item, index, template, lang, say) {
  const facts = itemFacts(item, template, lang, say);
  // What the phone shows anyway is not said again: the required mark, one answer, the
  // n/a button.
  if (item.required !== false && !item.required_when) delete facts.required;
  if (!item.multiple) delete facts.multiple;
  delete facts.allow_na;
  return h("li", { class: "item", "data-testid": "item", "data-key": item.key, "data-type": item.type },
    h("div", { class: "item-head" },
      h("span", { class: "item-number" }, `${index + 1}.`),
      h("span", { class: "item-label", "data-testid": "item-label" }, textOf(item.label, lang)),
      item.required === false || item.required_when ? null : h("span", { class: "required", title: say("checklists.required") }, "*"),
      h("span", { class: "badge kind" }, typeName(item.type, say)),
      item.critical ? h("span", { class: "badge badge-warn" }, say("checklists.critical")) : null,
      h("code", { class: "item-key muted" }, item.key)),
    answers(item, lang, say),
    h("ul", { class: "facts" },
      FACT_ORDER.filter((name) => facts[name] && name !== "critical")
        .map((name) => h("li", { class: name === "help" ? "help" : null, "data-fact": name }, facts[name]))));
}

// `version`: the API's TemplateVersionOut; `lang`: the language of the template's texts,
// and `say` the words around them in that language (the console's `t` when it is the
// console's).
export function templateView(version, lang, say = t) {
  const template = version.template;
  const meta = [
    [say("checklists.category"), categoryName(template.category, say)],
    [say("checklists.frequency"), frequencyText(template.frequency, say)],
    [say("checklists.applies_by_default"), whereText(template.applies_to, say)],
    [say("checklists.all_ok"), template.all_ok ? say("checklists.all_ok_yes") : say("checklists.all_ok_no")],
  ];
  return h("div", { class: "template-view", lang, "data-testid": "template-view", "data-version": version.version },
    h("h3", { class: "template-title", "data-testid": "template-title" }, textOf(template.title, lang)),
    h("dl", { class: "template-meta" }, meta.map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, value)))),
    template.guidance ? h("p", { class: "guidance" }, textOf(template.guidance, lang)) : null,
    h("ol", { class: "items", "data-testid": "items" }, template.items.map((item, i) => itemBlock(item, i, template, lang, say))));
}
