// The tour exception list (GET /api/sites/{id}/patrol/checkpoints): per route and
// checkpoint, how often it was scanned over a period, the shortest and average time from
// the checkpoint before it, how long since it was last scanned and how many of its scans
// were flagged. The checkpoints that want a look come first: never scanned, longest
// unscanned, most flagged. The period is in the address.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { t } from "../../i18n.js";
import { dayText, isDay, pick, timeText } from "./common.js";

// Seconds as a person reads a walk: "45 秒", "3 分 20 秒", "2 小时 5 分".
export function gapText(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.round(seconds);
  if (s < 60) return t("patrol.seconds", { s });
  if (s < 3600) return t("patrol.minutes", { m: Math.floor(s / 60), s: s % 60 });
  return t("patrol.hours", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

// Never scanned first, then the longest since its last scan, then the most flagged.
function worstFirst(a, b) {
  const since = (x) => (x.days_since_last_scan === null ? Infinity : x.days_since_last_scan);
  return since(b) - since(a) || b.flagged_scans - a.flagged_scans;
}

function row(site, stat) {
  const stale = stat.days_since_last_scan === null || stat.days_since_last_scan >= 1;
  return h("tr", { "data-testid": "checkpoint-row", "data-tag": stat.tag, class: stat.flagged_scans || stat.days_since_last_scan === null ? "row-alert" : null },
    h("td", {}, h("span", { class: "cp-name" }, pick(stat.name, stat.name_en) || stat.tag), " ",
      h("span", { class: "muted code small-text" }, stat.tag),
      h("span", { class: "muted small-text block" }, pick(stat.route_name, stat.route_name_en))),
    h("td", { class: "num", "data-testid": "cp-scans" }, String(stat.scans)),
    h("td", { class: "num" }, gapText(stat.shortest_gap_seconds) || "—"),
    h("td", { class: "num" }, gapText(stat.average_gap_seconds) || "—"),
    h("td", { class: stale ? "warn" : null, "data-testid": "cp-last" },
      stat.last_scanned_at
        ? [timeText(site, stat.last_scanned_at), h("span", { class: "small-text block" }, (stat.days_since_last_scan ? t("patrol.days_ago", { days: stat.days_since_last_scan }) : t("patrol.scanned_today")))]
        : t("patrol.never_scanned")),
    h("td", { class: `num${stat.flagged_scans ? " warn" : ""}`, "data-testid": "cp-flagged" }, String(stat.flagged_scans)));
}

export async function draw(ctx, _redraw, query) {
  const { site } = ctx;
  // Without a period, the server's last thirty days at the site.
  const period = new URLSearchParams();
  for (const name of ["since", "until"]) if (isDay(query.get(name))) period.set(name, query.get(name));
  const found = await api.get(`/api/sites/${site.id}/patrol/checkpoints?${period}`);
  const { since, until } = found;
  const form = h("form", { class: "card period-form", method: "get", action: "/console/patrol", "data-testid": "period-form" },
    h("input", { type: "hidden", name: "site", value: site.id }),
    h("input", { type: "hidden", name: "view", value: "checkpoints" }),
    h("div", { class: "period-grid" },
      h("div", {}, h("label", { for: "cp-since" }, t("patrol.since")),
        h("input", { id: "cp-since", name: "since", type: "date", value: since, "data-testid": "since" })),
      h("div", {}, h("label", { for: "cp-until" }, t("patrol.until")),
        h("input", { id: "cp-until", name: "until", type: "date", value: until, "data-testid": "until" })),
      h("div", { class: "period-go" }, h("button", {}, t("patrol.show")))));
  const stats = [...found.checkpoints].sort(worstFirst);
  return [
    form,
    h("section", { class: "card", "data-testid": "checkpoint-report" },
      h("h2", {}, t("patrol.checkpoints_title", { since: dayText(found.since), until: dayText(found.until) })),
      h("p", { class: "muted small-text" }, t("patrol.checkpoints_hint")),
      stats.length
        ? h("div", { class: "wide-table", tabindex: "0", role: "region", "aria-label": t("patrol.tab_checkpoints") }, h("table", { class: "checkpoint-table" },
          h("caption", { class: "sr-only" }, t("patrol.tab_checkpoints")),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, t("patrol.cp_checkpoint")),
            h("th", { scope: "col", class: "num" }, t("patrol.cp_scans")),
            h("th", { scope: "col", class: "num" }, t("patrol.cp_shortest")),
            h("th", { scope: "col", class: "num" }, t("patrol.cp_average")),
            h("th", { scope: "col" }, t("patrol.cp_last")),
            h("th", { scope: "col", class: "num" }, t("patrol.cp_flagged")))),
          h("tbody", {}, stats.map((s) => row(site, s)))))
        : h("p", { class: "muted", "data-testid": "checkpoints-empty" }, t("patrol.checkpoints_empty"))),
  ];
}
