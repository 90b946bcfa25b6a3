// The phone's data, in IndexedDB: the device's credentials (meta), one pull cursor per
// scope, the pulled records, and the outbox of records waiting to be pushed.
//
// A pulled page and its cursor are written in one transaction, so a crash between the two
// cannot leave a cursor past changes that were never stored (sync/PROTOCOL.md).

const NAME = "roundkeeper";
const VERSION = 1;
const STORES = ["meta", "cursors", "records", "outbox"];

let opened = null;

export function openStore() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("meta");
      db.createObjectStore("cursors");
      const records = db.createObjectStore("records", { keyPath: "key" });
      records.createIndex("scope", "scope");
      records.createIndex("scope_entity", ["scope", "entity"]);
      records.createIndex("lookup", ["entity", "lookup"]);
      db.createObjectStore("outbox", { keyPath: "device_seq" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
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
      const lookup = change.entity === "tag" ? change.data.code : undefined;
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
