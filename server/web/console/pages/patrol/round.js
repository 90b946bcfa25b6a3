// One round's timeline (GET /api/patrol/rounds/{id}): when it was due and walked, every
// scan in order of its time with how presence was proved and its flags in words, the
// checkpoints not scanned, the patroller's note, and the supervisors' signatures and
// comments. A window nobody walked has no round on the server (404): it is shown from the
// day's list, and may be closed with a comment all the same. Admins and managers close a
// missed or flagged round with a comment, countersign a fire patrol and call off a round
// not walked; each is a fact with an id made here, so a resend after a lost answer is
// applied once.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { problemSlot } from "../../forms.js";
import { t } from "../../i18n.js";
import {
  address, badge, clockText, coverageText, dayText, facts, flagChip, flagHelp, METHODS, personName, pick, roundBadges,
  routeName, scheduleName, showProblemIn, stateChip, timeText, windowText,
} from "./common.js";

// The round as the day's list has it, for a window with no round yet.
async function summaryOf(ctx, id, day) {
  if (!day) return null;
  const found = await api.get(`/api/sites/${ctx.site.id}/patrol/day?date=${day}`);
  return found.rounds.find((r) => r.id === id) ?? null;
}

// A window of which no fact has arrived: nobody started or scanned it, no supervisor
// signed, commented on or called it off.
const untouched = (round) => !round.started_at && !round.closed && !round.countersigned && round.state !== "cancelled";

function unwalked(round) {
  return { round, scans: [], missing: null, finished_note: "", countersigns: [], explanations: [], cancelled: null, unwalked: true };
}

async function detailOf(ctx, id, day) {
  // With its date, a window nobody touched is shown from the day's list without asking
  // for a round the server does not have.
  const listed = day ? await summaryOf(ctx, id, day) : null;
  if (listed && untouched(listed)) return unwalked(listed);
  try {
    return await api.get(`/api/patrol/rounds/${id}`);
  } catch (error) {
    if (!(error instanceof api.ApiError) || error.code !== "not_found" || !listed) throw error;
    return unwalked(listed);
  }
}

function scanRow(site, scan) {
  const classes = [scan.flags.length ? "scan-flagged" : null, scan.counted ? null : "scan-not-counted"].filter(Boolean).join(" ");
  const where = scan.checkpoint === null
    ? t("patrol.not_on_route")
    : t("patrol.checkpoint_number", { n: scan.checkpoint + 1 });
  return h("tr", { class: classes || null, "data-testid": "scan", "data-tag": scan.tag },
    h("td", { class: "scan-time", "data-testid": "scan-time" }, clockText(site, scan.scanned_at, true)),
    h("td", {},
      h("span", { class: "scan-checkpoint", "data-testid": "scan-checkpoint" }, pick(scan.checkpoint_name, scan.checkpoint_name_en) || scan.tag),
      h("span", { class: "muted small-text scan-where" }, `${where} · `, h("span", { class: "code" }, scan.tag))),
    h("td", { "data-testid": "scan-method", "data-label": t("patrol.scan_method") }, METHODS[scan.method] ? t(METHODS[scan.method]) : scan.method),
    h("td", { "data-label": t("patrol.scan_person") }, personName(scan.person)),
    h("td", { "data-testid": "scan-flags" },
      scan.counted ? null : h("span", { class: "badge badge-off", "data-testid": "not-counted" }, t("patrol.not_counted")),
      scan.flags.length
        ? h("ul", { class: "scan-flag-list" }, scan.flags.map((f) => h("li", {}, flagChip(f), h("span", { class: "small-text flag-help" }, flagHelp(f)))))
        : (scan.counted ? h("span", { class: "muted" }, t("patrol.no_flags")) : null)));
}

function timeline(site, detail) {
  if (!detail.scans.length) {
    return h("p", { class: "muted", "data-testid": "no-scans" }, detail.unwalked ? t("patrol.not_walked") : t("patrol.no_scans"));
  }
  return h("div", { class: "wide-table", tabindex: "0", role: "region", "aria-label": t("patrol.scans_title") }, h("table", { class: "scans", "data-testid": "scans" },
    h("caption", { class: "sr-only" }, t("patrol.scans_title")),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("patrol.scan_time")),
      h("th", { scope: "col" }, t("patrol.scan_checkpoint")),
      h("th", { scope: "col" }, t("patrol.scan_method")),
      h("th", { scope: "col" }, t("patrol.scan_person")),
      h("th", { scope: "col" }, t("patrol.scan_flags")))),
    h("tbody", {}, detail.scans.map((s) => scanRow(site, s)))));
}

function signatureList(site, list, kind, testid) {
  return list.map((s) => h("li", { class: "signature", "data-testid": testid },
    h("div", { class: "step-head" },
      h("span", { class: "step-kind" }, t(kind)),
      h("span", {}, personName(s.person)),
      h("span", { class: "muted" }, timeText(site, s.at))),
    s.text ? h("p", { class: "step-text", "data-testid": `${testid}-text` }, s.text) : null));
}

// One of the supervisor's forms: a text, a place for its problem, the button.
function signForm(ctx, redraw, { kind, title, hint, label, field, required, button, danger = false, send, done }) {
  const id = `patrol-${kind}-text`;
  const text = h("textarea", { id, name: field, rows: "3", maxlength: "2000", required, "data-testid": `${kind}-text` });
  const submit = h("button", { class: danger ? "danger" : null, "data-testid": `${kind}-submit` }, button);
  const form = h("form", { class: "step-box sign-form", "data-testid": `${kind}-form` },
    h("h3", {}, title),
    hint ? h("p", { class: "muted small-text" }, hint) : null,
    h("label", { for: id }, label), text, problemSlot(field),
    submit, problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await send(text.value.trim());
    } catch (error) {
      submit.disabled = false;
      return showProblemIn(form, error, ctx.describeError);
    }
    await redraw(done);
  });
  return form;
}

function supervisorForms(ctx, redraw, detail) {
  const { round } = detail;
  const now = () => new Date().toISOString();
  // A window with no round yet is named by its schedule and window as well.
  const named = round.schedule_id && round.window ? { schedule_id: round.schedule_id, window: round.window } : {};
  const forms = [];
  const walked = ["completed", "incomplete"].includes(round.state);
  if (round.needs_countersign && walked) {
    forms.push(signForm(ctx, redraw, {
      kind: "countersign",
      title: t("patrol.countersign_title"),
      hint: t("patrol.countersign_hint"),
      label: t("patrol.countersign_note"),
      field: "note",
      required: false,
      button: t("patrol.countersign"),
      send: (note) => api.post("/api/patrol/countersigns", { id: api.uuid7(), round_id: round.id, countersigned_at: now(), note }),
      done: t("patrol.countersigned_message", { name: scheduleName(round) }),
    }));
  }
  const wants = round.state === "missed" || round.state === "incomplete" || round.late || round.flags.length > 0;
  if (round.state !== "cancelled" && wants) {
    forms.push(signForm(ctx, redraw, {
      kind: "explain",
      title: round.closed ? t("patrol.explain_again_title") : t("patrol.explain_title"),
      hint: round.state === "missed" ? t("patrol.explain_hint_missed") : t("patrol.explain_hint"),
      label: t("patrol.explain_reason"),
      field: "reason",
      required: true,
      button: t("patrol.explain"),
      send: (reason) => api.post("/api/patrol/explanations", { id: api.uuid7(), round_id: round.id, ...named, explained_at: now(), reason }),
      done: t("patrol.explained_message", { name: scheduleName(round) }),
    }));
  }
  // A scheduled round not walked (yet) may be called off: an exam, a typhoon.
  if (!round.voluntary && (round.state === "upcoming" || round.state === "missed")) {
    forms.push(signForm(ctx, redraw, {
      kind: "cancel",
      title: t("patrol.cancel_title"),
      hint: t("patrol.cancel_hint"),
      label: t("patrol.cancel_reason"),
      field: "reason",
      required: true,
      button: t("patrol.cancel"),
      danger: true,
      send: (reason) => api.post("/api/patrol/cancellations", { id: api.uuid7(), round_id: round.id, ...named, cancelled_at: now(), reason }),
      done: t("patrol.cancelled_message", { name: scheduleName(round) }),
    }));
  }
  return forms;
}

// What happened when, in words: early, late, or a finish sooner than the walk takes.
function timingNotes(round) {
  return [
    round.early_start ? t("patrol.early_start") : null,
    round.late_start ? t("patrol.late_start") : null,
    round.early_finish ? t("patrol.early_finish") : null,
    round.late_finish ? t("patrol.late_finish") : null,
  ].filter(Boolean);
}

export async function draw(ctx, redraw, query) {
  const { site } = ctx;
  const id = query.get("round");
  const day = query.get("date");
  const detail = await detailOf(ctx, id, day);
  const { round } = detail;
  const back = address(site.id, { view: "day", date: round.local_date ?? day });
  const onDuty = round.on_duty.length
    ? round.on_duty.map(personName).join(t("list.separator"))
    : (round.on_duty_role ? t(`role.${round.on_duty_role}`) : "");
  const notes = timingNotes(round);
  const head = h("section", { class: "card", "data-testid": "round-detail", "data-id": round.id, "data-state": round.state },
    h("p", { class: "back-link" }, h("a", { href: back, "data-testid": "back-to-day" }, t("patrol.back_to_day"))),
    h("h2", { class: "round-heading", "data-testid": "round-title" },
      round.voluntary
        ? `${t("patrol.voluntary")} · ${routeName(round)}`
        : `${scheduleName(round)} · ${round.local_date ? dayText(round.local_date) : ""} ${windowText(site, round)}`),
    h("div", { class: "round-line" }, stateChip(round.state), roundBadges(round),
      round.serious ? badge(t("patrol.serious"), "badge-warn", "serious") : null),
    facts([
      [t("patrol.route"), round.route_version ? t("patrol.route_version", { name: routeName(round), version: round.route_version }) : routeName(round), "round-route"],
      [t("patrol.window"), round.voluntary ? "" : windowText(site, round), "round-window"],
      [t("patrol.grace_until"), round.grace_end ? timeText(site, round.grace_end) : "", null],
      [t("patrol.on_duty"), onDuty, "round-on-duty"],
      [t("patrol.walked_by_label"), round.person
        ? h("a", { href: address(site.id, { view: "people", person: round.person.id }), title: t("patrol.person_rounds") }, personName(round.person))
        : "", "round-person"],
      [t("patrol.started"), round.started_at ? timeText(site, round.started_at) : "", "round-started"],
      [t("patrol.finished"), round.finished_at ? timeText(site, round.finished_at) : "", "round-finished"],
      [t("patrol.covered"), coverageText(round), "round-coverage"],
      [t("patrol.timing"), notes.join(t("list.separator")), "round-timing"],
    ]),
    round.voluntary ? h("p", { class: "muted small-text" }, t("patrol.voluntary_hint")) : null,
    round.state === "cancelled" ? h("p", { class: "muted small-text" }, t("patrol.cancelled_hint")) : null);
  const missing = detail.missing ?? [];
  const signatures = [
    ...signatureList(site, detail.countersigns, "patrol.did_countersign", "countersign"),
    ...signatureList(site, detail.explanations, "patrol.did_explain", "explanation"),
    ...(detail.cancelled ? signatureList(site, [detail.cancelled], "patrol.did_cancel", "cancellation") : []),
  ];
  const forms = ctx.canChange ? supervisorForms(ctx, redraw, detail) : [];
  return [
    head,
    h("section", { class: "card", "data-testid": "timeline" },
      h("h2", {}, t("patrol.scans_title")),
      timeline(site, detail),
      missing.length
        ? h("div", { class: "missing", "data-testid": "missing" },
          h("h3", {}, t("patrol.missing_title", { count: missing.length })),
          h("ul", { class: "missing-list" }, missing.map((m) => h("li", { "data-testid": "missing-checkpoint", "data-tag": m.tag },
            pick(m.name, m.name_en) || m.tag, " ", h("span", { class: "muted code" }, m.tag)))))
        : null,
      detail.finished_note
        ? h("div", { class: "finished-note" }, h("h3", {}, t("patrol.finished_note")),
          h("p", { class: "step-text", "data-testid": "finished-note" }, detail.finished_note))
        : null),
    h("section", { class: "card", "data-testid": "signatures" },
      h("h2", {}, t("patrol.signatures_title")),
      signatures.length ? h("ol", { class: "steps" }, signatures) : h("p", { class: "muted", "data-testid": "no-signatures" }, t("patrol.no_signatures"))),
    forms.length ? h("section", { class: "card", "data-testid": "supervisor-forms" },
      h("h2", {}, t("patrol.supervisor_title")), h("div", { class: "step-boxes" }, forms)) : null,
  ].filter(Boolean);
}
