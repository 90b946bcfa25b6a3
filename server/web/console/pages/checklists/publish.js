// Publishing a template: its file (YAML or JSON) loaded from the computer or edited here,
// checked by the server first (every problem listed by where it is, e.g. items[3].options)
// and published only when it has none. A published version never changes: publishing
// makes the next one, and the old ones stay readable.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { problemSlot, showProblem } from "../../forms.js";
import { t } from "../../i18n.js";
import { textOf } from "./words.js";

// What each of the template checker's problem codes means (checklists/consistency.py and
// checklists/decoding.py); the checker's own reason, in English, is shown beside it.
const PROBLEMS = {
  "template.invalid": "checklists.problem_invalid",
  "template.malformed": "checklists.problem_malformed",
  "template.bad_format": "checklists.problem_bad_format",
  "template.bad_key": "checklists.problem_bad_key",
  "template.bad_version": "checklists.problem_bad_version",
  "template.blank_text": "checklists.problem_blank_text",
  "template.applies_to_nothing": "checklists.problem_applies_to_nothing",
  "template.duplicate_value": "checklists.problem_duplicate_value",
  "template.bad_frequency": "checklists.problem_bad_frequency",
  "template.no_items": "checklists.problem_no_items",
  "template.duplicate_item_key": "checklists.problem_duplicate_item_key",
  "template.not_all_ok": "checklists.problem_not_all_ok",
  "template.bad_prefill": "checklists.problem_bad_prefill",
  "template.bad_required_when": "checklists.problem_bad_required_when",
  "template.bad_evidence": "checklists.problem_bad_evidence",
  "template.bad_bound": "checklists.problem_bad_bound",
  "template.min_above_max": "checklists.problem_min_above_max",
  "template.no_options": "checklists.problem_no_options",
  "template.unknown_option": "checklists.problem_unknown_option",
  "template.bad_condition": "checklists.problem_bad_condition",
  "template.condition_not_earlier": "checklists.problem_condition_not_earlier",
  "template.unknown_item": "checklists.problem_unknown_item",
  "template.condition_item_type": "checklists.problem_condition_item_type",
  "template.condition_value": "checklists.problem_condition_value",
};

// A new template starts from a small example in the template language.
const EXAMPLE = `key: stairwell_weekly
version: 1
title: {zh-CN: "楼梯间每周检查", en: "Stairwell weekly check"}
category: building
applies_to: {location_kinds: [stairwell]}
frequency: {every: weekly}
all_ok: true
items:
  - type: check
    key: lights
    label: {zh-CN: "照明灯具完好", en: "Lights work"}
    evidence: {photo: optional, note: optional}
  - type: photo
    key: photo
    label: {zh-CN: "现场照片", en: "Photo on site"}
    required_when: failure
`;

const TYPES = { json: "application/json", yaml: "application/yaml" };

// The item a problem's path is in ("items[3].options": the fourth), named by its label
// when the text can be read here (JSON); YAML is read by the server only.
function whereIn(path, text, format, lang) {
  const found = /^items\[(\d+)\]/.exec(path);
  if (!found) return "";
  const index = Number(found[1]);
  let label = "";
  if (format === "json") {
    try {
      label = textOf(JSON.parse(text).items?.[index]?.label, lang) ?? "";
    } catch {
      label = "";
    }
  }
  return label ? t("checklists.problem_item_named", { number: index + 1, label }) : t("checklists.problem_item", { number: index + 1 });
}

// `current`: the version being changed (the API's TemplateVersionOut), or null for a new
// template. `draft`: what was typed before the page was drawn again (another version or
// language shown), kept in it through `onDraft`; `notice`: a line to show first.
// `onPublished(published)` after a new version; `onStale(latest)` when someone published
// another version of it since it was loaded.
export function publishForm(current, ctx, { lang, draft, notice, onDraft, onPublished, onStale }) {
  const format = h("select", { id: "template-format", name: "format", "data-testid": "template-format" },
    h("option", { value: "json", selected: !!current }, "JSON"),
    h("option", { value: "yaml", selected: !current }, "YAML"));
  const body = h("textarea", { id: "template-body", name: "body", class: "code template-body", rows: 22, spellcheck: "false", "data-testid": "template-body" });
  // Fields left at nothing are left out: the file reads as one would write it.
  body.value = current ? JSON.stringify(current.template, (_, v) => (v === null ? undefined : v), 2) : EXAMPLE;
  if (draft) {
    body.value = draft.text;
    format.value = draft.format;
  }
  const keep = () => onDraft({ text: body.value, format: format.value });
  body.addEventListener("input", keep);
  format.addEventListener("change", keep);
  // The browser's own file button speaks the browser's language: it is hidden (still
  // reached with Tab) behind a label in the person's.
  const file = h("input", { id: "template-file", type: "file", class: "sr-only", accept: ".yaml,.yml,.json,application/json,application/yaml,text/yaml", "data-testid": "template-file" });
  const chosenName = h("span", { class: "muted" }, t("checklists.no_file"));
  file.addEventListener("change", async () => {
    const chosen = file.files[0];
    if (!chosen) return;
    body.value = await chosen.text();
    format.value = /\.json$/i.test(chosen.name) ? "json" : "yaml";
    chosenName.textContent = chosen.name;
    keep();
    outcome.replaceChildren(h("p", { class: "muted" }, t("checklists.file_loaded", { name: chosen.name })));
  });
  const outcome = h("div", { class: "check-outcome", "data-testid": "check-outcome", role: "status" },
    notice ? h("p", { class: "warn" }, notice) : null);
  const refusal = problemSlot();

  const problemsList = (checked) => h("div", { class: "warn", role: "alert" },
    h("p", {}, t("checklists.problems_found", { count: checked.problems.length })),
    h("ul", { class: "template-problems", "data-testid": "template-problems" }, checked.problems.map((p) =>
      h("li", { "data-testid": "template-problem", "data-path": p.path },
        h("code", { class: "problem-path" }, p.path || t("checklists.problem_whole")), " ",
        whereIn(p.path, body.value, format.value, lang), " ",
        h("span", {}, PROBLEMS[p.code] ? t(PROBLEMS[p.code]) : p.code),
        h("span", { class: "problem-reason muted", lang: "en" }, p.reason)))));

  // The server's answer to the text as it is now; null when it may not be published.
  const check = async () => {
    const checked = await api.upload(`/api/templates/check?format=${format.value}`, new Blob([body.value]), TYPES[format.value]);
    if (!checked.valid) {
      outcome.replaceChildren(problemsList(checked));
      return null;
    }
    if (current && checked.key === current.key && checked.latest !== current.versions.at(-1)) {
      onStale(checked.latest);
      return null;
    }
    let said;
    if (!checked.changed) said = t("checklists.check_unchanged", { version: checked.latest });
    else if (current && checked.key !== current.key) said = t("checklists.check_other_key", { key: checked.key, version: checked.version });
    else said = t("checklists.check_ok", { key: checked.key, version: checked.version });
    outcome.replaceChildren(h("p", { class: checked.changed ? "ok" : "muted", "data-testid": "check-ok" }, said));
    return checked;
  };

  const form = h("form", { class: "publish-form", "data-testid": "publish-form" },
    h("div", { class: "publish-source" },
      h("div", {}, h("span", { class: "field-name", "aria-hidden": "true" }, t("checklists.load_file")),
        h("div", { class: "file-choice" }, file,
          h("label", { for: file.id, class: "button plain" }, t("checklists.choose_file"),
            h("span", { class: "sr-only" }, ` ${t("checklists.load_file")}`)),
          chosenName)),
      h("div", {}, h("label", { for: format.id }, t("checklists.format")), format)),
    h("label", { for: body.id }, current ? t("checklists.body_of", { version: current.version }) : t("checklists.body_new")),
    body,
    h("p", { class: "muted small-text" }, t("checklists.publish_hint")),
    outcome,
    h("div", { class: "row" },
      h("button", { type: "button", class: "plain", "data-testid": "check-template", onclick: async () => {
        try {
          await check();
        } catch (error) {
          showProblem(form, error, ctx.describeError);
        }
      } }, t("checklists.check")),
      h("button", { "data-testid": "publish-template" }, t("checklists.publish"))),
    refusal);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    refusal.textContent = "";
    try {
      const checked = await check();
      if (!checked || !checked.changed) return;
      const published = await api.upload(`/api/templates?format=${format.value}`, new Blob([body.value]), TYPES[format.value]);
      await onPublished(published);
    } catch (error) {
      showProblem(form, error, ctx.describeError);
    }
  });
  return form;
}
