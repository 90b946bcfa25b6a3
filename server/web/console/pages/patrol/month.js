// The month's completion grid (GET /api/sites/{id}/patrol/month): per schedule, a day to a
// row and a window to a column, each cell its state's colour and mark (a letter or symbol
// that reads without colour and on paper), late and flagged marked apart, and under the
// mark in words what a supervisor did or owes: a round explained (a missed one closed
// with a comment) and a walked round still waiting for its countersignature. Each cell is
// a link to its round. The month is in the address (month=YYYY-MM); printing shows the
// grid and its legend only.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import {
  address, dayText, isMonth, monthText, pick, shiftMonth, siteToday, stateMark, stateName, STATES, weekdayText,
} from "./common.js";

// The totals under each grid, as DayCounts names them.
const TOTALS = [
  ["scheduled", "patrol.count_scheduled"],
  ["completed", "patrol.count_completed"],
  ["incomplete", "patrol.count_incomplete"],
  ["missed", "patrol.count_missed"],
  ["late", "patrol.count_late"],
  ["flagged", "patrol.count_flagged"],
  ["cancelled", "patrol.count_cancelled"],
];

// What a supervisor did or still owes about a round, a word under its mark (on paper too):
// a walked round waiting for its countersignature, or a round explained (closed with a
// comment; a countersignature closes a round too, and is no explanation).
const NOTES = {
  explained: { kind: "explained", mark: "patrol.mark_explained", name: "patrol.cell_explained", legend: "patrol.legend_explained" },
  to_sign: { kind: "to_sign", mark: "patrol.mark_to_sign", name: "patrol.cell_to_sign", legend: "patrol.legend_to_sign" },
};

function cellNote(found) {
  if (found.needs_countersign) return NOTES.to_sign;
  if (found.explained) return NOTES.explained;
  return null;
}

function cell(site, day, found) {
  if (!found) return h("td", { class: "cell-none", "data-testid": "cell", "data-state": "none" },
    h("span", { "aria-hidden": "true" }, ""), h("span", { class: "sr-only" }, t("patrol.cell_none")));
  const words = [stateName(found.state)];
  if (found.late) words.push(t("patrol.late"));
  if (found.flagged) words.push(t("patrol.flagged"));
  if (["completed", "incomplete", "in_progress"].includes(found.state)) words.push(t("patrol.percent", { n: Math.round(found.coverage * 100) }));
  const note = cellNote(found);
  if (note) words.push(t(note.name));
  else if (found.countersigned) words.push(t("patrol.countersigned"));
  const label = words.join(t("list.separator"));
  return h("td", {
    class: `cell state-${found.state}${note ? ` cell-${note.kind}` : ""}`, "data-testid": "cell", "data-state": found.state, "data-window": found.window,
    "data-late": String(found.late), "data-flagged": String(found.flagged), "data-note": note?.kind ?? "",
  },
  h("a", { href: address(site.id, { round: found.round_id, date: day.date }), title: label, "aria-label": `${dayText(day.date)} ${label}` },
    h("span", { class: "cell-mark" }, stateMark(found.state)),
    found.late ? h("span", { class: "cell-extra" }, t("patrol.mark_late")) : null,
    found.flagged ? h("span", { class: "cell-extra" }, t("patrol.mark_flagged")) : null,
    note ? h("span", { class: "cell-note", "data-testid": "cell-note" }, t(note.mark)) : null));
}

function grid(site, schedule, today) {
  const totals = h("p", { class: "small-text grid-totals", "data-testid": "grid-totals" },
    TOTALS.map(([key, name], i) => [i ? t("patrol.totals_separator") : null,
      h("span", { class: "nowrap" }, t("patrol.total", { name: t(name), count: schedule.counts[key] ?? 0 }))]));
  return h("section", { class: "card month-schedule", "data-testid": "month-schedule", "data-schedule": schedule.schedule_id },
    h("h2", {}, pick(schedule.name, schedule.name_en)),
    h("div", { class: "wide-table", tabindex: "0", role: "region", "aria-label": pick(schedule.name, schedule.name_en) }, h("table", { class: "round-grid", "data-testid": "round-grid" },
      h("caption", { class: "sr-only" }, pick(schedule.name, schedule.name_en)),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, t("patrol.grid_day")),
        schedule.times.map((time) => h("th", { scope: "col", class: "grid-time" }, time.endsWith("+1") ? t("patrol.next_day", { time: time.slice(0, -2) }) : time)))),
      h("tbody", {}, schedule.days.map((day) => h("tr", { "data-date": day.date, "data-testid": "grid-day", class: day.date === today ? "is-today" : null },
        h("th", { scope: "row", class: "grid-date" }, `${Number(day.date.slice(8))} ${weekdayText(day.date)}`,
          day.date === today ? h("span", { class: "sr-only" }, t("patrol.today")) : null),
        day.cells.map((c) => cell(site, day, c))))))),
    totals);
}

function legend() {
  return h("div", { class: "grid-legend", "data-testid": "legend" },
    h("h3", {}, t("patrol.legend")),
    h("ul", {},
      Object.keys(STATES).map((state) => h("li", {},
        h("span", { class: `legend-swatch cell state-${state}` }, stateMark(state)), stateName(state))),
      h("li", {}, h("span", { class: "legend-swatch" }, t("patrol.mark_late")), t("patrol.late")),
      h("li", {}, h("span", { class: "legend-swatch" }, t("patrol.mark_flagged")), t("patrol.flagged")),
      Object.values(NOTES).map((note) => h("li", { "data-testid": `legend-${note.kind}` },
        h("span", { class: "legend-swatch legend-note" }, t(note.mark)), t(note.legend))),
      h("li", {}, h("span", { class: "legend-swatch cell-none" }, ""), t("patrol.cell_none"))));
}

export async function draw(ctx, _redraw, query) {
  const { site } = ctx;
  const asked = isMonth(query.get("month")) ? query.get("month") : null;
  const found = await api.get(`/api/sites/${site.id}/patrol/month${asked ? `?month=${asked}` : ""}`);
  const month = found.month;
  const today = siteToday(site);
  const link = (m) => address(site.id, { view: "month", month: m });
  const chooser = h("form", { class: "row month-chooser no-print", method: "get", action: "/console/patrol" },
    h("input", { type: "hidden", name: "site", value: site.id }),
    h("input", { type: "hidden", name: "view", value: "month" }),
    h("a", { class: "button plain-link", href: link(shiftMonth(month, -1)), "data-testid": "month-previous" }, t("patrol.month_previous")),
    h("label", { for: "patrol-month", class: "sr-only" }, t("patrol.month_choose")),
    h("input", { id: "patrol-month", name: "month", type: "month", value: month, "data-testid": "month-input" }),
    h("button", { class: "small" }, t("patrol.month_show")),
    h("a", { class: "button plain-link", href: link(shiftMonth(month, 1)), "data-testid": "month-next" }, t("patrol.month_next")),
    h("button", { type: "button", class: "small plain", "data-testid": "print", onclick: () => window.print() }, t("patrol.print")));
  return [
    h("section", { class: "card month-head" },
      h("h2", { "data-testid": "month-title" }, t("patrol.month_title", { month: monthText(month), site: pick(site.name, site.name_en) })),
      chooser,
      h("p", { class: "muted small-text" }, t("patrol.month_hint")),
      legend()),
    ...(found.schedules.length
      ? [h("div", { class: "month-grids" }, found.schedules.map((s) => grid(site, s, today)))]
      : [h("p", { class: "card muted", "data-testid": "month-empty" }, t("patrol.month_empty"))]),
  ];
}
