// Corrective actions on the phone: /app/actions lists "my actions" from the pulled `action`
// records, /app/actions/{id} shows one with the steps the person may take. A step is an
// `action.transitioned` op in the outbox (with its photos), based on the version the person
// saw; the pulled record is never changed by the phone. Until it is sent the step shows as
// waiting; afterwards, how it went (store.stepOutcomes): applied, applied alongside a change
// made meanwhile, or refused with the state the action is in now. An action shows what was
// found (its evidence: the failing answer, the limit, the inspector's note and photos) and
// each step since with its note and photos, so the fixer and the one signing off see both.

import { capacities, expected, isOverdue, myActions, NEEDS_REASON, outcomeOf, stepsFor } from "./actionrules.js";
import { h, show } from "./dom.js";
import { evidenceAnswer, limitText } from "./evidence.js";
import { nameOf, pathText, pick, refusal, t } from "./i18n.js";
import { backButton, formatTime, go, render as redraw, requestSync } from "./nav.js";
import { dropImage, evidencePhotos, photoPicker, thumbnails } from "./photos.js";
import * as store from "./store.js";

const MAX_TEXT = 2000;
const MAX_PHOTOS = 20;

// A step form being filled in is not redrawn under the person's fingers by a sync, nor by
// a redraw that began before it was opened (`drawing` counts both; the last one wins).
let stepOpen = false;
let drawing = 0;

export function redrawOnSync() {
  return !stepOpen;
}

async function scopes() {
  return Object.keys(await store.allCursors());
}

async function allActions() {
  const found = await Promise.all((await scopes()).map((scope) => store.recordsOf(scope, "action")));
  return found.flat();
}

// The phone's steps not yet sent, by action id, oldest first.
async function waitingSteps() {
  const byAction = new Map();
  for (const { op } of await store.waitingOps()) {
    if (op?.type !== "action.transitioned") continue;
    const list = byAction.get(op.body.action_id) ?? [];
    list.push(op.body);
    byAction.set(op.body.action_id, list);
  }
  return byAction;
}

// The last answer the server gave to a step on each action.
async function lastOutcomes() {
  const last = new Map();
  for (const answer of await store.stepOutcomes()) last.set(answer.action_id, answer);
  return last;
}

// The thing and the place it is in, or the place, as "name · building › floor", and the
// thing's asset number.
async function placeOf(action) {
  const scope = action.site_id;
  const path = async (id) =>
    pathText((await store.ancestors(scope, id)).reverse());
  if (action.asset_id) {
    const asset = await store.getRecord(scope, "asset", action.asset_id);
    if (!asset) return { text: "", number: "" };
    return {
      text: [nameOf(asset), await path(asset.location_id)].filter(Boolean).join(" · "),
      number: asset.asset_number,
    };
  }
  return { text: action.location_id ? await path(action.location_id) : "", number: "" };
}

const title = (action) => pick(action.title, action.title_en) || action.title;
const stateLabel = (state) => t(`actions.state.${state}`);
const waitingLine = (steps) =>
  h("p", { class: "note-line", "data-testid": "action-waiting" },
    t("actions.waiting", { steps: steps.map((s) => t(`actions.did.${s.transition}`)).join("、") }));

function outcomeLine(answer) {
  const outcome = outcomeOf(answer);
  const step = t(`actions.step.${answer.transition}`);
  let text;
  if (outcome === "conflict" && answer.current) {
    text = t("actions.outcome.conflict", {
      step,
      state: stateLabel(answer.current.state),
      version: answer.current.version,
      base: answer.base_version,
    });
  } else if (outcome === "conflict" || outcome === "rejected") {
    text = t("actions.outcome.rejected", { step, reason: refusal(answer.code, answer.status) });
  } else {
    text = t(`actions.outcome.${outcome}`, { step, base: answer.base_version });
  }
  const warn = outcome === "conflict" || outcome === "rejected";
  return h("p", { class: warn ? "warn" : "muted", "data-testid": "action-outcome", "data-outcome": outcome }, text);
}

const placeLine = ({ text, number }) =>
  [text || t("none"), number ? t("actions.asset_number", { number }) : null].filter(Boolean).join(" · ");

// --- the list ----------------------------------------------------------------------------

async function renderList(view) {
  const mine = ++drawing;
  const [user, actions, waiting, outcomes] = await Promise.all([
    store.getMeta("user"), allActions(), waitingSteps(), lastOutcomes(),
  ]);
  const now = Date.now();
  const groups = myActions(actions, user?.id);
  const shown = [...groups.todo, ...groups.fixed, ...groups.signOff];
  const places = new Map(await Promise.all(shown.map(async (a) => [a.id, await placeOf(a)])));
  const item = (action) => {
    const steps = waiting.get(action.id) ?? [];
    const answer = outcomes.get(action.id);
    const overdue = isOverdue(action, now);
    return h("li", { "data-testid": "action", "data-id": action.id, "data-state": action.state },
      h("button", { type: "button", class: "link", onclick: () => go(`/app/actions/${action.id}`) }, title(action)),
      h("div", { class: "muted" }, placeLine(places.get(action.id))),
      h("div", {},
        h("span", { "data-testid": "action-state" }, stateLabel(action.state)),
        " · ",
        h("span", { class: overdue ? "sev-high" : "" }, t("actions.due", { time: formatTime(action.due_at) })),
        overdue ? h("span", { class: "badge", "data-testid": "overdue" }, t("actions.overdue")) : null,
        action.priority === "high" ? h("span", { class: "badge" }, t("actions.priority.high")) : null),
      steps.length ? waitingLine(steps) : null,
      !steps.length && answer && outcomeOf(answer) !== "applied" ? outcomeLine(answer) : null);
  };
  const section = (key, list) =>
    list.length
      ? h("section", { class: "card", "data-testid": `actions-${key}` },
        h("h2", {}, t(`actions.group.${key}`), " ", h("span", { class: "muted" }, `(${list.length})`)),
        h("ul", { class: "list" }, list.map(item)))
      : null;
  const empty = !groups.todo.length && !groups.fixed.length && !groups.signOff.length;
  if (mine !== drawing) return;
  show(view,
    h("div", { class: "card" }, h("h1", { "data-testid": "actions-title" }, t("actions.title")),
      empty ? h("p", { class: "muted", "data-testid": "actions-none" }, t("actions.none")) : null),
    section("todo", groups.todo),
    section("sign_off", groups.signOff),
    section("fixed", groups.fixed),
    backButton());
}

// --- one action --------------------------------------------------------------------------

async function findAction(id) {
  for (const scope of await scopes()) {
    const action = await store.getRecord(scope, "action", id);
    if (action) return action;
  }
  return null;
}

async function personName(scope, id) {
  if (!id) return t("none");
  return (await store.getRecord(scope, "person", id))?.name ?? t("none");
}

// The form of one step: a note and photos for a fix, a reason for a reopen, an optional
// note otherwise. It is kept as a draft (one per action) that survives a reload; saving
// puts the op into the outbox, removing the draft, and asks for a sync.
function stepForm(action, draft, base, onClose) {
  stepOpen = true;
  const { step } = draft;
  const key = draftKey(action.id);
  const keep = () => store.putDraft(key, draft);
  const note = h("textarea", { id: "step-note", rows: 3, maxlength: MAX_TEXT, "data-testid": "step-note" });
  note.value = draft.note;
  note.addEventListener("input", () => {
    draft.note = note.value;
    keep();
  });
  const problem = h("p", { class: "warn problem", "data-testid": "step-problem", role: "alert" });
  const needsReason = NEEDS_REASON.has(step);
  const picker = step === "fix"
    ? photoPicker({
      siteId: action.site_id,
      testId: "step-photo",
      photos: draft.photos,
      max: MAX_PHOTOS,
      onChange: (digests) => {
        draft.photos = digests;
        return keep();
      },
    })
    : null;
  let saving = false;
  const close = async () => {
    stepOpen = false;
    await store.deleteDraft(key);
    for (const digest of draft.photos) await dropImage(digest);
    await onClose();
  };
  const save = async () => {
    const text = note.value.trim();
    if (needsReason && !text) {
      problem.textContent = t("actions.reason_missing");
      note.focus();
      return;
    }
    if (saving) return;
    saving = true;
    const at = new Date().toISOString();
    const photos = picker ? [...draft.photos] : [];
    const body = {
      id: store.uuid7(),
      action_id: action.id,
      transition: step,
      base_version: base,
      note: needsReason ? "" : text,
      reason: needsReason ? text : "",
      photos,
      at,
    };
    await store.enqueue({
      type: "action.transitioned", opId: store.uuid7(), occurredAt: at, body, draftKey: key, blobs: photos,
    });
    stepOpen = false;
    await onClose();
    requestSync();
  };
  const label = needsReason ? "actions.reason" : step === "fix" ? "actions.fix_note" : "actions.note";
  return h("div", { "data-testid": "step-form", "data-step": step },
    h("h2", {}, t(`actions.step.${step}`)),
    h("label", { for: "step-note" }, t(label), needsReason ? h("span", { class: "required" }, " *") : null),
    note,
    problem,
    picker ? [h("div", { class: "item-label" }, t("actions.photos")), picker.element] : null,
    h("button", { type: "button", class: "wide", "data-testid": "step-save", onclick: save }, t("actions.save")),
    h("button", { type: "button", class: "wide plain", "data-testid": "step-cancel", onclick: close }, t("actions.cancel")));
}

const draftKey = (actionId) => `action|${actionId}`;

const fields = (rows) =>
  h("dl", {}, rows.filter(Boolean).map(([key, value, testId]) =>
    [h("dt", {}, t(key)), h("dd", { "data-testid": testId }, value)]));

// What was found: the failing answer and the limit it broke, the inspector's note and the
// photos. Actions raised before evidence was kept show their finding's photos.
async function evidenceCard(action, finding) {
  const seen = action.evidence ?? null;
  const rows = [];
  if (seen?.item_type) {
    rows.push(["evidence.answer", h("span", { class: "sev-high" }, evidenceAnswer(seen)), "evidence-answer"]);
    const limit = limitText(seen);
    if (limit) rows.push(["evidence.limit", limit, "evidence-limit"]);
  }
  if (seen?.note) rows.push(["evidence.note", seen.note, "evidence-note"]);
  const photos = await evidencePhotos(seen?.photos ?? finding?.photos ?? []);
  if (!rows.length && !photos) return null;
  return h("section", { class: "card", "data-testid": "action-evidence" },
    h("h2", {}, t(`evidence.title_${action.source}`)),
    rows.length ? fields(rows) : null,
    photos ? h("div", { "data-testid": "evidence-photos" }, photos) : null);
}

// Each change of the action since it was raised, oldest first, with who made it and their
// note, reason and photos (pulled `action_event` records).
async function historyCard(action) {
  const scope = action.site_id;
  const steps = (await store.recordsOf(scope, "action_event"))
    .filter((e) => e.action_id === action.id)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.id < b.id ? -1 : 1));
  if (!steps.length) return null;
  const items = await Promise.all(steps.map(async (step) => {
    const who = step.by_id ? await personName(scope, step.by_id) : t("actions.by_system");
    const photos = await evidencePhotos(step.photos);
    // A system's reason (a corrected inspection) is said by its kind, in the person's language.
    const reason = step.by_id && step.reason;
    return h("li", { "data-testid": "history-step", "data-kind": step.kind },
      h("div", {}, h("strong", {}, t(`actions.event.${step.kind}`)), " · ", who, " · ", formatTime(step.at)),
      step.note ? h("p", { class: "history-note", "data-testid": "history-note" }, step.note) : null,
      reason ? h("p", { class: "history-note warn", "data-testid": "history-reason" }, reason) : null,
      photos ? h("div", { "data-testid": "history-photos" }, photos) : null);
  }));
  return h("section", { class: "card", "data-testid": "action-history" },
    h("h2", {}, t("actions.history")),
    h("ul", { class: "list" }, items));
}

async function renderAction(view, id) {
  stepOpen = false;
  const mine = ++drawing;
  const action = await findAction(id);
  if (!action) {
    if (mine !== drawing) return;
    show(view, h("div", { class: "card", "data-testid": "action-missing" }, h("p", { class: "muted" }, t("actions.not_found"))),
      backButton("/app/actions"));
    return;
  }
  const [user, waitingAll, outcomes, place, owner, requester, finding] = await Promise.all([
    store.getMeta("user"),
    waitingSteps(),
    lastOutcomes(),
    placeOf(action),
    personName(action.site_id, action.owner_id),
    personName(action.site_id, action.requester_id),
    action.finding_id ? store.getRecord(action.site_id, "finding", action.finding_id) : null,
  ]);
  const waiting = waitingAll.get(action.id) ?? [];
  const answer = outcomes.get(action.id);
  const next = expected(action, waiting);
  const overdue = isOverdue(action, Date.now());
  const [evidence, history, photos] = await Promise.all([
    evidenceCard(action, finding),
    historyCard(action),
    thumbnails(waiting.flatMap((s) => s.photos)),
  ]);

  const stepsBox = h("section", { class: "card", "data-testid": "action-steps" });
  const steps = stepsFor(next.state, capacities(action, user));
  const openForm = (draft) => {
    stepsBox.hidden = false;
    stepsBox.replaceChildren(stepForm(action, draft, next.version, redraw));
  };
  stepsBox.hidden = !steps.length;
  stepsBox.replaceChildren(...steps.map((step) =>
    h("button", {
      type: "button",
      class: step === "reopen" ? "wide plain" : "wide",
      "data-testid": `step-${step}`,
      onclick: async () => {
        drawing += 1;
        const draft = { step, note: "", photos: [] };
        openForm(draft);
        await store.putDraft(draftKey(action.id), draft);
      },
    }, t(`actions.step.${step}`))));
  const draft = await store.getDraft(draftKey(action.id));

  const rows = [
    ["actions.field.source", t(`actions.source.${action.source}`), "action-source"],
    ["actions.field.place", place.text || t("none"), "action-place"],
    place.number ? ["actions.field.asset_number", place.number, "action-asset-number"] : null,
    ["actions.field.state", stateLabel(action.state), "action-state"],
    ["actions.field.priority", t(`actions.priority.${action.priority}`), "action-priority"],
    ["actions.field.due", [formatTime(action.due_at), overdue ? h("span", { class: "badge", "data-testid": "overdue" }, t("actions.overdue")) : null], "action-due"],
    ["actions.field.owner", owner, "action-owner"],
    ["actions.field.requester", requester, "action-requester"],
  ];
  if (mine !== drawing) return;
  show(view,
    h("div", { class: "card", "data-testid": "action-page", "data-state": action.state, "data-version": String(action.version) },
      h("h1", { "data-testid": "action-title" }, title(action)),
      action.description && action.description !== action.title
        ? h("p", { "data-testid": "action-description" }, action.description)
        : null,
      fields(rows),
      photos),
    evidence,
    history,
    waiting.length || answer
      ? h("section", { class: "card" },
        waiting.length ? waitingLine(waiting) : null,
        !waiting.length && answer ? outcomeLine(answer) : null)
      : null,
    stepsBox,
    backButton("/app/actions"));
  // A step begun before a reload is open again while it can still be taken; else dropped.
  if (draft && steps.includes(draft.step)) openForm(draft);
  else if (draft) {
    await store.deleteDraft(draftKey(action.id));
    for (const digest of draft.photos) await dropImage(digest);
  }
}

export async function render(view, route) {
  if (route.id) return renderAction(view, route.id);
  stepOpen = false;
  return renderList(view);
}
