// The register's tags: every QR tag of the site with what it is on, searched and paged on
// the server; a tag for one thing, or for everything that has none; a damaged label
// replaced, a label moved to another thing, a label retired; and each tag's history.
// Admins and managers change tags; auditors read.

import * as api from "../../api.js";
import { h, useStyles } from "../../dom.js";
import { problemSlot, showProblem } from "../../forms.js";
import { formatDate, formatDateTime, t } from "../../i18n.js";
import { thingPicker } from "./picker.js";

const PAGE = 50;
const STATUSES = {
  active: "tags.status_active",
  replaced: "tags.status_replaced",
  retired: "tags.status_retired",
  all: "tags.status_all",
};
const TARGETS = { all: "tags.targets_all", assets: "tags.targets_assets", locations: "tags.targets_locations" };
const EVENTS = {
  issued: "tags.event_issued",
  rebound: "tags.event_rebound",
  replaced: "tags.event_replaced",
  retired: "tags.event_retired",
};
// Each action on a tag: its heading, what it does, the note's label and its button.
const ACTIONS = {
  replace: { title: "tags.replace_title", hint: "tags.replace_hint", note: "tags.replace_note", submit: "tags.replace" },
  rebind: { title: "tags.rebind_title", hint: "tags.rebind_hint", note: "tags.rebind_note", submit: "tags.rebind" },
  retire: { title: "tags.retire_title", hint: "tags.retire_hint", note: "tags.retire_note", submit: "tags.retire" },
};
const PICKER_WORDS = {
  label: "tags.picker_label",
  kind: "tags.picker_kind",
  asset: "tags.kind_asset",
  location: "tags.kind_location",
  placeholder: "tags.picker_placeholder",
  search: "tags.picker_search",
  searching: "tags.picker_searching",
  none: "tags.picker_none",
  more: "tags.picker_more",
  chosen: "tags.picker_chosen",
};

// The list's choices live in the address, so a redraw after a change shows the same list.
function filters() {
  const query = new URLSearchParams(location.search);
  const status = query.get("status");
  const targets = query.get("targets");
  return {
    status: status in STATUSES ? status : "active",
    targets: targets in TARGETS ? targets : "all",
    q: query.get("q") ?? "",
  };
}

function keepFilters(chosen) {
  const query = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(chosen)) {
    if (value && !(name === "status" && value === "active") && !(name === "targets" && value === "all")) query.set(name, value);
    else query.delete(name);
  }
  history.replaceState({}, "", `${location.pathname}?${query}`);
}

function thingOf(tag) {
  return tag.target_name || t("tags.unnamed");
}

function statusBadge(status) {
  const kind = status === "active" ? "badge tag-active" : "badge badge-off";
  return h("span", { class: kind, "data-testid": "tag-status" }, t(STATUSES[status] ?? status));
}

function untaggedText({ untagged_assets: assets, untagged_locations: locations }) {
  if (assets && locations) return t("tags.untagged", { assets, locations });
  if (assets) return t("tags.untagged_assets", { assets });
  if (locations) return t("tags.untagged_locations", { locations });
  return t("tags.all_tagged");
}

// What the site still lacks, and for admins and managers the one button that tags it all.
async function coverageCard(ctx, redraw, canChange) {
  const counts = await api.get(`/api/sites/${ctx.site.id}/tags/untagged`);
  const missing = counts.untagged_assets + counts.untagged_locations;
  const untaggedAssets = `/console/register?site=${encodeURIComponent(ctx.site.id)}&view=assets&untagged=1`;
  const issueAll = async (event) => {
    if (!confirm(t("tags.confirm_bulk", { count: missing }))) return;
    event.target.disabled = true;
    let done;
    try {
      done = await api.post("/api/tags/bulk", { site_id: ctx.site.id, targets: "all" });
    } catch (error) {
      return redraw(ctx.describeError(error), true);
    }
    // The list then shows every tag in use, the new ones first.
    keepFilters({ ...filters(), q: "", status: "active" });
    await redraw(t("tags.bulk_done", { count: done.issued }));
  };
  return h("section", { class: "card", "data-testid": "tag-coverage" },
    h("h2", {}, t("tags.coverage_title")),
    h("p", { "data-testid": "untagged", "data-count": missing }, untaggedText(counts)),
    h("div", { class: "row" },
      canChange && missing
        ? h("button", { type: "button", "data-testid": "bulk-issue", onclick: issueAll }, t("tags.bulk_issue", { count: missing }))
        : null,
      counts.untagged_assets ? h("a", { href: untaggedAssets, "data-testid": "untagged-assets" }, t("tags.see_untagged")) : null),
    canChange && missing ? h("p", { class: "muted small-text" }, t("tags.bulk_hint")) : null);
}

// A line that says which tags in use a chosen thing has already, so that a second label on
// it is put there knowingly.
function alreadyTagged(ctx) {
  const line = h("p", { class: "warn small-text already-tagged", "data-testid": "already-tagged" });
  let latest = null;
  const check = async (thing) => {
    latest = thing;
    line.textContent = "";
    if (!thing) return;
    const key = thing.kind === "asset" ? "asset_id" : "location_id";
    const page = await api.get(`/api/tags?site_id=${encodeURIComponent(ctx.site.id)}&${key}=${thing.id}`).catch(() => null);
    if (thing === latest && page?.items.length) {
      line.textContent = t("tags.already_tagged", { codes: page.items.map((x) => x.printed_code).join(t("list.separator")) });
    }
  };
  return { line, check };
}

// A tag for one thing, chosen by search, with a pre-printed code when the label exists already.
function issueForm(ctx, redraw) {
  const existing = alreadyTagged(ctx);
  const picker = thingPicker(ctx, { id: "issue-thing", kinds: ["asset", "location"], words: PICKER_WORDS, onChoose: existing.check });
  const code = h("input", { id: "issue-code", name: "code", autocomplete: "off", maxlength: 20, "data-testid": "issue-code" });
  const form = h("form", { class: "card tag-issue", "data-testid": "issue-form" },
    h("h2", {}, t("tags.issue_title")),
    picker.element, existing.line,
    h("div", { class: "issue-code" },
      h("label", { for: code.id }, t("tags.issue_code")), code,
      h("p", { class: "muted small-text" }, t("tags.issue_code_hint")), problemSlot("code")),
    h("button", { "data-testid": "issue-submit" }, t("tags.issue")),
    problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const thing = picker.chosen();
    if (!thing) return showProblem(form, { field: "asset_id" }, () => t("tags.choose_first"));
    const body = thing.kind === "asset" ? { asset_id: thing.id } : { location_id: thing.id };
    if (code.value.trim()) body.code = code.value.trim();
    let tag;
    try {
      tag = await api.post("/api/tags", body);
    } catch (error) {
      return showProblem(form, error, ctx.describeError);
    }
    keepFilters({ ...filters(), q: tag.code, status: "active" });
    await redraw(t("tags.issued", { code: tag.printed_code, name: thing.name }));
  });
  return form;
}

// One of a tag's actions: a note (the reason), and what to do with the tag.
function actionForm(tag, ctx, redraw, { kind, extra = null, confirmKey, send, done }) {
  const words = ACTIONS[kind];
  const note = h("input", { id: `${kind}-${tag.id}-note`, name: "note", maxlength: 2000, "data-testid": `${kind}-note` });
  const form = h("form", { class: "tag-action", "data-testid": `${kind}-form` },
    h("h3", {}, t(words.title)),
    h("p", { class: "muted small-text" }, t(words.hint)),
    extra?.element,
    h("label", { for: note.id }, t(words.note)), note, problemSlot("note"),
    h("button", { class: kind === "retire" ? "danger" : null, "data-testid": `${kind}-submit` }, t(words.submit)),
    problemSlot("code"), problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let body;
    try {
      body = extra ? extra.body() : {};
    } catch (problem) {
      return showProblem(form, problem, () => problem.message);
    }
    if (confirmKey && !confirm(t(confirmKey, { code: tag.printed_code, name: thingOf(tag) }))) return;
    let answer;
    try {
      answer = await send({ ...body, note: note.value.trim() });
    } catch (error) {
      // Someone replaced or retired it meanwhile: say so, and show the tag as it is now.
      if (error.code === "tag.not_active") {
        keepFilters({ ...filters(), q: tag.code, status: "all" });
        return redraw(t("tags.stale", { code: tag.printed_code }), true);
      }
      return showProblem(form, error, ctx.describeError);
    }
    await redraw(done(answer));
  });
  return form;
}

function replaceForm(tag, ctx, redraw) {
  return actionForm(tag, ctx, redraw, {
    kind: "replace",
    confirmKey: "tags.confirm_replace",
    send: (body) => api.post(`/api/tags/${tag.code}/replace`, body),
    done: (fresh) => {
      keepFilters({ ...filters(), q: fresh.code, status: "active" });
      return t("tags.replaced", { old: tag.printed_code, code: fresh.printed_code, name: thingOf(tag) });
    },
  });
}

function rebindForm(tag, ctx, redraw) {
  const existing = alreadyTagged(ctx);
  const picker = thingPicker(ctx, { id: `rebind-${tag.id}`, kinds: ["asset", "location"], words: PICKER_WORDS, onChoose: existing.check });
  const extra = {
    element: h("div", {}, picker.element, existing.line),
    body: () => {
      const thing = picker.chosen();
      if (!thing) throw Object.assign(new Error(t("tags.choose_first")), { field: "asset_id" });
      return thing.kind === "asset" ? { asset_id: thing.id } : { location_id: thing.id };
    },
  };
  return actionForm(tag, ctx, redraw, {
    kind: "rebind",
    extra,
    send: (body) => api.post(`/api/tags/${tag.code}/rebind`, body),
    done: () => t("tags.rebound", { code: tag.printed_code, name: picker.chosen().name }),
  });
}

function retireForm(tag, ctx, redraw) {
  return actionForm(tag, ctx, redraw, {
    kind: "retire",
    confirmKey: "tags.confirm_retire",
    send: (body) => api.post(`/api/tags/${tag.code}/retire`, body),
    done: () => t("tags.retired", { code: tag.printed_code, name: thingOf(tag) }),
  });
}

function eventText(event) {
  const name = event.target_name ?? t("tags.unnamed");
  if (event.kind === "rebound") {
    return t("tags.event_rebound_text", { from: event.previous_target_name ?? t("tags.unnamed"), name });
  }
  if (event.kind === "replaced") return t("tags.event_replaced_text", { code: event.other_tag_code ?? "" });
  if (event.kind === "issued" && event.other_tag_code) {
    return t("tags.event_issued_instead", { name, code: event.other_tag_code });
  }
  if (event.kind === "issued") return t("tags.event_issued_text", { name });
  return t("tags.event_retired_text", { name });
}

async function historyPanel(tag) {
  const events = await api.get(`/api/tags/${tag.code}/history`);
  return h("div", { class: "tag-history", "data-testid": "history" },
    h("h3", {}, t("tags.history_title", { code: tag.printed_code })),
    h("ol", { class: "plain-list" }, events.map((event) =>
      h("li", { class: "history-event", "data-testid": "history-event", "data-kind": event.kind },
        h("div", { class: "row" },
          h("span", { class: "badge badge-off" }, t(EVENTS[event.kind] ?? event.kind)),
          h("span", {}, eventText(event))),
        h("div", { class: "muted small-text" },
          formatDateTime(event.at), " · ", event.by_name ?? t("tags.by_nobody")),
        event.note ? h("p", { class: "small-text", "data-testid": "history-note" }, t("tags.note", { note: event.note })) : null))));
}

function tagRows(tag, ctx, redraw, canChange) {
  const more = h("td", { colspan: 5, class: "tag-more" });
  const moreRow = h("tr", { class: "tag-more-row", hidden: true }, more);
  const open = (name, draw) => async () => {
    if (more.dataset.open === name) {
      moreRow.hidden = true;
      more.replaceChildren();
      delete more.dataset.open;
      return;
    }
    more.dataset.open = name;
    try {
      more.replaceChildren(await draw());
    } catch (error) {
      more.replaceChildren(h("p", { class: "warn", role: "alert" }, ctx.describeError(error)));
    }
    moreRow.hidden = false;
    more.querySelector("input, select, button")?.focus();
  };
  const button = (name, key, draw, extra = "plain") =>
    h("button", { type: "button", class: `small ${extra}`, "data-testid": name, onclick: open(name, draw) }, t(key));
  const active = tag.status === "active";
  const actions = [
    button("show-history", "tags.show_history", () => historyPanel(tag)),
    canChange && active ? button("replace", "tags.replace", () => replaceForm(tag, ctx, redraw)) : null,
    canChange && active ? button("rebind", "tags.rebind", () => rebindForm(tag, ctx, redraw)) : null,
    canChange && active ? button("retire", "tags.retire", () => retireForm(tag, ctx, redraw), "danger") : null,
  ];
  const kind = tag.asset_id ? "tags.kind_asset" : "tags.kind_location";
  const row = h("tr", { "data-testid": "tag", "data-code": tag.code, "data-status": tag.status, class: active ? null : "ended" },
    h("td", {}, h("span", { class: "code tag-code", "data-testid": "tag-code" }, tag.printed_code)),
    h("td", {},
      h("div", { class: "tag-thing" }, h("span", { class: "badge badge-off" }, t(kind)), " ",
        h("span", { "data-testid": "tag-thing" }, thingOf(tag)),
        tag.target_number ? h("span", { class: "muted code" }, ` ${tag.target_number}`) : null),
      tag.place.length ? h("div", { class: "muted small-text" }, tag.place.join(" › ")) : null),
    h("td", {}, statusBadge(tag.status)),
    h("td", { class: "tag-date" }, formatDate(tag.created_at)),
    h("td", {}, h("div", { class: "row tag-actions" }, actions)));
  return [row, moreRow];
}

function filterForm(chosen, onApply) {
  const status = h("select", { id: "tags-status", name: "status", "data-testid": "filter-status" },
    Object.entries(STATUSES).map(([value, key]) => h("option", { value, selected: value === chosen.status }, t(key))));
  const targets = h("select", { id: "tags-targets", name: "targets", "data-testid": "filter-targets" },
    Object.entries(TARGETS).map(([value, key]) => h("option", { value, selected: value === chosen.targets }, t(key))));
  const q = h("input", { id: "tags-q", name: "q", type: "search", value: chosen.q, "data-testid": "filter-q",
    placeholder: t("tags.filter_q_placeholder") });
  const form = h("form", { class: "tag-filters", role: "search", "data-testid": "tag-filters" },
    h("div", {}, h("label", { for: q.id }, t("tags.filter_q")), q),
    h("div", {}, h("label", { for: status.id }, t("tags.filter_status")), status),
    h("div", {}, h("label", { for: targets.id }, t("tags.filter_targets")), targets),
    h("div", { class: "tag-filter-go" }, h("button", { class: "plain", "data-testid": "filter-apply" }, t("tags.filter_apply"))));
  const apply = (event) => {
    event?.preventDefault();
    onApply({ status: status.value, targets: targets.value, q: q.value.trim() });
  };
  form.addEventListener("submit", apply);
  status.addEventListener("change", apply);
  targets.addEventListener("change", apply);
  return form;
}

async function listCard(ctx, redraw, canChange) {
  const chosen = filters();
  const body = h("tbody", {});
  const count = h("p", { class: "muted", role: "status", "data-testid": "tag-count" });
  const moreButton = h("button", { type: "button", class: "plain", "data-testid": "more-tags", hidden: true }, t("tags.more"));
  let after = null;
  let shown = 0;
  const load = async () => {
    const query = new URLSearchParams({ status: chosen.status, targets: chosen.targets, limit: String(PAGE) });
    if (chosen.q) query.set("q", chosen.q);
    if (after) query.set("after", after);
    const page = await api.get(`/api/sites/${ctx.site.id}/tags?${query}`);
    body.append(...page.items.flatMap((tag) => tagRows(tag, ctx, redraw, canChange)));
    shown += page.items.length;
    after = page.next_after;
    moreButton.hidden = !after;
    count.textContent = shown ? t(after ? "tags.shown_more" : "tags.shown", { count: shown }) : t("tags.none");
  };
  moreButton.addEventListener("click", async () => {
    moreButton.disabled = true;
    try {
      await load();
    } catch (error) {
      count.textContent = ctx.describeError(error);
    }
    moreButton.disabled = false;
  });
  await load();
  const table = h("table", { class: "tags", "data-testid": "tags" },
    h("caption", { class: "sr-only" }, t("tags.caption")),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("tags.col_code")),
      h("th", { scope: "col" }, t("tags.col_thing")),
      h("th", { scope: "col" }, t("tags.col_status")),
      h("th", { scope: "col" }, t("tags.col_issued")),
      h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("tags.col_actions"))))),
    body);
  return h("section", { class: "card", "data-testid": "tag-list" },
    h("h2", {}, t("tags.list_title")),
    filterForm(chosen, (next) => {
      keepFilters(next);
      redraw();
    }),
    count,
    h("div", { class: "wide-table" }, table),
    moreButton);
}

export async function draw(ctx, redraw) {
  useStyles("register-tags");
  const canChange = ctx.site.role !== "auditor";
  const [coverage, list] = await Promise.all([coverageCard(ctx, redraw, canChange), listCard(ctx, redraw, canChange)]);
  return [
    h("p", { class: "card muted" }, canChange ? t("tags.intro") : t("tags.intro_read")),
    coverage,
    canChange ? issueForm(ctx, redraw) : null,
    list,
  ].filter(Boolean);
}
