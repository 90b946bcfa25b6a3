// The template language on the phone: which items are shown, the basic checks the server
// makes (checklists/validation.py), and how answers are judged (checklists/evaluation.py),
// so a person sees problems and failures before submitting. Pure: no DOM, no clock.

export function isAnswered(value) {
  if (value === null || value === undefined) return false;
  if (typeof value === "string") return value.trim() !== "";
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function accepted(condition) {
  if (condition.in) return condition.in;
  return condition.equals === undefined || condition.equals === null ? [] : [condition.equals];
}

function matches(answer, values) {
  if (typeof answer === "string") return values.includes(answer);
  if (Array.isArray(answer)) return answer.some((v) => values.includes(v));
  return false;
}

// Keys of the items shown; an item whose condition refers to a hidden item is hidden too.
export function shownItems(template, answers) {
  const shown = new Set();
  for (const item of template.items) {
    const condition = item.show_if;
    if (!condition || (shown.has(condition.item) && matches(answers[condition.item], accepted(condition)))) {
      shown.add(item.key);
    }
  }
  return shown;
}

function decimalPlaces(value) {
  const text = String(value);
  if (/e/i.test(text)) return 0;
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}

// {key: {code, vars}} for the shown items' problems: a missing required answer, a wrong
// option, too many decimals, too long a text, too few photos.
export function validateAnswers(template, answers) {
  const problems = {};
  const shown = shownItems(template, answers);
  for (const item of template.items) {
    if (!shown.has(item.key)) continue;
    const value = answers[item.key];
    const required = item.required ?? true;
    if (!isAnswered(value)) {
      if (required) problems[item.key] = { code: "missing" };
      continue;
    }
    const problem = checkAnswer(item, value);
    if (problem) problems[item.key] = problem;
  }
  return problems;
}

function checkAnswer(item, value) {
  switch (item.type) {
    case "check":
      if (!["pass", "fail", "na"].includes(value) || (value === "na" && item.allow_na === false)) {
        return { code: "not_allowed" };
      }
      return null;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) return { code: "not_number" };
      if (decimalPlaces(value) > (item.decimals ?? 0)) {
        return { code: "too_many_decimals", vars: { decimals: item.decimals ?? 0 } };
      }
      return null;
    case "choice": {
      const options = item.options.map((o) => o.value);
      if (item.multiple ? !Array.isArray(value) : typeof value !== "string") return { code: "not_allowed" };
      const selected = item.multiple ? value : [value];
      if (!selected.every((v) => options.includes(v))) return { code: "not_allowed" };
      return new Set(selected).size === selected.length ? null : { code: "duplicate" };
    }
    case "text":
      if (typeof value !== "string") return { code: "not_text" };
      return value.length > (item.max_length ?? 2000)
        ? { code: "too_long", vars: { max: item.max_length ?? 2000 } }
        : null;
    case "date":
      return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) && validDate(value)
        ? null
        : { code: "not_date" };
    case "photo":
      if (!Array.isArray(value) || !value.every((d) => typeof d === "string" && SHA256.test(d))) {
        return { code: "not_photo" };
      }
      if (new Set(value).size !== value.length) return { code: "duplicate" };
      return value.length < (item.min_count ?? 1)
        ? { code: "too_few_photos", vars: { min: item.min_count ?? 1 } }
        : null;
    case "signature":
      return typeof value === "string" && SHA256.test(value) ? null : { code: "not_photo" };
    default:
      return null;
  }
}

const SHA256 = /^[0-9a-f]{64}$/;

function validDate(text) {
  const [y, m, d] = text.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return y >= 1 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

// "pass" | "fail" | "na" for one answered, shown item.
export function judge(item, value, today) {
  switch (item.type) {
    case "check":
      return value;
    case "number":
      if (item.min !== undefined && item.min !== null && value < item.min) return "fail";
      if (item.max !== undefined && item.max !== null && value > item.max) return "fail";
      return "pass";
    case "choice": {
      const selected = Array.isArray(value) ? value : [value];
      return selected.some((v) => (item.fail_options ?? []).includes(v)) ? "fail" : "pass";
    }
    case "date":
      return item.must_not_be_past && value < today ? "fail" : "pass";
    default:
      return "pass";
  }
}

const SCORED = new Set(["check", "number", "choice", "date"]);

// checklists.evaluation as the server applies it on arrival: the result, the score (the
// percentage of judged items that passed, to a tenth) and whether a critical item failed.
export function evaluate(template, answers, today) {
  const shown = shownItems(template, answers);
  let passed = 0;
  let judged = 0;
  let failed = false;
  let critical = false;
  for (const item of template.items) {
    if (!shown.has(item.key) || !isAnswered(answers[item.key])) continue;
    const outcome = judge(item, answers[item.key], today);
    if (outcome === "fail") {
      failed = true;
      critical ||= Boolean(item.critical);
    }
    if (SCORED.has(item.type) && outcome !== "na") {
      judged += 1;
      if (outcome === "pass") passed += 1;
    }
  }
  const score = judged ? Math.round((passed * 1000) / judged) / 10 : 100;
  return { result: failed ? "fail" : "pass", score, critical_failure: critical };
}

// The shown, answered items that fail, in template order, each with whether it is critical.
export function failures(template, answers, today) {
  const shown = shownItems(template, answers);
  return template.items
    .filter((item) => shown.has(item.key) && isAnswered(answers[item.key]))
    .filter((item) => judge(item, answers[item.key], today) === "fail")
    .map((item) => ({ item, critical: Boolean(item.critical) }));
}

// The answers as the server takes them: hidden and unanswered items left out.
export function submittedAnswers(template, answers) {
  const shown = shownItems(template, answers);
  const out = {};
  for (const item of template.items) {
    if (shown.has(item.key) && isAnswered(answers[item.key])) out[item.key] = answers[item.key];
  }
  return out;
}
