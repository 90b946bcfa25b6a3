// Filling in a checklist from the phone's copy of its template: every item type, show_if
// live, answers prefilled from the asset's record, a failing item's own photo and note
// under it, problems next to their items, a summary of failures, All OK and Submit always
// at hand at the bottom, and a draft in IndexedDB that survives a reload, or is discarded
// with its photos. Submitting puts an `inspection.submitted` op into the outbox.

import {
  allOkAnswers, evidenceKeys, failures, isAnswered, prefilledAnswers, shownItems, submittedAnswers,
  validateAnswers,
} from "./checklist.js";
import { h } from "./dom.js";
import { pick, t } from "./i18n.js";
import { render } from "./nav.js";
import { canvasBlob, dropImage, keepImage, photoPicker } from "./photos.js";
import * as store from "./store.js";
import { afterPaint, formDraftKey } from "./targetpage.js";

function text(label) {
  return label ? pick(label["zh-CN"], label.en) : "";
}

function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

// Roughly how tall (px) an item's card is, from its type and the length of its texts,
// without asking the browser (a layout): only to tell the items of the first screen.
function guessHeight(item) {
  const lines = (label, perLine = 17) => Math.max(1, Math.ceil(text(label).length / perLine));
  let control = 56;
  if (item.type === "choice") {
    const labels = item.options.map((o) => text(o.label));
    control = labels.some((l) => l.length > 6) ? labels.length * 56 : 56;
  } else if (item.type === "text") control = 90;
  else if (item.type === "signature") control = 200;
  return 50 + lines(item.label) * 26 + (item.help ? lines(item.help, 19) * 24 : 0) + control;
}

// How many items (from the first) the first screen shows: the rest is drawn right after
// the first paint. The guess errs on the side of drawing more.
function firstScreen(template) {
  const bottom = (window.innerHeight || 800) * 1.2;
  let top = 170 + (template.guidance ? Math.ceil(text(template.guidance).length / 19) * 24 : 0);
  let count = 0;
  for (const item of template.items) {
    if (top >= bottom) break;
    top += guessHeight(item);
    count += 1;
  }
  return count;
}

// `ctx`: {template, target, siteId, code, onDone, draft (optional: the stored draft's read,
// started before this module was loaded)}
export async function checklistForm(ctx) {
  const { template, target, siteId, code } = ctx;
  const draftKey = formDraftKey(code, template.key);
  // What the asset's record holds (a service-life date) is an answer from the start: shown
  // as prefilled while it is unchanged, and judged like a typed one.
  const prefilled = prefilledAnswers(template, target.kind === "asset" ? target.asset : null);
  const draft = (await (ctx.draft ?? store.getDraft(draftKey))) ?? {
    id: store.uuid7(),
    op_id: store.uuid7(),
    started_at: new Date().toISOString(),
    answers: { ...prefilled },
    note: "",
  };
  const answers = draft.answers;
  let attempted = false;
  const parts = new Map();

  const save = () => store.putDraft(draftKey, draft);
  const set = (key, value) => {
    if (isAnswered(value)) answers[key] = value;
    else delete answers[key];
    update();
    return save();
  };

  const summary = h("section", { class: "card", "data-testid": "failure-summary" });
  const message = h("p", { class: "warn", "data-testid": "form-message", role: "alert" });

  function update() {
    const shown = shownItems(template, answers);
    const problems = validateAnswers(template, answers, today());
    const failed = failures(template, answers, today());
    const failing = new Set(failed.map(({ item }) => item.key));
    const said = (key) => {
      const problem = problems[key];
      return attempted && problem ? t(`form.problem.${problem.code}`, problem.vars) : "";
    };
    for (const item of template.items) {
      // An item below the first screen may not be drawn yet: drawn, it is brought up to date.
      const part = parts.get(item.key);
      if (!part) continue;
      part.box.hidden = !shown.has(item.key);
      part.refresh?.();
      part.problem.textContent = said(item.key);
      if (part.required) part.required.hidden = !(item.required_when ? failing.size : (item.required ?? true));
      if (part.prefilled) part.prefilled.hidden = !(item.key in prefilled) || answers[item.key] !== prefilled[item.key];
      if (part.evidence) {
        part.evidence.box.hidden = !failing.has(item.key);
        for (const [key, problem] of part.evidence.problems) problem.textContent = said(key);
      }
    }
    const count = Object.keys(problems).length;
    if (attempted) message.textContent = count ? t("form.fix_problems", { count }) : "";
    summary.replaceChildren(
      h("h2", {}, t("form.summary")),
      failed.length
        ? h("ul", { class: "list" }, failed.map(({ item, critical }) =>
            h("li", { "data-testid": "failure", "data-key": item.key, class: critical ? "sev-high" : "" },
              critical ? `${t("form.critical")} · ` : "", text(item.label))))
        : h("p", { class: "muted", "data-testid": "no-failures" }, t("form.no_failures")),
    );
  }

  // A chosen answer that fails shows red, whatever the option is called.
  function choiceButtons(item, options, { multiple = false, failing = [] } = {}) {
    const buttons = options.map(({ value, label }) =>
      h("button", {
        type: "button",
        class: `choice choice-${value}${failing.includes(value) ? " failing" : ""}`,
        "data-testid": `answer-${item.key}-${value}`,
        "data-value": value,
        onclick: () => {
          if (!multiple) return set(item.key, answers[item.key] === value ? null : value);
          const selected = new Set(answers[item.key] ?? []);
          if (selected.has(value)) selected.delete(value);
          else selected.add(value);
          return set(item.key, options.map((o) => o.value).filter((v) => selected.has(v)));
        },
      }, label),
    );
    const refresh = () => {
      const value = answers[item.key];
      for (const button of buttons) {
        const on = multiple ? (value ?? []).includes(button.dataset.value) : value === button.dataset.value;
        button.setAttribute("aria-pressed", String(on));
      }
    };
    const stacked = options.some((o) => o.label.length > 6);
    return { control: h("div", { class: stacked ? "choices stacked" : "choices" }, buttons), refresh };
  }

  function photoControl(key) {
    const picker = photoPicker({
      siteId,
      testId: `photo-${key}`,
      photos: answers[key] ?? [],
      max: Infinity,
      onChange: (digests) => set(key, digests),
    });
    return { control: picker.element };
  }

  // What a failing item asks for right under it (its `evidence`): a photo and a note, which
  // go with its finding. Shown only while the item fails.
  function evidenceControl(item) {
    const keys = Object.entries(evidenceKeys(item));
    if (!keys.length) return null;
    const problems = new Map();
    const fields = keys.map(([key, kind]) => {
      const need = kind === "photos" ? item.evidence.photo : item.evidence.note;
      const problem = h("p", { class: "warn problem", "data-testid": `problem-${key}` });
      problems.set(key, problem);
      let input;
      if (kind === "photos") input = photoControl(key).control;
      else {
        input = h("textarea", { id: `item-${key}`, rows: 2, maxlength: 2000, "data-testid": `input-${key}` });
        input.value = answers[key] ?? "";
        input.addEventListener("input", () => set(key, input.value));
      }
      return h("div", {},
        h("label", { for: kind === "note" ? `item-${key}` : null },
          t(kind === "photos" ? "form.evidence_photo" : "form.evidence_note"),
          need === "required" ? h("span", { class: "required" }, " *") : ` ${t("form.optional")}`),
        input, problem);
    });
    const box = h("div", { class: "evidence", "data-testid": `evidence-${item.key}`, hidden: true }, fields);
    return { box, problems };
  }

  function signatureControl(item) {
    const canvas = h("canvas", { class: "signature", width: 600, height: 240, "data-testid": `signature-${item.key}` });
    const context = canvas.getContext("2d");
    const clear = () => {
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
    };
    clear();
    let drawing = false;
    const at = (event) => {
      const box = canvas.getBoundingClientRect();
      return [((event.clientX - box.left) * canvas.width) / box.width, ((event.clientY - box.top) * canvas.height) / box.height];
    };
    canvas.addEventListener("pointerdown", (event) => {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      context.lineWidth = 4;
      context.lineCap = "round";
      context.strokeStyle = "#111";
      context.beginPath();
      context.moveTo(...at(event));
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing) return;
      context.lineTo(...at(event));
      context.stroke();
    });
    canvas.addEventListener("pointerup", async () => {
      if (!drawing) return;
      drawing = false;
      const digest = await keepImage(await canvasBlob(canvas, "image/png"), siteId);
      await set(item.key, digest);
    });
    const saved = h("p", { class: "muted" });
    const refresh = () => {
      saved.textContent = answers[item.key] ? t("form.signed") : "";
    };
    const reset = h("button", { type: "button", class: "plain", onclick: () => { clear(); set(item.key, null); } }, t("form.clear_signature"));
    return { control: h("div", {}, canvas, saved, reset), refresh };
  }

  function control(item) {
    const id = `item-${item.key}`;
    switch (item.type) {
      case "check": {
        const options = [
          { value: "pass", label: t("form.pass") },
          { value: "fail", label: t("form.fail") },
        ];
        if (item.allow_na !== false) options.push({ value: "na", label: t("form.na") });
        return choiceButtons(item, options, { failing: ["fail"] });
      }
      case "choice":
        return choiceButtons(item, item.options.map((o) => ({ value: o.value, label: text(o.label) })),
          { multiple: item.multiple, failing: item.fail_options ?? [] });
      case "number": {
        const decimals = item.decimals ?? 0;
        const input = h("input", {
          id, type: "number", inputmode: decimals ? "decimal" : "numeric",
          step: decimals ? String(10 ** -decimals) : "1", "data-testid": `input-${item.key}`,
          value: answers[item.key] ?? "",
        });
        input.addEventListener("input", () => set(item.key, input.value === "" ? null : Number(input.value)));
        const range = [item.min, item.max].some((v) => v !== undefined && v !== null)
          ? t("form.range", { min: item.min ?? "", max: item.max ?? "" })
          : "";
        return { control: h("div", {}, h("div", { class: "row unit" }, input, item.unit ? h("span", {}, item.unit) : null),
          range ? h("p", { class: "muted", "data-testid": `range-${item.key}` }, range) : null) };
      }
      case "text": {
        const area = h("textarea", { id, rows: 3, maxlength: item.max_length ?? 2000, "data-testid": `input-${item.key}` });
        area.value = answers[item.key] ?? "";
        area.addEventListener("input", () => set(item.key, area.value));
        return { control: area };
      }
      case "date": {
        const input = h("input", { id, type: "date", "data-testid": `input-${item.key}`, value: answers[item.key] ?? "" });
        input.addEventListener("input", () => set(item.key, input.value));
        return { control: input };
      }
      case "photo":
        return photoControl(item.key);
      case "signature":
        return signatureControl(item);
      default:
        return { control: h("p", { class: "warn" }, item.type) };
    }
  }

  // `below`: drawn after the first paint, under the first screen.
  const drawItem = (item, below = false) => {
    const problem = h("p", { class: "warn problem", "data-testid": `problem-${item.key}` });
    const { control: input, refresh } = control(item);
    const required = h("span", { class: "required", title: t("form.required") }, " *");
    const prefill = item.key in prefilled
      ? h("p", { class: "muted prefilled", "data-testid": `prefilled-${item.key}` }, t("form.prefilled"))
      : null;
    const evidence = evidenceControl(item);
    const box = h("div", { class: below ? "card item below" : "card item", "data-testid": "item", "data-key": item.key, "data-type": item.type },
      h("div", { class: "item-label" },
        text(item.label),
        required,
        item.critical ? h("span", { class: "badge" }, t("form.critical")) : null),
      item.help ? h("p", { class: "muted help" }, text(item.help)) : null,
      item.required_when ? h("p", { class: "muted help" }, t("form.required_on_failure")) : null,
      input,
      prefill,
      problem,
      evidence?.box,
    );
    parts.set(item.key, { box, problem, refresh, required, prefilled: prefill, evidence });
    return box;
  };
  // The first screen's items now; the others, the note, the summary and the buttons just
  // after the first paint (everything the form does works on `answers`, not on what is
  // drawn).
  const first = firstScreen(template);
  const items = template.items.slice(0, first).map((item) => drawItem(item));
  let slot = h("div", { hidden: true });
  const drawRest = () => {
    if (!slot?.isConnected) return;
    slot.replaceWith(...template.items.slice(first).map((item) => drawItem(item, true)), ...ending());
    slot = null;
    update();
  };
  afterPaint().then(() => setTimeout(drawRest));

  // "All OK" answers the shown items still unanswered that it can (checklist.js
  // allOkAnswers), and never changes an answer a person gave (a failure stays a failure).
  const allOk = () => {
    Object.assign(answers, allOkAnswers(template, answers));
    update();
    return save();
  };

  const note = h("textarea", { rows: 2, maxlength: 2000, "data-testid": "note" });
  note.value = draft.note ?? "";
  note.addEventListener("input", () => {
    draft.note = note.value;
    save();
  });

  // A submit is one record however often it is tapped (a double tap, Enter twice, a tap
  // while it is being saved): the button is disabled and every tap shares the one save
  // until it has failed validation. The record is the draft's (its id), and the outbox
  // keeps one op per record id (store.enqueue), so a second form on the same draft adds
  // nothing either.
  let submitting = null;
  const submitButton = h("button", { type: "button", "data-testid": "submit", onclick: () => submit() },
    t("form.submit"));
  const submit = () => {
    submitting ??= (async () => {
      submitButton.disabled = true;
      try {
        if (!(await send())) {
          submitting = null;
          submitButton.disabled = false;
        }
      } catch (error) {
        submitting = null;
        submitButton.disabled = false;
        throw error;
      }
    })();
    return submitting;
  };

  // Whether the record was put into the outbox.
  const send = async () => {
    drawRest();
    attempted = true;
    update();
    const problems = Object.keys(validateAnswers(template, answers, today()));
    if (problems.length) {
      message.textContent = t("form.fix_problems", { count: problems.length });
      parts.get(problems[0].split(".")[0]).box.scrollIntoView({ block: "center" });
      return false;
    }
    const completed = new Date().toISOString();
    const sent = submittedAnswers(template, answers, today());
    const body = {
      id: draft.id,
      template_key: template.key,
      template_version: template.version,
      answers: sent,
      started_at: draft.started_at,
      completed_at: completed,
      note: draft.note ?? "",
    };
    if (target.kind === "asset") body.asset_id = target.asset.id;
    else body.location_id = target.location.id;
    const blobs = taken(sent);
    draft.op_id ??= store.uuid7();
    await store.enqueue({ type: "inspection.submitted", opId: draft.op_id, occurredAt: completed, body, draftKey, blobs });
    await ctx.onDone();
    return true;
  };

  // The photos and signatures these answers name, those under failing items too.
  const taken = (given) => template.items.flatMap((item) => {
    const own = item.type === "photo" || item.type === "signature" ? [item.key] : [];
    const keys = [...own, ...Object.entries(evidenceKeys(item)).filter(([, kind]) => kind === "photos").map(([key]) => key)];
    return keys.filter((key) => key in given).flatMap((key) => (Array.isArray(given[key]) ? given[key] : [given[key]]));
  });

  // Starting again: the draft and the photos and signature taken for it leave the phone
  // (a photo that a record waiting to be sent names too stays).
  const discard = async () => {
    if (!confirm(t("form.confirm_discard"))) return;
    const photos = taken(answers);
    await store.deleteDraft(draftKey);
    await Promise.all(photos.map(dropImage));
    history.replaceState({ inApp: true }, "", `/t/${code}`);
    await render();
  };

  const ending = () => [
    h("div", { class: "card" }, h("label", {}, t("form.note")), note),
    summary,
    h("div", { class: "card" },
      h("button", { type: "button", class: "wide plain", "data-testid": "discard", onclick: discard }, t("form.discard"))),
  ];

  update();
  // All OK and Submit stay at the bottom of the screen however far the form is scrolled (a
  // sticky bar in the flow, so nothing is left under it at the end of the form).
  const bar = h("div", { class: "form-bar", "data-testid": "form-bar" },
    message,
    h("div", { class: "row" },
      h("button", { type: "button", class: "plain", "data-testid": "all-ok", title: t("form.all_ok_hint"), onclick: allOk },
        t("form.all_ok")),
      submitButton));
  return [
    h("div", { class: "card" },
      h("h1", { "data-testid": "form-title" }, text(template.title)),
      template.guidance ? h("p", { class: "muted" }, text(template.guidance)) : null,
      h("p", { class: "muted help", "data-testid": "all-ok-hint" }, t("form.all_ok_hint")),
    ),
    ...items,
    slot,
    bar,
  ];
}
