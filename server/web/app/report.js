// Reporting a repair or a hazard from the target page, offline too: kind, description,
// size and photos (scaled down and kept as the checklist's are). Submitting puts a
// `hazard.reported` op into the outbox and queues its photos.

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { downscale, keepImage, thumbnail } from "./form.js";
import { uuid7 } from "./outbox.js";
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

  const list = h("div", { class: "thumbs" });
  const busy = h("span", { class: "muted" });
  const input = h("input", { type: "file", accept: "image/*", capture: "environment", "data-testid": "report-photo" });
  const redraw = async () => {
    const items = await Promise.all(state.photos.map(async (digest) =>
      h("div", { class: "thumb-box" }, await thumbnail(digest),
        h("button", { type: "button", class: "plain", "data-testid": "remove-photo", onclick: async () => {
          state.photos = state.photos.filter((d) => d !== digest);
          const kept = await store.getBlob(digest);
          if (kept && !kept.queued) await store.deleteBlob(digest);
          await redraw();
        } }, "×"))));
    list.replaceChildren(...items);
  };
  input.addEventListener("change", async () => {
    busy.textContent = t("form.photo_busy");
    for (const file of input.files) {
      try {
        const digest = await keepImage(await downscale(file), siteId);
        if (!state.photos.includes(digest) && state.photos.length < MAX_PHOTOS) state.photos.push(digest);
      } catch {
        busy.textContent = t("form.photo_failed");
        return;
      }
    }
    input.value = "";
    busy.textContent = "";
    await redraw();
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
      id: uuid7(),
      kind: state.kind,
      description: text,
      photos: [...state.photos],
      size: state.size,
      reported_at: reportedAt,
    };
    if (target.kind === "asset") body.asset_id = target.asset.id;
    else body.location_id = target.location.id;
    await store.enqueue({ type: "hazard.reported", opId: uuid7(), occurredAt: reportedAt, body, blobs: body.photos });
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
      h("div", {}, input, busy, list)),
    h("div", { class: "card" },
      h("button", { type: "button", class: "wide", "data-testid": "report-submit", onclick: submit }, t("report.submit"))),
  ];
}
