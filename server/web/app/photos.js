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
