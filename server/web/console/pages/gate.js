// The gate (门卫): the visitor register as managers read and steer it. Today's log (a day's
// visits with their state, host, times, masked document and phone and their flags in
// words; a visit's timeline and its slip), who is still inside (live, checked out from the
// list; after the closing time, the day's anomalies), the watchlist and the watch decisions
// waiting for a manager, early-leave passes, pick-up cards, and the gate's settings.
// Visitor records are personal data: the page is for admins and managers only (layout.js),
// never for an auditor, and a document number is sent once and never shown again.

import { h, claim, showFor, useStyles } from "../dom.js";
import { pageMessage } from "../forms.js";
import { t } from "../i18n.js";
import { address, loadError } from "./gate/common.js";

const TABS = [
  { key: "today", name: "gate.tab_today", load: () => import("./gate/today.js") },
  { key: "inside", name: "gate.tab_inside", load: () => import("./gate/inside.js") },
  { key: "watchlist", name: "gate.tab_watchlist", load: () => import("./gate/watchlist.js") },
  { key: "passes", name: "gate.tab_passes", load: () => import("./gate/passes.js") },
  { key: "cards", name: "gate.tab_cards", load: () => import("./gate/cards.js") },
  { key: "settings", name: "gate.tab_settings", load: () => import("./gate/settings.js") },
];

export async function render(view, ctx) {
  const ticket = claim(view);
  const { site, chooser, describeError } = ctx;
  useStyles("gate");
  const query = new URLSearchParams(location.search);
  const tab = TABS.find((x) => x.key === query.get("view")) ?? TABS[0];
  const redraw = async (message, failed = false) => {
    if (!(await render(view, ctx))) return;
    if (message) view.prepend(pageMessage(message, failed));
  };
  const tabs = h("nav", { class: "tabs", "aria-label": t("gate.tabs") },
    TABS.map((x) => h("a", {
      href: address(site.id, { view: x.key === "today" ? null : x.key }),
      "aria-current": x === tab ? "page" : null,
      "data-testid": `tab-${x.key}`,
    }, t(x.name))));
  const part = { ...ctx };
  let body;
  try {
    body = await (await tab.load()).draw(part, redraw, query);
  } catch (error) {
    body = [loadError(error, describeError)];
  }
  return showFor(ticket, view,
    h("section", { class: "card gate-head", "data-testid": "gate-page", "data-view": tab.key },
      h("h1", {}, t("nav.gate")), chooser, h("p", { class: "muted" }, t("gate.intro")), tabs),
    ...body);
}
