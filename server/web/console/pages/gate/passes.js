// Early-leave passes (离校条): a pupil leaving in school hours. A manager creates one as a
// class teacher would (pupil, class, reason, window, who collects), records the parent's
// agreement given by phone or makes a one-time link for the parent to confirm themselves
// (shown once, with a button to copy it), and cancels a pass that is no longer wanted. The
// day's passes are listed with their state, what still stops an exit, and their flags.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import {
  clockText, dayText, flagChip, fromLocalInput, isDay, localInputValue, nowIso, personName, problemSlot, shiftDay, showProblem,
  siteToday, timeText,
} from "./common.js";

// A pass's states (server/gate/passes.py PassState), each with a mark.
const PASS_STATES = {
  unknown: ["gate.pass_state_unknown", "?"],
  awaiting_parent: ["gate.pass_state_awaiting_parent", "…"],
  confirmed: ["gate.pass_state_confirmed", "✓"],
  cancelled: ["gate.pass_state_cancelled", "✗"],
  exited: ["gate.pass_state_exited", "→"],
};

function passChip(state) {
  const [name, mark] = PASS_STATES[state] ?? ["gate.state_other", "·"];
  return h("span", { class: `gate-chip gate-pass-${state}`, "data-testid": "pass-state", "data-state": state },
    h("span", { class: "gate-chip-mark", "aria-hidden": "true" }, mark), t(name));
}

const field = (id, label, input, problem = input.name) =>
  h("div", {}, h("label", { for: id }, label), input, problemSlot(problem));

function newPassForm(ctx, redraw) {
  const { site, describeError } = ctx;
  const start = new Date(Date.now() + 10 * 60_000);
  const end = new Date(start.getTime() + 60 * 60_000);
  const form = h("form", { class: "card gate-pass-new", "data-testid": "pass-new" },
    h("h2", {}, t("gate.pass_new_title")),
    h("p", { class: "muted small-text" }, t("gate.pass_new_hint")),
    h("div", { class: "gate-grid" },
      field("pass-pupil", t("gate.pupil"), h("input", { id: "pass-pupil", name: "pupil", required: true, maxlength: 100, "data-testid": "pass-pupil" })),
      field("pass-class", t("gate.class_name"), h("input", { id: "pass-class", name: "class_name", required: true, maxlength: 100, "data-testid": "pass-class" })),
      field("pass-from", t("gate.leave_from"), h("input", { id: "pass-from", name: "leave_from", type: "datetime-local", required: true, value: localInputValue(site, start.toISOString()), "data-testid": "pass-from" })),
      field("pass-until", t("gate.leave_until"), h("input", { id: "pass-until", name: "leave_until", type: "datetime-local", required: true, value: localInputValue(site, end.toISOString()), "data-testid": "pass-until" })),
      field("pass-collector", t("gate.collector"), h("input", { id: "pass-collector", name: "collector", maxlength: 100, placeholder: t("gate.collector_none"), "data-testid": "pass-collector" })),
      field("pass-collector-phone", t("gate.collector_phone"), h("input", { id: "pass-collector-phone", name: "collector_phone", type: "tel", maxlength: 40, "data-testid": "pass-collector-phone" }))),
    field("pass-reason", t("gate.pass_reason"), h("input", { id: "pass-reason", name: "reason", required: true, maxlength: 500, "data-testid": "pass-reason" })),
    h("button", { "data-testid": "pass-create" }, t("gate.pass_create")),
    problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const passId = api.uuid7();
    const body = {
      id: api.uuid7(),
      pass_id: passId,
      pupil: form.pupil.value.trim(),
      class_name: form.class_name.value.trim(),
      reason: form.reason.value.trim(),
      leave_from: fromLocalInput(site, form.leave_from.value),
      leave_until: fromLocalInput(site, form.leave_until.value),
      collector: form.collector.value.trim() || null,
      collector_phone: form.collector_phone.value.trim() || null,
      created_at: nowIso(),
    };
    try {
      await api.post(`/api/sites/${site.id}/passes`, body);
    } catch (error) {
      showProblem(form, error, describeError);
      return;
    }
    await redraw(t("gate.pass_created_message", { pupil: body.pupil }));
  });
  return form;
}

// A one-time link for the parent, shown once with a button that copies it.
async function makeLink(pass, out, describeError) {
  let link;
  try {
    link = await api.post(`/api/passes/${pass.id}/parent-links`);
  } catch (error) {
    out.replaceChildren(h("p", { class: "warn", role: "alert" }, describeError(error)));
    return;
  }
  const input = h("input", { id: `link-${pass.id}`, readonly: true, value: link.url, "data-testid": "parent-link" });
  const said = h("span", { class: "small-text", role: "status", "data-testid": "copy-said" });
  const copy = async () => {
    input.select();
    let done = false;
    try {
      await navigator.clipboard.writeText(link.url);
      done = true;
    } catch {
      // Without the clipboard API (a plain-http address), the selection is copied.
      done = document.execCommand("copy");
    }
    said.textContent = t(done ? "gate.link_copied" : "gate.link_copy_by_hand");
  };
  out.replaceChildren(
    h("label", { for: `link-${pass.id}` }, t("gate.parent_link")),
    h("div", { class: "row gate-link" }, input,
      h("button", { type: "button", class: "small", "data-testid": "copy-link", onclick: copy }, t("gate.copy_link"))),
    h("p", { class: "small-text muted" }, t("gate.link_expires", { time: timeText(pass.site, link.expires_at) })),
    said);
}

function passActions(ctx, pass, redraw) {
  const { site, describeError } = ctx;
  if (["cancelled", "exited", "unknown"].includes(pass.state)) return null;
  const parts = [];
  if (pass.state === "awaiting_parent") {
    const confirmForm = h("form", { class: "gate-subform", "data-testid": "pass-confirm" },
      h("h4", {}, t("gate.confirm_by_phone")),
      h("div", { class: "gate-grid" },
        field(`parent-${pass.id}`, t("gate.parent_name"), h("input", { id: `parent-${pass.id}`, name: "parent_name", required: true, maxlength: 100, "data-testid": "parent-name" })),
        field(`parent-phone-${pass.id}`, t("gate.parent_phone"), h("input", { id: `parent-phone-${pass.id}`, name: "parent_phone", type: "tel", required: true, maxlength: 40, "data-testid": "parent-phone" }))),
      h("button", { class: "small", "data-testid": "pass-confirm-submit" }, t("gate.confirm_submit")),
      problemSlot());
    confirmForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api.post(`/api/passes/${pass.id}/confirmations`, {
          id: api.uuid7(), parent_name: confirmForm.parent_name.value.trim(), parent_phone: confirmForm.parent_phone.value.trim(),
          confirmed_at: nowIso(), channel: "teacher",
        });
      } catch (error) {
        showProblem(confirmForm, error, describeError);
        return;
      }
      await redraw(t("gate.pass_confirmed_message", { pupil: pass.pupil }));
    });
    const out = h("div", { class: "gate-link-out", "data-testid": "parent-link-out" });
    parts.push(confirmForm, h("div", { class: "gate-subform" },
      h("h4", {}, t("gate.parent_link_title")),
      h("p", { class: "small-text muted" }, t("gate.parent_link_hint")),
      h("button", { type: "button", class: "small", "data-testid": "make-link", onclick: () => makeLink({ ...pass, site }, out, describeError) }, t("gate.make_link")),
      out));
  }
  const cancelForm = h("form", { class: "gate-subform", "data-testid": "pass-cancel" },
    h("label", { for: `cancel-${pass.id}` }, t("gate.cancel_reason")),
    h("div", { class: "row" },
      h("input", { id: `cancel-${pass.id}`, name: "reason", maxlength: 500, "data-testid": "cancel-reason" }),
      h("button", { class: "small danger", "data-testid": "pass-cancel-submit" }, t("gate.cancel_pass"))),
    problemSlot());
  cancelForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!confirm(t("gate.cancel_confirm", { pupil: pass.pupil }))) return;
    try {
      await api.post(`/api/passes/${pass.id}/cancellations`, { id: api.uuid7(), cancelled_at: nowIso(), reason: cancelForm.reason.value.trim() });
    } catch (error) {
      showProblem(cancelForm, error, describeError);
      return;
    }
    await redraw(t("gate.pass_cancelled_message", { pupil: pass.pupil }));
  });
  parts.push(cancelForm);
  return h("details", { class: "gate-pass-actions" }, h("summary", { "data-testid": "pass-open" }, t("gate.pass_actions")), parts);
}

function passItem(ctx, pass, redraw) {
  const { site } = ctx;
  const parent = pass.confirmed_by_parent;
  return h("li", { class: "gate-pass", "data-testid": "pass", "data-id": pass.id, "data-state": pass.state },
    h("div", { class: "gate-entry-head" },
      h("span", { class: "gate-entry-name", "data-testid": "pass-pupil-name" }, pass.pupil),
      h("span", { class: "muted" }, pass.class_name),
      passChip(pass.state)),
    h("p", { class: "small-text" }, [
      t("gate.pass_window", { from: clockText(site, pass.leave_from), until: clockText(site, pass.leave_until) }),
      pass.collector ? t("gate.collected_by", { name: pass.collector }) : t("gate.leaves_alone"),
      pass.collector_phone_masked,
    ].filter(Boolean).join(t("gate.sep"))),
    h("p", { class: "small-text muted" }, pass.reason),
    h("p", { class: "small-text muted" }, [
      t("gate.pass_created_by", { name: personName(pass.created_by) }),
      parent ? t(parent.channel === "link" ? "gate.parent_confirmed_link" : "gate.parent_confirmed_phone",
        { name: parent.name, phone: parent.phone_masked ?? "", time: clockText(site, parent.at) }) : null,
      pass.exited_at ? t("gate.pass_exited_at", { time: clockText(site, pass.exited_at) }) : null,
      pass.cancelled_at ? t("gate.pass_cancelled_at", { time: clockText(site, pass.cancelled_at) }) : null,
    ].filter(Boolean).join(t("gate.sep"))),
    pass.blockers?.length && !["cancelled", "exited"].includes(pass.state)
      ? h("p", { class: "small-text", "data-testid": "pass-blockers" }, t("gate.pass_blocked"), " ",
        pass.blockers.map((b) => flagChip(b)))
      : null,
    pass.flags?.length ? h("span", { class: "gate-flags" }, pass.flags.map((f) => flagChip(f))) : null,
    passActions(ctx, pass, redraw));
}

export async function draw(ctx, redraw, query) {
  const { site } = ctx;
  const today = siteToday(site);
  const day = isDay(query.get("date")) ? query.get("date") : today;
  const passes = await api.get(`/api/sites/${site.id}/passes?date=${day}`);
  const link = (d) => `/console/gate?${new URLSearchParams({ site: site.id, view: "passes", ...(d === today ? {} : { date: d }) })}`;
  return [
    newPassForm(ctx, redraw),
    h("section", { class: "card", "data-testid": "pass-list", "data-date": day },
      h("h2", {}, t("gate.passes_title", { date: dayText(day), count: passes.length })),
      h("p", { class: "row" },
        h("a", { class: "button gate-plain-link", href: link(shiftDay(day, -1)), "data-testid": "pass-day-previous" }, t("gate.day_previous")),
        day !== today ? h("a", { class: "button gate-plain-link", href: link(today) }, t("gate.day_today")) : null,
        h("a", { class: "button gate-plain-link", href: link(shiftDay(day, 1)), "data-testid": "pass-day-next" }, t("gate.day_next"))),
      passes.length
        ? h("ul", { class: "plain-list gate-entries" }, passes.map((p) => passItem(ctx, p, redraw)))
        : h("p", { class: "muted", "data-testid": "passes-empty" }, t("gate.passes_empty"))),
  ];
}
