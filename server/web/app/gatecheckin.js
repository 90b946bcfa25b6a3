// Registering a visitor at the gate (/app/gate/checkin): who they are and what document
// they showed (its number checked here, offline, as the server checks it), whom they
// visit, why, with whom and in what vehicle. A repeat visitor, found by the keyed hash of
// their number (gatekey.js), fills the form from what the gate knows of them; a number on
// the site's watchlist stops the check-in until a manager has decided, by phone.
//
// The whole number goes into the `visit.checked_in` op only; the device keeps the masked
// one (gatelocal.js).

import { h, show } from "./dom.js";
import { checkDocument, checkPhone, checkPlate, KINDS, maskId } from "./gatedocs.js";
import { idKey, keyFromBase64url } from "./gatekey.js";
import { gateScope, keepJournal, keepVisitor, MANAGER_ROLES, ownVisitors, peopleOf, settingsOf } from "./gatelocal.js";
import { t } from "./i18n.js";
import { backButton, go } from "./nav.js";
import * as store from "./store.js";

const STAYS = [30, 60, 120, 180, 240, 480];
const HOSTS_SHOWN = 8;

// The site's date, "YYYY-MM-DD", in its time zone where the device has it.
async function siteToday(siteId) {
  const [site] = await store.recordsOf(siteId, "site");
  const zone = site?.timezone ?? undefined;
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

function field(id, label, control, { required = false, hint = null } = {}) {
  const problem = h("p", { class: "warn problem", "data-testid": `problem-${id}`, id: `problem-${id}` });
  if (control.tagName !== "DIV") control.setAttribute("aria-describedby", `problem-${id}`);
  const box = h("div", { class: "gate-field", "data-field": id },
    h("label", { for: control.tagName === "DIV" ? null : `gate-${id}` }, label,
      required ? h("span", { class: "required" }, " *") : ` ${t("form.optional")}`),
    control, hint ? h("p", { class: "muted help" }, hint) : null, problem);
  return { box, problem };
}

function input(id, attrs = {}) {
  return h("input", { id: `gate-${id}`, name: id, "data-testid": `gate-${id}`, autocomplete: "off", ...attrs });
}

export async function render(view, { site, user }) {
  const siteId = site.site_id;
  const [settings, people, today, known, watch, own] = await Promise.all([
    settingsOf(siteId),
    peopleOf(siteId),
    siteToday(siteId),
    store.recordsOf(gateScope(siteId), "known_visitor"),
    store.recordsOf(gateScope(siteId), "watch_key"),
    ownVisitors(),
  ]);
  const key = settings.lookup_key ? keyFromBase64url(settings.lookup_key) : null;
  const watched = new Set(watch.map((w) => w.id_key));
  const needs = (name) => settings.required_fields.includes(name);

  const name = input("name", { maxlength: 100 });
  const kind = h("select", { id: "gate-id_type", name: "id_type", "data-testid": "gate-id_type" },
    KINDS.map((k) => h("option", { value: k }, t(`gate.id_type.${k}`))));
  const number = input("id_number", { maxlength: 40, inputmode: "text", autocapitalize: "characters" });
  const reason = input("no_document_reason", { maxlength: 500 });
  const phone = input("phone", { maxlength: 40, inputmode: "tel", type: "tel" });
  const organisation = input("organisation", { maxlength: 500 });
  const hostSearch = input("host", { type: "search", placeholder: t("gate.host_placeholder") });
  const hostList = h("ul", { class: "list gate-hosts", "data-testid": "gate-hosts" });
  const hostChosen = h("p", { class: "gate-host-chosen", "data-testid": "gate-host-chosen" });
  const purpose = input("purpose", { maxlength: 500 });
  const party = input("party_size", { type: "number", min: 1, max: 500, value: "1", inputmode: "numeric" });
  const vehicle = h("input", { type: "checkbox", id: "gate-vehicle", "data-testid": "gate-vehicle" });
  const plate = input("plate", { maxlength: 16 });
  const badge = input("badge", { maxlength: 32 });
  const stay = h("select", { id: "gate-expected_stay", "data-testid": "gate-expected_stay" },
    h("option", { value: "" }, t("gate.stay_none", { minutes: settings.overstay_minutes })),
    STAYS.map((m) => h("option", { value: String(m) }, t("gate.stay_minutes", { minutes: m }))));

  const fields = {
    name: field("name", t("gate.name"), name, { required: true }),
    id_type: field("id_type", t("gate.id_type_label"), kind, { required: true }),
    id_number: field("id_number", t("gate.id_number"), number, { required: needs("id_number") }),
    no_document_reason: field("no_document_reason", t("gate.no_document_reason"), reason, { required: true }),
    phone: field("phone", t("gate.phone"), phone, { required: needs("phone") }),
    organisation: field("organisation", t("gate.organisation"), organisation, { required: needs("organisation") }),
    host: field("host", t("gate.host"), hostSearch, { required: true }),
    purpose: field("purpose", t("gate.purpose"), purpose, { required: needs("purpose") }),
    party_size: field("party_size", t("gate.party_size"), party, { required: true }),
    plate: field("plate", t("gate.plate"), plate, {
      required: needs("plate"), hint: settings.vehicles_allowed ? null : t("gate.vehicles_not_allowed"),
    }),
    badge: field("badge", t("gate.badge"), badge, { required: needs("badge") }),
    expected_stay: field("expected_stay", t("gate.expected_stay"), stay, { required: needs("expected_stay") }),
  };
  fields.host.box.append(hostChosen, hostList);
  const vehicleBox = h("div", { class: "gate-check" }, vehicle, h("label", { for: "gate-vehicle" }, t("gate.has_vehicle")));
  const repeat = h("p", { class: "note", "data-testid": "gate-repeat", role: "status", hidden: true });
  const message = h("p", { class: "warn", "data-testid": "gate-form-message", role: "alert" });
  const watchBox = h("section", { class: "card gate-watch", "data-testid": "gate-watch", hidden: true });

  let host = null;
  let visitorKey = null;
  let attempted = false;

  const drawHosts = () => {
    const wanted = hostSearch.value.trim().toLowerCase();
    const found = people.filter((p) => !wanted || p.name.toLowerCase().includes(wanted)).slice(0, HOSTS_SHOWN);
    hostChosen.textContent = host ? t("gate.host_chosen", { name: host.name }) : "";
    hostList.replaceChildren(...(host && !wanted ? [] : found.map((p) =>
      h("li", {}, h("button", {
        type: "button", class: "wide plain gate-host", "data-testid": "gate-host-option", "data-id": p.id,
        onclick: () => {
          host = p;
          hostSearch.value = "";
          drawHosts();
          check();
        },
      }, p.name)))));
  };

  const showKind = () => {
    const none = kind.value === "none";
    fields.id_number.box.hidden = none;
    fields.no_document_reason.box.hidden = !none;
  };
  const showVehicle = () => {
    fields.plate.box.hidden = !vehicle.checked;
  };

  // The number's keyed hash, once it is a plausible number of its kind: a repeat visitor
  // fills what is still empty, a watched one is said at once.
  const lookUp = () => {
    visitorKey = null;
    repeat.hidden = true;
    const document = checkDocument(kind.value, number.value, { today, reason: reason.value });
    if (!key || document.faults.length || !document.value) return;
    visitorKey = idKey(kind.value, document.value, key);
    const mine = own.find((v) => v.id_key === visitorKey);
    const pulled = known.find((v) => v.id_key === visitorKey);
    const found = [mine, pulled].filter(Boolean).sort((a, b) => (b.last_visit_at ?? "").localeCompare(a.last_visit_at ?? ""))[0];
    if (found) {
      const fill = (el, value) => {
        if (!el.value && value) el.value = value;
      };
      fill(name, found.name);
      fill(organisation, found.organisation);
      fill(phone, mine?.phone);
      if (found.plate) {
        fill(plate, found.plate);
        vehicle.checked = true;
        showVehicle();
      }
      repeat.textContent = t("gate.repeat_visitor", { name: found.name });
      repeat.hidden = false;
    }
  };

  // What is wrong, field by field (shown once the person tried to save).
  function problems() {
    const found = {};
    if (!name.value.trim()) found.name = t("gate.required");
    const document = checkDocument(kind.value, number.value, { today, reason: reason.value });
    if (kind.value === "none") {
      if (document.faults.length) found.no_document_reason = t(`refusal.${document.faults[0]}`);
    } else if (number.value.trim()) {
      if (document.faults.length) found.id_number = document.faults.map((f) => t(`refusal.${f}`)).join("；");
    } else if (needs("id_number")) found.id_number = t("gate.required");
    if (phone.value.trim()) {
      const checked = checkPhone(phone.value);
      if (checked.faults.length) found.phone = t(`refusal.${checked.faults[0]}`);
    } else if (needs("phone")) found.phone = t("gate.required");
    if (!host) found.host = t("gate.choose_host");
    for (const [name_, el] of [["organisation", organisation], ["purpose", purpose], ["badge", badge]]) {
      if (needs(name_) && !el.value.trim()) found[name_] = t("gate.required");
    }
    const size = Number(party.value);
    if (!Number.isInteger(size) || size < 1 || size > 500) found.party_size = t("gate.party_size_range");
    if (vehicle.checked && plate.value.trim()) {
      const checked = checkPlate(plate.value);
      if (checked.faults.length) found.plate = t(`refusal.${checked.faults[0]}`);
    } else if (needs("plate") && vehicle.checked) found.plate = t("gate.required");
    if (needs("expected_stay") && !stay.value) found.expected_stay = t("gate.required");
    return found;
  }

  function check() {
    const found = problems();
    for (const [id, part] of Object.entries(fields)) part.problem.textContent = attempted ? (found[id] ?? "") : "";
    if (attempted) message.textContent = Object.keys(found).length ? t("form.fix_problems", { count: Object.keys(found).length }) : "";
    return found;
  }

  const managers = people.filter((p) => MANAGER_ROLES.has(p.role));

  // The watchlist: the check-in is kept (the visitor was at the gate) and waits for a
  // manager's word, recorded here as said by phone.
  function askManager(done) {
    const who = h("select", { id: "gate-watch-manager", "data-testid": "gate-watch-manager" },
      h("option", { value: "" }, t("gate.choose_manager")),
      managers.map((m) => h("option", { value: m.id }, m.name)));
    const why = h("input", { id: "gate-watch-reason", "data-testid": "gate-watch-reason", maxlength: 500 });
    const said = h("p", { class: "warn", role: "alert" });
    const decide = (decision) => {
      if (!who.value) {
        said.textContent = t("gate.choose_manager");
        return;
      }
      done({ decision, by_id: who.value, reason: why.value.trim() });
    };
    watchBox.replaceChildren(
      h("h2", { class: "warn" }, t("gate.watch_title")),
      h("p", {}, t("gate.watch_hint")),
      h("label", { for: "gate-watch-manager" }, t("gate.watch_manager")), who,
      h("label", { for: "gate-watch-reason" }, t("gate.watch_reason")), why,
      h("div", { class: "row" },
        h("button", { type: "button", class: "wide", "data-testid": "gate-watch-admit", onclick: () => decide("admit") }, t("gate.watch_admit")),
        h("button", { type: "button", class: "wide plain", "data-testid": "gate-watch-deny", onclick: () => decide("deny") }, t("gate.watch_deny"))),
      said);
    watchBox.hidden = false;
    watchBox.scrollIntoView({ block: "start" });
  }

  async function save(watchDecision = null) {
    const now = new Date().toISOString();
    const visitId = store.uuid7();
    const document = checkDocument(kind.value, number.value, { today, reason: reason.value });
    const phoneValue = phone.value.trim() ? checkPhone(phone.value).value : null;
    const plateValue = vehicle.checked && plate.value.trim() ? checkPlate(plate.value).value : null;
    const stayMinutes = stay.value ? Number(stay.value) : null;
    const matched = Boolean(visitorKey && watched.has(visitorKey));
    const body = {
      id: store.uuid7(),
      visit_id: visitId,
      site_id: siteId,
      name: name.value.trim(),
      id_type: kind.value,
      id_number: kind.value === "none" ? "" : (document.value ?? ""),
      no_document_reason: kind.value === "none" ? reason.value.trim() : "",
      phone: phoneValue,
      organisation: organisation.value.trim(),
      host_id: host.id,
      purpose: purpose.value.trim(),
      party_size: Number(party.value),
      plate: plateValue,
      badge: badge.value.trim() || null,
      expected_stay_minutes: stayMinutes,
      checked_in_at: now,
    };
    // Sent only when true: a server without the watchlist knows no such field.
    if (matched) body.watch_match = true;
    await store.enqueue({ type: "visit.checked_in", opId: body.id, occurredAt: now, body });
    const idMasked = document.value ? maskId(document.value, settings.id_mask) : null;
    const journal = {
      id: visitId,
      site_id: siteId,
      visitor: body.name,
      id_type: body.id_type,
      id_masked: idMasked,
      phone: phoneValue,
      organisation: body.organisation,
      purpose: body.purpose,
      party_size: body.party_size,
      plate: plateValue,
      badge: body.badge,
      host: { id: host.id, name: host.name },
      checked_in_at: now,
      expected_stay_minutes: stayMinutes,
      watch: matched ? "match" : "none",
    };
    if (watchDecision) {
      const opId = store.uuid7();
      const decidedAt = new Date().toISOString();
      await store.enqueue({
        type: "visit.watch_decided", opId, occurredAt: decidedAt,
        body: { id: opId, visit_id: visitId, site_id: siteId, decision: watchDecision.decision, channel: "phone",
          by_id: watchDecision.by_id, decided_at: decidedAt, reason: watchDecision.reason },
      });
      journal.watch = watchDecision.decision === "admit" ? "admitted" : "denied";
      journal.watch_decided_by = managers.find((m) => m.id === watchDecision.by_id) ?? null;
    }
    await keepJournal(journal);
    if (visitorKey) {
      await keepVisitor({
        id_key: visitorKey, name: body.name, id_type: body.id_type, id_masked: idMasked,
        organisation: body.organisation, phone: phoneValue, plate: plateValue, last_visit_at: now,
      });
    }
    await go(`/app/visits/${visitId}?new=1`);
    const { requestSync } = await import("./nav.js");
    requestSync();
  }

  const submit = h("button", { type: "submit", class: "wide gate-submit", "data-testid": "gate-submit" }, t("gate.submit"));
  const form = h("form", { class: "card gate-form", "data-testid": "gate-checkin", novalidate: true },
    h("h1", {}, t("gate.check_in")),
    repeat,
    fields.name.box, fields.id_type.box, fields.id_number.box, fields.no_document_reason.box,
    fields.phone.box, fields.organisation.box, fields.host.box, fields.purpose.box,
    fields.party_size.box, vehicleBox, fields.plate.box, fields.badge.box, fields.expected_stay.box,
    message, submit);
  form.addEventListener("input", () => check());
  kind.addEventListener("change", () => {
    showKind();
    lookUp();
    check();
  });
  number.addEventListener("change", lookUp);
  number.addEventListener("blur", lookUp);
  vehicle.addEventListener("change", () => {
    showVehicle();
    check();
  });
  hostSearch.addEventListener("input", drawHosts);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    attempted = true;
    lookUp();
    const found = check();
    if (Object.keys(found).length) {
      form.querySelector(`[data-field="${Object.keys(found)[0]}"]`)?.scrollIntoView({ block: "center" });
      return;
    }
    submit.disabled = true;
    if (visitorKey && watched.has(visitorKey)) {
      askManager((decision) => save(decision));
      submit.disabled = false;
      return;
    }
    await save();
  });
  showKind();
  showVehicle();
  drawHosts();
  show(view, form, watchBox, backButton(`/app/gate?site=${siteId}`));
}
