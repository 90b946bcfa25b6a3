// The gate's settings (设置, managers change them; every member of the site may read them):
// which fields a check-in asks for beyond name, document kind and host; how a document
// number is masked; how long visitor records are kept; whether the host signs before the
// visitor leaves; the closing time (after it, the day's anomalies); whether vehicles may
// come in; and the stay expected when a check-in gives none. A save over a version someone
// else has changed meanwhile is refused, and the settings are shown as they are now.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { canChange, gateSettings, problemSlot, showProblem } from "./common.js";

// The fields a site may require (name, document kind and host always are).
const FIELDS = {
  id_number: "gate.field.id_number",
  phone: "gate.field.phone",
  organisation: "gate.field.organisation",
  purpose: "gate.field.purpose",
  plate: "gate.field.plate",
  badge: "gate.field.badge",
  expected_stay: "gate.field.expected_stay",
};
const MASKS = { "6+4": "gate.mask_6_4", "4+4": "gate.mask_4_4" };

export async function draw(ctx, redraw) {
  const { site, describeError } = ctx;
  const settings = await gateSettings(site);
  const disabled = !canChange(site);
  const check = (name, checked, label, testid) => h("label", { class: "check" },
    h("input", { type: "checkbox", name, checked, disabled, "data-testid": testid }), label);
  const number = (id, name, value, min, max, label, hint) => h("div", {},
    h("label", { for: id }, label),
    h("input", { id, name, type: "number", min, max, step: 1, required: true, value: String(value), disabled, "data-testid": id }),
    hint ? h("p", { class: "muted small-text" }, hint) : null,
    problemSlot(name));
  const form = h("form", { class: "card gate-settings", "data-testid": "settings-form", "data-version": String(settings.version) },
    h("h2", {}, t("gate.settings_title")),
    settings.unsaved ? h("p", { class: "muted small-text", "data-testid": "settings-defaults" }, t("gate.settings_defaults")) : null,
    h("fieldset", {},
      h("legend", {}, t("gate.required_fields")),
      h("p", { class: "muted small-text" }, t("gate.required_always")),
      Object.entries(FIELDS).map(([key, label]) =>
        check(`required_${key}`, settings.required_fields.includes(key), t(label), `required-${key}`)),
      problemSlot("required_fields")),
    h("fieldset", {},
      h("legend", {}, t("gate.id_mask")),
      Object.entries(MASKS).map(([mask, label]) => h("label", { class: "check" },
        h("input", { type: "radio", name: "id_mask", value: mask, checked: settings.id_mask === mask, disabled, "data-testid": `mask-${mask}` }),
        t(label))),
      problemSlot("id_mask")),
    h("div", { class: "gate-grid" },
      h("div", {},
        h("label", { for: "closing-time" }, t("gate.closing_time")),
        h("input", { id: "closing-time", name: "closing_time", type: "time", required: true, value: settings.closing_time, disabled, "data-testid": "closing-time" }),
        h("p", { class: "muted small-text" }, t("gate.closing_time_hint")),
        problemSlot("closing_time")),
      number("overstay-minutes", "overstay_minutes", settings.overstay_minutes, 1, 1440, t("gate.overstay_minutes"), t("gate.overstay_minutes_hint")),
      number("retention-days", "retention_days", settings.retention_days, 30, 1095, t("gate.retention_days"), t("gate.retention_days_hint"))),
    h("fieldset", {},
      h("legend", {}, t("gate.rules")),
      check("sign_before_checkout", settings.sign_before_checkout, t("gate.sign_before_checkout"), "sign-before-checkout"),
      check("vehicles_allowed", settings.vehicles_allowed, t("gate.vehicles_allowed"), "vehicles-allowed")),
    disabled ? h("p", { class: "muted" }, t("gate.settings_read_only")) : h("button", { "data-testid": "settings-save" }, t("gate.settings_save")),
    problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      version: settings.version,
      required_fields: Object.keys(FIELDS).filter((key) => form[`required_${key}`].checked),
      id_mask: form.querySelector('[name="id_mask"]:checked')?.value ?? settings.id_mask,
      retention_days: Number(form.retention_days.value),
      sign_before_checkout: form.sign_before_checkout.checked,
      closing_time: form.closing_time.value,
      vehicles_allowed: form.vehicles_allowed.checked,
      overstay_minutes: Number(form.overstay_minutes.value),
    };
    let saved;
    try {
      saved = await api.put(`/api/sites/${site.id}/gate/settings`, body);
    } catch (error) {
      if (error.code === "gate_settings.version_conflict") {
        await redraw(t("gate.settings_stale"), true);
        return;
      }
      showProblem(form, error, describeError);
      return;
    }
    await redraw(t("gate.settings_saved", { version: saved.version }));
  });
  return [form];
}
