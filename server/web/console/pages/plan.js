// The plan: what recurring work the school has and when. Its parts are tabs, each drawn by
// a module of plan/ whose draw(ctx, redraw, query) gives the page's sections: the due list
// (view=due, with when= and its filters, where other pages link), the month's plan
// (行事表, view=month&month=YYYY-MM), the schedules and the school calendar. Managers and
// admins change them; an auditor reads every part and is offered nothing that writes.

import { h, claim, showFor, useStyles } from "../dom.js";
import { pageMessage } from "../forms.js";
import { t } from "../i18n.js";

const TABS = [
  { key: "due", name: "plan.tab_due", load: () => import("./plan/due.js") },
  { key: "month", name: "plan.tab_month", load: () => import("./plan/month.js") },
  { key: "schedules", name: "plan.tab_schedules", load: () => import("./plan/schedules.js") },
  { key: "calendar", name: "plan.tab_calendar", load: () => import("./plan/calendar.js") },
];

export async function render(view, ctx) {
  const ticket = claim(view);
  const { site, chooser, describeError } = ctx;
  useStyles("plan");
  const query = new URLSearchParams(location.search);
  const tab = TABS.find((x) => x.key === query.get("view")) ?? TABS[0];
  const redraw = async (message, failed = false) => {
    if (!(await render(view, ctx))) return;
    if (message) view.prepend(pageMessage(message, failed));
  };
  const tabs = h("nav", { class: "tabs", "aria-label": t("plan.tabs") },
    TABS.map((x) => h("a", {
      href: `/console/plan?site=${encodeURIComponent(site.id)}&view=${x.key}`,
      "aria-current": x === tab ? "page" : null,
      "data-testid": `tab-${x.key}`,
    }, t(x.name))));
  let body;
  try {
    body = await (await tab.load()).draw({ ...ctx, canChange: site.role !== "auditor" }, redraw, query);
  } catch (error) {
    body = [h("p", { class: "card warn", role: "alert", "data-testid": "load-error" }, describeError(error))];
  }
  return showFor(ticket, view, h("section", { class: "card" }, h("h1", {}, t("nav.plan")), chooser, tabs), ...body);
}
