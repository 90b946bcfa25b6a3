// Pick-up cards (接送卡): who may collect a small child. A card names the child, its class
// and validity, and its collectors, each with the code of the card or QR they show at the
// gate; a temporary collector (a grandparent for a week) carries an end. Managers add,
// edit (a card changed by someone else meanwhile is not saved over: it is shown as it is
// now) and revoke cards. Phones come back masked: a collector's phone field left empty on
// an edit sends none.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import {
  canChange, fromLocalInput, localInputValue, problemSlot, showProblem, timeText,
} from "./common.js";

const field = (id, label, input, problem = input.name) =>
  h("div", {}, h("label", { for: id }, label), input, problemSlot(problem));

let rows = 0;

// One collector's row in a card's form; `temporary` shows their validity.
function collectorRow(site, collector = null) {
  const n = ++rows;
  const id = (name) => `col-${n}-${name}`;
  const temporary = Boolean(collector?.valid_until);
  const until = h("div", { class: "gate-until", hidden: !temporary },
    field(id("from"), t("gate.collector_from"), h("input", { id: id("from"), name: "c_from", type: "datetime-local", value: collector?.valid_from ? localInputValue(site, collector.valid_from) : "", "data-testid": "collector-from" }), null),
    field(id("until"), t("gate.collector_until"), h("input", { id: id("until"), name: "c_until", type: "datetime-local", value: collector?.valid_until ? localInputValue(site, collector.valid_until) : "", "data-testid": "collector-until" }), null));
  const tempBox = h("input", { id: id("temp"), type: "checkbox", name: "c_temp", checked: temporary, "data-testid": "collector-temporary" });
  tempBox.addEventListener("change", () => { until.hidden = !tempBox.checked; });
  const row = h("fieldset", { class: "gate-collector", "data-testid": "collector-row", "data-key": collector?.key ?? "" },
    h("legend", {}, t("gate.collector_legend")),
    h("div", { class: "gate-grid" },
      field(id("key"), t("gate.collector_key"), h("input", { id: id("key"), name: "c_key", required: true, maxlength: 64, value: collector?.key ?? "", "data-testid": "collector-key" }), null),
      field(id("name"), t("gate.collector_name"), h("input", { id: id("name"), name: "c_name", required: true, maxlength: 100, value: collector?.name ?? "", "data-testid": "collector-name" }), null),
      field(id("relation"), t("gate.collector_relation"), h("input", { id: id("relation"), name: "c_relation", maxlength: 50, value: collector?.relation ?? "", "data-testid": "collector-relation" }), null),
      field(id("phone"), t("gate.collector_phone_field"), h("input", { id: id("phone"), name: "c_phone", type: "tel", maxlength: 40, placeholder: collector?.phone_masked ?? "", "data-testid": "collector-phone" }), null)),
    h("label", { class: "check", for: id("temp") }, tempBox, t("gate.collector_temporary")),
    until,
    h("button", { type: "button", class: "small plain", "data-testid": "collector-remove", onclick: () => row.remove() }, t("gate.collector_remove")));
  return row;
}

function readCollectors(site, form) {
  return [...form.querySelectorAll('[data-testid="collector-row"]')].map((row) => {
    const value = (name) => row.querySelector(`[name="${name}"]`).value.trim();
    const temporary = row.querySelector('[name="c_temp"]').checked;
    return {
      key: value("c_key"),
      name: value("c_name"),
      relation: value("c_relation"),
      phone: value("c_phone") || null,
      valid_from: temporary ? fromLocalInput(site, value("c_from")) : null,
      valid_until: temporary ? fromLocalInput(site, value("c_until")) : null,
    };
  });
}

// The form of a new card, or of `card` to edit.
function cardForm(ctx, redraw, card = null) {
  const { site, describeError } = ctx;
  const prefix = card ? `card-${card.id}` : "card-new";
  // A new card runs from now for a year unless said otherwise.
  const from = card?.valid_from ?? new Date().toISOString();
  const until = card?.valid_until ?? new Date(Date.now() + 365 * 86_400_000).toISOString();
  const collectors = h("div", { class: "gate-collectors" },
    (card?.collectors.length ? card.collectors : [null]).map((c) => collectorRow(site, c)));
  const form = h("form", { class: card ? "gate-card-edit" : "card gate-card-new", "data-testid": card ? "card-edit" : "card-new" },
    card ? null : h("h2", {}, t("gate.card_new_title")),
    h("div", { class: "gate-grid" },
      field(`${prefix}-child`, t("gate.child"), h("input", { id: `${prefix}-child`, name: "child", required: true, maxlength: 100, value: card?.child ?? "", "data-testid": "card-child" })),
      field(`${prefix}-class`, t("gate.class_name"), h("input", { id: `${prefix}-class`, name: "class_name", required: true, maxlength: 100, value: card?.class_name ?? "", "data-testid": "card-class" })),
      field(`${prefix}-from`, t("gate.card_from"), h("input", { id: `${prefix}-from`, name: "valid_from", type: "datetime-local", required: true, value: localInputValue(site, from), "data-testid": "card-from" })),
      field(`${prefix}-until`, t("gate.card_until"), h("input", { id: `${prefix}-until`, name: "valid_until", type: "datetime-local", required: true, value: localInputValue(site, until), "data-testid": "card-until" }))),
    collectors,
    card ? h("p", { class: "muted small-text" }, t("gate.card_phone_hint")) : null,
    problemSlot("collectors"),
    h("div", { class: "row" },
      h("button", { type: "button", class: "small plain", "data-testid": "collector-add", onclick: () => collectors.append(collectorRow(site)) }, t("gate.collector_add")),
      h("button", { "data-testid": card ? "card-save" : "card-add" }, t(card ? "gate.card_save" : "gate.card_add"))),
    problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      child: form.child.value.trim(),
      class_name: form.class_name.value.trim(),
      valid_from: fromLocalInput(site, form.valid_from.value),
      valid_until: fromLocalInput(site, form.valid_until.value),
      collectors: readCollectors(site, form),
    };
    try {
      if (card) await api.put(`/api/pickup-cards/${card.id}`, { ...body, id: card.id, version: card.version });
      else await api.post(`/api/sites/${site.id}/pickup-cards`, { ...body, id: api.uuid7() });
    } catch (error) {
      if (error.code === "pickup_card.version_conflict") {
        await redraw(t("gate.card_stale", { child: body.child }), true);
        return;
      }
      showProblem(form, error, describeError);
      return;
    }
    await redraw(t(card ? "gate.card_saved_message" : "gate.card_added_message", { child: body.child }));
  });
  return form;
}

function cardItem(ctx, card, redraw) {
  const { site, describeError } = ctx;
  const revoked = Boolean(card.revoked_at);
  const revoke = async (event) => {
    event.preventDefault();
    const form = event.target.closest("form");
    if (!confirm(t("gate.card_revoke_confirm", { child: card.child }))) return;
    try {
      await api.post(`/api/pickup-cards/${card.id}/revoke`);
    } catch (error) {
      showProblem(form, error, describeError);
      return;
    }
    await redraw(t("gate.card_revoked_message", { child: card.child }));
  };
  const now = new Date();
  return h("li", { class: `gate-card${revoked ? " gate-entry-removed" : ""}`, "data-testid": "card", "data-id": card.id, "data-version": String(card.version) },
    h("div", { class: "gate-entry-head" },
      h("span", { class: "gate-entry-name", "data-testid": "card-child-name" }, card.child),
      h("span", { class: "muted" }, card.class_name),
      revoked ? h("span", { class: "badge badge-off", "data-testid": "card-revoked" }, t("gate.card_revoked")) : null),
    h("p", { class: "small-text muted" }, [
      card.valid_from ? t("gate.valid_from", { time: timeText(site, card.valid_from) }) : null,
      card.valid_until ? t("gate.valid_until", { time: timeText(site, card.valid_until) }) : null,
    ].filter(Boolean).join(t("gate.sep"))),
    h("ul", { class: "gate-collector-list", "data-testid": "card-collectors" }, card.collectors.map((c) => {
      const ended = c.valid_until && new Date(c.valid_until) < now;
      return h("li", { "data-testid": "card-collector", "data-key": c.key },
        h("span", { class: "gate-entry-name" }, c.name), " ",
        h("span", { class: "muted" }, [c.relation, c.phone_masked, t("gate.collector_key_is", { key: c.key })].filter(Boolean).join(t("gate.sep"))),
        c.valid_until ? h("span", { class: `badge ${ended ? "badge-off" : "gate-badge-temp"}`, "data-testid": "collector-temp" },
          t(ended ? "gate.collector_ended" : "gate.collector_temp_until", { time: timeText(site, c.valid_until) })) : null);
    })),
    !revoked && canChange(site)
      ? h("details", { class: "gate-card-actions" },
        h("summary", { "data-testid": "card-open-edit" }, t("gate.card_edit")),
        cardForm(ctx, redraw, card),
        h("form", { class: "gate-inline", onsubmit: revoke },
          h("button", { class: "small danger", "data-testid": "card-revoke" }, t("gate.card_revoke")),
          problemSlot()))
      : null);
}

export async function draw(ctx, redraw) {
  const { site } = ctx;
  const cards = await api.get(`/api/sites/${site.id}/pickup-cards`);
  return [
    canChange(site) ? cardForm(ctx, redraw) : null,
    h("section", { class: "card", "data-testid": "card-list" },
      h("h2", {}, t("gate.cards_title", { count: cards.filter((c) => !c.revoked_at).length })),
      cards.length
        ? h("ul", { class: "plain-list gate-entries" }, cards.map((c) => cardItem(ctx, c, redraw)))
        : h("p", { class: "muted", "data-testid": "cards-empty" }, t("gate.cards_empty"))),
  ].filter(Boolean);
}
