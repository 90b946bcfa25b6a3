// Patrols (巡查): what a supervisor checks each day of the guards' and the nurse's rounds.
// The day (view=day&date=YYYY-MM-DD, today by default): each schedule's windows with their
// state, coverage, flags and who walked them, and what still wants a supervisor (a missed
// or flagged round to close with a comment, a fire patrol to countersign). A round
// (round={id}&date=) is its timeline. The month (view=month&month=YYYY-MM) is the
// completion grid an inspector asks for, printable; people and checkpoints are the
// reports behind appraisals and tour exceptions; routes and schedules are what rounds are
// walked over and when. Admins and managers change; an auditor reads every part and is
// offered nothing that writes.

import { h, claim, showFor, useStyles } from "../dom.js";
import { pageMessage } from "../forms.js";
import { t } from "../i18n.js";
import { address, canChange, loadError } from "./patrol/common.js";

const TABS = [
  { key: "day", name: "patrol.tab_day", load: () => import("./patrol/day.js") },
  { key: "month", name: "patrol.tab_month", load: () => import("./patrol/month.js") },
  { key: "people", name: "patrol.tab_people", load: () => import("./patrol/people.js") },
  { key: "checkpoints", name: "patrol.tab_checkpoints", load: () => import("./patrol/checkpoints.js") },
  { key: "routes", name: "patrol.tab_routes", load: () => import("./patrol/routes.js") },
  { key: "schedules", name: "patrol.tab_schedules", load: () => import("./patrol/schedules.js") },
];

export async function render(view, ctx) {
  const ticket = claim(view);
  const { site, chooser, describeError } = ctx;
  useStyles("patrol");
  const query = new URLSearchParams(location.search);
  const roundId = query.get("round");
  const tab = TABS.find((x) => x.key === query.get("view")) ?? TABS[0];
  const redraw = async (message, failed = false) => {
    if (!(await render(view, ctx))) return;
    if (message) view.prepend(pageMessage(message, failed));
  };
  const tabs = h("nav", { class: "tabs", "aria-label": t("patrol.tabs") },
    TABS.map((x) => h("a", {
      href: address(site.id, { view: x.key }),
      "aria-current": x === tab && !roundId ? "page" : null,
      "data-testid": `tab-${x.key}`,
    }, t(x.name))));
  const intro = h("p", { class: "muted" }, canChange(site) ? t("patrol.intro_manage") : t("patrol.intro_read"));
  const part = { ...ctx, canChange: canChange(site) };
  let body;
  try {
    body = roundId
      ? await (await import("./patrol/round.js")).draw(part, redraw, query)
      : await (await tab.load()).draw(part, redraw, query);
  } catch (error) {
    body = [loadError(error, describeError)];
  }
  return showFor(ticket, view, h("section", { class: "card patrol-head" }, h("h1", {}, t("nav.patrol")), chooser, intro, tabs), ...body);
}
