// Where one checklist applies at this site: the template's own answer (asset categories
// and location kinds), or the site's, or not at all. Admins and managers change it; the
// phones are sent the change with their next sync.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { problemSlot, showProblem } from "../../forms.js";
import { t } from "../../i18n.js";
import { ASSET_CATEGORIES, LOCATION_KINDS, assetCategoryName, kindName, whereText } from "./words.js";

// The site's rule in words, for the list and for those who only read it.
export function ruleText(rule) {
  if (!rule) return "";
  return rule.enabled ? whereText(rule) : t("checklists.off_here");
}

function checkbox(id, value, text, checked) {
  return h("label", { class: "check", for: id },
    h("input", { type: "checkbox", id, value, checked }), text);
}

// `rule`: the site's SiteChecklistOut for the template; `template`: its latest version's.
export function ruleForm(rule, template, ctx, redraw) {
  const { site, describeError } = ctx;
  const path = `/api/sites/${site.id}/checklists/${encodeURIComponent(rule.template_key)}`;
  const enabled = h("input", { type: "checkbox", id: "rule-enabled", checked: rule.enabled, "data-testid": "rule-enabled" });
  // The library's categories, and any other the template or the site's rule names.
  const categories = [...new Set([...Object.keys(ASSET_CATEGORIES), ...template.applies_to.asset_categories, ...rule.asset_categories])];
  const categoryBoxes = categories.map((c) => checkbox(`rule-category-${c}`, c, assetCategoryName(c), rule.asset_categories.includes(c)));
  const more = h("input", { id: "rule-more", name: "more", autocomplete: "off", "data-testid": "rule-more", placeholder: "swimming_pool" });
  const kindBoxes = Object.keys(LOCATION_KINDS).map((k) => checkbox(`rule-kind-${k}`, k, kindName(k), rule.location_kinds.includes(k)));
  const ticked = (boxes) => boxes.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => i.value);

  const form = h("form", { class: "rule-form", "data-testid": "rule-form" },
    h("label", { class: "check", for: enabled.id }, enabled, t("checklists.rule_enabled")),
    h("fieldset", { "data-testid": "rule-categories" }, h("legend", {}, t("checklists.rule_categories")),
      h("div", { class: "checks" }, categoryBoxes),
      h("label", { for: more.id }, t("checklists.rule_more")), more,
      problemSlot("asset_categories")),
    h("fieldset", { "data-testid": "rule-kinds" }, h("legend", {}, t("checklists.rule_kinds")),
      h("div", { class: "checks" }, kindBoxes), problemSlot("location_kinds")),
    h("div", { class: "row" },
      h("button", { "data-testid": "save-rule" }, t("checklists.rule_save")),
      rule.overridden
        ? h("button", { type: "button", class: "plain", "data-testid": "reset-rule", onclick: async () => {
          try {
            await api.remove(path);
          } catch (error) {
            return showProblem(form, error, describeError);
          }
          await redraw(t("checklists.rule_reset_done"));
        } }, t("checklists.rule_reset"))
        : null),
    problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = more.value.split(/[,，、\s]+/).map((c) => c.trim()).filter(Boolean);
    const body = {
      enabled: enabled.checked,
      asset_categories: [...new Set([...ticked(categoryBoxes), ...typed])],
      location_kinds: ticked(kindBoxes),
      version: rule.version,
    };
    try {
      await api.put(path, body);
    } catch (error) {
      if (error.code === "site_checklist.version_conflict") return redraw(t("checklists.rule_stale"), true);
      // The server names the one category it refused ("asset_categories[2]"): the
      // sentence is about the list's field.
      if (/^asset_categories\[\d+\]$/.test(error.field ?? "")) error.field = "asset_categories";
      return showProblem(form, error, describeError);
    }
    await redraw(t("checklists.rule_saved"));
  });
  return form;
}

// What an auditor reads instead of the form.
export function ruleReadOnly(rule) {
  return h("p", { "data-testid": "rule-text" }, ruleText(rule), " ",
    h("span", { class: "muted" }, rule.overridden ? t("checklists.rule_own") : t("checklists.rule_default")));
}
