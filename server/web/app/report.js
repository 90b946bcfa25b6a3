// Reporting a repair or a hazard from the target page, offline too: kind, description,
// size and photos (photos.js, as the checklist's). Submitting puts a
// `hazard.reported` op into the outbox and queues its photos.

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { photoPicker } from "./photos.js";
import * as store from "./store.js";

export const SIZES = ["small", "large", "major"];
const MAX_PHOTOS = 20;
const MAX_DESCRIPTION = 2000;

// `ctx`: {target, siteId, onDone}
export function reportForm(ctx) {
  const { target, siteId } = ctx;
  const state = { kind: "hazard", size: "small", photos: [] };

  const choices = (name, values, labelOf) => {
    const buttons = values.map((value) =>
      h("button", {
        type: "button",
        class: `choice choice-${value}`,
        "data-testid": `report-${name}-${value}`,
        "data-value": value,
        onclick: () => {
          state[name] = value;
          refresh();
        },
      }, labelOf(value)),
    );
    const refresh = () => {
      for (const button of buttons) button.setAttribute("aria-pressed", String(state[name] === button.dataset.value));
    };
    refresh();
    return buttons;
  };

  const kinds = choices("kind", ["repair", "hazard"], (k) => t(`report.kind.${k}`));
  const sizes = choices("size", SIZES, (s) => t(`report.size.${s}`));

  const description = h("textarea", {
    id: "report-description",
    rows: 4,
    maxlength: MAX_DESCRIPTION,
    "data-testid": "report-description",
  });
  const problem = h("p", { class: "warn problem", "data-testid": "problem-description" });
  description.addEventListener("input", () => {
    if (description.value.trim()) problem.textContent = "";
  });

  const picker = photoPicker({
    siteId,
    testId: "report-photo",
    max: MAX_PHOTOS,
    onChange: (digests) => {
      state.photos = digests;
    },
  });

  let sending = false;
  const submit = async () => {
    const text = description.value.trim();
    if (!text) {
      problem.textContent = t("report.description_missing");
      description.focus();
      return;
    }
    if (sending) return;
    sending = true;
    const reportedAt = new Date().toISOString();
    const body = {
      id: store.uuid7(),
      kind: state.kind,
      description: text,
      photos: [...state.photos],
      size: state.size,
      reported_at: reportedAt,
    };
    if (target.kind === "asset") body.asset_id = target.asset.id;
    else body.location_id = target.location.id;
    await store.enqueue({ type: "hazard.reported", opId: store.uuid7(), occurredAt: reportedAt, body, blobs: body.photos });
    await ctx.onDone();
  };

  return [
    h("div", { class: "card" },
      h("h1", { "data-testid": "report-title" }, t("report.title")),
      h("div", { class: "item-label" }, t("report.kind")),
      h("div", { class: "choices" }, kinds)),
    h("div", { class: "card item" },
      h("label", { for: "report-description", class: "item-label" }, t("report.description"),
        h("span", { class: "required", title: t("form.required") }, " *")),
      description,
      problem),
    h("div", { class: "card item" },
      h("div", { class: "item-label" }, t("report.size")),
      h("div", { class: "choices stacked" }, sizes)),
    h("div", { class: "card item" },
      h("div", { class: "item-label" }, t("report.photos")),
      picker.element),
    h("div", { class: "card" },
      h("button", { type: "button", class: "wide", "data-testid": "report-submit", onclick: submit }, t("report.submit"))),
  ];
}
