// People and devices: the site's members with their role and when it ends, the phones each
// one logged in on (the last time each called the server; a lost one is revoked), and who
// is locked out after failed logins. Admins change; managers and auditors read.

import * as api from "../api.js";
import { h, claim, showFor } from "../dom.js";
import { pageMessage, problemSlot, showProblem } from "../forms.js";
import { formatDateTime, t } from "../i18n.js";

// The roles a person may be given (server/accounts/access.py ROLES).
const ROLES = ["admin", "manager", "inspector", "guard", "gatekeeper", "maintainer", "auditor"];

function roleSelect(id, chosen) {
  return h("select", { id, name: "role" },
    ROLES.map((role) => h("option", { value: role, selected: role === chosen }, t(`role.${role}`))));
}

// A date input's value for a stored time (the day it ends, in the browser's zone), and the
// time to send for a chosen day (its end: access lasts through that day).
function dayOf(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

function endOfDay(day) {
  return day ? new Date(`${day}T23:59:59`).toISOString() : null;
}

function phoneLine(phone, canChange, onRevoke) {
  const seen = phone.last_seen_at
    ? t("people.phone_seen", { time: formatDateTime(phone.last_seen_at) })
    : t("people.phone_never_seen");
  const state = phone.revoked_at
    ? h("span", { class: "badge badge-off", "data-testid": "phone-revoked" },
      t("people.phone_revoked", { time: formatDateTime(phone.revoked_at) }))
    : canChange
      ? h("button", { type: "button", class: "small danger", "data-testid": "revoke-phone", onclick: onRevoke },
        t("people.revoke"))
      : null;
  return h("li", { class: "phone", "data-testid": "phone", "data-revoked": phone.revoked_at ? "true" : "false" },
    h("span", { class: "phone-name" }, phone.name),
    h("span", { class: "muted" }, seen),
    state);
}

function memberRow(member, ctx, redraw) {
  const { site, me, describeError } = ctx;
  const isAdmin = site.role === "admin";
  const canChange = isAdmin && member.user_id !== me.id;
  const ended = member.expires_at && new Date(member.expires_at) <= new Date();
  const id = member.user_id;

  const name = h("td", {},
    h("div", { class: "person-name", "data-testid": "person-name" }, member.display_name),
    h("div", { class: "muted" }, member.username),
    member.locked_out ? h("span", { class: "badge badge-warn", "data-testid": "locked-out" }, t("people.locked_out")) : null);

  // The role and its end are edited in their own columns: the select and the date belong
  // to the row's form (the form attribute) wherever they stand.
  let roleCells;
  if (canChange) {
    const formId = `edit-${id}`;
    const role = roleSelect(`role-${id}`, member.role);
    role.setAttribute("form", formId);
    const until = h("input", { type: "date", id: `until-${id}`, name: "expires_at", form: formId, value: dayOf(member.expires_at) });
    const form = h("form", { id: formId, class: "member-edit", "data-testid": "member-edit" },
      h("button", { class: "small", "data-testid": "save-member" }, t("people.save")));
    roleCells = [
      h("td", {}, h("label", { for: `role-${id}`, class: "sr-only" }, t("people.role")), role, problemSlot("role")),
      h("td", {}, h("div", { class: "until-edit" },
        h("label", { for: `until-${id}`, class: "sr-only" }, t("people.until")), until, form),
      problemSlot("expires_at"), problemSlot()),
    ];
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api.patch(`/api/sites/${site.id}/members/${id}`,
          { role: role.value, expires_at: endOfDay(until.value) });
      } catch (error) {
        return showProblem(form.closest("tr"), error, describeError);
      }
      await redraw(t("people.saved", { name: member.display_name }));
    });
  } else {
    roleCells = [
      h("td", { "data-testid": "person-role" }, t(`role.${member.role}`)),
      h("td", {}, member.expires_at
        ? (ended ? t("people.ended", { date: dayOf(member.expires_at) }) : dayOf(member.expires_at))
        : t("people.open_ended")),
    ];
  }

  const revoke = (phone) => async () => {
    if (!confirm(t("people.confirm_revoke", { phone: phone.name, name: member.display_name }))) return;
    try {
      await api.remove(`/api/tokens/${phone.token_id}`);
    } catch (error) {
      return redraw(describeError(error), true);
    }
    await redraw(t("people.revoked", { phone: phone.name }));
  };
  const phones = member.phones.length
    ? h("ul", { class: "phones" }, member.phones.map((p) => phoneLine(p, isAdmin, revoke(p))))
    : h("span", { class: "muted" }, t("people.no_phones"));

  const unlock = member.locked_out && isAdmin
    ? h("button", { type: "button", class: "small", "data-testid": "unlock", onclick: async () => {
      try {
        await api.post(`/api/sites/${site.id}/members/${id}/unlock`);
      } catch (error) {
        return redraw(describeError(error), true);
      }
      await redraw(t("people.unlocked", { name: member.display_name }));
    } }, t("people.unlock"))
    : null;

  return h("tr", { "data-testid": "person", "data-username": member.username, class: ended ? "ended" : null },
    name, roleCells, h("td", {}, phones, unlock));
}

function addForm(ctx, redraw) {
  const { site, describeError } = ctx;
  const field = (key, text, attrs) => [
    h("label", { for: `new-${key}` }, text),
    h("input", { id: `new-${key}`, name: key, ...attrs }),
    problemSlot(key),
  ];
  const role = roleSelect("new-role", "inspector");
  const form = h("form", { class: "card add-member", "data-testid": "add-member" },
    h("h2", {}, t("people.add_title")),
    h("div", { class: "grid" },
      h("div", {}, field("username", t("people.new_username"), { autocomplete: "off", required: true })),
      h("div", {}, field("display_name", t("people.new_display_name"), { required: true })),
      h("div", {}, field("password", t("people.new_password"), { type: "password", autocomplete: "new-password", required: true, minlength: 8 })),
      h("div", {}, h("label", { for: "new-role" }, t("people.role")), role, problemSlot("role")),
      h("div", {}, field("expires_at", t("people.new_expires_at"), { type: "date" }))),
    h("p", { class: "muted" }, t("people.add_hint")),
    h("button", { "data-testid": "add-member-submit" }, t("people.add")),
    problemSlot());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      username: data.get("username").trim(),
      display_name: data.get("display_name").trim(),
      password: data.get("password"),
      role: role.value,
      expires_at: endOfDay(data.get("expires_at")),
    };
    try {
      await api.post(`/api/sites/${site.id}/members`, body);
    } catch (error) {
      return showProblem(form, error, describeError);
    }
    await redraw(t("people.added", { name: body.display_name }));
  });
  return form;
}

export async function render(view, ctx) {
  const ticket = claim(view);
  const { site, chooser, describeError } = ctx;
  const redraw = async (message, failed = false) => {
    if (!(await render(view, ctx))) return;
    const note = pageMessage(message, failed);
    view.prepend(note);
  };
  let people;
  try {
    people = await api.get(`/api/sites/${site.id}/people`);
  } catch (error) {
    return showFor(ticket, view, h("section", { class: "card" }, h("h1", {}, t("nav.people")), chooser,
      h("p", { class: "warn", role: "alert", "data-testid": "load-error" }, describeError(error))));
  }
  const isAdmin = site.role === "admin";
  const table = h("table", { class: "people", "data-testid": "people" },
    h("caption", { class: "sr-only" }, t("people.caption")),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("people.person")),
      h("th", { scope: "col" }, t("people.role")),
      h("th", { scope: "col" }, t("people.until")),
      h("th", { scope: "col" }, t("people.phones")))),
    h("tbody", {}, people.map((m) => memberRow(m, ctx, redraw))));
  return showFor(ticket, view,
    h("section", { class: "card" },
      h("h1", {}, t("nav.people")), chooser,
      h("p", { class: "muted" }, isAdmin ? t("people.intro_admin") : t("people.intro_read"))),
    h("section", { class: "card wide-table" }, table),
    isAdmin ? addForm(ctx, redraw) : null);
}
