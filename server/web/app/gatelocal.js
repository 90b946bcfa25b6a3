// The gate device's own data: the gate feeds it pulls (scope `{site}/gate`: gate settings,
// visits, known visitors, watch keys, passes, pick-up cards), the site's people (the host
// list), and its own journal of the visits it registered, kept so that a visit checked in
// offline can be approved, printed and checked out before the server has heard of it.
//
// The journal (IndexedDB `drafts`, keys `gate:visit:{id}` and `gate:visitor:{id_key}`)
// holds the masked ID number, never the whole one: the whole number travels only in the
// `visit.checked_in` op, which leaves the outbox once the server has it.

import { roleAt } from "./roles.js";
import * as store from "./store.js";

export const GATE_ROLES = new Set(["gatekeeper", "admin", "manager"]);
export const MANAGER_ROLES = new Set(["admin", "manager"]);
const VISIT = "gate:visit:";
const VISITOR = "gate:visitor:";

export const DEFAULT_SETTINGS = {
  required_fields: ["phone", "purpose"],
  id_mask: "6+4",
  retention_days: 180,
  sign_before_checkout: false,
  closing_time: "18:00",
  vehicles_allowed: false,
  overstay_minutes: 240,
  lookup_key: null,
};

export const gateScope = (siteId) => `${siteId}/gate`;

// The sites where the person works the gate.
export function gateSites(user) {
  return (user?.sites ?? []).filter((s) => GATE_ROLES.has(s.role));
}

export function isManagerAt(user, siteId) {
  return MANAGER_ROLES.has(roleAt(user, siteId));
}

export async function settingsOf(siteId) {
  const pulled = await store.getRecord(gateScope(siteId), "gate_settings", siteId);
  return { ...DEFAULT_SETTINGS, ...(pulled ?? {}) };
}

// The site's active people, by name, for choosing a host (the `person` feed every member
// pulls).
export async function peopleOf(siteId) {
  const people = await store.recordsOf(siteId, "person");
  return people.filter((p) => p.active !== false).sort((a, b) => a.name.localeCompare(b.name, "zh-CN"));
}

async function drafts(prefix) {
  const db = await store.openStore();
  const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
  return new Promise((resolve, reject) => {
    const request = db.transaction("drafts", "readonly").objectStore("drafts").getAll(range);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export const journalOf = (visitId) => store.getDraft(`${VISIT}${visitId}`);
export const keepJournal = (entry) => store.putDraft(`${VISIT}${entry.id}`, entry);
export const ownVisitors = () => drafts(VISITOR);
export const keepVisitor = (entry) => store.putDraft(`${VISITOR}${entry.id_key}`, entry);

// A visit as this device knows it: the server's judgement where it was pulled, with what
// this device recorded since and has not yet seen come back.
export function merged(pulled, own) {
  if (!own) return pulled ? { ...pulled, local: false } : null;
  const visit = { ...(pulled ?? own), local: !pulled };
  for (const key of ["approved_at", "refused_at", "checked_out_at", "entered_at", "signed_at"]) {
    visit[key] = pulled?.[key] ?? own[key] ?? null;
  }
  visit.refusal_reason = pulled?.refusal_reason || own.refusal_reason || "";
  visit.decided_by = pulled?.decided_by ?? own.decided_by ?? null;
  visit.watch = pulled?.watch && pulled.watch !== "none" ? pulled.watch : (own.watch ?? pulled?.watch ?? "none");
  visit.state = stateOf(visit);
  visit.phone = own.phone ?? null;
  return visit;
}

// visits.py's states, for a visit this device holds facts of.
export function stateOf(visit) {
  if (visit.checked_out_at) return "left";
  if (visit.refused_at && !visit.approved_at) return "refused";
  if (visit.watch === "denied") return "refused";
  if (visit.watch === "match") return "pending";
  if (visit.approved_at) return visit.checked_in_at ? "inside" : "approved";
  return "pending";
}

// A journal entry the server's copy has caught up with (the visit over, by the same
// facts) is dropped: the pulled record is the visit from then on. A repeat visitor's
// entry goes after the site's retention period, as the server's register does.
async function forget(pulled, own, retentionDays) {
  const done = own.filter((v) => {
    const server = pulled.get(v.id);
    return server && ["left", "refused"].includes(server.state) &&
      (!v.checked_out_at || server.checked_out_at) && (!v.refused_at || server.refused_at);
  });
  const cutoff = new Date(Date.now() - retentionDays * 86_400_000).toISOString();
  const old = (await ownVisitors()).filter((v) => (v.last_visit_at ?? "") < cutoff);
  for (const v of done) await store.deleteDraft(`${VISIT}${v.id}`);
  for (const v of old) await store.deleteDraft(`${VISITOR}${v.id_key}`);
  return new Set(done.map((v) => v.id));
}

export async function visitsOf(siteId) {
  const [pulled, all, settings] = await Promise.all([
    store.recordsOf(gateScope(siteId), "visit"), drafts(VISIT), settingsOf(siteId),
  ]);
  const own = all.filter((v) => v.site_id === siteId);
  const gone = await forget(new Map(pulled.map((v) => [v.id, v])), own, settings.retention_days);
  const mine = new Map(own.filter((v) => !gone.has(v.id)).map((v) => [v.id, v]));
  const found = pulled.map((v) => merged(v, mine.get(v.id)));
  for (const [id, v] of mine) if (!pulled.some((p) => p.id === id)) found.push(merged(null, v));
  return found;
}

// One visit, at whichever of the person's gate sites it is.
export async function findVisit(user, visitId) {
  const own = await journalOf(visitId);
  for (const site of gateSites(user)) {
    const pulled = await store.getRecord(gateScope(site.site_id), "visit", visitId);
    if (pulled || own?.site_id === site.site_id) return merged(pulled ?? null, own);
  }
  return null;
}

// Records a fact of a visit: the op for the server, and the journal so the screens show it
// at once.
export async function recordFact(visit, type, body, journal) {
  const opId = store.uuid7();
  await store.enqueue({ type, opId, occurredAt: journal.at, body: { id: opId, visit_id: visit.id, site_id: visit.site_id, ...body } });
  const own = (await journalOf(visit.id)) ?? stripped(visit);
  await keepJournal({ ...own, ...journal.fields });
}

// A pulled visit kept in the journal: the server's fields, never a number.
function stripped(visit) {
  const { local, ...rest } = visit;
  return rest;
}
