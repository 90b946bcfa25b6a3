// The target page of a tag and the checklist and report forms opened from it, all from the
// phone's own copy of the pulled data, so they work the same offline.

import { formatCode, InvalidTagCode, normalizeCode } from "./codes.js";
import { h, show } from "./dom.js";
import { label, nameOf, pathText, pick, t } from "./i18n.js";
import { backButton, formatTime, go, render } from "./nav.js";
import { readsOnlyAt } from "./roles.js";
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
  const parts = reportForm({ target, siteId, onDone: () => onSaved(code, "report.submitted") });
  show(view, h("p", { class: "muted" }, where), ...parts,
    h("button", { type: "button", class: "wide plain", "data-testid": "back", onclick: () => leaveForm(code) },
      t("target.back")));
}

// `chosen`: opened from a patrol round's checkpoint, whose checklist the route names for it
// whatever the thing's kind (the manager chose it for that place).
async function renderChecklist(view, code, found, target, key, onSaved, draft, chosen = false) {
  const record = found.templates.find((r) => r.key === key);
  const back = () => leaveForm(code);
  if (!record || (!chosen && !target.checklists.some((c) => c.key === key))) {
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
    onDone: () => onSaved(code, "form.submitted"),
  });
  show(view, h("p", { class: "muted" }, where), ...parts,
    h("button", { type: "button", class: "wide plain", "data-testid": "back", onclick: back }, t("target.back")));
}

// What applies to the thing, for a person who only reads: the checklists' names, no forms.
function readOnlyChecklists(target) {
  return h("section", { class: "card", "data-testid": "read-only" }, h("h2", {}, t("target.checklists")),
    target.checklists.length
      ? h("ul", { class: "list" }, target.checklists.map((template) =>
        h("li", { "data-testid": "checklist-read-only", "data-key": template.key }, pick(template.title["zh-CN"], template.title.en))))
      : h("p", { class: "muted" }, t("target.no_checklists")),
    h("p", { class: "muted" }, t("target.read_only")));
}

// A form opened from the tag page goes back to it when done (leaveForm): the page is then
// not in the history twice, and one Back leaves it. Only while the page that opened it is
// loaded: after a reload, the entry before may be another document's.
let opened = null;

// Also from a patrol round's checkpoint (patrolwalk.js): done, the form goes back there.
export function openForm(code, query) {
  opened = `/t/${code}${query}`;
  history.pushState({ inApp: true, formOf: code }, "", opened);
  return render();
}

// Back from a form (done, or Back pressed) to its tag page; resolves once that is the URL.
export function leaveForm(code) {
  if (history.state?.formOf !== code || opened !== location.pathname + location.search) {
    history.replaceState({ inApp: true }, "", `/t/${code}`);
    return render();
  }
  return new Promise((resolve) => {
    window.addEventListener("popstate", resolve, { once: true });
    history.back();
  });
}

// The checklists are the page's main buttons. With more than one, what is due on the thing
// is worked out after the first paint: the due ones are marked, and put first unless the
// person has touched the page by then (nothing moves under a finger).
function checklistButtons(target, code) {
  const items = target.checklists.map((template) =>
    h("li", { "data-testid": "checklist", "data-key": template.key },
      h("button", { type: "button", class: "wide checklist-open", onclick: () => openForm(code, `?checklist=${template.key}`) },
        pick(template.title["zh-CN"], template.title.en))));
  if (items.length > 1) afterPaint().then(() => markDue(target, items)).catch((error) => console.error(error));
  return items;
}

async function markDue(target, items) {
  let touched = false;
  const list = items[0].parentElement;
  list?.addEventListener("pointerdown", () => { touched = true; }, { once: true });
  const { dueOn, siteRecords } = await import("./duework.js");
  const records = await siteRecords(target.tag.site_id);
  if (!records.site || !list?.isConnected) return;
  const id = target.kind === "asset" ? target.asset.id : target.location.id;
  const open = new Map();
  for (const entry of dueOn({ records, target: id })) {
    if (["due", "overdue"].includes(entry.status) && !open.has(entry.template_key)) open.set(entry.template_key, entry.status);
  }
  const due = items.filter((li) => open.has(li.dataset.key));
  for (const li of due) {
    li.dataset.due = open.get(li.dataset.key);
    li.querySelector("button").append(h("span", { class: "badge" }, t(`due.status.${open.get(li.dataset.key)}`)));
  }
  if (!touched && due.length) list.prepend(...due);
}

// A form's URL opened by a person who only reads (a link, a bookmark): said, not drawn.
function renderReadOnly(view, code) {
  show(view, h("div", { class: "card", "data-testid": "read-only" }, h("p", {}, t("target.read_only"))),
    h("button", { type: "button", class: "wide plain", "data-testid": "back", onclick: () => go(`/t/${code}`) }, t("target.back")));
}

export async function renderTarget(view, { code: rawCode, checklist, report, onSaved, query }) {
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
  const user = store.getMeta("user");
  const loaded = await (mine ? mine.loaded : loadTarget(code, surroundings));
  const target = loaded?.target;
  // An auditor only reads: no form is offered whose record the server would refuse.
  const readOnly = Boolean(target?.kind) && readsOnlyAt(await user, target.tag.site_id);
  if (readOnly && (checklist || report)) return renderReadOnly(view, code);
  if (target?.kind && checklist) {
    const draft = mine?.draft?.key === checklist ? mine.draft.read : null;
    return renderChecklist(view, code, loaded, target, checklist, onSaved, draft, Boolean(query?.has("round")));
  }
  if (target?.kind && report) return renderReport(view, code, target.tag.site_id, target, onSaved);
  const tagLine = h("p", { class: "muted" }, `${t("target.tag")} `, h("span", { class: "code" }, formatCode(code)));
  if (!target || !target.kind) {
    // Right after the first login (a tag opened in a browser that never had the app), the
    // school's records are still on their way: that is said, not "not found".
    if (!(await store.getMeta("last_sync"))) {
      show(view, h("div", { class: "card", "data-testid": "first-sync", role: "status" },
        tagLine, h("h1", {}, t("target.first_sync")), h("p", { class: "muted" }, t("target.first_sync_hint"))));
      return;
    }
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
  // Inspections still in the outbox count already: a failure made offline is a problem
  // waiting to be sent, a pass made offline a re-check waiting to be sent.
  const problems = loaded.waiting.length
    ? (await import("./problems.js")).withWaiting({
      open: target.findings,
      pulled: loaded.findings,
      waiting: loaded.waiting,
      templates: loaded.templates,
      timeZone: (await store.getRecord(loaded.scope, "site", loaded.scope))?.timezone,
    })
    : target.findings;
  const findings = problems.map((f) =>
    h("li", { "data-testid": "finding", "data-status": f.status },
      h("div", {}, f.label ? pick(f.label["zh-CN"], f.label.en) : f.item_key),
      f.status === "recheck_waiting"
        ? h("div", { class: "muted" }, t("target.finding_recheck_waiting"))
        : h("div", { class: f.severity === "high" ? "sev-high" : "muted" },
          t("target.finding_observed", { severity: t(`severity.${f.severity}`), date: formatTime(f.observed_at) }),
          f.status === "waiting" ? h("span", { class: "badge", "data-testid": "finding-waiting" }, t("target.finding_waiting")) : null),
    ),
  );
  const checklists = checklistButtons(target, code);
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
    readOnly ? readOnlyChecklists(target) : h("section", { class: "card" }, h("h2", {}, t("target.checklists")),
      checklists.length ? h("ul", { class: "list" }, checklists) : h("p", { class: "muted" }, t("target.no_checklists"))),
    later(async () => (await import("./due.js")).dueSection(target)),
    h("section", { class: "card" }, h("h2", {}, t("target.findings")),
      findings.length ? h("ul", { class: "list" }, findings) : h("p", { class: "muted" }, t("target.no_findings"))),
    later(async () => (await import("./results.js")).resultsSection(target)),
    readOnly ? null : h("section", { class: "card" },
      h("button", { type: "button", class: "wide plain", "data-testid": "report-open", onclick: () => openForm(code, "?report=1") },
        t("report.open"))),
    backButton(),
  );
}
