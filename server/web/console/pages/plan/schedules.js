// The schedules: which checklist is filled in for which things, by what rule. A schedule
// changes only from a date, today or later (a new version; the days before it keep the
// rule they had), and ends the same way. Its checklist and things never change: to cover
// other things, end it and make another.

import * as api from "../../api.js";
import { CATEGORY_CODES, categoryName } from "../../categories.js";
import { h } from "../../dom.js";
import { problemSlot, showProblem } from "../../forms.js";
import { language, t } from "../../i18n.js";
import { dayText, describeFor, ruleText, siteToday, titleOf, versionOn, WEEKDAYS } from "./common.js";

const KINDS = [
  ["weekly", "plan.kind_weekly"],
  ["daily", "plan.kind_daily"],
  ["school_days", "plan.kind_school_days"],
  ["monthly", "plan.kind_monthly"],
  ["yearly", "plan.kind_yearly"],
  ["per_term", "plan.kind_per_term"],
];
const FOUND = 20;

function field(id, label, control, problem) {
  return h("div", {}, h("label", { for: id }, label), control, problem === undefined ? null : problemSlot(problem));
}

// The fields of a rule, those of the chosen kind shown; read() gives the rule to send.
function ruleEditor(prefix, rule) {
  const kindOf = (r) => !r ? "weekly" : r.every === "daily" && r.school_days_only ? "school_days" : r.every;
  const kind = h("select", { id: `${prefix}-kind` },
    KINDS.map(([k, name]) => h("option", { value: k, selected: k === kindOf(rule) }, t(name))));
  const days = WEEKDAYS.map(([day, name]) => h("label", { class: "check", for: `${prefix}-day-${day}` },
    h("input", { type: "checkbox", id: `${prefix}-day-${day}`, value: day, checked: rule?.weekdays?.includes(day) ?? day === 1 }), t(name)));
  const monthDay = h("select", { id: `${prefix}-month-day` },
    [...Array.from({ length: 31 }, (_, i) => [String(i + 1), String(i + 1)]), ["last", t("plan.last_day")]]
      .map(([value, text]) => h("option", { value, selected: String(rule?.day ?? 1) === value }, text)));
  const month = h("input", { id: `${prefix}-month`, type: "number", min: 1, max: 12, value: rule?.month ?? 9 });
  const yearDay = h("input", { id: `${prefix}-year-day`, type: "number", min: 1, max: 31, value: rule?.every === "yearly" ? rule.day : 1 });
  const times = h("input", { id: `${prefix}-times`, type: "number", min: 1, max: 20, value: rule?.times ?? 2 });
  const start = h("input", { id: `${prefix}-start`, type: "time", value: rule?.windows?.[0]?.start ?? "" });
  const end = h("input", { id: `${prefix}-end`, type: "time", value: rule?.windows?.[0]?.end ?? "" });
  const parts = {
    weekly: h("fieldset", {}, h("legend", {}, t("plan.rule_days")), days),
    monthly: h("div", { class: "grid" }, field(monthDay.id, t("plan.rule_month_day"), monthDay)),
    yearly: h("div", { class: "grid" }, field(month.id, t("plan.rule_month"), month), field(yearDay.id, t("plan.rule_year_day"), yearDay)),
    per_term: h("div", { class: "grid" }, field(times.id, t("plan.rule_times"), times)),
  };
  const window = h("div", { class: "grid", "data-part": "window" },
    field(start.id, t("plan.rule_start"), start), field(end.id, t("plan.rule_end"), end));
  const sync = () => {
    for (const [k, part] of Object.entries(parts)) part.hidden = k !== kind.value;
    window.hidden = kind.value === "per_term";
  };
  kind.addEventListener("change", sync);
  sync();
  const element = h("div", { class: "rule-editor" },
    h("div", { class: "grid" }, field(kind.id, t("plan.rule_kind"), kind)),
    Object.values(parts), window,
    h("p", { class: "muted small-text" }, t("plan.rule_window_hint")), problemSlot("rule"));
  const read = () => {
    const windows = start.value && end.value && kind.value !== "per_term" ? [{ start: start.value, end: end.value }] : [];
    const withWindows = (r) => (windows.length ? { ...r, windows } : r);
    switch (kind.value) {
      case "daily": return withWindows({ every: "daily" });
      case "school_days": return withWindows({ every: "daily", school_days_only: true });
      case "weekly": return withWindows({ every: "weekly", weekdays: days.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => Number(i.value)) });
      case "monthly": return withWindows({ every: "monthly", day: monthDay.value === "last" ? "last" : Number(monthDay.value) });
      case "yearly": return withWindows({ every: "yearly", month: Number(month.value), day: Number(yearDay.value) });
      default: return { every: "per_term", times: Number(times.value) };
    }
  };
  return { element, read };
}

// Searching the site's equipment and places by name or number, a page of each at a time,
// and the things chosen so far.
function targetPicker(ctx) {
  const chosen = new Map();
  const search = h("input", { id: "target-q", type: "search", autocomplete: "off", placeholder: t("plan.target_q_hint") });
  const found = h("ul", { class: "plain-list found", "data-testid": "target-found" });
  const picked = h("ul", { class: "plain-list picked", "data-testid": "target-chosen" });
  const drawPicked = () => picked.replaceChildren(...[...chosen.values()].map((thing) =>
    h("li", { class: "row", "data-testid": "chosen-thing" },
      h("span", {}, thing.label),
      h("button", { type: "button", class: "small plain", "aria-label": t("plan.target_remove_named", { name: thing.label }),
        onclick: () => { chosen.delete(thing.id); drawPicked(); } }, t("plan.cal_remove")))));
  const run = async () => {
    const q = search.value.trim();
    if (!q) return found.replaceChildren();
    const params = new URLSearchParams({ site_id: ctx.site.id, q, limit: String(FOUND) });
    let assets, places;
    try {
      [assets, places] = await Promise.all([api.get(`/api/assets?${params}`), api.get(`/api/locations?${params}`)]);
    } catch (error) {
      return found.replaceChildren(h("li", { class: "warn" }, ctx.describeError(error)));
    }
    const things = [
      ...assets.items.map((a) => ({ id: a.id, kind: "asset", label: [a.name, a.asset_number, a.location_path.join(" › ")].filter(Boolean).join(" · ") })),
      ...places.items.map((l) => ({ id: l.id, kind: "location", label: l.path.join(" › ") })),
    ];
    found.replaceChildren(...(things.length ? things.map((thing) => h("li", { class: "row" },
      h("span", {}, thing.label),
      h("button", { type: "button", class: "small", "data-testid": "choose-thing", "aria-label": t("plan.target_add_named", { name: thing.label }),
        onclick: () => { chosen.set(thing.id, thing); drawPicked(); } }, t("plan.target_add"))))
      : [h("li", { class: "muted" }, t("plan.target_none_found"))]));
  };
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      run();
    }
  });
  const element = h("div", { class: "target-picker" },
    h("label", { for: search.id }, t("plan.target_search")),
    h("div", { class: "row search-row" }, search,
      h("button", { type: "button", class: "small", "data-testid": "search-things", onclick: run }, t("plan.target_search_button"))),
    found,
    h("h3", {}, t("plan.target_chosen")), picked, problemSlot("targets"));
  const read = () => {
    const things = [...chosen.values()];
    return {
      by: "named",
      asset_ids: things.filter((x) => x.kind === "asset").map((x) => x.id),
      location_ids: things.filter((x) => x.kind === "location").map((x) => x.id),
    };
  };
  return { element, read };
}

function createForm(ctx, templates, redraw) {
  const today = siteToday(ctx.site);
  const template = h("select", { id: "new-template", required: true },
    templates.map((x) => h("option", { value: x.key }, titleOf(x))));
  const targetsBy = h("select", { id: "new-targets-by" },
    h("option", { value: "named" }, t("plan.targets_by_named")),
    h("option", { value: "category" }, t("plan.targets_by_category")));
  const category = h("select", { id: "new-category" },
    CATEGORY_CODES.map((code) => h("option", { value: code }, categoryName(code))));
  const picker = targetPicker(ctx);
  const categoryPart = h("div", {}, field(category.id, t("plan.targets_category_label"), category),
    h("p", { class: "muted small-text" }, t("plan.targets_category_hint")));
  const syncTargets = () => {
    picker.element.hidden = targetsBy.value !== "named";
    categoryPart.hidden = targetsBy.value !== "category";
  };
  targetsBy.addEventListener("change", syncTargets);
  syncTargets();
  const rule = ruleEditor("new", null);
  const skip = h("input", { type: "checkbox", id: "new-skip-holidays", checked: true });
  const from = h("input", { id: "new-from", type: "date", value: today, required: true });
  const form = h("form", { class: "card schedule-new", "data-testid": "schedule-new" },
    h("h2", {}, t("plan.new_title")),
    h("div", { class: "grid" },
      h("div", { class: "span-2" }, field(template.id, t("plan.checklist"), template, "template_key")),
      field(from.id, t("plan.from"), from, "effective_from")),
    h("fieldset", {}, h("legend", {}, t("plan.targets")),
      h("div", { class: "grid" }, field(targetsBy.id, t("plan.targets_by"), targetsBy)),
      picker.element, categoryPart),
    h("fieldset", {}, h("legend", {}, t("plan.rule")), rule.element,
      h("label", { class: "check", for: skip.id }, skip, t("plan.skip_holidays"))),
    h("p", { class: "muted small-text" }, t("plan.who_does_it")),
    h("button", { "data-testid": "add-schedule" }, t("plan.add")),
    problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      template_key: template.value,
      targets: targetsBy.value === "named" ? picker.read() : { by: "category", category: category.value },
      rule: rule.read(),
      skip_holidays: skip.checked,
      effective_from: from.value || null,
    };
    let made;
    try {
      made = await api.post(`/api/sites/${ctx.site.id}/schedules`, body);
    } catch (error) {
      return showProblem(form, error, describeFor(ctx));
    }
    await redraw(t("plan.added", { title: titleOf(made) }));
  });
  return form;
}

// A new rule from a date, or the end from a date: the days before keep what they had.
function changeForm(schedule, ctx, redraw, today) {
  const prefix = `s-${schedule.id}`;
  const current = versionOn(schedule, today) ?? schedule.versions.at(-1);
  const rule = ruleEditor(prefix, current?.rule);
  const skip = h("input", { type: "checkbox", id: `${prefix}-skip`, checked: current?.skip_holidays ?? true });
  const from = h("input", { id: `${prefix}-from`, type: "date", value: today, required: true });
  const form = h("form", { class: "schedule-change", "data-testid": "schedule-change" },
    h("div", { class: "grid" }, field(from.id, t("plan.change_from"), from, "effective_from")),
    rule.element,
    h("label", { class: "check", for: skip.id }, skip, t("plan.skip_holidays")),
    h("div", { class: "row" },
      h("button", { "data-testid": "save-change" }, t("plan.change_save"))),
    problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api.post(`/api/sites/${ctx.site.id}/schedules/${schedule.id}/versions`,
        { rule: rule.read(), skip_holidays: skip.checked, effective_from: from.value, version: schedule.version });
    } catch (error) {
      if (error.code === "schedule.version_conflict") return redraw(t("plan.stale", { title: titleOf(schedule) }), true);
      return showProblem(form, error, describeFor(ctx));
    }
    await redraw(t("plan.changed", { title: titleOf(schedule), date: dayText(from.value) }));
  });
  return form;
}

function endForm(schedule, ctx, redraw, today) {
  const id = `s-${schedule.id}-end`;
  const from = h("input", { id, type: "date", value: today, required: true });
  const form = h("form", { class: "schedule-end", "data-testid": "schedule-end" },
    h("p", { class: "muted small-text" }, t("plan.end_hint")),
    h("div", { class: "row" }, h("label", { for: id }, t("plan.end_from")), from,
      h("button", { class: "danger", "data-testid": "end-schedule" }, t("plan.end"))),
    problemSlot("effective_from"), problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const query = new URLSearchParams({ effective_from: from.value, version: String(schedule.version) });
      await api.remove(`/api/sites/${ctx.site.id}/schedules/${schedule.id}?${query}`);
    } catch (error) {
      if (error.code === "schedule.version_conflict") return redraw(t("plan.stale", { title: titleOf(schedule) }), true);
      return showProblem(form, error, describeFor(ctx));
    }
    await redraw(t("plan.ended_message", { title: titleOf(schedule), date: dayText(from.value) }));
  });
  return form;
}

function targetsText(spec) {
  if (spec.by === "category") return t("plan.targets_category", { category: categoryName(spec.category) });
  if (spec.by === "subtree") return t("plan.targets_subtree");
  return t("plan.targets_named", { count: spec.asset_ids.length + spec.location_ids.length });
}

function scheduleItem(schedule, ctx, redraw, today) {
  const last = schedule.versions.at(-1);
  const ended = last.rule === null;
  const more = h("div", { class: "schedule-more" });
  const open = (draw, name) => () => {
    if (more.dataset.open === name) {
      more.replaceChildren();
      delete more.dataset.open;
      return;
    }
    more.dataset.open = name;
    more.replaceChildren(draw(schedule, ctx, redraw, today));
  };
  const state = ended
    ? (last.effective_from <= today ? t("plan.ended_on", { date: dayText(last.effective_from) }) : t("plan.ends_on", { date: dayText(last.effective_from) }))
    : null;
  return h("li", { class: "card schedule", "data-testid": "schedule", "data-id": schedule.id, "data-template": schedule.template_key, "data-ended": ended ? "true" : "false" },
    h("div", { class: "schedule-head" },
      h("h3", { class: "schedule-title" }, titleOf(schedule)),
      state ? h("span", { class: "badge badge-off", "data-testid": "schedule-state" }, state) : null),
    h("p", { class: "muted small-text" }, targetsText(schedule.targets), " · ", t("plan.things_now", { count: schedule.target_count })),
    schedule.target_names.length
      ? h("p", { class: "small-text target-names", "data-testid": "target-names" },
        schedule.target_names.join(t("plan.day_separator")),
        schedule.target_count > schedule.target_names.length
          ? t("plan.and_more", { total: schedule.target_count, more: schedule.target_count - schedule.target_names.length }) : "")
      : null,
    h("ol", { class: "versions", "aria-label": t("plan.versions") }, schedule.versions.map((v) =>
      h("li", { "data-testid": "version", "data-from": v.effective_from, class: versionOn(schedule, today) === v ? "in-force" : null },
        h("span", { class: "version-from" }, t("plan.version_from", { date: dayText(v.effective_from) })),
        " ", v.rule ? ruleText(v.rule) : t("plan.rule_none"),
        v.rule && v.skip_holidays ? h("span", { class: "muted" }, ` · ${t("plan.skips_holidays")}`) : null))),
    ctx.canChange && !(ended && last.effective_from <= today)
      ? h("div", { class: "row" },
        h("button", { type: "button", class: "small plain", "data-testid": "open-change", onclick: open(changeForm, "change") }, t("plan.change")),
        h("button", { type: "button", class: "small danger", "data-testid": "open-end", onclick: open(endForm, "end") }, t("plan.end")))
      : null,
    more);
}

export async function draw(ctx, redraw) {
  const [schedules, templates] = await Promise.all([
    api.get(`/api/sites/${ctx.site.id}/schedules`),
    ctx.canChange ? api.get("/api/templates") : [],
  ]);
  const today = siteToday(ctx.site);
  templates.sort((a, b) => titleOf(a).localeCompare(titleOf(b), language()));
  // Those in force first, the ended ones after them.
  const ended = (s) => s.versions.at(-1).rule === null && s.versions.at(-1).effective_from <= today;
  schedules.sort((a, b) => ended(a) - ended(b));
  return [
    schedules.length
      ? h("ul", { class: "plain-list", "data-testid": "schedules" }, schedules.map((s) => scheduleItem(s, ctx, redraw, today)))
      : h("p", { class: "card muted", "data-testid": "no-schedules" }, t("plan.no_schedules")),
    ctx.canChange ? createForm(ctx, templates, redraw) : null,
  ];
}
