// How an answer reads for a person: a check's verdict, the chosen options' labels, a reading
// with its unit, a date; and the limit it was held to. For the evidence an action carries
// (server/actions/wire.py ActionEvidence, which keeps the labels it was raised with) and for
// the answers of a past inspection read with its template. Pure, but for the strings.

import { pick, t } from "./i18n.js";

const VERDICTS = { pass: "form.pass", fail: "form.fail", na: "form.na" };

function reading(value, unit) {
  return unit ? `${value} ${unit}` : String(value);
}

// An action's evidence: {item_type, answer, answer_label, answer_label_en, unit}.
export function evidenceAnswer(seen) {
  if (seen.item_type === "choice") return pick(seen.answer_label, seen.answer_label_en) || String(seen.answer);
  return answerOf(seen.item_type, seen.answer, { unit: seen.unit });
}

// The limit an answer was held to ({min, max, unit, not_past}), or "" when it had none.
export function limitText({ min = null, max = null, unit = "", not_past: notPast = false }) {
  const withUnit = (text) => (unit ? `${text} ${unit}` : text);
  if (min !== null && max !== null) return withUnit(t("form.range", { min, max }));
  if (min !== null) return withUnit(t("evidence.at_least", { min }));
  if (max !== null) return withUnit(t("evidence.at_most", { max }));
  return notPast ? t("evidence.not_past") : "";
}

// One answer of a template item (as the pulled template has it).
export function itemAnswer(item, value) {
  if (item.type === "choice") {
    const chosen = Array.isArray(value) ? value : [value];
    const labels = item.options.filter((o) => chosen.includes(o.value)).map((o) => pick(o.label["zh-CN"], o.label.en));
    return labels.length ? labels.join(t("evidence.list_separator")) : chosen.join(", ");
  }
  return answerOf(item.type, value, { unit: item.unit ?? "" });
}

export function itemLimit(item) {
  if (item.type === "number") return limitText({ min: item.min ?? null, max: item.max ?? null, unit: item.unit ?? "" });
  if (item.type === "date") return limitText({ not_past: item.must_not_be_past ?? false });
  return "";
}

function answerOf(type, value, { unit = "" } = {}) {
  if (value === null || value === undefined || value === "") return t("evidence.unanswered");
  if (type === "check") return VERDICTS[value] ? t(VERDICTS[value]) : String(value);
  if (type === "number") return reading(value, unit);
  if (type === "photo") return t("evidence.photos", { count: Array.isArray(value) ? value.length : 0 });
  if (type === "signature") return t("evidence.signed");
  return String(value);
}
