// Filling in a checklist from the phone's copy of its template: every item type, show_if
// live, problems next to their items, a summary of failures, and a draft in IndexedDB that
// survives a reload, or is discarded with its photos. Submitting puts an
// `inspection.submitted` op into the outbox.

import { failures, isAnswered, shownItems, submittedAnswers, validateAnswers } from "./checklist.js";
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
  const draft = (await (ctx.draft ?? store.getDraft(draftKey))) ?? {
    id: store.uuid7(),
    op_id: store.uuid7(),
    started_at: new Date().toISOString(),
    answers: {},
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
    const problems = validateAnswers(template, answers);
    for (const item of template.items) {
      // An item below the first screen may not be drawn yet: drawn, it is brought up to date.
      const part = parts.get(item.key);
      if (!part) continue;
      part.box.hidden = !shown.has(item.key);
      part.refresh?.();
      const problem = problems[item.key];
      part.problem.textContent = attempted && problem ? t(`form.problem.${problem.code}`, problem.vars) : "";
    }
    const count = Object.keys(problems).length;
    if (attempted) message.textContent = count ? t("form.fix_problems", { count }) : "";
    const failed = failures(template, answers, today());
    summary.replaceChildren(
      h("h2", {}, t("form.summary")),
      failed.length
        ? h("ul", { class: "list" }, failed.map(({ item, critical }) =>
            h("li", { "data-testid": "failure", "data-key": item.key, class: critical ? "sev-high" : "" },
              critical ? `${t("form.critical")} · ` : "", text(item.label))))
        : h("p", { class: "muted", "data-testid": "no-failures" }, t("form.no_failures")),
    );
  }

  function choiceButtons(item, options, { multiple = false } = {}) {
    const buttons = options.map(({ value, label }) =>
      h("button", {
        type: "button",
        class: `choice choice-${value}`,
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

  function photoControl(item) {
    const picker = photoPicker({
      siteId,
      testId: `photo-${item.key}`,
      photos: answers[item.key] ?? [],
      max: Infinity,
      onChange: (digests) => set(item.key, digests),
    });
    return { control: picker.element };
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
        return choiceButtons(item, options);
      }
      case "choice":
        return choiceButtons(item, item.options.map((o) => ({ value: o.value, label: text(o.label) })), { multiple: item.multiple });
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
        return photoControl(item);
      case "signature":
        return signatureControl(item);
      default:
        return { control: h("p", { class: "warn" }, item.type) };
    }
  }

  // `below`: drawn after the first paint, under the first screen.
  const drawItem = (item, below = false) => {
    const required = item.required ?? true;
    const problem = h("p", { class: "warn problem", "data-testid": `problem-${item.key}` });
    const { control: input, refresh } = control(item);
    const box = h("div", { class: below ? "card item below" : "card item", "data-testid": "item", "data-key": item.key, "data-type": item.type },
      h("div", { class: "item-label" },
        text(item.label),
        required ? h("span", { class: "required", title: t("form.required") }, " *") : null,
        item.critical ? h("span", { class: "badge" }, t("form.critical")) : null),
      item.help ? h("p", { class: "muted help" }, text(item.help)) : null,
      input,
      problem,
    );
    parts.set(item.key, { box, problem, refresh });
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

  // "All OK" answers the shown check items still unanswered, and never changes an answer a
  // person gave (a failure stays a failure). In template order, so an item shown by an
  // earlier one's pass is answered too.
  const allOk = () => {
    for (const item of template.items) {
      if (item.type !== "check" || isAnswered(answers[item.key])) continue;
      if (shownItems(template, answers).has(item.key)) answers[item.key] = "pass";
    }
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
  const submitButton = h("button", { type: "button", class: "wide", "data-testid": "submit", onclick: () => submit() },
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
    const problems = Object.keys(validateAnswers(template, answers));
    if (problems.length) {
      message.textContent = t("form.fix_problems", { count: problems.length });
      parts.get(problems[0]).box.scrollIntoView({ block: "center" });
      return false;
    }
    const completed = new Date().toISOString();
    const sent = submittedAnswers(template, answers);
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
    const blobs = template.items
      .filter((item) => item.key in sent && (item.type === "photo" || item.type === "signature"))
      .flatMap((item) => (item.type === "photo" ? sent[item.key] : [sent[item.key]]));
    draft.op_id ??= store.uuid7();
    await store.enqueue({ type: "inspection.submitted", opId: draft.op_id, occurredAt: completed, body, draftKey, blobs });
    await ctx.onDone();
    return true;
  };

  // Starting again: the draft and the photos and signature taken for it leave the phone
  // (a photo that a record waiting to be sent names too stays).
  const discard = async () => {
    if (!confirm(t("form.confirm_discard"))) return;
    const taken = template.items
      .filter((item) => item.key in answers && (item.type === "photo" || item.type === "signature"))
      .flatMap((item) => (item.type === "photo" ? answers[item.key] : [answers[item.key]]));
    await store.deleteDraft(draftKey);
    await Promise.all(taken.map(dropImage));
    history.replaceState({ inApp: true }, "", `/t/${code}`);
    await render();
  };

  const ending = () => [
    h("div", { class: "card" }, h("label", {}, t("form.note")), note),
    summary,
    h("div", { class: "card" },
      submitButton,
      message,
      h("button", { type: "button", class: "wide plain", "data-testid": "discard", onclick: discard }, t("form.discard"))),
  ];

  update();
  return [
    h("div", { class: "card" },
      h("h1", { "data-testid": "form-title" }, text(template.title)),
      template.guidance ? h("p", { class: "muted" }, text(template.guidance)) : null,
      h("button", { type: "button", class: "wide plain", "data-testid": "all-ok", onclick: allOk }, t("form.all_ok")),
    ),
    ...items,
    slot,
  ];
}
