// What every console form shares: a place for the server's problem next to the field it
// names (or under the form when it names none), and the message a page shows at its top
// after a change.

import { h } from "./dom.js";

// An empty slot for the problem with `field` (the request field's name, as the server's
// refusal names it); "" for the form's own.
export function problemSlot(field = "") {
  return h("p", { class: "field-problem warn", "data-problem": field, role: "alert" });
}

// The refusal `error` said in the slot of the field it names within `within` (a form, or
// the table row its fields stand in), every other slot there emptied. A field inside
// another ("rows[3].serial", "config.url") goes to its own slot when the form has one,
// else to the slot of the field it is part of.
export function showProblem(within, error, describeError) {
  for (const old of within.querySelectorAll(".field-problem")) old.textContent = "";
  const slotFor = (field) => field && within.querySelector(`[data-problem="${CSS.escape(field)}"]`);
  const slot = slotFor(error.field) ?? slotFor(error.field?.split(/[.[]/)[0]) ??
    within.querySelector('[data-problem=""]');
  slot.textContent = describeError(error);
}

// The line a page shows above itself after a change (or a failed one).
export function pageMessage(message, failed = false) {
  return h("p", { class: failed ? "card warn" : "card note", role: "status", "data-testid": "page-message" }, message);
}
