// The site's inspections, newest first, filtered by the address (days, checklist, person,
// result); and one inspection with each answer, the limit it was held to, how it was
// judged, the notes and photos given with it, and the findings it raised.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { formatDateTime, t } from "../../i18n.js";
import {
  address, badge, canChange, facts, FINDING_STATUSES, itemAnswer, itemLimit, label, OUTCOMES, photoList, pick,
  replaceAddress, SEVERITIES, shownPhotos, templateOf, thingOf,
} from "./common.js";

const PAGE = 50;
const RESULTS = { pass: "repairs.result_pass", fail: "repairs.result_fail" };

function resultBadge(result, score) {
  const text = score === undefined ? t(RESULTS[result]) : t("repairs.result_score", { result: t(RESULTS[result]), score: Math.round(score) });
  return badge(text, result === "fail" ? "badge-warn" : "badge-pass", "inspection-result");
}

// The first moment of a chosen day and of the day after another, in the browser's zone.
const dayStart = (day) => (day ? new Date(`${day}T00:00:00`).toISOString() : null);
function dayAfter(day) {
  if (!day) return null;
  const next = new Date(`${day}T00:00:00`);
  next.setDate(next.getDate() + 1);
  return next.toISOString();
}

function filtersOf(query) {
  const day = (name) => (/^\d{4}-\d{2}-\d{2}$/.test(query.get(name) ?? "") ? query.get(name) : "");
  return {
    from: day("from"),
    to: day("to"),
    checklist: query.get("checklist") ?? "",
    person: query.get("person") ?? "",
    result: RESULTS[query.get("result")] ? query.get("result") : "",
  };
}

function inspectionRow(item, titles, site) {
  return h("tr", { "data-testid": "inspection", "data-result": item.result },
    h("td", {}, formatDateTime(item.completed_at)),
    h("td", {}, titles.get(item.template_key) ?? item.template_key),
    h("td", { "data-testid": "inspection-inspector" }, item.inspector.name),
    h("td", {}, resultBadge(item.result, item.score),
      item.failed_items.length ? h("div", { class: "muted small-text" }, t("repairs.failed_count", { count: item.failed_items.length })) : null),
    h("td", {}, h("a", { href: address(site.id, { inspection: item.id }), "data-testid": "open-inspection" }, t("repairs.open"))));
}

async function listOf(site, filters, titles) {
  const path = (after) => {
    const ask = new URLSearchParams({ site_id: site.id, limit: String(PAGE) });
    if (filters.from) ask.set("completed_from", dayStart(filters.from));
    if (filters.to) ask.set("completed_to", dayAfter(filters.to));
    if (filters.checklist) ask.set("template_key", filters.checklist);
    if (filters.person) ask.set("inspector_id", filters.person);
    if (filters.result) ask.set("result", filters.result);
    if (after) ask.set("after", after);
    return `/api/inspections?${ask}`;
  };
  const first = await api.get(path(null));
  const body = h("tbody", {}, first.items.map((i) => inspectionRow(i, titles, site)));
  let after = first.next_after;
  const more = h("button", { type: "button", class: "small plain", "data-testid": "more", hidden: !after }, t("repairs.more"));
  more.addEventListener("click", async () => {
    more.disabled = true;
    const page = await api.get(path(after));
    body.append(...page.items.map((i) => inspectionRow(i, titles, site)));
    after = page.next_after;
    more.hidden = !after;
    more.disabled = false;
  });
  const list = h("section", { class: "card", "data-testid": "inspection-list" }, first.items.length
    ? [h("div", { class: "wide-table" }, h("table", { "data-testid": "inspections" },
      h("caption", { class: "sr-only" }, t("repairs.inspections_caption")),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, t("repairs.completed")),
        h("th", { scope: "col" }, t("repairs.checklist")),
        h("th", { scope: "col" }, t("repairs.inspector")),
        h("th", { scope: "col" }, t("repairs.result")),
        h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("repairs.open"))))),
      body)), more]
    : h("p", { class: "muted", "data-testid": "no-inspections" }, t("repairs.no_inspections")));
  return { list, inspectors: first.items.map((i) => i.inspector) };
}

export async function drawInspections(ctx) {
  const { site } = ctx;
  const filters = filtersOf(new URLSearchParams(location.search));
  const [templates, members] = await Promise.all([
    api.get("/api/templates"),
    canChange(site) ? api.get(`/api/sites/${site.id}/people`) : null,
  ]);
  const titles = new Map(templates.map((x) => [x.key, pick(x.title_zh, x.title_en)]));
  let drawn = await listOf(site, filters, titles);
  // Those who run the site choose among its people; an auditor among the inspectors shown.
  const people = members
    ? members.map((m) => ({ id: m.user_id, name: m.display_name }))
    : [...new Map(drawn.inspectors.map((p) => [p.id, p])).values()];
  const field = (id, text, input) => h("div", {}, h("label", { for: id }, text), input);
  const from = h("input", { type: "date", id: "filter-from", value: filters.from, "data-testid": "filter-from" });
  const to = h("input", { type: "date", id: "filter-to", value: filters.to, "data-testid": "filter-to" });
  const checklist = h("select", { id: "filter-checklist", "data-testid": "filter-checklist" },
    h("option", { value: "" }, t("repairs.any")),
    [...titles].map(([key, title]) => h("option", { value: key, selected: key === filters.checklist }, title)));
  const person = h("select", { id: "filter-person", "data-testid": "filter-person" },
    h("option", { value: "" }, t("repairs.anyone")),
    people.map((p) => h("option", { value: p.id, selected: p.id === filters.person }, p.name)));
  const result = h("select", { id: "filter-result", "data-testid": "filter-result" },
    h("option", { value: "" }, t("repairs.any")),
    Object.entries(RESULTS).map(([value, key]) => h("option", { value, selected: value === filters.result }, t(key))));
  const form = h("form", { class: "card filters", "data-testid": "inspection-filters" },
    h("div", { class: "filter-grid" },
      field(from.id, t("repairs.filter_from"), from),
      field(to.id, t("repairs.filter_to"), to),
      field(checklist.id, t("repairs.checklist"), checklist),
      field(person.id, t("repairs.inspector"), person),
      field(result.id, t("repairs.result"), result)));
  let asked = 0;
  // An answer overtaken by a later change of the filters is dropped.
  form.addEventListener("change", async () => {
    const mine = ++asked;
    const chosen = { from: from.value, to: to.value, checklist: checklist.value, person: person.value, result: result.value };
    replaceAddress({ view: "inspections", ...chosen });
    const next = await listOf(site, filtersOf(new URLSearchParams(location.search)), titles);
    if (mine !== asked) return;
    drawn.list.replaceWith(next.list);
    drawn = next;
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  return [form, drawn.list];
}

// An item's answer row: what was answered, what it was held to, how it was judged, and the
// note and photos given with it.
function answerRow(item, inspection, judged, shown, site) {
  const answers = inspection.answers;
  const value = answers[item.key];
  const outcome = judged.get(item.key);
  const note = answers[`${item.key}.note`];
  const photos = [...(item.type === "photo" && Array.isArray(value) ? value : []),
    ...(Array.isArray(answers[`${item.key}.photos`]) ? answers[`${item.key}.photos`] : [])];
  return h("tr", { "data-testid": "answer", "data-item": item.key, "data-outcome": outcome?.result ?? "" },
    h("td", {}, label(item.label), outcome?.critical ? h("div", {}, badge(t("repairs.critical"), "badge-warn", "critical")) : null),
    h("td", { "data-testid": "answer-value" }, itemAnswer(item, value)),
    h("td", {}, itemLimit(item)),
    h("td", {}, outcome && outcome.result !== "unanswered"
      ? badge(t(OUTCOMES[outcome.result]), outcome.result === "fail" ? "badge-warn" : outcome.result === "pass" ? "badge-pass" : "badge-off", "answer-outcome")
      : null),
    h("td", {}, typeof note === "string" && note.trim() ? h("p", { class: "step-text" }, note) : null,
      photoList(photos, shown, site, "answer-photos")));
}

export async function drawInspection(ctx, id) {
  const { site } = ctx;
  const inspection = await api.get(`/api/inspections/${id}`);
  const [template, thing] = await Promise.all([
    templateOf(inspection.template_key, inspection.template_version),
    thingOf(inspection.asset_id, inspection.location_id).catch(() => ""),
  ]);
  const items = template?.template.items ?? [];
  const judged = new Map(inspection.evaluation.items.map((i) => [i.key, i]));
  const shown = items.filter((i) => judged.has(i.key) || inspection.answers[i.key] !== undefined);
  const digests = Object.entries(inspection.answers)
    .filter(([key, value]) => Array.isArray(value) && (key.endsWith(".photos") || items.find((i) => i.key === key)?.type === "photo"))
    .flatMap(([, value]) => value);
  const uploaded = await shownPhotos(digests);
  const evaluation = inspection.evaluation;
  const head = h("section", { class: "card", "data-testid": "inspection-detail" },
    h("p", {}, h("a", { href: address(site.id, { view: "inspections" }), "data-testid": "back-to-inspections" }, t("repairs.back_to_inspections"))),
    h("h2", {}, template ? label(template.template.title) : inspection.template_key),
    h("div", { class: "action-line" }, resultBadge(evaluation.result, evaluation.score),
      evaluation.critical_failure ? badge(t("repairs.critical_failure"), "badge-warn", "critical-failure") : null),
    facts([
      [t("repairs.thing"), thing, "inspection-thing"],
      [t("repairs.inspector"), inspection.inspector.name, "inspection-inspector"],
      [t("repairs.started"), formatDateTime(inspection.started_at), null],
      [t("repairs.completed"), formatDateTime(inspection.completed_at), null],
      [t("repairs.received"), formatDateTime(inspection.received_at), null],
      [t("repairs.inspection_note"), inspection.note, "inspection-note"],
      [t("repairs.version"), String(inspection.template_version), null],
    ]),
    inspection.superseded_by
      ? h("p", { class: "warn" }, h("a", { href: address(site.id, { inspection: inspection.superseded_by }) }, t("repairs.superseded")))
      : null,
    inspection.supersedes
      ? h("p", {}, h("a", { href: address(site.id, { inspection: inspection.supersedes }) }, t("repairs.supersedes")))
      : null);
  const answers = h("section", { class: "card wide-table" }, h("h2", {}, t("repairs.answers_title")),
    h("table", { "data-testid": "answers" },
      h("caption", { class: "sr-only" }, t("repairs.answers_title")),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, t("repairs.item")),
        h("th", { scope: "col" }, t("repairs.answer")),
        h("th", { scope: "col" }, t("repairs.limit")),
        h("th", { scope: "col" }, t("repairs.judged")),
        h("th", { scope: "col" }, t("repairs.notes_photos")))),
      h("tbody", {}, shown.map((item) => answerRow(item, inspection, judged, uploaded, site)))));
  const findings = inspection.findings.length
    ? h("section", { class: "card", "data-testid": "inspection-findings" }, h("h2", {}, t("repairs.findings_title")),
      h("ul", { class: "plain-list" }, inspection.findings.map((f) => h("li", { class: "finding-line", "data-testid": "inspection-finding" },
        h("span", { class: "person-name" }, label(items.find((i) => i.key === f.item_key)?.label) || f.item_key),
        badge(t(SEVERITIES[f.severity]), f.severity === "high" ? "badge-warn" : "badge-off", "finding-severity"),
        h("span", { "data-testid": "finding-status" }, t(FINDING_STATUSES[f.status])),
        h("a", { href: address(site.id, { finding: f.id }), "data-testid": "finding-action" }, t("repairs.open_action"))))))
    : null;
  return [head, answers, findings].filter(Boolean);
}
