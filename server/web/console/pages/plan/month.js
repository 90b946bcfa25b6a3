// The month's plan (行事表): a week to a row, each day with the recurring work dated that
// day and how many things it is due on, holidays and make-up school days marked from the
// school calendar. The month is in the address (month=YYYY-MM), so it can be linked to.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { language, t } from "../../i18n.js";
import { siteToday, titleOf, WEEKDAYS } from "./common.js";

function shifted(month, by) {
  const [y, m] = month.split("-").map(Number);
  const at = new Date(Date.UTC(y, m - 1 + by, 1));
  return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, "0")}`;
}

function monthTitle(month) {
  const [y, m] = month.split("-").map(Number);
  return new Intl.DateTimeFormat(language(), { year: "numeric", month: "long", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, 1)));
}

function dayCell(day, calendar, today) {
  const date = day.date;
  const holiday = calendar.holidays.find((x) => x.first_day <= date && date <= x.last_day);
  const makeUp = calendar.extra_school_days.includes(date);
  const marks = [];
  if (makeUp) marks.push(h("span", { class: "day-mark make-up", "data-testid": "make-up" }, t("plan.make_up_day")));
  else if (holiday) marks.push(h("span", { class: "day-mark holiday", "data-testid": "holiday" }, holiday.name));
  const classes = ["plan-day", holiday && !makeUp ? "is-holiday" : null, date === today ? "is-today" : null].filter(Boolean).join(" ");
  return h("td", { class: classes, "data-date": date, "data-testid": "plan-day" },
    h("div", { class: "day-number" }, String(Number(date.slice(8))), date === today ? h("span", { class: "sr-only" }, t("plan.today")) : null),
    marks,
    day.work.length
      ? h("ul", { class: "day-work" }, day.work.map((w) => h("li", { "data-testid": "planned", "data-schedule": w.schedule_id },
        titleOf(w), h("span", { class: "muted" }, ` ×${w.targets}`))))
      : null);
}

export async function draw(ctx, _redraw, query) {
  const today = siteToday(ctx.site);
  const month = /^\d{4}-(0[1-9]|1[0-2])$/.test(query.get("month") ?? "") ? query.get("month") : today.slice(0, 7);
  const [plan, stored] = await Promise.all([
    api.get(`/api/sites/${ctx.site.id}/plan?month=${month}`),
    api.get(`/api/sites/${ctx.site.id}/calendar`),
  ]);
  const link = (m) => `/console/plan?site=${encodeURIComponent(ctx.site.id)}&view=month&month=${m}`;
  // Weeks from Monday: blank cells before the 1st and after the last day.
  const weeks = [];
  let week = Array.from({ length: (new Date(`${plan.days[0].date}T00:00:00Z`).getUTCDay() + 6) % 7 }, () => null);
  for (const day of plan.days) {
    week.push(day);
    if (week.length === 7) {
      weeks.push(week);
      week = [];
    }
  }
  if (week.length) weeks.push([...week, ...Array.from({ length: 7 - week.length }, () => null)]);
  const chooser = h("form", { class: "row month-chooser", method: "get", action: "/console/plan" },
    h("input", { type: "hidden", name: "site", value: ctx.site.id }),
    h("input", { type: "hidden", name: "view", value: "month" }),
    h("a", { class: "button plain-link", href: link(shifted(month, -1)), "data-testid": "month-previous" }, t("plan.month_previous")),
    h("label", { for: "plan-month", class: "sr-only" }, t("plan.month_choose")),
    h("input", { id: "plan-month", name: "month", type: "month", value: month, "data-testid": "month-input" }),
    h("button", { class: "small" }, t("plan.month_show")),
    h("a", { class: "button plain-link", href: link(shifted(month, 1)), "data-testid": "month-next" }, t("plan.month_next")));
  const total = plan.days.reduce((n, d) => n + d.work.length, 0);
  return [
    h("section", { class: "card" },
      h("h2", { "data-testid": "month-title" }, monthTitle(month)),
      chooser,
      total ? null : h("p", { class: "muted", "data-testid": "month-empty" }, t("plan.month_empty")),
      h("table", { class: "month-grid", "data-testid": "month-grid" },
        h("caption", { class: "sr-only" }, monthTitle(month)),
        h("thead", {}, h("tr", {}, WEEKDAYS.map(([, name]) => h("th", { scope: "col" }, t(name))))),
        h("tbody", {}, weeks.map((days) => h("tr", {}, days.map((day) => (day ? dayCell(day, stored.calendar, today) : h("td", { class: "plan-day blank" }))))))),
      h("p", { class: "muted small-text" }, t("plan.month_hint"))),
  ];
}
