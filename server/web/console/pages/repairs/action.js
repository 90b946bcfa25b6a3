// One corrective action: what it is about and who holds it, what the inspector found (the
// answer, the limit, the note, the photos), every step since with its note and photos, and
// the steps a manager may take now (assign, verify, reopen, cancel with a reason). A step
// is sent with the version shown: one the action no longer allows is said, and what is
// stored now shown.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { problemSlot, showProblem } from "../../forms.js";
import { formatDateTime, t } from "../../i18n.js";
import {
  address, badge, canChange, evidenceAnswer, facts, FINDING_STATUSES, isOverdue, limitText, photoList, pick,
  SEVERITIES, shownPhotos, stateBadge, STATES, thingOf,
} from "./common.js";

const STEPS = {
  created: "repairs.did_created",
  assign: "repairs.did_assign",
  start: "repairs.did_start",
  fix: "repairs.did_fix",
  verify: "repairs.did_verify",
  reopen: "repairs.did_reopen",
  cancel: "repairs.did_cancel",
  rechecked: "repairs.did_rechecked",
  withdrawn: "repairs.did_withdrawn",
};
const SOURCES = {
  finding: "repairs.source_finding",
  hazard: "repairs.source_hazard",
  repair: "repairs.source_repair",
};
// Which of a manager's steps each state allows (server/actions/rules.py MOVES).
const ALLOWED = {
  assign: ["open", "in_progress", "fixed"],
  verify: ["fixed"],
  reopen: ["fixed", "verified"],
  cancel: ["open", "in_progress", "fixed"],
};
// Whom an action is assigned to: those who fix things first, then everyone else who may
// hold one (an auditor only reads).
const FIXERS = ["maintainer"];

function stepLine(event, names, shown, site) {
  const who = event.by ? event.by.name : t("repairs.by_system");
  const moved = event.from_state && event.to_state && event.from_state !== event.to_state
    ? t("repairs.moved", { from: t(STATES[event.from_state] ?? event.from_state), to: t(STATES[event.to_state] ?? event.to_state) })
    : "";
  const owner = event.kind === "assign" && event.owner_id ? t("repairs.assigned_to", { name: names.get(event.owner_id) ?? t("repairs.someone") }) : "";
  return h("li", { class: "step", "data-testid": "step", "data-kind": event.kind },
    h("div", { class: "step-head" },
      h("span", { class: "step-kind" }, STEPS[event.kind] ? t(STEPS[event.kind]) : event.kind),
      h("span", { class: "muted" }, formatDateTime(event.at)),
      h("span", {}, who),
      moved ? h("span", { class: "muted" }, moved) : null,
      event.parallel ? badge(t("repairs.parallel"), "badge-off", "parallel") : null),
    owner ? h("p", { class: "step-text" }, owner) : null,
    event.note ? h("p", { class: "step-text", "data-testid": "step-note" }, t("repairs.note_is", { note: event.note })) : null,
    event.reason ? h("p", { class: "step-text", "data-testid": "step-reason" }, t("repairs.reason_is", { reason: event.reason })) : null,
    event.inspection_id
      ? h("p", { class: "step-text" }, h("a", { href: address(site.id, { inspection: event.inspection_id }) }, t("repairs.open_recheck")))
      : null,
    photoList(event.photos, shown, site, "step-photos"));
}

// One step's form: its fields, a place for the problem of each, and its button.
function stepForm(kind, action, ctx, redraw, { fields = [], button, danger = false, done }) {
  const form = h("form", { class: "step-form", "data-testid": `${kind}-form` },
    fields.map((f) => h("div", {}, f.label, f.input, problemSlot(f.input.name))),
    h("button", { class: danger ? "danger" : null, "data-testid": `${kind}-submit` }, button),
    problemSlot("transition"), problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { id: api.uuid7(), action_id: action.id, transition: kind, base_version: action.version };
    for (const f of fields) body[f.input.name] = f.input.value.trim() || (f.input.name === "owner_id" ? null : "");
    let result;
    try {
      result = await api.post(`/api/actions/${action.id}/transitions`, body);
    } catch (error) {
      // Changed meanwhile into a state that no longer allows it: what is stored now.
      if (error.code === "action.conflict") return redraw(t("repairs.stale", { title: pick(action.title, action.title_en) }), true);
      return showProblem(form, error, ctx.describeError);
    }
    const message = done(result.action);
    await redraw(result.parallel ? `${message} ${t("repairs.applied_alongside")}` : message);
  });
  return form;
}

function textField(id, name, text) {
  return {
    label: h("label", { for: id }, text),
    input: h("textarea", { id, name, rows: "2", maxlength: "2000" }),
  };
}

function stepForms(action, people, ctx, redraw) {
  const forms = [];
  const allows = (kind) => ALLOWED[kind].includes(action.state);
  const nameOf = (id) => people.find((p) => p.user_id === id)?.display_name ?? "";
  if (allows("assign")) {
    const holders = people.filter((p) => p.role !== "auditor");
    const group = (text, list) => list.length
      ? h("optgroup", { label: text }, list.map((p) => h("option", { value: p.user_id, selected: p.user_id === action.owner_id },
        t("person.with_role", { name: p.display_name, role: t(`role.${p.role}`) }))))
      : null;
    const select = h("select", { id: "step-owner", name: "owner_id", "data-testid": "assign-owner" },
      h("option", { value: "" }, t("repairs.choose_owner")),
      group(t("repairs.fixers"), holders.filter((p) => FIXERS.includes(p.role))),
      group(t("repairs.others"), holders.filter((p) => !FIXERS.includes(p.role))));
    forms.push(h("div", { class: "step-box" }, h("h3", {}, t("repairs.assign_title")),
      stepForm("assign", action, ctx, redraw, {
        fields: [{ label: h("label", { for: select.id }, t("repairs.assign_to")), input: select }],
        button: t("repairs.assign"),
        done: (after) => t("repairs.assigned", { name: nameOf(after.owner_id) }),
      })));
  }
  if (allows("verify")) {
    forms.push(h("div", { class: "step-box" }, h("h3", {}, t("repairs.verify_title")),
      h("p", { class: "muted small-text" }, t("repairs.verify_hint")),
      stepForm("verify", action, ctx, redraw, {
        fields: [textField("step-verify-note", "note", t("repairs.verify_note"))],
        button: t("repairs.verify"),
        done: () => (action.finding_id ? t("repairs.verified_with_finding") : t("repairs.verified")),
      })));
  }
  if (allows("reopen")) {
    forms.push(h("div", { class: "step-box" }, h("h3", {}, t("repairs.reopen_title")),
      stepForm("reopen", action, ctx, redraw, {
        fields: [textField("step-reopen-reason", "reason", t("repairs.reopen_reason"))],
        button: t("repairs.reopen"),
        done: () => t("repairs.reopened"),
      })));
  }
  if (allows("cancel")) {
    forms.push(h("div", { class: "step-box" }, h("h3", {}, t("repairs.cancel_title")),
      h("p", { class: "muted small-text" }, t("repairs.cancel_hint")),
      stepForm("cancel", action, ctx, redraw, {
        fields: [textField("step-cancel-reason", "reason", t("repairs.cancel_reason"))],
        button: t("repairs.cancel"),
        danger: true,
        done: () => t("repairs.cancelled"),
      })));
  }
  return forms;
}

async function evidenceCard(action, finding, shown, site) {
  const seen = action.evidence;
  const rows = [];
  if (seen?.item_type) {
    rows.push([t("repairs.found_answer"), evidenceAnswer(seen), "evidence-answer"]);
    rows.push([t("repairs.found_limit"), limitText(seen), "evidence-limit"]);
    rows.push([t("repairs.found_note"), seen.note, "evidence-note"]);
  } else if (action.description) {
    // A hazard report or repair request: the reporter's own words.
    rows.push([t("repairs.report_words"), action.description, "report-description"]);
  }
  if (finding) {
    rows.push([t("repairs.finding_severity"), t(SEVERITIES[finding.severity]), "finding-severity"]);
    rows.push([t("repairs.finding_status"), t(FINDING_STATUSES[finding.status]), "finding-status"]);
    rows.push([t("repairs.found_at"), formatDateTime(finding.observed_at), null]);
  }
  const inspectionId = seen?.inspection_id ?? finding?.inspection_id;
  return h("section", { class: "card", "data-testid": "evidence" },
    h("h2", {}, t(SOURCES[action.source])),
    facts(rows),
    photoList(seen?.photos ?? [], shown, site, "evidence-photos"),
    inspectionId
      ? h("p", {}, h("a", { href: address(site.id, { inspection: inspectionId }), "data-testid": "open-inspection" }, t("repairs.open_inspection")))
      : null);
}

// The action raised from a finding (the findings' lists lead here), or a note that there is none.
export async function drawActionOf(ctx, findingId, redraw) {
  const query = new URLSearchParams({ site_id: ctx.site.id, finding_id: findingId, limit: "1" });
  const [action] = (await api.get(`/api/actions?${query}`)).items;
  if (!action) return [h("p", { class: "card muted", "data-testid": "no-action" }, t("repairs.no_action"))];
  return drawAction(ctx, action.id, redraw);
}

export async function drawAction(ctx, id, redraw) {
  const { site } = ctx;
  const action = await api.get(`/api/actions/${id}`);
  const [finding, thing, members] = await Promise.all([
    action.finding_id ? api.get(`/api/findings/${action.finding_id}`) : null,
    thingOf(action.asset_id, action.location_id).catch(() => ""),
    canChange(site) ? api.get(`/api/sites/${site.id}/people`) : [],
  ]);
  const shown = await shownPhotos([...(action.evidence?.photos ?? []), ...action.history.flatMap((e) => e.photos)]);
  const names = new Map(action.people.map((p) => [p.id, p.name]));
  const late = isOverdue(action);
  const head = h("section", { class: "card", "data-testid": "action", "data-state": action.state, "data-version": action.version },
    h("p", {}, h("a", { href: address(site.id, { view: "actions" }), "data-testid": "back-to-board" }, t("repairs.back_to_board"))),
    h("h2", { class: "action-heading", "data-testid": "action-title" }, pick(action.title, action.title_en)),
    h("div", { class: "action-line" }, stateBadge(action.state),
      action.priority === "high" ? badge(t("repairs.priority_high"), "badge-warn", "high-priority") : null,
      late ? badge(t("repairs.overdue"), "badge-warn", "overdue") : null),
    facts([
      [t("repairs.thing"), thing, "action-thing"],
      [t("repairs.owner"), action.owner_id ? names.get(action.owner_id) ?? t("repairs.someone") : t("repairs.unassigned"), "action-owner"],
      [t("repairs.requester"), action.requester_id ? names.get(action.requester_id) ?? "" : "", "action-requester"],
      [t("repairs.raised"), formatDateTime(action.raised_at), null],
      [t("repairs.due"), formatDateTime(action.due_at), "action-due"],
      [t("repairs.closed"), action.closed_at ? formatDateTime(action.closed_at) : "", null],
    ]));
  const steps = canChange(site) ? stepForms(action, members, ctx, redraw) : [];
  return [
    head,
    await evidenceCard(action, finding, shown, site),
    steps.length ? h("section", { class: "card", "data-testid": "steps" }, h("h2", {}, t("repairs.steps_title")), h("div", { class: "step-boxes" }, steps)) : null,
    h("section", { class: "card", "data-testid": "history" }, h("h2", {}, t("repairs.history_title")),
      h("ol", { class: "steps" }, action.history.map((e) => stepLine(e, names, shown, site)))),
  ].filter(Boolean);
}
