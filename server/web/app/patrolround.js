// A round walked on this phone: its facts (`round.started`, `checkpoint.scanned`,
// `round.finished`, server/patrols/wire.py) go into the outbox like every record, and a
// small record of the round is kept beside them (store.js drafts, "patrol|rounds") so the
// round, its route as it was when it started and its scans survive a reload offline and
// stay on show after they are sent. The outbox is read too: a fact enqueued just before the
// phone died, whose record was never written, still counts.
//
// Progress is worked out here as server/patrols/judging.py counts it (the first scan of a
// checkpoint counts, order only matters in sequence mode); the flags are the server's to
// give and come back in the pulled `patrol_round`.

import * as store from "./store.js";

const KEY = "patrol|rounds";
const TYPES = new Set(["round.started", "checkpoint.scanned", "round.finished"]);
// A round's record is kept two days after it was last touched, once nothing of it waits.
const KEEP_MS = 2 * 86_400_000;

// --- progress (pure) -------------------------------------------------------------------

// `checkpoints`: the route's, in order; `tags`: the codes scanned, in order of scanning;
// `counted`: codes the server already counts (another phone's, or this one's once sent).
// {covered, expected, done (Set of places), left (checkpoints not yet scanned), next (the
// one to go to in sequence mode), finishedLast (the route's last checkpoint is scanned)}
export function progress(route, tags, counted = []) {
  const order = new Map(route.checkpoints.map((c, at) => [c.tag, at]));
  const done = new Set();
  let furthest = -1;
  for (const tag of [...counted, ...tags]) {
    const at = order.get(tag);
    if (at === undefined) continue;
    done.add(at);
    furthest = Math.max(furthest, at);
  }
  const left = route.checkpoints.filter((_, at) => !done.has(at));
  let next = null;
  if (route.mode === "sequence" && left.length) {
    next = left.find((c) => order.get(c.tag) > furthest) ?? left[0];
  }
  return {
    covered: done.size,
    expected: route.checkpoints.length,
    done,
    left,
    next,
    finishedLast: done.has(route.checkpoints.length - 1),
  };
}

// What a new scan of `tag` is, said to the patroller at once: counted, already scanned,
// out of the route's order, or not on this route at all (it is sent all the same).
export function judgeScan(route, tags, counted, tag) {
  const at = route.checkpoints.findIndex((c) => c.tag === tag);
  if (at < 0) return { kind: "off_route", checkpoint: null };
  const before = progress(route, tags, counted);
  const checkpoint = route.checkpoints[at];
  if (before.done.has(at)) return { kind: "duplicate", checkpoint };
  if (route.mode === "sequence" && before.next && before.next.tag !== tag) return { kind: "out_of_order", checkpoint, expected: before.next };
  return { kind: "counted", checkpoint };
}

// The round's state on the phone: not started, in progress, finished (completed when every
// checkpoint was scanned), as the server would judge it once the facts arrive; a scheduled
// round not finished by the end of its grace is judged as it stands.
export function localState(record, now) {
  if (!record?.started_at && !record?.scans?.length) return null;
  const covered = progress(record.route, record.scans.map((s) => s.tag)).covered;
  const over = record.window && now >= record.window.graceEnd;
  if (!record.finished_at && !over) return "in_progress";
  return covered === record.route.checkpoints.length ? "completed" : "incomplete";
}

// --- the kept records ------------------------------------------------------------------

async function all() {
  return (await store.getDraft(KEY)) ?? {};
}

async function save(record) {
  const rounds = await all();
  const now = Date.now();
  const waiting = await waitingRounds();
  for (const [id, kept] of Object.entries(rounds)) {
    if (now - (kept.touched ?? 0) > KEEP_MS && !waiting.has(id)) delete rounds[id];
  }
  rounds[record.round_id] = { ...record, touched: now };
  await store.putDraft(KEY, rounds);
  return rounds[record.round_id];
}

// The ids of the rounds with facts still in the outbox, each with its ops' bodies.
export async function waitingRounds() {
  const found = new Map();
  for (const { op } of await store.waitingOps()) {
    if (!op || !TYPES.has(op.type)) continue;
    if (!found.has(op.body.round_id)) found.set(op.body.round_id, []);
    found.get(op.body.round_id).push(op);
  }
  return found;
}

// Facts in the outbox the record does not hold yet (see the top of the file).
function withWaiting(record, ops) {
  if (!record || !ops?.length) return record;
  const merged = { ...record, scans: [...record.scans] };
  const seen = new Set(merged.scans.map((s) => s.id));
  for (const { type, body } of ops) {
    if (type === "round.started") merged.started_at ??= body.started_at;
    if (type === "round.finished" && !merged.finished_at) {
      merged.finished_at = body.finished_at;
      merged.note = body.note;
    }
    if (type === "checkpoint.scanned" && !seen.has(body.id)) {
      merged.scans.push({ id: body.id, tag: body.tag, method: body.method, at: body.scanned_at });
    }
  }
  merged.scans.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return merged;
}

// The round's record with what waits in the outbox, and whether anything of it waits.
export async function readRound(roundId) {
  const [rounds, waiting] = await Promise.all([all(), waitingRounds()]);
  const ops = waiting.get(roundId);
  return { record: withWaiting(rounds[roundId] ?? null, ops), waiting: Boolean(ops?.length) };
}

// Every kept round, newest first, each {record, waiting}.
export async function keptRounds() {
  const [rounds, waiting] = await Promise.all([all(), waitingRounds()]);
  return Object.values(rounds)
    .map((record) => ({ record: withWaiting(record, waiting.get(record.round_id)), waiting: waiting.has(record.round_id) }))
    .sort((a, b) => (b.record.touched ?? 0) - (a.record.touched ?? 0));
}

// --- the facts -------------------------------------------------------------------------

// What every fact of the round carries, so whichever arrives first names the round.
function roundOf(record) {
  return {
    round_id: record.round_id,
    route_id: record.route_id,
    schedule_id: record.schedule_id ?? null,
    window: record.window?.key ?? null,
  };
}

// The route as the round walks it: kept with the round, so a route changed meanwhile does
// not change the round (a round is judged by the version it started on).
export function routeCopy(route) {
  const keep = ({ tag, name, name_en, checklist, min_gap_seconds, position, radius_m, nfc_serial, asset_id, location_id }) =>
    ({ tag, name, name_en, checklist, min_gap_seconds, position, radius_m, nfc_serial, asset_id, location_id });
  return { id: route.id, name: route.name, name_en: route.name_en, mode: route.mode, version: route.version, checkpoints: route.checkpoints.map(keep) };
}

// Starts a round: `window` is {key, start, end, graceEnd} for a scheduled round (its id
// is roundIdFor's), null for a voluntary one (a new UUIDv7).
export async function startRound({ roundId, siteId, route, scheduleId = null, window = null }) {
  const startedAt = new Date().toISOString();
  const record = {
    round_id: roundId ?? store.uuid7(),
    site_id: siteId,
    route_id: route.id,
    schedule_id: scheduleId,
    window,
    route: routeCopy(route),
    started_at: startedAt,
    scans: [],
    finished_at: null,
    note: "",
  };
  const body = { id: store.uuid7(), ...roundOf(record), route_version: route.version, started_at: startedAt };
  await store.enqueue({ type: "round.started", opId: store.uuid7(), occurredAt: startedAt, body });
  return save(record);
}

// A scan: `how` is {tag, method, nfc_serial, position, accuracy_m, at}. Returns the record.
export async function scanCheckpoint(record, how) {
  const body = {
    id: store.uuid7(),
    ...roundOf(record),
    tag: how.tag,
    method: how.method,
    nfc_serial: how.nfc_serial ?? null,
    position: how.position ?? null,
    accuracy_m: how.accuracy_m ?? null,
    scanned_at: how.at,
  };
  await store.enqueue({ type: "checkpoint.scanned", opId: store.uuid7(), occurredAt: how.at, body });
  const scans = [...record.scans, { id: body.id, tag: how.tag, method: how.method, at: how.at }];
  return save({ ...record, scans });
}

// The patroller's signature under the round, with their note.
export async function finishRound(record, note) {
  const finishedAt = new Date().toISOString();
  const body = { id: store.uuid7(), ...roundOf(record), finished_at: finishedAt, note };
  await store.enqueue({ type: "round.finished", opId: store.uuid7(), occurredAt: finishedAt, body });
  return save({ ...record, finished_at: finishedAt, note });
}
