// The site's findings, newest first, filtered by severity and status as the address says,
// each with the checklist item that failed and the inspection it was found in.

import * as api from "../../api.js";
import { h } from "../../dom.js";
import { formatDateTime, t } from "../../i18n.js";
import { address, badge, FINDING_STATUSES, itemLabel, label, replaceAddress, SEVERITIES, templateOf } from "./common.js";

const PAGE = 50;

function choice(id, text, table, chosen, anyText) {
  const select = h("select", { id, "data-testid": id },
    h("option", { value: "" }, anyText),
    Object.entries(table).map(([value, key]) => h("option", { value, selected: value === chosen }, t(key))));
  return { select, field: h("div", {}, h("label", { for: id }, text), select) };
}

async function findingRow(finding, site) {
  const [template, item] = await Promise.all([templateOf(finding.template_key), itemLabel(finding.template_key, finding.item_key)]);
  return h("tr", { "data-testid": "finding", "data-status": finding.status, "data-severity": finding.severity },
    h("td", {}, formatDateTime(finding.observed_at)),
    h("td", {}, h("div", { class: "person-name" }, item), h("div", { class: "muted small-text" }, template ? label(template.template.title) : finding.template_key)),
    h("td", {}, badge(t(SEVERITIES[finding.severity]), finding.severity === "high" ? "badge-warn" : "badge-off", "finding-severity")),
    h("td", { "data-testid": "finding-status" }, t(FINDING_STATUSES[finding.status])),
    h("td", {}, h("ul", { class: "plain-list links" },
      h("li", {}, h("a", { href: address(site.id, { finding: finding.id }), "data-testid": "finding-action" }, t("repairs.open_action"))),
      h("li", {}, h("a", { href: address(site.id, { inspection: finding.inspection_id }), "data-testid": "finding-inspection" }, t("repairs.open_inspection"))))));
}

// The findings for the filters, a page at a time.
async function listOf(site, severity, status) {
  const path = (after) => {
    const ask = new URLSearchParams({ site_id: site.id, limit: String(PAGE) });
    if (severity) ask.set("severity", severity);
    if (status) ask.set("status", status);
    if (after) ask.set("after", after);
    return `/api/findings?${ask}`;
  };
  const found = await api.get(path(null));
  const body = h("tbody", {}, await Promise.all(found.map((f) => findingRow(f, site))));
  let last = found.at(-1)?.id;
  const more = h("button", { type: "button", class: "small plain", "data-testid": "more", hidden: found.length < PAGE }, t("repairs.more"));
  more.addEventListener("click", async () => {
    more.disabled = true;
    const page = await api.get(path(last));
    body.append(...await Promise.all(page.map((f) => findingRow(f, site))));
    last = page.at(-1)?.id ?? last;
    more.hidden = page.length < PAGE;
    more.disabled = false;
  });
  return h("section", { class: "card", "data-testid": "finding-list" }, found.length
    ? [h("div", { class: "wide-table" }, h("table", { "data-testid": "findings" },
      h("caption", { class: "sr-only" }, t("repairs.findings_caption")),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, t("repairs.found_at")),
        h("th", { scope: "col" }, t("repairs.item")),
        h("th", { scope: "col" }, t("repairs.finding_severity")),
        h("th", { scope: "col" }, t("repairs.finding_status")),
        h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("repairs.links"))))),
      body)), more]
    : h("p", { class: "muted", "data-testid": "no-findings" }, t("repairs.no_findings")));
}

export async function drawFindings(ctx) {
  const { site } = ctx;
  const query = new URLSearchParams(location.search);
  const severity = SEVERITIES[query.get("severity")] ? query.get("severity") : "";
  const status = FINDING_STATUSES[query.get("status")] ? query.get("status") : "";
  const bySeverity = choice("filter-severity", t("repairs.filter_severity"), SEVERITIES, severity, t("repairs.any"));
  const byStatus = choice("filter-status", t("repairs.filter_status"), FINDING_STATUSES, status, t("repairs.any"));
  const form = h("form", { class: "card filters", "data-testid": "finding-filters" },
    h("div", { class: "filter-grid" }, bySeverity.field, byStatus.field));
  let list = await listOf(site, severity, status);
  let asked = 0;
  // A filter changed is the address changed, and the list read again for it (an answer
  // overtaken by a later change is dropped).
  form.addEventListener("change", async () => {
    const mine = ++asked;
    replaceAddress({ view: "findings", severity: bySeverity.select.value, status: byStatus.select.value });
    const next = await listOf(site, bySeverity.select.value, byStatus.select.value);
    if (mine !== asked) return;
    list.replaceWith(next);
    list = next;
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  return [form, list];
}
