// A person's rounds over a period (GET /api/sites/{id}/patrol/people/{user_id}): those they
// walked or were on duty for, newest first, with the period's counts, for the monthly
// appraisal (考核) without a separate log. Everyone who reads the page, an auditor too,
// chooses among the people who may patrol here (GET /api/sites/{id}/patrol/people). The
// person and the period are in the address.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import {
  address, coverageText, dayText, flagChip, isDay, ordered, personName, roundAddress, roundBadges, scheduleName, stateChip,
  windowText,
} from "./common.js";

const COUNTS = [
  ["scheduled", "patrol.count_scheduled"],
  ["completed", "patrol.count_completed"],
  ["incomplete", "patrol.count_incomplete"],
  ["missed", "patrol.count_missed"],
  ["late", "patrol.count_late"],
  ["flagged", "patrol.count_flagged"],
];

// The people offered: everyone who may walk a round here, with their role.
async function peopleOf(ctx) {
  const people = await api.get(`/api/sites/${ctx.site.id}/patrol/people`);
  return people.map((p) => ({ id: p.id, name: p.name || t("patrol.someone"), role: p.role }));
}

function roundRow(site, round) {
  return h("tr", { "data-testid": "person-round", "data-id": round.id, "data-state": round.state },
    h("td", {}, round.local_date ? dayText(round.local_date) : ""),
    h("td", {}, h("a", { href: roundAddress(site.id, round) }, scheduleName(round)),
      h("span", { class: "muted small-text block" }, round.voluntary ? "" : windowText(site, round))),
    h("td", {}, stateChip(round.state), roundBadges(round)),
    h("td", {}, coverageText(round)),
    h("td", {}, ordered(round.flags).map((f) => flagChip(f))));
}

export async function draw(ctx, _redraw, query) {
  const { site } = ctx;
  // Without a period, the server's last thirty days at the site.
  const period = new URLSearchParams();
  for (const name of ["since", "until"]) if (isDay(query.get(name))) period.set(name, query.get(name));
  const chosen = query.get("person") ?? "";
  const [people, found] = await Promise.all([
    peopleOf(ctx),
    chosen ? api.get(`/api/sites/${site.id}/patrol/people/${chosen}?${period}`) : null,
  ]);
  const problemsOnly = query.get("problems") === "1";
  const since = found?.since ?? period.get("since") ?? "";
  const until = found?.until ?? period.get("until") ?? "";
  if (chosen && !people.some((p) => p.id === chosen)) people.push({ id: chosen, name: t("patrol.someone") });
  const person = h("select", { id: "patrol-person", name: "person", required: true, "data-testid": "person-choice" },
    h("option", { value: "" }, t("patrol.person_choose")),
    people.map((p) => h("option", { value: p.id, selected: p.id === chosen },
      p.role ? t("person.with_role", { name: p.name, role: t(`role.${p.role}`) }) : p.name)));
  const form = h("form", { class: "card period-form", method: "get", action: "/console/patrol", "data-testid": "person-form" },
    h("input", { type: "hidden", name: "site", value: site.id }),
    h("input", { type: "hidden", name: "view", value: "people" }),
    h("div", { class: "period-grid" },
      h("div", {}, h("label", { for: person.id }, t("patrol.person")), person),
      h("div", {}, h("label", { for: "patrol-since" }, t("patrol.since")),
        h("input", { id: "patrol-since", name: "since", type: "date", value: since, "data-testid": "since" })),
      h("div", {}, h("label", { for: "patrol-until" }, t("patrol.until")),
        h("input", { id: "patrol-until", name: "until", type: "date", value: until, "data-testid": "until" })),
      h("div", { class: "period-go" }, h("button", { "data-testid": "person-show" }, t("patrol.show")))),
    h("label", { class: "check", for: "patrol-problems" },
      h("input", { type: "checkbox", id: "patrol-problems", name: "problems", value: "1", checked: problemsOnly, "data-testid": "problems-only" }),
      t("patrol.problems_only")),
    people.length ? null : h("p", { class: "muted small-text" }, t("patrol.no_people")));
  if (!chosen) return [form, h("p", { class: "card muted", "data-testid": "person-none" }, t("patrol.person_hint"))];
  // Only what a supervisor would ask about: missed, not walked in full, late or flagged.
  const shown = problemsOnly
    ? found.rounds.filter((r) => r.state === "missed" || r.state === "incomplete" || r.late || r.flags.length)
    : found.rounds;
  const counts = h("ul", { class: "patrol-counts" }, COUNTS.map(([key, name]) =>
    h("li", { class: `patrol-count${found.counts[key] ? "" : " count-zero"}`, "data-testid": `person-count-${key}` },
      h("span", { class: "count-number" }, String(found.counts[key] ?? 0)), h("span", { class: "count-name" }, t(name)))));
  return [
    form,
    h("section", { class: "card", "data-testid": "person-rounds" },
      h("h2", {}, t("patrol.person_title", { name: personName(found.person), since: dayText(found.since), until: dayText(found.until) })),
      counts,
      shown.length
        ? h("div", { class: "wide-table", tabindex: "0", role: "region", "aria-label": personName(found.person) }, h("table", { class: "person-rounds" },
          h("caption", { class: "sr-only" }, personName(found.person)),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, t("patrol.col_date")),
            h("th", { scope: "col" }, t("patrol.col_round")),
            h("th", { scope: "col" }, t("patrol.col_state")),
            h("th", { scope: "col" }, t("patrol.col_coverage")),
            h("th", { scope: "col" }, t("patrol.col_flags")))),
          h("tbody", {}, shown.map((r) => roundRow(site, r)))))
        : h("p", { class: "muted", "data-testid": "person-no-rounds" }, problemsOnly ? t("patrol.person_no_problems") : t("patrol.person_no_rounds")),
      h("p", { class: "small-text" }, h("a", { href: address(site.id, { view: "people" }) }, t("patrol.person_other")))),
  ];
}
