// One past inspection, read-only (/app/inspections/{id}), opened from a thing's recent
// results: how it came out, each answer in the person's language with the failed ones
// marked, its note, photos and findings. Pulled inspections carry no answers; the answers
// come from the server (GET /api/inspections/{id}, with the template version they were given
// for) and are kept in the Cache API, so an inspection opened once online opens offline
// too. One still waiting in the outbox is read from the phone's own record.

import { failures, isAnswered, shownItems } from "./checklist.js";
import { h, show } from "./dom.js";
import { itemAnswer, itemLimit } from "./evidence.js";
import { nameOf, pathText, pick, t } from "./i18n.js";
import { backButton, formatTime, go } from "./nav.js";
import { evidencePhotos } from "./photos.js";
import { judgeWaiting } from "./results.js";
import * as store from "./store.js";

const READ_CACHE = "rk-inspections";

let drawing = 0;

// Read-only: drawn again after a sync, which may bring its answers or its findings' news.
export function redrawOnSync() {
  return true;
}

async function pulledRecord(id) {
  for (const scope of Object.keys(await store.allCursors())) {
    const found = await store.getRecord(scope, "inspection", id);
    if (found) return found;
  }
  return null;
}

async function waitingBody(id) {
  const found = (await store.waitingOps()).find(({ op }) => op?.type === "inspection.submitted" && op.body.id === id);
  return found?.op.body ?? null;
}

async function fromServer(path) {
  const device = await store.getMeta("device");
  if (!device || !navigator.onLine) return null;
  try {
    const response = await fetch(path, {
      headers: { Authorization: `Bearer ${device.token}`, Accept: "application/json" },
      credentials: "omit",
    });
    return response.ok ? response.json() : null;
  } catch {
    return null;
  }
}

// {inspection (InspectionOut), template} from the cache, else from the server (then kept);
// null when neither has it.
async function answersOf(record, templates) {
  const key = `/api/inspections/${record.id}`;
  const cache = self.caches ? await caches.open(READ_CACHE) : null;
  const hit = await cache?.match(key);
  if (hit) return hit.json();
  const inspection = await fromServer(key);
  if (!inspection) return null;
  let template = templates.find((r) => r.key === record.template_key && r.version === record.template_version)?.template;
  if (!template) {
    const path = `/api/templates/${encodeURIComponent(record.template_key)}/versions/${record.template_version}`;
    template = (await fromServer(path))?.template;
    if (!template) return null;
  }
  const read = { inspection, template };
  await cache?.put(key, new Response(JSON.stringify(read), { headers: { "Content-Type": "application/json" } }));
  return read;
}

async function placeOf(scope, assetId, locationId) {
  const asset = assetId ? await store.getRecord(scope, "asset", assetId) : null;
  const path = pathText((await store.ancestors(scope, asset ? asset.location_id : locationId)).reverse());
  return { name: asset ? nameOf(asset) : "", number: asset?.asset_number ?? "", path };
}

function answerRows(template, answers, evaluation) {
  const outcomes = new Map((evaluation?.items ?? []).map((r) => [r.key, r.result]));
  const rows = template.items.filter((item) => outcomes.get(item.key) !== "na" || item.key in answers);
  return rows.map(async (item) => {
    const value = answers[item.key];
    const failed = outcomes.get(item.key) === "fail";
    const limit = failed ? itemLimit(item) : "";
    const photos = item.type === "photo" && Array.isArray(value) ? await evidencePhotos(value) : null;
    // The note and photos given right under a failing item (its template `evidence`).
    const note = answers[`${item.key}.note`];
    const own = Array.isArray(answers[`${item.key}.photos`]) ? await evidencePhotos(answers[`${item.key}.photos`]) : null;
    return h("li", { "data-testid": "answer", "data-key": item.key, "data-result": outcomes.get(item.key) ?? "" },
      h("div", {}, pick(item.label["zh-CN"], item.label.en),
        failed ? h("span", { class: "badge", "data-testid": "answer-failed" }, t("results.fail")) : null),
      photos ?? h("div", { class: failed ? "result-fail" : "muted", "data-testid": "answer-value" }, itemAnswer(item, value)),
      limit ? h("div", { class: "muted", "data-testid": "answer-limit" }, t("inspection.limit", { limit })) : null,
      typeof note === "string" && note.trim() ? h("p", { class: "history-note", "data-testid": "answer-note" }, note) : null,
      own ? h("div", { "data-testid": "answer-photos" }, own) : null);
  });
}

async function findingsCard(scope, id) {
  const [findings, actions] = await Promise.all([store.recordsOf(scope, "finding"), store.recordsOf(scope, "action")]);
  const mine = findings.filter((f) => f.inspection_id === id);
  if (!mine.length) return null;
  return h("section", { class: "card", "data-testid": "inspection-findings" },
    h("h2", {}, t("inspection.findings")),
    h("ul", { class: "list" }, mine.map((finding) => {
      const action = actions.find((a) => a.finding_id === finding.id);
      const label = action ? pick(action.title, action.title_en) : finding.item_key;
      return h("li", { "data-testid": "inspection-finding", "data-status": finding.status },
        action
          ? h("button", { type: "button", class: "link", onclick: () => go(`/app/actions/${action.id}`) }, label)
          : h("div", {}, label),
        h("div", { class: "muted" },
          t(`inspection.finding_${finding.severity}`), " · ",
          action ? t(`actions.state.${action.state}`) : t(`inspection.status_${finding.status}`)));
    })));
}

export async function render(view, route) {
  const mine = ++drawing;
  const id = route.id;
  const [record, waiting] = await Promise.all([pulledRecord(id), waitingBody(id)]);
  const about = record ?? waiting;
  const scope = record?.site_id ?? (waiting ? await pulledScope(waiting) : null);
  if (!scope) {
    if (mine !== drawing) return;
    show(view, h("div", { class: "card", "data-testid": "inspection-missing" }, h("p", { class: "muted" }, t("inspection.not_found"))),
      backButton());
    return;
  }
  const [templates, site, user] = await Promise.all([
    store.recordsOf(scope, "template"),
    store.getRecord(scope, "site", scope),
    store.getMeta("user"),
  ]);
  let read = null;
  if (waiting && !record) {
    const template = templates.find((r) => r.key === waiting.template_key && r.version === waiting.template_version)?.template;
    if (template) read = { inspection: { ...waiting, evaluation: judgedHere(template, waiting, site) }, template };
  } else {
    read = await answersOf(record, templates);
  }
  const template = read?.template ?? templates.find((r) => r.key === about.template_key)?.template;
  const inspectorId = record?.inspector_id ?? user?.id;
  const [place, inspector, findings] = await Promise.all([
    placeOf(scope, about.asset_id, about.location_id),
    inspectorId ? store.getRecord(scope, "person", inspectorId) : null,
    findingsCard(scope, id),
  ]);
  const evaluation = read?.inspection.evaluation ?? null;
  const result = record?.result ?? evaluation?.result ?? null;
  const critical = record?.critical_failure ?? evaluation?.critical_failure ?? false;
  const score = record?.score ?? evaluation?.score ?? null;
  const answers = read ? await Promise.all(answerRows(read.template, read.inspection.answers ?? {}, evaluation)) : null;
  const note = read?.inspection.note ?? "";
  const summary = [
    result ? h("span", { class: `result-${result}`, "data-testid": "inspection-result" }, t(`results.${result}`)) : null,
    critical ? [" · ", h("span", { class: "sev-high" }, t("results.critical"))] : null,
    score !== null ? [" · ", t("results.score", { score })] : null,
  ];
  const rows = [
    ["inspection.when", formatTime(about.completed_at)],
    ["inspection.by", inspector?.name ?? user?.display_name ?? t("none")],
    place.name ? ["inspection.thing", place.name] : null,
    place.number ? ["actions.field.asset_number", place.number] : null,
    ["actions.field.place", place.path || t("none")],
  ].filter(Boolean);
  if (mine !== drawing) return;
  show(view,
    h("div", { class: "card", "data-testid": "inspection-page", "data-id": id },
      h("h1", {}, template ? pick(template.title["zh-CN"], template.title.en) : about.template_key),
      h("p", {}, summary),
      waiting && !record ? h("p", { class: "note-line", "data-testid": "inspection-waiting" }, t("inspection.waiting")) : null,
      record?.superseded_by ? h("p", { class: "note-line", "data-testid": "inspection-superseded" }, t("inspection.superseded")) : null,
      h("dl", {}, rows.map(([key, value]) => [h("dt", {}, t(key)), h("dd", {}, value)]))),
    findings,
    h("section", { class: "card", "data-testid": "inspection-answers" },
      h("h2", {}, t("inspection.answers")),
      answers
        ? h("ul", { class: "list" }, answers)
        : h("p", { class: "muted", "data-testid": "inspection-answers-offline" }, t("inspection.answers_offline")),
      note ? h("p", { class: "history-note", "data-testid": "inspection-note" }, t("inspection.note", { note })) : null),
    backButton());
}

// A record still waiting, judged as the server will judge it, item by item.
function judgedHere(template, body, site) {
  const timeZone = site?.timezone ?? "UTC";
  const answers = body.answers ?? {};
  const today = new Date(body.completed_at).toLocaleDateString("sv-SE", { timeZone });
  const failed = new Set(failures(template, answers, today).map(({ item }) => item.key));
  const shown = shownItems(template, answers);
  const outcome = (key) =>
    !shown.has(key) ? "na" : !isAnswered(answers[key]) ? "unanswered" : failed.has(key) ? "fail" : "pass";
  return {
    ...judgeWaiting(template, body, timeZone),
    items: template.items.map((item) => ({ key: item.key, result: outcome(item.key) })),
  };
}

// The site a waiting record belongs to: the scope holding its thing.
async function pulledScope(body) {
  for (const scope of Object.keys(await store.allCursors())) {
    const entity = body.asset_id ? "asset" : "location";
    if (await store.getRecord(scope, entity, body.asset_id ?? body.location_id)) return scope;
  }
  return null;
}
