// The target page of a tag and the checklist and report forms opened from it, all from the
// phone's own copy of the pulled data, so they work the same offline.

import { formatCode, InvalidTagCode, normalizeCode } from "./codes.js";
import { h, show } from "./dom.js";
import { label, nameOf, pathText, pick, t } from "./i18n.js";
import { backButton, formatTime, go } from "./nav.js";
import * as store from "./store.js";
import { describeTarget } from "./target.js";

export function codeError(error) {
  return error instanceof InvalidTagCode ? t(`code.${error.reason}`, error.vars) : String(error);
}

export function codeForm() {
  const error = h("p", { class: "warn", "data-testid": "code-error", role: "alert" });
  const input = h("input", {
    id: "code",
    name: "code",
    inputmode: "text",
    autocapitalize: "characters",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: t("home.code_placeholder"),
    "data-testid": "code-input",
  });
  const form = h(
    "form",
    { class: "card" },
    h("h1", {}, t("home.title")),
    h("label", { for: "code" }, t("home.code_label")),
    input,
    h("button", { class: "wide", "data-testid": "code-submit" }, t("home.open")),
    error,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!input.value.trim()) {
      error.textContent = t("code.empty");
      return;
    }
    try {
      go(`/t/${normalizeCode(input.value)}`);
    } catch (problem) {
      error.textContent = codeError(problem);
    }
  });
  return form;
}

// Only what the page shows is read (store.targetRecords): never the site's whole list of
// places, people or assets; for a form, only the thing and its checklists.
async function loadTarget(code, surroundings) {
  const found = await store.targetRecords(code, { surroundings });
  if (!found) return null;
  const people = found.keeper ? [found.keeper] : [];
  return { ...found, target: describeTarget({ ...found, people }) };
}

// Where a checklist's unfinished answers are kept (store.js drafts), per tag and checklist.
export function formDraftKey(code, key) {
  return `${code}|${key}`;
}

// The records of the tag URL the app was opened on, read while its strings load (main.js);
// used once, by the first drawing of that page.
let early = null;
export function readEarly(rawCode, { checklist, report } = {}) {
  // The database first: opening it is the longest wait.
  try {
    const code = normalizeCode(rawCode);
    const surroundings = !checklist && !report;
    early = { code, surroundings, loaded: loadTarget(code, surroundings) };
    // The checklist's draft is read alongside, not after the form's module is loaded.
    if (checklist) {
      early.draft = { key: checklist, read: store.getDraft(formDraftKey(code, checklist)) };
      early.draft.read.catch(() => null); // a failed read is reported where it is used
    }
  } catch (problem) {
    if (!(problem instanceof InvalidTagCode)) throw problem;
  }
  // The forms' modules are loaded when a form is opened; the URL says so already. The
  // form's own imports are asked for alongside, not after form.js has arrived.
  if (checklist) {
    for (const load of [import("./form.js"), import("./checklist.js"), import("./photos.js")]) {
      load.catch(() => null);
    }
  }
  if (report) import("./report.js").catch(() => null);
}

// Resolves once the browser has painted the next frame (a task queued from the frame runs
// after its paint): work that can wait does not hold back what the person came for.
export function afterPaint() {
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve));
    // A hidden page paints no frames.
    if (document.hidden) setTimeout(resolve, 100);
  });
}

// A section of the target page drawn after the rest: the checklists are painted first, and
// what is due and the recent results (whose modules and records take longer to read) take
// their place as soon as they are ready.
function later(load) {
  const slot = h("div", { hidden: true });
  afterPaint().then(load).then(
    (section) => (section ? slot.replaceWith(section) : slot.remove()),
    (error) => {
      slot.remove();
      console.error(error);
    },
  );
  return slot;
}

function tagNote(tag) {
  if (tag.status === "replaced") {
    return h("p", { class: "card note" }, t("target.replaced"));
  }
  if (tag.status === "retired") return h("p", { class: "card note" }, t("target.retired"));
  return null;
}

function targetName(target) {
  return nameOf(target.kind === "asset" ? target.asset : target.location);
}

async function renderReport(view, code, siteId, target, onSaved) {
  const { reportForm } = await import("./report.js");
  const where = targetName(target);
  const parts = reportForm({ target, siteId, onDone: () => onSaved(code, t("report.submitted")) });
  show(view, h("p", { class: "muted" }, where), ...parts,
    h("button", { type: "button", class: "wide plain", "data-testid": "back", onclick: () => go(`/t/${code}`) },
      t("target.back")));
}

async function renderChecklist(view, code, found, target, key, onSaved, draft) {
  const record = found.templates.find((r) => r.key === key);
  const back = () => go(`/t/${code}`);
  if (!record || !target.checklists.some((c) => c.key === key)) {
    show(view, h("div", { class: "card" }, h("p", { class: "warn" }, t("form.not_applicable"))), backButton());
    return;
  }
  const where = targetName(target);
  const read = draft ?? store.getDraft(formDraftKey(code, key));
  const { checklistForm } = await import("./form.js");
  const parts = await checklistForm({
    draft: read,
    template: record.template,
    target,
    siteId: found.tag.site_id,
    code,
    onDone: () => onSaved(code, t("form.submitted")),
  });
  show(view, h("p", { class: "muted" }, where), ...parts,
    h("button", { type: "button", class: "wide plain", "data-testid": "back", onclick: back }, t("target.back")));
}

export async function renderTarget(view, { code: rawCode, checklist, report, onSaved }) {
  let code;
  try {
    code = normalizeCode(rawCode);
  } catch (problem) {
    show(view, h("div", { class: "card" },
      h("h1", {}, t("target.invalid")),
      h("p", { class: "code" }, rawCode),
      h("p", { class: "warn", "data-testid": "code-error" }, codeError(problem)),
    ), backButton());
    return;
  }
  // The early read serves the same page: a form's has less than the target page needs.
  const surroundings = !checklist && !report;
  const mine = early?.code === code && early.surroundings === surroundings ? early : null;
  early = null;
  const loaded = await (mine ? mine.loaded : loadTarget(code, surroundings));
  const target = loaded?.target;
  if (target?.kind && checklist) {
    const draft = mine?.draft?.key === checklist ? mine.draft.read : null;
    return renderChecklist(view, code, loaded, target, checklist, onSaved, draft);
  }
  if (target?.kind && report) return renderReport(view, code, target.tag.site_id, target, onSaved);
  const tagLine = h("p", { class: "muted" }, `${t("target.tag")} `, h("span", { class: "code" }, formatCode(code)));
  if (!target || !target.kind) {
    show(view, h("div", { class: "card", "data-testid": "not-found" },
      tagLine, h("h1", {}, t("target.not_found")), h("p", { class: "muted" }, t("target.not_found_hint")),
    ), codeForm(), backButton());
    return;
  }
  const none = t("none");
  const path = pathText(target.path) || none;
  let title;
  let rows;
  if (target.kind === "asset") {
    const asset = target.asset;
    title = nameOf(asset);
    rows = [
      ["target.category", label("category", asset.category), "target-category"],
      ["target.location", path, "target-location"],
      ["target.asset_number", asset.asset_number || none, "target-asset-number"],
      ["target.keeper", target.keeper?.name ?? none, "target-keeper"],
      ["target.status", label("status", asset.status), "target-status"],
    ];
  } else {
    const place = target.location;
    title = nameOf(place);
    rows = [
      ["target.kind", label("kind", place.kind), "target-kind"],
      ["target.location", path, "target-location"],
      ["target.room_code", place.code || none, "target-room-code"],
    ];
  }
  const findings = target.findings.map((f) =>
    h("li", { "data-testid": "finding" },
      h("div", {}, f.label ? pick(f.label["zh-CN"], f.label.en) : f.item_key),
      h("div", { class: f.severity === "high" ? "sev-high" : "muted" },
        t("target.finding_observed", { severity: t(`severity.${f.severity}`), date: formatTime(f.observed_at) })),
    ),
  );
  const checklists = target.checklists.map((template) =>
    h("li", { "data-testid": "checklist", "data-key": template.key },
      h("button", { type: "button", class: "link", onclick: () => go(`/t/${code}?checklist=${template.key}`) },
        pick(template.title["zh-CN"], template.title.en))),
  );
  show(
    view,
    tagNote(target.tag),
    h("div", { class: "card", "data-testid": "target" },
      tagLine,
      h("h1", { "data-testid": "target-title" }, title),
      h("dl", {}, rows.map(([key, value, id]) => [h("dt", {}, t(key)), h("dd", { "data-testid": id }, value)])),
    ),
    // What the person came to do first; the sections drawn later come below it, so the
    // list does not move under a finger when they arrive.
    h("section", { class: "card" }, h("h2", {}, t("target.checklists")),
      checklists.length ? h("ul", { class: "list" }, checklists) : h("p", { class: "muted" }, t("target.no_checklists"))),
    later(async () => (await import("./due.js")).dueSection(target)),
    h("section", { class: "card" }, h("h2", {}, t("target.findings")),
      findings.length ? h("ul", { class: "list" }, findings) : h("p", { class: "muted" }, t("target.no_findings"))),
    later(async () => (await import("./results.js")).resultsSection(target)),
    h("section", { class: "card" },
      h("button", { type: "button", class: "wide", "data-testid": "report-open", onclick: () => go(`/t/${code}?report=1`) },
        t("report.open"))),
    backButton(),
  );
}
