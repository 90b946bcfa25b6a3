// A thing's recent results on its target page: the last result of each checklist that
// applies, and its last few inspections, from the pulled `inspection` records and what this
// phone made and has not sent yet. A superseded inspection no longer counts: its
// correction does. Each of the last few opens, read-only (inspection.js).

import { evaluate } from "./checklist.js";
import { h } from "./dom.js";
import { pick, t } from "./i18n.js";
import { formatTime, go } from "./nav.js";
import * as store from "./store.js";

export const RECENT = 5;

function isOf(target, record) {
  if (target.kind === "asset") return record.asset_id === target.asset.id;
  return !record.asset_id && record.location_id === target.location.id;
}

// A record waiting in the outbox, judged as the server will judge it on arrival (dates
// against the day it was completed, at the site); null when the phone does not hold the
// template version it was made with.
export function judgeWaiting(template, body, timeZone = "UTC") {
  if (!template || template.version !== body.template_version) return null;
  const today = new Date(body.completed_at).toLocaleDateString("sv-SE", { timeZone });
  return evaluate(template, body.answers ?? {}, today);
}

// Pure: `target` as describeTarget gives it; `inspections` the pulled records; `ops` the
// ops waiting in the outbox; `templates` the pulled template records ({key, template});
// `people` the pulled person records; `userId` this phone's user; `timeZone` the site's.
// Returns {last: [{key, title, entry}] per applicable checklist (entry null when it was
// never inspected), recent: [entry] newest first}. An entry: {id, template_key, title,
// result, score, critical_failure, completed_at, inspector (a name or null), waiting}.
export function recentResults({
  target, inspections, ops, templates, people, userId, timeZone = "UTC", limit = RECENT,
}) {
  const names = new Map(people.map((p) => [p.id, p.name]));
  const byKey = new Map(templates.map((r) => [r.key, r.template]));
  const title = (key) => {
    const template = byKey.get(key);
    return template ? pick(template.title["zh-CN"], template.title.en) : key;
  };
  const pulledIds = new Set(inspections.map((i) => i.id));
  const waiting = ops
    .filter((op) => op?.type === "inspection.submitted" && !pulledIds.has(op.body.id) && isOf(target, op.body))
    .map((op) => op.body);
  // A correction still on the phone already replaces the result it corrects.
  const corrected = new Set(waiting.filter((b) => b.supersedes).map((b) => b.supersedes));
  const entries = [
    ...inspections
      .filter((i) => !i.superseded_by && !corrected.has(i.id) && isOf(target, i))
      .map((i) => ({
        id: i.id,
        template_key: i.template_key,
        title: title(i.template_key),
        result: i.result,
        score: i.score,
        critical_failure: i.critical_failure,
        completed_at: i.completed_at,
        inspector: names.get(i.inspector_id) ?? null,
        waiting: false,
      })),
    ...waiting.map((b) => {
      const judged = judgeWaiting(byKey.get(b.template_key), b, timeZone);
      return {
        id: b.id,
        template_key: b.template_key,
        title: title(b.template_key),
        result: judged?.result ?? null,
        score: judged?.score ?? null,
        critical_failure: judged?.critical_failure ?? false,
        completed_at: b.completed_at,
        inspector: names.get(userId) ?? null,
        waiting: true,
      };
    }),
  ].sort((a, b) => Date.parse(b.completed_at) - Date.parse(a.completed_at) || (a.id < b.id ? 1 : -1));
  const last = target.checklists.map((template) => ({
    key: template.key,
    title: pick(template.title["zh-CN"], template.title.en),
    entry: entries.find((e) => e.template_key === template.key) ?? null,
  }));
  return { last, recent: entries.slice(0, limit) };
}

function outcome(entry) {
  const parts = [];
  if (entry.result) parts.push(t(`results.${entry.result}`));
  if (entry.critical_failure) parts.push(t("results.critical"));
  if (entry.score !== null) parts.push(t("results.score", { score: entry.score }));
  parts.push(formatTime(entry.completed_at));
  if (entry.inspector) parts.push(entry.inspector);
  return parts.join(" · ");
}

function entryLine(entry) {
  return h("div", { class: `result-line result-${entry.result ?? "unknown"}` },
    outcome(entry),
    entry.waiting ? h("span", { class: "badge", "data-testid": "result-waiting" }, t("results.waiting")) : null);
}

// The section of the target page; `target` as describeTarget gives it. Reads only this
// thing's inspections and the names of the people who made them.
export async function resultsSection(target) {
  const scope = target.tag.site_id;
  const thingId = target.kind === "asset" ? target.asset.id : target.location.id;
  const [inspections, templates, queued, user, site] = await Promise.all([
    store.inspectionsOf(thingId),
    store.recordsOf(scope, "template"),
    store.waitingOps(),
    store.getMeta("user"),
    store.getRecord(scope, "site", scope),
  ]);
  const userId = user?.id ?? null;
  const inspectors = new Set([...inspections.map((i) => i.inspector_id), userId].filter(Boolean));
  const people = (await Promise.all([...inspectors].map((id) => store.getRecord(scope, "person", id))))
    .filter(Boolean);
  if (user && !people.some((p) => p.id === userId)) people.push({ id: userId, name: user.display_name });
  const { last, recent } = recentResults({
    target,
    inspections,
    ops: queued.map((r) => r.op),
    templates,
    people,
    userId,
    timeZone: site?.timezone ?? "UTC",
  });
  const lastItems = last.map(({ key, title, entry }) =>
    h("li", {
      "data-testid": "last-result",
      "data-key": key,
      "data-result": entry?.result ?? "none",
      "data-waiting": entry?.waiting ? "true" : "false",
    },
    h("div", {}, title),
    entry ? entryLine(entry) : h("div", { class: "muted" }, t("results.never"))),
  );
  const recentItems = recent.map((entry) =>
    h("li", { "data-testid": "recent-result", "data-id": entry.id, "data-result": entry.result ?? "none" },
      h("button", { type: "button", class: "link", "data-testid": "open-inspection", onclick: () => go(`/app/inspections/${entry.id}`) },
        entry.title),
      entryLine(entry)),
  );
  return h("section", { class: "card", "data-testid": "results" },
    h("h2", {}, t("results.title")),
    lastItems.length ? h("ul", { class: "list" }, lastItems) : h("p", { class: "muted" }, t("results.no_checklists")),
    h("h3", { class: "results-recent" }, t("results.recent")),
    recentItems.length ? h("ul", { class: "list" }, recentItems) : h("p", { class: "muted" }, t("results.none")),
  );
}
