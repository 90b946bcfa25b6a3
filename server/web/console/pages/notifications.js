// Notifications: the site's webhooks (WeCom, DingTalk and Feishu group robots, or a generic
// JSON endpoint), what each is sent, a test message sent while the admin waits, and every
// delivery with each attempt; a failed one is sent again with one click. Admins only: a
// webhook's address holds its robot's key.

import * as api from "../api.js";
import { h, claim, showFor } from "../dom.js";
import { pageMessage, problemSlot, showProblem } from "../forms.js";
import { formatDateTime, t } from "../i18n.js";

// Each format and event with the key of its name; the events a webhook may be sent, in
// the server's order (webhook.test is an admin's test, never subscribed to).
const FORMATS = {
  wecom: "notify.format_wecom",
  dingtalk: "notify.format_dingtalk",
  feishu: "notify.format_feishu",
  generic: "notify.format_generic",
};
const EVENT_NAMES = {
  "finding.high": "notify.event_finding_high",
  "action.overdue": "notify.event_action_overdue",
  "occurrence.overdue": "notify.event_occurrence_overdue",
  "digest.daily": "notify.event_digest_daily",
  "round.missed": "notify.event_round_missed",
  "round.flagged": "notify.event_round_flagged",
  "visit.awaiting_host": "notify.event_visit_awaiting_host",
  "webhook.test": "notify.event_webhook_test",
};
const EVENTS = Object.keys(EVENT_NAMES).filter((kind) => kind !== "webhook.test");
const STATUS_NAMES = {
  pending: "notify.status_pending",
  delivered: "notify.status_delivered",
  failed: "notify.status_failed",
};

// A robot's address carries its key: shown as its host and the start of its path.
function shortUrl(url) {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname.slice(0, 24)}${parsed.pathname.length > 24 || parsed.search ? "…" : ""}`;
  } catch {
    return url.slice(0, 40);
  }
}

// What one attempt came to, for a person.
function attemptText(attempt) {
  const took = t("notify.took", { ms: Math.round(attempt.duration_ms) });
  if (!attempt.error) return t("notify.attempt_ok", { status: attempt.status_code, took });
  return t("notify.attempt_failed", { reason: attempt.error, took });
}

function deliveryItem(delivery, retry) {
  const attempts = h("ol", { class: "attempts" }, delivery.attempts.map((a) =>
    h("li", { class: a.error ? "warn" : null, "data-testid": "attempt" },
      formatDateTime(a.at), " · ", attemptText(a),
      a.response ? h("code", { class: "response" }, a.response) : null)));
  return h("li", { class: "delivery", "data-testid": "delivery", "data-status": delivery.status },
    h("div", { class: "delivery-head" },
      h("span", { class: `badge status-${delivery.status}` }, t(STATUS_NAMES[delivery.status])),
      h("span", {}, t(EVENT_NAMES[delivery.event])),
      h("span", { class: "muted" }, formatDateTime(delivery.created_at)),
      delivery.status === "delivered" ? null
        : h("button", { type: "button", class: "small", "data-testid": "retry", onclick: () => retry(delivery) }, t("notify.retry"))),
    attempts);
}

async function deliveriesPanel(site, hook, ctx, redraw) {
  const page = await api.get(`/api/sites/${site.id}/webhooks/${hook.id}/deliveries?limit=20`);
  const retry = async (delivery) => {
    try {
      await api.post(`/api/sites/${site.id}/webhooks/${hook.id}/deliveries/${delivery.id}/retry`);
    } catch (error) {
      return redraw(ctx.describeError(error), true);
    }
    await redraw(t("notify.retried"));
  };
  return h("div", { class: "deliveries", "data-testid": "deliveries" },
    h("h3", {}, t("notify.deliveries")),
    page.items.length
      ? h("ul", { class: "plain-list" }, page.items.map((d) => deliveryItem(d, retry)))
      : h("p", { class: "muted" }, t("notify.no_deliveries")));
}

// The fields of a webhook, for adding one or changing it (`hook` null for a new one).
function hookForm(hook, ctx, onSaved) {
  const prefix = hook ? `hook-${hook.id}` : "new";
  const format = h("select", { id: `${prefix}-format`, name: "format" },
    Object.entries(FORMATS).map(([f, name]) => h("option", { value: f, selected: (hook?.format ?? "wecom") === f }, t(name))));
  const url = h("input", { id: `${prefix}-url`, name: "url", type: "url", required: true, value: hook?.url ?? "", placeholder: "https://" });
  const secret = h("input", { id: `${prefix}-secret`, name: "secret", autocomplete: "off",
    placeholder: hook?.has_secret ? t("notify.secret_kept") : "" });
  const events = EVENTS.map((kind) => {
    const id = `${prefix}-event-${kind}`;
    return h("label", { class: "check", for: id },
      h("input", { type: "checkbox", id, value: kind, checked: hook ? hook.events.includes(kind) : true }),
      t(EVENT_NAMES[kind]));
  });
  const active = h("input", { type: "checkbox", id: `${prefix}-active`, checked: hook?.active ?? true });
  const form = h("form", { class: hook ? "hook-edit" : "card hook-new", "data-testid": hook ? "hook-edit" : "hook-new" },
    hook ? null : h("h2", {}, t("notify.add_title")),
    h("div", { class: "grid" },
      h("div", {}, h("label", { for: format.id }, t("notify.format")), format, problemSlot("format")),
      h("div", { class: "span-2" }, h("label", { for: url.id }, t("notify.url")), url, problemSlot("url"))),
    h("fieldset", {}, h("legend", {}, t("notify.events")), events, problemSlot("events")),
    h("div", { class: "grid" },
      h("div", { class: "span-2" }, h("label", { for: secret.id }, t("notify.secret")), secret,
        h("p", { class: "muted small-text" }, t("notify.secret_hint")), problemSlot("secret")),
      h("div", {}, h("label", { class: "check", for: active.id }, active, t("notify.active")))),
    h("button", { "data-testid": hook ? "save-hook" : "add-hook" }, hook ? t("notify.save") : t("notify.add")),
    problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      url: url.value.trim(),
      format: format.value,
      events: events.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => i.value),
      active: active.checked,
    };
    // An empty secret field on a change keeps the secret; on a new webhook it means none.
    if (secret.value.trim() || !hook) body.secret = secret.value.trim() || null;
    try {
      if (hook) await api.patch(`/api/sites/${ctx.site.id}/webhooks/${hook.id}`, body);
      else await api.post(`/api/sites/${ctx.site.id}/webhooks`, body);
    } catch (error) {
      return showProblem(form, error, ctx.describeError);
    }
    await onSaved();
  });
  return form;
}

function hookCard(hook, ctx, redraw) {
  const { site, describeError } = ctx;
  const result = h("p", { class: "test-result", "data-testid": "test-result", role: "status" });
  const more = h("div", {});
  const test = async (event) => {
    event.target.disabled = true;
    result.className = "test-result muted";
    result.textContent = t("notify.testing");
    try {
      const delivery = await api.post(`/api/sites/${site.id}/webhooks/${hook.id}/test`);
      const last = delivery.attempts.at(-1);
      result.className = `test-result ${delivery.status === "delivered" ? "ok" : "warn"}`;
      result.textContent = last ? attemptText(last) : t("notify.status_pending");
    } catch (error) {
      result.className = "test-result warn";
      result.textContent = describeError(error);
    }
    event.target.disabled = false;
  };
  const toggle = (draw) => async () => {
    if (more.dataset.open === draw.name) {
      more.replaceChildren();
      delete more.dataset.open;
      return;
    }
    more.dataset.open = draw.name;
    more.replaceChildren(await draw());
  };
  const deliveries = async function deliveries() {
    return deliveriesPanel(site, hook, ctx, redraw);
  };
  const edit = async function edit() {
    return hookForm(hook, ctx, () => redraw(t("notify.saved")));
  };
  const remove = async () => {
    if (!confirm(t("notify.confirm_delete", { url: shortUrl(hook.url) }))) return;
    try {
      await api.remove(`/api/sites/${site.id}/webhooks/${hook.id}`);
    } catch (error) {
      return redraw(describeError(error), true);
    }
    await redraw(t("notify.deleted"));
  };
  return h("li", { class: "card hook", "data-testid": "hook", "data-format": hook.format },
    h("div", { class: "hook-head" },
      h("span", { class: "badge" }, t(FORMATS[hook.format])),
      h("span", { class: "hook-url", title: t("notify.url_hidden") }, shortUrl(hook.url)),
      h("span", { class: hook.active ? "badge status-delivered" : "badge badge-off", "data-testid": "hook-active" },
        hook.active ? t("notify.on") : t("notify.off"))),
    h("p", { class: "muted" }, t("notify.sends"), hook.events.map((e) => t(EVENT_NAMES[e])).join(t("list.separator")),
      hook.has_secret ? ` · ${t("notify.has_secret")}` : ""),
    h("div", { class: "row" },
      h("button", { type: "button", class: "small", "data-testid": "test-hook", onclick: test }, t("notify.test")),
      h("button", { type: "button", class: "small plain", "data-testid": "show-deliveries", onclick: toggle(deliveries) }, t("notify.deliveries")),
      h("button", { type: "button", class: "small plain", "data-testid": "edit-hook", onclick: toggle(edit) }, t("notify.edit")),
      h("button", { type: "button", class: "small danger", "data-testid": "delete-hook", onclick: remove }, t("notify.delete"))),
    result, more);
}

export async function render(view, ctx) {
  const ticket = claim(view);
  const { site, chooser, describeError } = ctx;
  const redraw = async (message, failed = false) => {
    if (!(await render(view, ctx))) return;
    view.prepend(pageMessage(message, failed));
  };
  let hooks;
  try {
    hooks = await api.get(`/api/sites/${site.id}/webhooks`);
  } catch (error) {
    return showFor(ticket, view, h("section", { class: "card" }, h("h1", {}, t("nav.notifications")), chooser,
      h("p", { class: "warn", role: "alert", "data-testid": "load-error" }, describeError(error))));
  }
  return showFor(ticket, view,
    h("section", { class: "card" }, h("h1", {}, t("nav.notifications")), chooser,
      h("p", { class: "muted" }, t("notify.intro"))),
    hooks.length
      ? h("ul", { class: "plain-list", "data-testid": "hooks" }, hooks.map((hook) => hookCard(hook, ctx, redraw)))
      : h("p", { class: "card muted", "data-testid": "no-hooks" }, t("notify.none")),
    hookForm(null, ctx, () => redraw(t("notify.added"))));
}
