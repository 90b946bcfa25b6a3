// Photos taken on the phone, for every form that has them: the camera input, a JPEG scaled
// down to MAX_SIDE pixels, kept in IndexedDB's `blobs` under its sha256 (the name the
// server knows it by), thumbnails with a remove button. A kept photo is only queued for
// upload when the record naming it is enqueued (store.enqueue's `blobs`).

import { h } from "./dom.js";
import { t } from "./i18n.js";
import * as store from "./store.js";

export const MAX_SIDE = 1600;

async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function canvasBlob(canvas, type, quality) {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no image"))), type, quality),
  );
}

// A photo as the phone keeps it: a JPEG whose longest side is at most MAX_SIDE pixels.
export async function downscale(file, maxSide = MAX_SIDE) {
  const bitmap = await createImageBitmap(file);
  const ratio = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * ratio));
  canvas.height = Math.max(1, Math.round(bitmap.height * ratio));
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return canvasBlob(canvas, "image/jpeg", 0.85);
}

export async function keepImage(blob, siteId) {
  const data = await blob.arrayBuffer();
  const sha256 = await sha256Hex(data);
  // The same picture already queued with a sent record stays queued.
  const kept = await store.getBlob(sha256);
  if (!kept) await store.putBlob({ sha256, site_id: siteId, type: blob.type, data, queued: false });
  return sha256;
}

// A photo taken away from a form leaves the phone, unless a record waiting to be sent
// names it too.
export async function dropImage(sha256) {
  const kept = await store.getBlob(sha256);
  if (kept && !kept.queued) await store.deleteBlob(sha256);
}

// The photo's thumbnail, or null when it is not on this phone (uploaded and dropped).
export async function thumbnail(sha256) {
  const blob = await store.getBlob(sha256);
  if (!blob) return null;
  const url = URL.createObjectURL(new Blob([blob.data], { type: blob.type }));
  return h("img", { class: "thumb", src: url, alt: "", "data-testid": "thumb" });
}

// Thumbnails of the photos that are still on this phone.
export async function thumbnails(digests) {
  const found = (await Promise.all(digests.map(thumbnail))).filter(Boolean);
  return found.length ? h("div", { class: "thumbs" }, found) : null;
}

// The picker: `photos` the digests already chosen (a draft's), `onChange(digests)` called
// after each change, at most `max` photos. Returns {element, photos()}.
export function photoPicker({ siteId, testId, photos = [], max = 20, onChange = async () => {} }) {
  let chosen = [...photos];
  const list = h("div", { class: "thumbs" });
  const busy = h("span", { class: "muted", "data-testid": `${testId}-busy` });
  // The file input itself is hidden behind a button-like label in the app's language (a
  // browser's own "Choose File" text follows the browser, not the app).
  const input = h("input", {
    type: "file", accept: "image/*", capture: "environment", class: "hidden-input", "data-testid": testId,
  });
  const take = h("label", { class: "take-photo", "data-testid": `${testId}-take` }, t("photos.take"), input);

  const redraw = async () => {
    const boxes = await Promise.all(chosen.map(async (digest) =>
      h("div", { class: "thumb-box" },
        (await thumbnail(digest)) ?? h("span", { class: "muted" }, digest.slice(0, 8)),
        h("button", { type: "button", class: "plain", "data-testid": "remove-photo", "aria-label": t("photos.remove"), onclick: async () => {
          chosen = chosen.filter((d) => d !== digest);
          await onChange([...chosen]);
          await dropImage(digest);
          await redraw();
        } }, "×"))));
    list.replaceChildren(...boxes);
  };

  input.addEventListener("change", async () => {
    busy.textContent = t("form.photo_busy");
    for (const file of input.files) {
      try {
        const digest = await keepImage(await downscale(file), siteId);
        if (!chosen.includes(digest) && chosen.length < max) {
          chosen = [...chosen, digest];
          await onChange([...chosen]);
        }
      } catch {
        busy.textContent = t("form.photo_failed");
        input.value = "";
        return;
      }
    }
    input.value = "";
    busy.textContent = "";
    await redraw();
  });

  redraw();
  return { element: h("div", {}, take, busy, list), photos: () => [...chosen] };
}

// --- photos the server holds ------------------------------------------------------------

// Photos taken on another phone, or on this one and since uploaded: the viewers' copy
// (without location), fetched with the device's token and kept in the Cache API, so a
// photo seen once online is there offline; logging out drops that cache with the rest of
// the phone's data (main.js). The server is asked first which it has, so a photo still
// waiting on the phone that took it is said to be on its way, not fetched and missed.
const PHOTO_CACHE = "rk-photos";
const copyUrl = (sha256) => `/api/blobs/${sha256}`;
const ASKED_AT_ONCE = 100;

async function cachedCopy(sha256) {
  if (!self.caches) return null;
  const hit = await (await caches.open(PHOTO_CACHE)).match(copyUrl(sha256));
  return hit ? hit.blob() : null;
}

// sha256 -> a Blob, or why there is none: "waiting" (not uploaded yet), "offline", "failed".
async function fetchCopies(digests) {
  const found = new Map();
  const device = await store.getMeta("device");
  const get = (path) => fetch(path, {
    headers: { Authorization: `Bearer ${device.token}`, Accept: "application/json" },
    credentials: "omit",
  });
  if (!navigator.onLine || !device) {
    for (const digest of digests) found.set(digest, "offline");
    return found;
  }
  const shown = new Set();
  try {
    // At most ASKED_AT_ONCE names a request, as the server takes (server/blobs/blobs.py).
    for (let start = 0; start < digests.length; start += ASKED_AT_ONCE) {
      const names = digests.slice(start, start + ASKED_AT_ONCE).map((d) => `sha256=${d}`).join("&");
      const asked = await get(`/api/blobs/?${names}`);
      if (!asked.ok) throw new Error(`HTTP ${asked.status}`);
      for (const digest of (await asked.json()).shown) shown.add(digest);
    }
  } catch {
    for (const digest of digests) found.set(digest, navigator.onLine ? "failed" : "offline");
    return found;
  }
  const cache = self.caches ? await caches.open(PHOTO_CACHE) : null;
  await Promise.all(digests.map(async (digest) => {
    if (!shown.has(digest)) return found.set(digest, "waiting");
    try {
      const response = await get(copyUrl(digest));
      if (!response.ok) return found.set(digest, "failed");
      const blob = await response.blob();
      await cache?.put(copyUrl(digest), new Response(blob, { headers: { "Content-Type": blob.type } }));
      found.set(digest, blob);
    } catch {
      found.set(digest, "offline");
    }
  }));
  return found;
}

function shownImage(blob, digest) {
  const url = URL.createObjectURL(blob);
  // A tap shows the photo at the screen's width; another, the thumbnail again.
  const image = h("img", { class: "thumb", src: url, alt: t("photos.alt"), "data-testid": "thumb", "data-sha256": digest });
  image.addEventListener("click", () => image.classList.toggle("thumb-open"));
  return image;
}

function placeholder(digest, reason) {
  return h("span", { class: "thumb photo-missing", "data-testid": "photo-missing", "data-reason": reason, "data-sha256": digest },
    t(`photos.missing_${reason}`));
}

// The photos named by a record, wherever they are: on this phone, in the cache, or on the
// server. Drawn at once, with a placeholder for each photo still being fetched, which its
// photo (or the reason there is none) replaces. Null when there are none.
export async function evidencePhotos(digests) {
  const unique = [...new Set(digests)];
  if (!unique.length) return null;
  const local = await Promise.all(unique.map(async (digest) => {
    const kept = await store.getBlob(digest);
    if (kept) return new Blob([kept.data], { type: kept.type });
    return cachedCopy(digest);
  }));
  const boxes = unique.map((digest, i) => (local[i] ? shownImage(local[i], digest) : placeholder(digest, "loading")));
  const absent = unique.filter((_, i) => !local[i]);
  if (absent.length) {
    fetchCopies(absent).then((found) => {
      for (const [digest, got] of found) {
        const box = boxes[unique.indexOf(digest)];
        box.replaceWith(got instanceof Blob ? shownImage(got, digest) : placeholder(digest, got));
      }
    });
  }
  return h("div", { class: "thumbs" }, boxes);
}
