// Keeping the phone's copy of reference data fresh: pull every scope until no page says
// has_more, applying each page with its cursor in one transaction (store.applyPage).

import * as api from "./api.js";
import * as store from "./store.js";

const MAX_PAGES = 10000;
let running = null;

// One pull to the end; concurrent callers share it, another tab's pull waits for it and
// then starts from the cursors it saved. Returns the time it finished.
export function pullAll() {
  running ??= store.exclusive("pull", async () => {
    try {
      // Read inside the lock: another tab may have logged out or in meanwhile.
      const device = await store.getMeta("device");
      if (!device) return null;
      const { token, deviceId } = device;
      for (let n = 0; n < MAX_PAGES; n++) {
        const cursors = await store.allCursors();
        const answer = await api.pull(token, deviceId, cursors);
        let more = false;
        for (const page of answer.scopes) {
          await store.applyPage(page);
          more ||= page.has_more;
        }
        if (!more) break;
      }
      const at = new Date().toISOString();
      await store.setMeta({ last_sync: at });
      return at;
    } finally {
      running = null;
    }
  });
  return running;
}

// Resolves once no pull is running (whatever its outcome): logging out waits for it, so a
// page arriving late cannot write into the cleared store.
export function idle() {
  return running ? running.then(() => null, () => null) : Promise.resolve(null);
}
