// Sending what the phone made: the outbox's ops in device_seq order (sync/PROTOCOL.md), then
// the photos, separately, so a photo that fails never holds back a record.

import * as api from "./api.js";
import * as store from "./store.js";

export const BATCH = 50;
const MAX_ROUNDS = 1000;
const MAX_GAP_RECOVERIES = 3;

export class GapError extends Error {}

// Pushes the outbox to the end. Ops answered with a final status leave the outbox (refused
// ones are kept in `refused` with their code); at a gap, sending starts again after the
// server's last_applied_seq. Returns {pushed, refused}; concurrent callers share one push,
// and another tab's push waits for this one (the outbox is read inside the lock).
let running = null;
export function pushAll() {
  running ??= store.exclusive("push", pushToTheEnd).finally(() => {
    running = null;
  });
  return running;
}

async function pushToTheEnd() {
  let pushed = 0;
  let refused = 0;
  let gaps = 0;
  // Read inside the lock: another tab may have logged out or in meanwhile.
  const device = await store.getMeta("device");
  if (!device) return { pushed, refused };
  const { token, deviceId } = device;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const waiting = await store.waitingOps(BATCH);
    if (!waiting.length) break;
    const answer = await api.push(token, deviceId, waiting.map((r) => r.op));
    const bySeq = new Map(waiting.map((r) => [r.device_seq, r]));
    const settled = [];
    let gap = false;
    for (const result of answer.results) {
      const record = bySeq.get(result.device_seq);
      if (!record) continue;
      if (result.status === "gap") {
        gap = true;
        break;
      }
      settled.push({ record, answer: result });
      if (result.status === "rejected" || result.status === "conflict") refused += 1;
      else pushed += 1;
    }
    await store.settleOps(settled);
    await store.receiveHlc(answer.server_hlc);
    if (gap) {
      // The server has everything up to last_applied_seq; what follows it is still here
      // unless the server lost ops this phone already removed, which it cannot repair.
      gaps += 1;
      const first = (await store.waitingOps(1))[0];
      if (gaps > MAX_GAP_RECOVERIES || (first && first.device_seq > answer.last_applied_seq + 1)) {
        throw new GapError(`gap after ${answer.last_applied_seq}`);
      }
    }
  }
  return { pushed, refused };
}

// Uploads every queued photo; one that fails stays queued and the rest still go.
// Returns the number that failed. One tab at a time, as for the push.
export function uploadBlobs() {
  return store.exclusive("blobs", uploadQueued);
}

async function uploadQueued() {
  const device = await store.getMeta("device");
  if (!device) return 0;
  const { token } = device;
  let failed = 0;
  let lastError = null;
  for (const blob of await store.queuedBlobs()) {
    try {
      await api.uploadBlob(token, blob);
      await store.deleteBlob(blob.sha256);
    } catch (error) {
      failed += 1;
      lastError = error;
      if (!(error instanceof api.ApiError)) break;
    }
  }
  if (lastError) throw lastError;
  return failed;
}
