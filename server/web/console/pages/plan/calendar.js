// The school calendar: its terms, holidays and make-up school days (调休补班), and the
// weekdays it keeps school on. It is saved whole (PUT); the server refuses a change to a
// past day a schedule was in force on, and a term or holiday that ends before it begins,
// each said next to the row it is about.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { problemSlot, showProblem } from "../../forms.js";
import { t } from "../../i18n.js";
import { dayText, describeFor, WEEKDAYS } from "./common.js";

// A new term's key, from its first day: a key is part of per-term work's names forever,
// so it is made once and kept however the term is renamed or moved.
function termKey(firstDay, taken) {
  let key = `term-${firstDay || "new"}`;
  for (let n = 2; taken.has(key); n++) key = `term-${firstDay || "new"}-${n}`;
  return key;
}

function dateInput(id, value, label) {
  return [h("label", { for: id, class: "sr-only" }, label), h("input", { id, type: "date", value: value ?? "", required: true })];
}

function textInput(id, value, label) {
  return [h("label", { for: id, class: "sr-only" }, label), h("input", { id, value: value ?? "", required: true, maxlength: 200 })];
}

let rowCount = 0;

// A row of a term or holiday table being edited: name, first day, last day, remove.
function spanRow(kind, span) {
  const n = ++rowCount;
  const row = h("tr", { "data-testid": `${kind}-row`, "data-key": span?.key ?? "" },
    h("td", {}, textInput(`${kind}-name-${n}`, span?.name, t("plan.cal_name"))),
    h("td", {}, dateInput(`${kind}-first-${n}`, span?.first_day, t("plan.cal_first_day"))),
    h("td", {}, dateInput(`${kind}-last-${n}`, span?.last_day, t("plan.cal_last_day"))),
    h("td", {}, h("button", { type: "button", class: "small plain", "data-testid": `remove-${kind}`, onclick: () => row.remove() },
      t("plan.cal_remove")), problemSlot()));
  return row;
}

function spanTable(kind, spans, caption) {
  const body = h("tbody", {}, spans.map((s) => spanRow(kind, s)));
  const table = h("table", { class: "cal-table", "data-testid": `${kind}s` },
    h("caption", { class: "sr-only" }, caption),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("plan.cal_name")),
      h("th", { scope: "col" }, t("plan.cal_first_day")),
      h("th", { scope: "col" }, t("plan.cal_last_day")),
      h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("plan.cal_actions"))))),
    body);
  return { table, body };
}

// The rows as the API takes them; each row's problem slot is named after its place in the
// list sent (terms[2]), so a refusal about it lands on it.
function spansOf(body, kind, field, taken) {
  return [...body.rows].map((row, at) => {
    row.querySelector(".field-problem").dataset.problem = `${field}[${at}]`;
    const [name, first, last] = row.querySelectorAll("input");
    const span = { name: name.value.trim(), first_day: first.value, last_day: last.value };
    if (kind !== "term") return span;
    if (!row.dataset.key) {
      row.dataset.key = termKey(first.value, taken);
      taken.add(row.dataset.key);
    }
    return { key: row.dataset.key, ...span };
  });
}

function calendarForm(stored, ctx, redraw) {
  const cal = stored.calendar;
  const terms = spanTable("term", cal.terms, t("plan.cal_terms"));
  const holidays = spanTable("holiday", cal.holidays, t("plan.cal_holidays"));
  const extraList = h("ul", { class: "plain-list extra-days", "data-testid": "extra-days" });
  const addExtra = (day) => {
    const item = h("li", { class: "row", "data-day": day, "data-testid": "extra-day" },
      h("span", {}, dayText(day, true)),
      h("button", { type: "button", class: "small plain", "aria-label": t("plan.cal_remove_day", { day: dayText(day) }), onclick: () => item.remove() },
        t("plan.cal_remove")));
    extraList.append(item);
  };
  cal.extra_school_days.forEach(addExtra);
  const extraInput = h("input", { id: "extra-day-new", type: "date" });
  const weekdays = WEEKDAYS.map(([day, name]) => h("label", { class: "check", for: `school-weekday-${day}` },
    h("input", { type: "checkbox", id: `school-weekday-${day}`, value: day, checked: cal.school_weekdays.includes(day) }), t(name)));
  const form = h("form", { class: "card", "data-testid": "calendar-form" },
    h("h2", {}, t("plan.cal_terms")),
    h("p", { class: "muted small-text" }, t("plan.cal_terms_hint")),
    h("div", { class: "wide-table" }, terms.table), problemSlot("terms"),
    h("button", { type: "button", class: "small plain", "data-testid": "add-term", onclick: () => terms.body.append(spanRow("term")) }, t("plan.cal_add_term")),
    h("h2", { class: "cal-part" }, t("plan.cal_holidays")),
    h("div", { class: "wide-table" }, holidays.table), problemSlot("holidays"),
    h("button", { type: "button", class: "small plain", "data-testid": "add-holiday", onclick: () => holidays.body.append(spanRow("holiday")) }, t("plan.cal_add_holiday")),
    h("h2", { class: "cal-part" }, t("plan.cal_extra")),
    h("p", { class: "muted small-text" }, t("plan.cal_extra_hint")),
    extraList,
    h("div", { class: "row" },
      h("label", { for: extraInput.id, class: "sr-only" }, t("plan.cal_extra_new")), extraInput,
      h("button", { type: "button", class: "small plain", "data-testid": "add-extra-day", onclick: () => {
        if (extraInput.value && !extraList.querySelector(`[data-day="${extraInput.value}"]`)) addExtra(extraInput.value);
        extraInput.value = "";
      } }, t("plan.cal_add_extra"))),
    problemSlot("extra_school_days"),
    h("fieldset", {}, h("legend", {}, t("plan.cal_weekdays")), weekdays, problemSlot("school_weekdays")),
    h("button", { "data-testid": "save-calendar" }, t("plan.cal_save")),
    problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const taken = new Set([...terms.body.rows].map((r) => r.dataset.key).filter(Boolean));
    const body = {
      terms: spansOf(terms.body, "term", "terms", taken),
      holidays: spansOf(holidays.body, "holiday", "holidays", taken),
      extra_school_days: [...extraList.children].map((li) => li.dataset.day).sort(),
      school_weekdays: weekdays.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => Number(i.value)),
    };
    try {
      await api.put(`/api/sites/${ctx.site.id}/calendar?version=${stored.version}`, body);
    } catch (error) {
      // Saved whole, a stale copy would undo the other change: the stored one is shown.
      if (error.code === "calendar.version_conflict") return redraw(t("plan.cal_stale"), true);
      return showProblem(form, error, describeFor(ctx));
    }
    await redraw(t("plan.cal_saved"));
  });
  return form;
}

function readOnly(stored) {
  const cal = stored.calendar;
  const spans = (kind, list, caption) => list.length
    ? h("div", { class: "wide-table" }, h("table", { class: "cal-table", "data-testid": `${kind}s` },
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, t("plan.cal_name")),
        h("th", { scope: "col" }, t("plan.cal_first_day")),
        h("th", { scope: "col" }, t("plan.cal_last_day")))),
      h("tbody", {}, list.map((s) => h("tr", { "data-testid": `${kind}-row` },
        h("td", {}, s.name), h("td", {}, dayText(s.first_day, true)), h("td", {}, dayText(s.last_day, true)))))))
    : h("p", { class: "muted" }, t("plan.cal_none"));
  return h("section", { class: "card", "data-testid": "calendar-read" },
    h("h2", {}, t("plan.cal_terms")), spans("term", cal.terms, t("plan.cal_terms")),
    h("h2", { class: "cal-part" }, t("plan.cal_holidays")), spans("holiday", cal.holidays, t("plan.cal_holidays")),
    h("h2", { class: "cal-part" }, t("plan.cal_extra")),
    cal.extra_school_days.length
      ? h("ul", { class: "plain-list", "data-testid": "extra-days" }, cal.extra_school_days.map((d) => h("li", { "data-testid": "extra-day" }, dayText(d, true))))
      : h("p", { class: "muted" }, t("plan.cal_none")),
    h("h2", { class: "cal-part" }, t("plan.cal_weekdays")),
    h("p", {}, WEEKDAYS.filter(([d]) => cal.school_weekdays.includes(d)).map(([, name]) => t(name)).join(t("plan.day_separator"))));
}

export async function draw(ctx, redraw) {
  const stored = await api.get(`/api/sites/${ctx.site.id}/calendar`);
  return [
    h("section", { class: "card note" }, h("p", {}, t("plan.cal_intro"))),
    ctx.canChange ? calendarForm(stored, ctx, redraw) : readOnly(stored),
  ];
}
