// A day's rounds (GET /api/sites/{id}/patrol/day): the counts of the scheduled ones, the
// rounds that want a supervisor first, then each schedule's windows in order as tiles (the
// state with its mark, the window, checkpoints covered, who walked it, its flags), and
// the voluntary rounds, which never count for or against a schedule.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import {
  address, clockText, coverageText, dayText, flagChip, flagName, isDay, ordered, personName, pick, roundAddress, roundBadges, routeName, scheduleName,
  shiftDay, siteToday, stateChip, wantsAttention, weekdayText, windowText,
} from "./common.js";

// The day's counts, each with its name; `alert` where a number above zero asks for a look.
const COUNTS = [
  ["scheduled", "patrol.count_scheduled", false],
  ["completed", "patrol.count_completed", false],
  ["in_progress", "patrol.count_in_progress", false],
  ["upcoming", "patrol.count_upcoming", false],
  ["missed", "patrol.count_missed", true],
  ["incomplete", "patrol.count_incomplete", true],
  ["late", "patrol.count_late", true],
  ["flagged", "patrol.count_flagged", true],
  ["cancelled", "patrol.count_cancelled", false],
];

// A count that is nothing unusual when zero (none cancelled) is left out then.
const QUIET = ["cancelled"];

function countList(counts) {
  const shown = COUNTS.filter(([key]) => counts[key] || !QUIET.includes(key));
  return h("ul", { class: "patrol-counts", "data-testid": "day-counts" }, shown.map(([key, name, alert]) =>
    h("li", { class: `patrol-count${alert && counts[key] ? " count-alert" : ""}${counts[key] ? "" : " count-zero"}`, "data-testid": `count-${key}` },
      h("span", { class: "count-number", "data-testid": "count" }, String(counts[key] ?? 0)),
      h("span", { class: "count-name" }, t(name)))));
}

// One round as a tile that opens its timeline.
function roundTile(site, round) {
  const who = round.person
    ? t("patrol.walked_by", { name: personName(round.person) })
    : (round.on_duty.length
      ? t("patrol.on_duty_people", { names: round.on_duty.map(personName).join(t("list.separator")) })
      : (round.on_duty_role ? t("patrol.on_duty_role", { role: t(`role.${round.on_duty_role}`) }) : ""));
  return h("li", { class: `round-tile state-${round.state}${round.serious ? " serious" : ""}` },
    h("a", { href: roundAddress(site.id, round), class: "round-link", "data-testid": "round", "data-id": round.id, "data-state": round.state, "data-window": round.window ?? "" },
      h("span", { class: "round-time", "data-testid": "round-window" },
        round.voluntary ? t("patrol.voluntary_at", { time: round.started_at ? clockText(site, round.started_at) : "" }) : windowText(site, round)),
      stateChip(round.state),
      h("span", { class: "round-coverage small-text", "data-testid": "round-coverage" }, coverageText(round)),
      who ? h("span", { class: "round-who small-text muted", "data-testid": "round-who" }, who) : null,
      h("span", { class: "round-badges" }, roundBadges(round)),
      round.flags.length ? h("span", { class: "round-flags" }, ordered(round.flags).map((f) => flagChip(f))) : null));
}

// The rounds of one schedule (or the voluntary ones), in order of their window.
function scheduleCard(site, title, subtitle, rounds, testid, extra = {}) {
  return h("section", { class: "card patrol-schedule", "data-testid": testid, ...extra },
    h("h2", {}, title), subtitle ? h("p", { class: "muted small-text" }, subtitle) : null,
    h("ul", { class: "round-tiles" }, rounds.map((r) => roundTile(site, r))));
}

function attentionCard(site, rounds, canChange) {
  const wanting = rounds.filter(wantsAttention);
  if (!wanting.length) return null;
  const line = (round) => {
    const why = [];
    if (round.state === "missed") why.push(t("patrol.why_missed"));
    else if (round.state === "incomplete") why.push(t("patrol.why_incomplete", { count: round.expected - round.covered }));
    if (round.late) why.push(t("patrol.why_late"));
    if (round.flags.length) why.push(t("patrol.why_flagged", { flags: ordered(round.flags).map(flagName).join(t("list.separator")) }));
    if (round.needs_countersign && ["completed", "incomplete"].includes(round.state)) why.push(t("patrol.why_countersign"));
    return h("li", { class: "attention-line", "data-testid": "attention", "data-id": round.id },
      stateChip(round.state, "attention-state"),
      h("a", { href: roundAddress(site.id, round), "data-testid": "attention-link" },
        `${scheduleName(round)} · ${round.voluntary ? routeName(round) : windowText(site, round)}`),
      h("span", { class: "muted small-text" }, why.join(t("list.separator"))));
  };
  return h("section", { class: "card note patrol-attention", "data-testid": "attention-list" },
    h("h2", {}, t("patrol.attention_title", { count: wanting.length })),
    h("p", { class: "muted small-text" }, canChange ? t("patrol.attention_hint") : t("patrol.attention_hint_read")),
    h("ul", { class: "plain-list" }, wanting.map(line)));
}

function dayChooser(site, day, today) {
  const link = (d) => address(site.id, { view: "day", date: d === today ? null : d });
  return h("form", { class: "row day-chooser", method: "get", action: "/console/patrol" },
    h("input", { type: "hidden", name: "site", value: site.id }),
    h("input", { type: "hidden", name: "view", value: "day" }),
    h("a", { class: "button plain-link", href: link(shiftDay(day, -1)), "data-testid": "day-previous" }, t("patrol.day_previous")),
    h("label", { for: "patrol-date", class: "sr-only" }, t("patrol.day_choose")),
    h("input", { id: "patrol-date", name: "date", type: "date", value: day, max: today, "data-testid": "day-input" }),
    h("button", { class: "small" }, t("patrol.day_show")),
    day < today ? h("a", { class: "button plain-link", href: link(shiftDay(day, 1)), "data-testid": "day-next" }, t("patrol.day_next")) : null,
    day !== today ? h("a", { href: link(today), "data-testid": "day-today" }, t("patrol.day_today")) : null);
}

export async function draw(ctx, _redraw, query) {
  const { site } = ctx;
  // Without a date, the server's today at the site: its clock is the one rounds are judged by.
  const asked = isDay(query.get("date")) ? query.get("date") : null;
  const found = await api.get(`/api/sites/${site.id}/patrol/day${asked ? `?date=${asked}` : ""}`);
  const day = found.date;
  const today = asked ? siteToday(site) : day;
  const scheduled = found.rounds.filter((r) => !r.voluntary);
  const voluntary = found.rounds.filter((r) => r.voluntary);
  // The schedules in the order of their first window.
  const bySchedule = new Map();
  for (const round of scheduled) {
    if (!bySchedule.has(round.schedule_id)) bySchedule.set(round.schedule_id, []);
    bySchedule.get(round.schedule_id).push(round);
  }
  const title = day === today ? t("patrol.day_title_today", { date: dayText(day) }) : t("patrol.day_title", { date: dayText(day) });
  const head = h("section", { class: "card", "data-testid": "patrol-day", "data-date": found.date },
    h("h2", { "data-testid": "day-title" }, `${title} ${weekdayText(day)}`),
    dayChooser(site, day, today),
    countList(found.counts),
    found.counts.scheduled ? null : h("p", { class: "muted", "data-testid": "day-empty" },
      ctx.canChange ? t("patrol.day_empty") : t("patrol.day_empty_read"),
      ctx.canChange ? [" ", h("a", { href: address(site.id, { view: "schedules" }), "data-testid": "to-schedules" }, t("patrol.to_schedules"))] : null));
  return [
    head,
    attentionCard(site, found.rounds, ctx.canChange),
    ...[...bySchedule.values()].map((rounds) => {
      const first = rounds[0];
      return scheduleCard(site, pick(first.schedule_name, first.schedule_name_en),
        t("patrol.schedule_route", { route: routeName(first) }), rounds, "day-schedule", { "data-schedule": first.schedule_id });
    }),
    voluntary.length
      ? scheduleCard(site, t("patrol.voluntary_title"), t("patrol.voluntary_hint"), voluntary, "day-voluntary")
      : null,
  ].filter(Boolean);
}
