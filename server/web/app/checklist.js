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

// The answer keys of what a failing item asks for right under it ("<item>.photos",
// "<item>.note"): no item key has a dot.
export function evidenceKeys(item) {
  const keys = {};
  if (item.evidence?.photo) keys[`${item.key}.photos`] = "photos";
  if (item.evidence?.note) keys[`${item.key}.note`] = "note";
  return keys;
}

// Keys of the shown items whose valid answer fails; without `today`, no date fails.
function failingKeys(template, answers, shown, today) {
  const failing = new Set();
  for (const item of template.items) {
    const value = answers[item.key];
    if (!shown.has(item.key) || !isAnswered(value) || checkAnswer(item, value)) continue;
    if (item.type === "date" && !today) continue;
    if (judge(item, value, today) === "fail") failing.add(item.key);
  }
  return failing;
}

// {key: {code, vars}} for the shown items' problems: a missing required answer, a wrong
// option, too many decimals, too long a text, too few photos; and what a failure needs
// (`required_when`, an item's `evidence`, keyed "<item>.photos" and "<item>.note").
export function validateAnswers(template, answers, today) {
  const problems = {};
  const shown = shownItems(template, answers);
  const failing = failingKeys(template, answers, shown, today);
  for (const item of template.items) {
    if (!shown.has(item.key)) continue;
    const value = answers[item.key];
    const required = item.required_when ? failing.size > 0 : (item.required ?? true);
    if (!isAnswered(value)) {
      if (required) problems[item.key] = { code: "missing" };
    } else {
      const problem = checkAnswer(item, value);
      if (problem) problems[item.key] = problem;
    }
    for (const [key, kind] of Object.entries(evidenceKeys(item))) {
      const given = answers[key];
      const need = kind === "photos" ? item.evidence.photo : item.evidence.note;
      let problem = null;
      if (!isAnswered(given)) problem = failing.has(item.key) && need === "required" ? { code: "missing" } : null;
      else if (kind === "photos") problem = checkDigests(given, 1);
      else problem = checkText(given, NOTE_LENGTH);
      if (problem) problems[key] = problem;
    }
  }
  return problems;
}

const NOTE_LENGTH = 2000;

function checkText(value, max) {
  if (typeof value !== "string") return { code: "not_text" };
  return value.length > max ? { code: "too_long", vars: { max } } : null;
}

function checkDigests(value, min) {
  if (!Array.isArray(value) || !value.every((d) => typeof d === "string" && SHA256.test(d))) {
    return { code: "not_photo" };
  }
  if (new Set(value).size !== value.length) return { code: "duplicate" };
  return value.length < min ? { code: "too_few_photos", vars: { min } } : null;
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
      return checkText(value, item.max_length ?? 2000);
    case "date":
      return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) && validDate(value)
        ? null
        : { code: "not_date" };
    case "photo":
      return checkDigests(value, item.min_count ?? 1);
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

// The answers as the server takes them: hidden and unanswered items left out, and what was
// given under an item that no longer fails.
export function submittedAnswers(template, answers, today) {
  const shown = shownItems(template, answers);
  const failing = failingKeys(template, answers, shown, today);
  const out = {};
  for (const item of template.items) {
    if (!shown.has(item.key)) continue;
    if (isAnswered(answers[item.key])) out[item.key] = answers[item.key];
    if (!failing.has(item.key)) continue;
    for (const key of Object.keys(evidenceKeys(item))) {
      if (isAnswered(answers[key])) out[key] = answers[key];
    }
  }
  return out;
}

// checklists.answers.all_ok_answers: every shown check item still unanswered passes, and a
// single choice still unanswered takes its one passing option; an answer given is never
// changed. In template order, so an item shown by an earlier one's pass is answered too.
export function allOkAnswers(template, answers) {
  const after = { ...answers };
  for (const item of template.items) {
    if (isAnswered(after[item.key]) || !shownItems(template, after).has(item.key)) continue;
    if (item.type === "check") after[item.key] = "pass";
    else if (item.type === "choice" && !item.multiple) {
      const passing = item.options.map((o) => o.value).filter((v) => !(item.fail_options ?? []).includes(v));
      if (passing.length === 1) after[item.key] = passing[0];
    }
  }
  return after;
}

// checklists.answers.prefilled_answers: what the asset's record gives before anyone types
// (`prefill`); a value that would not be a valid answer is left for the person.
export function prefilledAnswers(template, asset) {
  const answers = {};
  if (!asset) return answers;
  for (const item of template.items) {
    const source = item.prefill;
    if (!source) continue;
    const value = source.attribute ? (asset.attributes ?? {})[source.attribute] : asset[source.field];
    if (fits(item, value)) answers[item.key] = value;
  }
  return answers;
}

function fits(item, value) {
  switch (item.type) {
    case "date":
      return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) && validDate(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value) && decimalPlaces(value) <= (item.decimals ?? 0);
    case "text":
      return typeof value === "string" && value.trim() !== "" && value.length <= (item.max_length ?? 2000);
    default:
      return false;
  }
}
