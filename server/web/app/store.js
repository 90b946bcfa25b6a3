// The phone's data, in IndexedDB: the device's credentials (meta, also the outbox's
// device_seq counter and HLC), one pull cursor per scope, the pulled records, the outbox of
// ops waiting to be pushed, the ops the server refused (kept for the person to see),
// checklist drafts, and the photos and signatures (blobs) waiting to be uploaded.
//
// A pulled page and its cursor are written in one transaction, so a crash between the two
// cannot leave a cursor past changes that were never stored (sync/PROTOCOL.md).

const NAME = "roundkeeper";
const VERSION = 3;
const STORES = ["meta", "cursors", "records", "outbox", "refused", "drafts", "blobs"];

let opened = null;

// The ids of the records and ops the phone makes, UUIDv7 (RFC 9562): 48 bits of Unix
// milliseconds, version 7, 74 random bits, variant 10.
export function uuid7(now = Date.now()) {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function openStore() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      if (event.oldVersion < 1) createVersion1(db);
      if (event.oldVersion < 2) {
        db.createObjectStore("refused", { keyPath: "op.op_id" });
        db.createObjectStore("drafts");
        // {sha256, site_id, type, data (ArrayBuffer), queued}: queued once its record is
        // submitted.
        db.createObjectStore("blobs", { keyPath: "sha256" });
      }
      if (event.oldVersion < 3) indexWaitingBlobs(request.transaction.objectStore("blobs"));
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

// Version 3: queued blobs also carry `waiting: 1`, indexed, so counting the photos waiting
// does not read every photo's bytes (blobs without it are not in the index).
function indexWaitingBlobs(blobs) {
  blobs.createIndex("waiting", "waiting");
  blobs.openCursor().onsuccess = (event) => {
    const cursor = event.target.result;
    if (!cursor) return;
    if (cursor.value.queued) cursor.update(withWaiting(cursor.value));
    cursor.continue();
  };
}

function withWaiting(blob) {
  const { waiting, ...rest } = blob;
  return rest.queued ? { ...rest, waiting: 1 } : rest;
}

function createVersion1(db) {
  db.createObjectStore("meta");
  db.createObjectStore("cursors");
  const records = db.createObjectStore("records", { keyPath: "key" });
  records.createIndex("scope", "scope");
  records.createIndex("scope_entity", ["scope", "entity"]);
  records.createIndex("lookup", ["entity", "lookup"]);
  db.createObjectStore("outbox", { keyPath: "device_seq" });
}

function finished(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("transaction aborted"));
  });
}

function result(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function read(store, fn) {
  const db = await openStore();
  return result(fn(db.transaction(store, "readonly").objectStore(store)));
}

export const getMeta = (key) => read("meta", (s) => s.get(key));
export const allCursors = async () => {
  const db = await openStore();
  const store = db.transaction("cursors", "readonly").objectStore("cursors");
  const [keys, values] = await Promise.all([result(store.getAllKeys()), result(store.getAll())]);
  return Object.fromEntries(keys.map((k, i) => [k, values[i]]));
};
export const outboxCount = () => read("outbox", (s) => s.count());

export async function setMeta(values) {
  const db = await openStore();
  const tx = db.transaction("meta", "readwrite");
  for (const [key, value] of Object.entries(values)) tx.objectStore("meta").put(value, key);
  return finished(tx);
}

function deleteScope(records, scope) {
  const cursorRequest = records.index("scope").openKeyCursor(IDBKeyRange.only(scope));
  cursorRequest.onsuccess = () => {
    const cursor = cursorRequest.result;
    if (cursor) {
      records.delete(cursor.primaryKey);
      cursor.continue();
    }
  };
}

function recordKey(scope, entity, id) {
  return `${scope}|${entity}|${id}`;
}

// Applies one scope's page of a pull and saves its cursor, all or nothing.
export async function applyPage(page) {
  const db = await openStore();
  const tx = db.transaction(["records", "cursors"], "readwrite");
  const records = tx.objectStore("records");
  const cursors = tx.objectStore("cursors");
  const scope = page.scope;
  if (page.status === "removed") {
    deleteScope(records, scope);
    cursors.delete(scope);
  } else if (page.status === "reset") {
    // Start the scope again from a snapshot; the outbox is not touched.
    deleteScope(records, scope);
    cursors.put(null, scope);
  } else {
    for (const change of page.changes) {
      const key = recordKey(scope, change.entity, change.id);
      if (change.op === "del") {
        records.delete(key);
        continue;
      }
      // Tags are found by their code, inspections by the thing inspected (its target page).
      const lookup = change.entity === "tag" ? change.data.code
        : change.entity === "inspection" ? (change.data.asset_id ?? change.data.location_id) : undefined;
      const record = { key, scope, entity: change.entity, id: change.id, version: change.version };
      record.data = change.data;
      if (lookup !== undefined) record.lookup = lookup;
      records.put(record);
    }
    cursors.put(page.cursor, scope);
  }
  return finished(tx);
}

export async function getRecord(scope, entity, id) {
  const record = await read("records", (s) => s.get(recordKey(scope, entity, id)));
  return record?.data;
}

export async function recordsOf(scope, entity) {
  const found = await read("records", (s) =>
    s.index("scope_entity").getAll(IDBKeyRange.only([scope, entity])),
  );
  return found.map((r) => r.data);
}

// A tag by its canonical code, with the scope (site) it came from.
export async function findTag(code) {
  const found = await read("records", (s) =>
    s.index("lookup").getAll(IDBKeyRange.only(["tag", code])),
  );
  return found.length ? { scope: found[0].scope, tag: found[0].data } : null;
}

export async function clearAll() {
  const db = await openStore();
  const tx = db.transaction(STORES, "readwrite");
  for (const name of STORES) tx.objectStore(name).clear();
  return finished(tx);
}

// --- drafts, the outbox and blobs -------------------------------------------------------

export const getDraft = (key) => read("drafts", (s) => s.get(key));
export async function putDraft(key, draft) {
  const db = await openStore();
  const tx = db.transaction("drafts", "readwrite");
  tx.objectStore("drafts").put(draft, key);
  return finished(tx);
}

export async function putBlob(blob) {
  const db = await openStore();
  const tx = db.transaction("blobs", "readwrite");
  tx.objectStore("blobs").put(withWaiting(blob));
  return finished(tx);
}
export const getBlob = (sha256) => read("blobs", (s) => s.get(sha256));

function next(hlc, deviceId, now) {
  const wall = Math.max(now, hlc?.wall ?? 0);
  const counter = hlc && wall === hlc.wall ? hlc.counter + 1 : 0;
  return { wall, counter, text: formatHlc(wall, counter, deviceId) };
}

// The canonical HLC string of sync/hlc.py: WALL-COUNTER-NODE.
export function formatHlc(wall, counter, node) {
  return `${String(wall).padStart(13, "0")}-${counter.toString(16).padStart(4, "0")}-${node}`;
}

// Puts an op into the outbox: its device_seq (from 1, no gaps) and HLC are assigned here, in
// the same transaction that removes the draft and queues the op's photos for upload.
export async function enqueue({ type, v = 1, opId, occurredAt, body, draftKey, blobs = [] }) {
  const db = await openStore();
  const tx = db.transaction(["meta", "outbox", "drafts", "blobs"], "readwrite");
  const meta = tx.objectStore("meta");
  const outbox = tx.objectStore("outbox");
  const [device, seq, hlc, waiting] = await Promise.all([
    ...["device", "device_seq", "hlc"].map((key) => result(meta.get(key))),
    result(outbox.getAll()),
  ]);
  // One op per record: the same record (its id, the form's draft id) saved again while its
  // op is still waiting is that op, not a second one the server would refuse as a conflict.
  const same = waiting.find(({ op }) =>
    op && (op.op_id === opId || (body?.id && op.type === type && op.body?.id === body.id)));
  if (same) {
    if (draftKey) tx.objectStore("drafts").delete(draftKey);
    await finished(tx);
    return same.op;
  }
  const stamp = next(hlc, device.deviceId, Date.now());
  const deviceSeq = (seq ?? 0) + 1;
  meta.put(deviceSeq, "device_seq");
  meta.put({ wall: stamp.wall, counter: stamp.counter }, "hlc");
  const op = { type, v, op_id: opId, device_seq: deviceSeq, hlc: stamp.text, occurred_at: occurredAt, body };
  outbox.put({ device_seq: deviceSeq, op });
  if (draftKey) tx.objectStore("drafts").delete(draftKey);
  const store = tx.objectStore("blobs");
  for (const sha256 of blobs) {
    const blob = await result(store.get(sha256));
    if (blob) store.put(withWaiting({ ...blob, queued: true }));
  }
  await finished(tx);
  return op;
}

// A phone enrolled again gets a new device id, whose numbering starts at 1: the ops still
// waiting are numbered again from 1 and stamped with the new device's HLC node.
export async function renumberOutbox(deviceId) {
  const db = await openStore();
  const tx = db.transaction(["meta", "outbox"], "readwrite");
  const outbox = tx.objectStore("outbox");
  const waiting = await result(outbox.getAll());
  outbox.clear();
  let seq = 0;
  for (const record of waiting) {
    seq += 1;
    if (record.op) {
      const [wall, counter] = record.op.hlc.split("-");
      record.op = { ...record.op, device_seq: seq, hlc: `${wall}-${counter}-${deviceId}` };
    }
    outbox.put({ ...record, device_seq: seq });
  }
  tx.objectStore("meta").put(seq, "device_seq");
  return finished(tx);
}

export async function receiveHlc(serverHlc) {
  const wall = Number(serverHlc.split("-")[0]);
  const db = await openStore();
  const tx = db.transaction("meta", "readwrite");
  const meta = tx.objectStore("meta");
  const hlc = await result(meta.get("hlc"));
  if (!hlc || wall > hlc.wall) meta.put({ wall, counter: 0 }, "hlc");
  return finished(tx);
}

export async function waitingOps(limit) {
  const found = await read("outbox", (s) => s.getAll(null, limit));
  return found;
}

// Removes ops the server answered for good; refused ones move to `refused` with their code.
export async function settleOps(settled) {
  const db = await openStore();
  const tx = db.transaction(["outbox", "refused", "meta"], "readwrite");
  for (const { record, answer } of settled) {
    tx.objectStore("outbox").delete(record.device_seq);
    if (answer.status === "rejected" || answer.status === "conflict") {
      tx.objectStore("refused").put({ op: keptRefused(record.op), ...answer, at: new Date().toISOString() });
    }
  }
  keepStepOutcomes(tx.objectStore("meta"), settled);
  return finished(tx);
}

// A refused visitor check-in is kept for the person to read without the visitor's
// document number: the device keeps no whole ID number once the op has left the outbox.
function keptRefused(op) {
  if (op?.type !== "visit.checked_in" || !op.body?.id_number) return op;
  const number = String(op.body.id_number);
  const shown = number.length > 8 ? `${number.slice(0, 4)}${"*".repeat(number.length - 8)}${number.slice(-4)}` : "*".repeat(number.length);
  return { ...op, body: { ...op.body, id_number: shown } };
}

export const refusedOps = () => read("refused", (s) => s.getAll());
export const refusedCount = () => read("refused", (s) => s.count());

export const queuedBlobs = () => read("blobs", (s) => s.index("waiting").getAll());

// Counted through the index: no photo's bytes are read.
export const blobsWaiting = () => read("blobs", (s) => s.index("waiting").count());

export async function deleteBlob(sha256) {
  const db = await openStore();
  const tx = db.transaction("blobs", "readwrite");
  tx.objectStore("blobs").delete(sha256);
  return finished(tx);
}

// --- how the steps of corrective actions went --------------------------------------------

const STEP_OUTCOMES = 100;

// The server's answers to the last action steps (`action.transitioned`), oldest first, kept
// in meta with the ops they answer: applied, applied alongside a change made meanwhile
// (parallel), or refused with the action as it stands (current).
function keepStepOutcomes(meta, settled) {
  const steps = settled.filter(({ record }) => record.op?.type === "action.transitioned");
  if (!steps.length) return;
  const request = meta.get("step_outcomes");
  request.onsuccess = () => {
    const kept = request.result ?? [];
    const at = new Date().toISOString();
    for (const { record, answer } of steps) {
      const { body } = record.op;
      kept.push({
        op_id: record.op.op_id,
        action_id: body.action_id,
        transition: body.transition,
        base_version: body.base_version,
        status: answer.status,
        parallel: answer.parallel ?? false,
        code: answer.code ?? null,
        detail: answer.detail ?? null,
        current: answer.current ?? null,
        at,
      });
    }
    meta.put(kept.slice(-STEP_OUTCOMES), "step_outcomes");
  };
}

export const stepOutcomes = async () => (await getMeta("step_outcomes")) ?? [];

// --- reads for one page ------------------------------------------------------------------

// A place and the places above it, nearest first, read in one transaction (a page needs
// the path of one target, not the site's whole list of places).
export async function ancestors(scope, locationId) {
  if (!locationId) return [];
  const db = await openStore();
  const records = db.transaction("records", "readonly").objectStore("records");
  const found = [];
  const seen = new Set();
  for (let id = locationId; id && !seen.has(id); ) {
    seen.add(id);
    const record = await result(records.get(recordKey(scope, "location", id)));
    if (!record) break;
    found.push(record.data);
    id = record.data.parent_id;
  }
  return found;
}

// --- one tab at a time -------------------------------------------------------------------

// Runs fn while holding the named lock across every tab of the app (Web Locks API), so two
// tabs never send the same waiting record or apply the same pulled page; the other tab
// waits, then reads the store as the first one left it. Browsers without the API run fn.
export function exclusive(name, fn) {
  if (!navigator.locks) return fn();
  return navigator.locks.request(`roundkeeper-${name}`, () => fn());
}

// --- a thing's inspections -----------------------------------------------------------------

// The pulled inspections of one asset or place (by its id), for its target page: read by
// the lookup index, never the site's whole list.
export async function inspectionsOf(targetId) {
  if (!targetId) return [];
  const found = await read("records", (s) =>
    s.index("lookup").getAll(IDBKeyRange.only(["inspection", targetId])),
  );
  return found.map((r) => r.data);
}

// Everything the target page of one tag shows, read in one transaction: the tag by its
// code, its asset or place and the places above it, the asset's keeper, the site's
// templates, own rules (site_checklist) and findings, and the thing's inspections still in
// the outbox (`waiting`, their bodies: their failures are problems before they are sent).
// Null for a code this phone has not pulled. A form opened on the tag
// (`{surroundings: false}`) needs only the thing and the checklists: the places above it,
// its keeper, the findings and the outbox are not read.
export async function targetRecords(code, { surroundings = true } = {}) {
  const db = await openStore();
  const tx = db.transaction(surroundings ? ["records", "outbox"] : "records", "readonly");
  const records = tx.objectStore("records");
  const [hit] = await result(records.index("lookup").getAll(IDBKeyRange.only(["tag", code]), 1));
  if (!hit) return null;
  const { scope, data: tag } = hit;
  const one = async (entity, id) =>
    id ? ((await result(records.get(recordKey(scope, entity, id))))?.data ?? null) : null;
  const all = async (entity) =>
    (await result(records.index("scope_entity").getAll(IDBKeyRange.only([scope, entity])))).map((r) => r.data);
  const [asset, location, templates, overrides, findings] = await Promise.all([
    one("asset", tag.asset_id),
    one("location", tag.location_id),
    all("template"),
    all("site_checklist"),
    surroundings ? all("finding") : [],
  ]);
  if (!surroundings) {
    return { scope, tag, asset, location, locations: [], keeper: null, templates, overrides, findings, waiting: [] };
  }
  const keeper = one("person", asset?.keeper_id);
  const queued = result(tx.objectStore("outbox").getAll());
  const locations = [];
  for (let id = asset ? asset.location_id : location?.parent_id; id; ) {
    const place = await one("location", id);
    if (!place || locations.includes(place)) break;
    locations.push(place);
    id = place.parent_id;
  }
  const waiting = (await queued)
    .map((record) => record.op)
    .filter((op) => op?.type === "inspection.submitted")
    .map((op) => op.body)
    .filter((body) => (tag.asset_id ? body.asset_id === tag.asset_id : !body.asset_id && body.location_id === tag.location_id));
  return { scope, tag, asset, location, locations, keeper: await keeper, templates, overrides, findings, waiting };
}

export async function deleteDraft(key) {
  const db = await openStore();
  const tx = db.transaction("drafts", "readwrite");
  tx.objectStore("drafts").delete(key);
  return finished(tx);
}

// A refused op the person has read and let go.
export async function dismissRefused(opId) {
  const db = await openStore();
  const tx = db.transaction("refused", "readwrite");
  tx.objectStore("refused").delete(opId);
  return finished(tx);
}
