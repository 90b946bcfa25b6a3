// What the plan's tabs share: dates and times in the site's timezone (a school's day is its
// own, wherever the browser is), a checklist's title in the person's language, and a
// schedule's rule said in words.

import { has, language, t } from "../../i18n.js";

// ISO weekdays (1 is Monday), each with the key of its name.
export const WEEKDAYS = [
  [1, "plan.weekday_1"], [2, "plan.weekday_2"], [3, "plan.weekday_3"], [4, "plan.weekday_4"],
  [5, "plan.weekday_5"], [6, "plan.weekday_6"], [7, "plan.weekday_7"],
];

export function weekdayName(day) {
  return t(WEEKDAYS[day - 1][1]);
}

// The date it is now at the site, as YYYY-MM-DD.
export function siteToday(site) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: site.timezone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
}

// A local date (YYYY-MM-DD) for a person: it is a day at the site, not an instant.
export function dayText(day, withWeekday = false) {
  const [y, m, d] = day.split("-").map(Number);
  const options = { dateStyle: "medium", timeZone: "UTC" };
  const text = new Intl.DateTimeFormat(language(), options).format(new Date(Date.UTC(y, m - 1, d)));
  return withWeekday ? `${text} ${weekdayName(isoWeekday(day))}` : text;
}

export function isoWeekday(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay() || 7;
}

// An instant as the site's clock shows it.
export function timeText(site, iso) {
  return new Intl.DateTimeFormat(language(), { dateStyle: "medium", timeStyle: "short", timeZone: site.timezone })
    .format(new Date(iso));
}

export function titleOf(record) {
  return language() === "en" && record.title_en ? record.title_en : record.title_zh || record.template_key;
}

function windowsText(rule) {
  return (rule.windows ?? []).map((w) => `${w.start}–${w.end}`).join(t("list.separator"));
}

// A rule in words ("每周一、周四", "Every month on the 1st, 08:00–09:00").
export function ruleText(rule) {
  if (!rule) return t("plan.rule_none");
  let text;
  if (rule.every === "daily") text = rule.school_days_only ? t("plan.rule_school_days") : t("plan.rule_daily");
  else if (rule.every === "weekly") text = t("plan.rule_weekly", { days: rule.weekdays.map(weekdayName).join(t("plan.day_separator")) });
  else if (rule.every === "monthly") text = rule.day === "last" ? t("plan.rule_monthly_last") : t("plan.rule_monthly", { day: rule.day });
  else if (rule.every === "yearly") text = t("plan.rule_yearly", { month: rule.month, day: rule.day });
  else if (rule.every === "per_term") text = t("plan.rule_per_term", { times: rule.times });
  else text = rule.every;
  const windows = windowsText(rule);
  return windows ? `${text} ${windows}` : text;
}

// The version of a schedule that governs `day`, or null before its first.
export function versionOn(schedule, day) {
  let found = null;
  for (const version of schedule.versions) if (version.effective_from <= day) found = version;
  return found;
}

// The console's reading of a refusal, made more precise where the field it names is part
// of a list or a rule ("terms[1]", "rule.weekdays"): said as a refusal of that whole field.
export function describeFor(ctx) {
  return (error) => {
    const base = error.field?.split(/[.[]/)[0];
    const key = `refusal.${error.code}.${base}`;
    if (base && base !== error.field && has(key)) return t(key, { detail: error.message });
    return ctx.describeError(error);
  };
}
