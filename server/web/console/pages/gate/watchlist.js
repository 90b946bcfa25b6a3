// The watchlist (黑名单, managers only): people the gate must not let in without a manager's
// word, found by their document. A number is typed once, sent once and kept by the server
// only as its keyed hash and its mask: the page shows the mask and never the number, and
// clears it from the form as soon as it is sent. The visits that matched an entry and wait
// for a manager come first, to admit or to deny.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import {
  ID_TYPES, address, canChange, clockText, idText, idTypeName, personName, problemSlot, showProblem, siteToday, timeText,
} from "./common.js";
import { watchForm } from "./today.js";

// The kinds a watch entry can name: any document with a number ("none" has none).
const KINDS = Object.keys(ID_TYPES).filter((k) => k !== "none");

function addForm(ctx, redraw) {
  const { site, describeError } = ctx;
  const field = (id, label, input, problem) => h("div", {}, h("label", { for: id }, label), input, problemSlot(problem));
  const form = h("form", { class: "card gate-watch-new", "data-testid": "watch-new", autocomplete: "off" },
    h("h2", {}, t("gate.watch_add_title")),
    h("p", { class: "muted small-text" }, t("gate.watch_add_hint")),
    h("div", { class: "gate-grid" },
      field("watch-type", t("gate.id_type"),
        h("select", { id: "watch-type", name: "id_type", "data-testid": "watch-type" },
          KINDS.map((k) => h("option", { value: k }, idTypeName(k)))), "id_type"),
      field("watch-number", t("gate.id_number"),
        h("input", { id: "watch-number", name: "id_number", required: true, maxlength: 40, autocomplete: "off", spellcheck: "false", "data-testid": "watch-number" }), "id_number"),
      field("watch-name", t("gate.watch_name"),
        h("input", { id: "watch-name", name: "name", required: true, maxlength: 100, "data-testid": "watch-name" }), "name"),
      field("watch-why", t("gate.watch_reason_entry"),
        h("input", { id: "watch-why", name: "reason", required: true, maxlength: 500, "data-testid": "watch-why" }), "reason")),
    h("button", { "data-testid": "watch-add" }, t("gate.watch_add")),
    problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      id: api.uuid7(),
      id_type: form.id_type.value,
      id_number: form.id_number.value.trim(),
      name: form.elements.name.value.trim(),
      reason: form.reason.value.trim(),
    };
    // The number leaves the page with the request: not kept in the form, whatever the answer.
    form.id_number.value = "";
    let entry;
    try {
      entry = await api.post(`/api/sites/${site.id}/gate/watchlist`, body);
    } catch (error) {
      showProblem(form, error, describeError);
      return;
    }
    await redraw(t("gate.watch_added_message", { name: entry.name, masked: entry.id_masked ?? "" }));
  });
  return form;
}

function entryLine(ctx, entry, redraw) {
  const { site, describeError } = ctx;
  const removed = Boolean(entry.removed_at);
  const remove = async (event) => {
    event.preventDefault();
    const form = event.target.closest("form");
    if (!confirm(t("gate.watch_remove_confirm", { name: entry.name }))) return;
    try {
      await api.post(`/api/gate/watchlist/${entry.id}/remove`);
    } catch (error) {
      showProblem(form, error, describeError);
      return;
    }
    await redraw(t("gate.watch_removed_message", { name: entry.name }));
  };
  return h("li", { class: `gate-entry${removed ? " gate-entry-removed" : ""}`, "data-testid": "watch-entry", "data-id": entry.id, "data-removed": String(removed) },
    h("div", { class: "gate-entry-head" },
      h("span", { class: "gate-entry-name", "data-testid": "watch-entry-name" }, entry.name),
      h("span", { class: "gate-id", "data-testid": "watch-entry-id" }, idText(entry)),
      removed ? h("span", { class: "badge badge-off", "data-testid": "watch-entry-removed" }, t("gate.watch_entry_removed")) : null),
    h("p", { class: "small-text", "data-testid": "watch-entry-reason" }, entry.reason),
    h("p", { class: "small-text muted" }, [
      t("gate.watch_added_by", { name: personName(entry.added_by), time: timeText(site, entry.added_at) }),
      removed ? t("gate.watch_removed_by", { name: personName(entry.removed_by), time: timeText(site, entry.removed_at) }) : null,
    ].filter(Boolean).join(t("gate.sep"))),
    !removed && canChange(site)
      ? h("form", { class: "gate-inline", onsubmit: remove },
        h("button", { class: "small danger", "data-testid": "watch-remove", "aria-label": t("gate.watch_remove_named", { name: entry.name }) }, t("gate.watch_remove")),
        problemSlot())
      : null);
}

// Today's visits that matched an entry and wait for a manager's word.
function waiting(ctx, visits, redraw) {
  const { site } = ctx;
  const matched = visits.filter((v) => v.watch === "match");
  return h("section", { class: "card note gate-watch-waiting", "data-testid": "watch-waiting" },
    h("h2", {}, t("gate.watch_waiting_title", { count: matched.length })),
    matched.length
      ? h("ul", { class: "plain-list" }, matched.map((visit) => h("li", { class: "gate-waiting", "data-testid": "watch-pending", "data-id": visit.id },
        h("a", { href: address(site.id, { visit: visit.id }), class: "gate-visitor" }, visit.visitor ?? t("gate.unnamed")),
        h("span", { class: "small-text" }, [idText(visit), visit.organisation, t("gate.visiting", { host: personName(visit.host) }),
          t("gate.time_in", { time: clockText(site, visit.checked_in_at) })].filter(Boolean).join(t("gate.sep"))),
        watchForm(ctx, visit, redraw))))
      : h("p", { class: "muted", "data-testid": "watch-waiting-none" }, t("gate.watch_waiting_none")));
}

export async function draw(ctx, redraw) {
  const { site } = ctx;
  const [entries, visits] = await Promise.all([
    api.get(`/api/sites/${site.id}/gate/watchlist`),
    api.get(`/api/sites/${site.id}/visits?date=${siteToday(site)}`),
  ]);
  const active = entries.filter((e) => !e.removed_at);
  const removed = entries.filter((e) => e.removed_at);
  return [
    waiting(ctx, visits, redraw),
    canChange(site) ? addForm(ctx, redraw) : null,
    h("section", { class: "card", "data-testid": "watchlist" },
      h("h2", {}, t("gate.watchlist_title", { count: active.length })),
      active.length
        ? h("ul", { class: "plain-list gate-entries" }, active.map((e) => entryLine(ctx, e, redraw)))
        : h("p", { class: "muted", "data-testid": "watchlist-empty" }, t("gate.watchlist_empty")),
      removed.length
        ? h("details", { class: "gate-removed" },
          h("summary", {}, t("gate.watch_removed_title", { count: removed.length })),
          h("ul", { class: "plain-list gate-entries" }, removed.map((e) => entryLine(ctx, e, redraw))))
        : null),
  ].filter(Boolean);
}
