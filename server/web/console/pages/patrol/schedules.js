// Round schedules: which route is walked when (fixed windows, five rounds a day; or a
// round every so many minutes through the night), by whom (a role, named people, or a duty
// roster with substitutes), on which days, and whether a supervisor countersigns each round
// (the daily fire patrol). Every change is a new version; one made against a version
// changed since is refused and the schedule shown as it is now.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { problemSlot } from "../../forms.js";
import { t } from "../../i18n.js";
import { DAYS, dayText, PATROL_ROLES, pick, showProblemIn, siteToday } from "./common.js";

function field(id, label, control, problem) {
  return h("div", {}, h("label", { for: id }, label), control, problem === undefined ? null : problemSlot(problem));
}

// A list of rows the person adds to and removes from; `make(values, i)` gives a row's
// element with read().
function rowList(testid, make, initial, addLabel, problem) {
  const rows = [];
  const list = h("ol", { class: "edit-rows", "data-testid": testid });
  const redraw = () => {
    list.replaceChildren(...rows.map((row, i) => {
      row.querySelector("[data-part]")?.setAttribute("data-problem", `${problem}[${i}]`);
      return row;
    }));
  };
  const add = (values) => {
    const row = make(values ?? {}, rows.length);
    row.append(h("button", { type: "button", class: "small plain", "aria-label": t("patrol.row_remove"),
      onclick: () => { rows.splice(rows.indexOf(row), 1); redraw(); } }, "×"),
    h("p", { class: "field-problem warn", role: "alert", "data-part": "row" }));
    rows.push(row);
    redraw();
  };
  for (const values of initial) add(values);
  const element = h("div", {}, list, h("button", { type: "button", class: "small plain", "data-testid": `${testid}-add`, onclick: () => add() }, addLabel));
  return { element, read: () => rows.map((r) => r.read()), count: () => rows.length, add };
}

// A part of a form shown or put away: the fields of a part put away are neither checked
// by the browser nor sent.
function showPart(part, shown) {
  part.hidden = !shown;
  for (const control of part.querySelectorAll("input, select, textarea, button")) control.disabled = !shown;
}

let made = 0;
function uid(name) {
  made += 1;
  return `${name}-${made}`;
}

function labelled(label, control) {
  const id = control.id || uid("f");
  control.id = id;
  return h("span", { class: "inline-field" }, h("label", { for: id }, label), control);
}

function timesEditor(times) {
  const kind = h("select", { id: uid("times-kind"), "data-testid": "times-kind" },
    h("option", { value: "fixed", selected: times?.kind !== "repeating" }, t("patrol.times_fixed")),
    h("option", { value: "repeating", selected: times?.kind === "repeating" }, t("patrol.times_repeating")));
  const windows = rowList("windows", (w) => {
    const start = h("input", { type: "time", value: w.start ?? "", required: true, "data-testid": "window-start" });
    const duration = h("input", { type: "number", min: "1", max: "720", value: w.duration_minutes ?? 60, required: true, "data-testid": "window-duration" });
    const grace = h("input", { type: "number", min: "0", max: "720", value: w.grace_minutes ?? 0, "data-testid": "window-grace" });
    const row = h("li", { class: "edit-row", "data-testid": "window-row" },
      labelled(t("patrol.window_start"), start), labelled(t("patrol.window_duration"), duration), labelled(t("patrol.window_grace"), grace));
    row.read = () => ({ start: start.value, duration_minutes: Number(duration.value), grace_minutes: Number(grace.value || 0) });
    return row;
  }, times?.kind === "fixed" ? times.windows : [{}], t("patrol.window_add"), "times.windows");
  const every = h("input", { id: uid("every"), type: "number", min: "15", max: "720", value: times?.every_minutes ?? 120 });
  const start = h("input", { id: uid("from"), type: "time", value: times?.kind === "repeating" ? times.start : "22:00" });
  const end = h("input", { id: uid("to"), type: "time", value: times?.kind === "repeating" ? times.end : "06:00" });
  const grace = h("input", { id: uid("grace"), type: "number", min: "0", max: "720", value: times?.kind === "repeating" ? times.grace_minutes : 0 });
  const fixedPart = h("div", {}, windows.element, h("p", { class: "muted small-text" }, t("patrol.times_fixed_hint")));
  const repeatingPart = h("div", {},
    h("div", { class: "grid" },
      field(every.id, t("patrol.every_minutes"), every), field(start.id, t("patrol.repeat_from"), start),
      field(end.id, t("patrol.repeat_to"), end), field(grace.id, t("patrol.window_grace"), grace)),
    h("p", { class: "muted small-text" }, t("patrol.times_repeating_hint")));
  const sync = () => {
    showPart(fixedPart, kind.value === "fixed");
    showPart(repeatingPart, kind.value === "repeating");
  };
  kind.addEventListener("change", sync);
  sync();
  const element = h("fieldset", {}, h("legend", {}, t("patrol.times")),
    h("div", { class: "grid" }, field(kind.id, t("patrol.times_kind"), kind)), fixedPart, repeatingPart, problemSlot("times"));
  const read = () => (kind.value === "fixed"
    ? { kind: "fixed", windows: windows.read() }
    : { kind: "repeating", every_minutes: Number(every.value), start: start.value, end: end.value, grace_minutes: Number(grace.value || 0) });
  return { element, read };
}

function personSelect(people, value, testid) {
  return h("select", { required: true, "data-testid": testid },
    h("option", { value: "" }, t("patrol.person_choose")),
    people.map((p) => h("option", { value: p.id, selected: p.id === value }, p.name)));
}

function whoEditor(who, people, today) {
  const kind = h("select", { id: uid("who-kind"), "data-testid": "who-kind" },
    ["role", "people", "roster"].map((k) => h("option", { value: k, selected: (who?.kind ?? "role") === k },
      t({ role: "patrol.who_role", people: "patrol.who_people", roster: "patrol.who_roster" }[k]))));
  const role = h("select", { id: uid("who-role"), "data-testid": "who-role-choice" },
    PATROL_ROLES.map((r) => h("option", { value: r, selected: r === (who?.role ?? "guard") }, t(`role.${r}`))));
  const named = new Set(who?.kind === "people" ? who.people : []);
  const checks = people.map((p) => {
    const id = uid("who-person");
    return h("label", { class: "check", for: id },
      h("input", { type: "checkbox", id, value: p.id, checked: named.has(p.id), "data-testid": "who-person" }), p.name);
  });
  const duties = rowList("duties", (d) => {
    const day = h("input", { type: "date", value: d.day ?? today, required: true, "data-testid": "duty-day" });
    const person = personSelect(people, d.person, "duty-person");
    const row = h("li", { class: "edit-row" }, labelled(t("patrol.duty_day"), day), labelled(t("patrol.duty_person"), person));
    row.read = () => ({ day: day.value, person: person.value });
    return row;
  }, who?.kind === "roster" ? who.duties : [], t("patrol.duty_add"), "who.duties");
  const swaps = rowList("substitutes", (s) => {
    const day = h("input", { type: "date", value: s.day ?? today, required: true });
    const person = personSelect(people, s.person, "swap-person");
    const replaces = personSelect(people, s.replaces, "swap-replaces");
    const row = h("li", { class: "edit-row" },
      labelled(t("patrol.duty_day"), day), labelled(t("patrol.swap_person"), person), labelled(t("patrol.swap_replaces"), replaces));
    row.read = () => ({ day: day.value, person: person.value, replaces: replaces.value });
    return row;
  }, who?.kind === "roster" ? who.substitutes : [], t("patrol.swap_add"), "who.substitutes");
  const parts = {
    role: h("div", { class: "grid" }, field(role.id, t("patrol.who_role_label"), role)),
    people: h("fieldset", {}, h("legend", {}, t("patrol.who_people_label")),
      checks.length ? checks : h("p", { class: "muted small-text" }, t("patrol.no_people"))),
    roster: h("div", {},
      h("h3", { class: "sub-title" }, t("patrol.duties")), duties.element,
      h("h3", { class: "sub-title" }, t("patrol.substitutes")), h("p", { class: "muted small-text" }, t("patrol.substitutes_hint")), swaps.element),
  };
  const sync = () => {
    for (const [k, part] of Object.entries(parts)) showPart(part, k === kind.value);
  };
  kind.addEventListener("change", sync);
  sync();
  const element = h("fieldset", {}, h("legend", {}, t("patrol.who")),
    h("div", { class: "grid" }, field(kind.id, t("patrol.who_kind"), kind)), Object.values(parts), problemSlot("who"));
  const read = () => {
    if (kind.value === "role") return { kind: "role", role: role.value };
    if (kind.value === "people") {
      return { kind: "people", people: checks.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => i.value) };
    }
    return { kind: "roster", duties: duties.read(), substitutes: swaps.read() };
  };
  return { element, read };
}

function scheduleForm(ctx, redraw, routes, people, schedule = null) {
  const today = siteToday(ctx.site);
  const name = h("input", { id: uid("s-name"), value: schedule?.name ?? "", required: true, maxlength: "200", "data-testid": "schedule-name" });
  const nameEn = h("input", { id: uid("s-name-en"), value: schedule?.name_en ?? "", maxlength: "200", "data-testid": "schedule-name-en" });
  const route = h("select", { id: uid("s-route"), required: true, "data-testid": "schedule-route" },
    routes.filter((r) => r.status === "active" || r.id === schedule?.route_id)
      .map((r) => h("option", { value: r.id, selected: r.id === schedule?.route_id }, pick(r.name, r.name_en))));
  const days = h("select", { id: uid("s-days"), "data-testid": "schedule-days" },
    Object.entries(DAYS).map(([k, label]) => h("option", { value: k, selected: k === (schedule?.days ?? "every_day") }, t(label))));
  const countersign = h("input", { type: "checkbox", id: uid("s-countersign"), checked: schedule?.countersign ?? false, "data-testid": "schedule-countersign" });
  const times = timesEditor(schedule?.times);
  const who = whoEditor(schedule?.who, people, today);
  const submit = h("button", { "data-testid": schedule ? "schedule-save" : "schedule-add" }, schedule ? t("patrol.schedule_save") : t("patrol.schedule_add"));
  const form = h("form", { class: schedule ? "schedule-edit" : "card schedule-new", "data-testid": schedule ? "schedule-edit" : "schedule-new" },
    schedule ? null : h("h2", {}, t("patrol.schedule_new_title")),
    h("div", { class: "grid" },
      field(name.id, t("patrol.schedule_name"), name, "name"),
      field(nameEn.id, t("patrol.schedule_name_en"), nameEn, "name_en"),
      field(route.id, t("patrol.route"), route, "route_id"),
      field(days.id, t("patrol.days"), days, "days")),
    times.element, who.element,
    h("label", { class: "check", for: countersign.id }, countersign, t("patrol.countersign_needed")),
    h("p", { class: "muted small-text" }, t("patrol.countersign_needed_hint")),
    submit, problemSlot("countersign"), problemSlot("base_version"), problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      name: name.value.trim(), name_en: nameEn.value.trim(), route_id: route.value,
      times: times.read(), who: who.read(), days: days.value, countersign: countersign.checked,
    };
    submit.disabled = true;
    let saved;
    try {
      saved = schedule
        ? await api.put(`/api/patrol/schedules/${schedule.id}`, { ...body, base_version: schedule.version })
        : await api.post(`/api/sites/${ctx.site.id}/patrol/schedules`, body);
    } catch (error) {
      submit.disabled = false;
      if (error.code === "patrol_schedule.version_conflict") return redraw(t("patrol.schedule_stale", { name: pick(schedule.name, schedule.name_en) }), true);
      return showProblemIn(form, error, ctx.describeError);
    }
    await redraw(t(schedule ? "patrol.schedule_saved" : "patrol.schedule_added", { name: pick(saved.name, saved.name_en) }));
  });
  return form;
}

function retireForm(ctx, redraw, schedule) {
  const form = h("form", { class: "schedule-retire" },
    h("p", { class: "muted small-text" }, t("patrol.schedule_retire_hint")),
    h("button", { class: "danger", "data-testid": "schedule-retire" }, t("patrol.schedule_retire")), problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!confirm(t("patrol.schedule_retire_confirm", { name: pick(schedule.name, schedule.name_en) }))) return;
    try {
      await api.post(`/api/patrol/schedules/${schedule.id}/retire`);
    } catch (error) {
      if (error.code === "patrol_schedule.version_conflict") return redraw(t("patrol.schedule_stale", { name: pick(schedule.name, schedule.name_en) }), true);
      return showProblemIn(form, error, ctx.describeError);
    }
    await redraw(t("patrol.schedule_retired", { name: pick(schedule.name, schedule.name_en) }));
  });
  return form;
}

// The times in words: "07:30 起 60 分钟，宽限 10 分钟" per window, or "22:00–06:00 每 120 分钟".
export function timesText(times) {
  if (times.kind === "repeating") {
    return t("patrol.times_repeating_is", { every: times.every_minutes, start: times.start, end: times.end, grace: times.grace_minutes });
  }
  return times.windows.map((w) => (w.grace_minutes
    ? t("patrol.window_is_grace", { start: w.start, minutes: w.duration_minutes, grace: w.grace_minutes })
    : t("patrol.window_is", { start: w.start, minutes: w.duration_minutes }))).join(t("list.separator"));
}

function whoText(who, names) {
  const name = (id) => names.get(id) ?? t("patrol.someone");
  if (who.kind === "role") return t("patrol.who_role_is", { role: t(`role.${who.role}`) });
  if (who.kind === "people") return t("patrol.who_people_is", { names: who.people.map(name).join(t("list.separator")) });
  return t("patrol.who_roster_is", { duties: who.duties.length, substitutes: who.substitutes.length });
}

function scheduleItem(ctx, redraw, routes, people, schedule) {
  const names = new Map(people.map((p) => [p.id, p.name]));
  const route = routes.find((r) => r.id === schedule.route_id);
  const retired = schedule.status === "retired";
  const more = h("div", { class: "schedule-more" });
  const open = (key, draw) => () => {
    if (more.dataset.open === key) {
      more.replaceChildren();
      delete more.dataset.open;
      return;
    }
    more.dataset.open = key;
    more.replaceChildren(draw());
  };
  const today = siteToday(ctx.site);
  const roster = schedule.who.kind === "roster"
    ? h("ul", { class: "roster small-text" }, schedule.who.duties.filter((d) => d.day >= today).slice(0, 7).map((d) =>
      h("li", {}, `${dayText(d.day)}: ${names.get(d.person) ?? t("patrol.someone")}`)))
    : null;
  return h("li", { class: `card schedule${retired ? " retired" : ""}`, "data-testid": "schedule", "data-id": schedule.id, "data-version": schedule.version },
    h("div", { class: "schedule-head" },
      h("h3", { class: "schedule-title" }, pick(schedule.name, schedule.name_en)),
      schedule.countersign ? h("span", { class: "badge badge-ask", "data-testid": "schedule-countersigned" }, t("patrol.countersign_needed_short")) : null,
      h("span", { class: "badge badge-off" }, t("patrol.version", { version: schedule.version })),
      retired ? h("span", { class: "badge badge-off", "data-testid": "schedule-retired" }, t("patrol.retired")) : null),
    h("p", { class: "small-text", "data-testid": "schedule-times" }, timesText(schedule.times)),
    h("p", { class: "muted small-text" },
      [t("patrol.schedule_route", { route: route ? pick(route.name, route.name_en) : t("patrol.someone") }),
        t(DAYS[schedule.days] ?? schedule.days), whoText(schedule.who, names)].join(" · ")),
    roster,
    ctx.canChange && !retired
      ? h("div", { class: "row" },
        h("button", { type: "button", class: "small plain", "data-testid": "schedule-open-edit", onclick: open("edit", () => scheduleForm(ctx, redraw, routes, people, schedule)) }, t("patrol.schedule_change")),
        h("button", { type: "button", class: "small danger", "data-testid": "schedule-open-retire", onclick: open("retire", () => retireForm(ctx, redraw, schedule)) }, t("patrol.schedule_retire")))
      : null,
    more);
}

export async function draw(ctx, redraw) {
  const [schedules, routes, patrollers] = await Promise.all([
    api.get(`/api/sites/${ctx.site.id}/patrol/schedules?include_retired=true`),
    api.get(`/api/sites/${ctx.site.id}/patrol/routes?include_retired=true`),
    // Who may walk a round here: the people a schedule may name, and whose names it shows
    // (to an auditor too).
    api.get(`/api/sites/${ctx.site.id}/patrol/people`),
  ]);
  const people = patrollers.map((p) => ({ id: p.id, name: t("person.with_role", { name: p.name || t("patrol.someone"), role: t(`role.${p.role}`) }) }));
  schedules.sort((a, b) => (a.status === "retired") - (b.status === "retired"));
  const active = routes.filter((r) => r.status === "active");
  return [
    schedules.length
      ? h("ul", { class: "plain-list", "data-testid": "schedules" }, schedules.map((s) => scheduleItem(ctx, redraw, routes, people, s)))
      : h("p", { class: "card muted", "data-testid": "no-schedules" }, t("patrol.no_schedules")),
    ctx.canChange
      ? (active.length ? scheduleForm(ctx, redraw, routes, people)
        : h("p", { class: "card note", "data-testid": "route-first" }, t("patrol.route_first")))
      : null,
  ];
}
