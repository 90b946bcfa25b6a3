// The scan screen (/app/scan): the rear camera reads a tag's QR and opens its target page.
// Frames are read by the browser's BarcodeDetector where it knows QR codes, otherwise by jsQR
// (THIRD_PARTY.md) in a worker, loaded only when this screen opens so the first load stays
// small (the service worker still keeps it for offline use). Typing the code is always there.
// The camera stops as soon as the screen goes: another screen drawn in its place, the page
// hidden or left.

import { InvalidTagCode, normalizeCode } from "./codes.js";
import { h, show } from "./dom.js";
import { t } from "./i18n.js";
import { backButton, go } from "./nav.js";
import { codeForm } from "./targetpage.js";

const TAG_PATH = /\/t\/([^/]+)\/?$/;
// Between two reads: a phone keeps up and the battery lasts.
const PAUSE_MS = 150;
// Frames are scaled down to this before jsQR reads them: a label fills a good part of the
// picture when it is read, and a smaller frame is read several times faster.
const MAX_SIDE = 640;

// The tag code a QR holds: a tag URL from any host ({PUBLIC_URL}/t/{code}, as qr/urls.py
// code_from_url reads it) or a bare code; null when it is not a Roundkeeper tag.
export function codeFromScan(text) {
  const value = String(text).trim();
  const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(value);
  let path = value;
  if (hasScheme) {
    try {
      path = new URL(value).pathname;
    } catch {
      return null;
    }
  }
  const match = TAG_PATH.exec(path);
  if (!match && hasScheme) return null;
  try {
    return normalizeCode(match ? decodeURIComponent(match[1]) : value);
  } catch (error) {
    if (error instanceof InvalidTagCode || error instanceof URIError) return null;
    throw error;
  }
}

// What went wrong with the camera, for people: the typed form below is the way on.
function cameraProblem(error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return ["denied", t("scan.denied")];
    case "NotFoundError":
    case "OverconstrainedError":
      return ["no_camera", t("scan.no_camera")];
    case "NotReadableError":
    case "AbortError":
      return ["busy", t("scan.busy")];
    default:
      return ["failed", t("scan.failed", { reason: error?.message || String(error) })];
  }
}

async function nativeReader() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    if (!(await BarcodeDetector.getSupportedFormats()).includes("qr_code")) return null;
  } catch {
    return null;
  }
  const detector = new BarcodeDetector({ formats: ["qr_code"] });
  return {
    kind: "native",
    read: async (video) => (await detector.detect(video)).map((found) => found.rawValue),
    close() {},
  };
}

// jsQR in a worker (scanworker.js): the page stays responsive while a frame is read.
function workerReader() {
  const worker = new Worker("/web/app/scanworker.js");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let pending = null;
  let broken = false;
  const settle = (how, value) => {
    const waiting = pending;
    pending = null;
    waiting?.[how](value);
  };
  worker.onmessage = (event) => settle("resolve", event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    broken = true;
    settle("reject", new Error(event.message || "decoder"));
  };
  return {
    kind: "jsqr",
    read(video) {
      if (broken) return Promise.reject(new Error("decoder"));
      const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
      const width = Math.round(video.videoWidth * scale);
      const height = Math.round(video.videoHeight * scale);
      if (!width || !height) return Promise.resolve([]);
      canvas.width = width;
      canvas.height = height;
      context.drawImage(video, 0, 0, width, height);
      const frame = context.getImageData(0, 0, width, height).data.buffer;
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        worker.postMessage({ width, height, frame }, [frame]);
      });
    },
    close() {
      worker.terminate();
      settle("resolve", []);
    },
  };
}

function pause(ms) {
  return new Promise((done) => setTimeout(done, ms));
}

export async function render(view) {
  return cameraScreen(view, { onCode: (code) => go(`/t/${code}`), below: [codeForm(), backButton()] });
}

// The camera's picture and what it read: `onCode(code)` for the first tag code read (the
// camera has stopped by then); `below`, drawn under the picture (the typed way, Back);
// `read(text)`: what a QR's text is to the caller, null when not theirs (a tag's code).
// The patrol round's scanner is this one too (patrolwalk.js).
export async function cameraScreen(view, { onCode, below, title = t("scan.title"), read = codeFromScan }) {
  const video = h("video", { playsinline: true, "data-testid": "scan-video" });
  video.muted = true;
  const frame = h("div", { class: "scan-frame" }, video);
  const message = h("p", { class: "scan-message", "data-testid": "scan-message", role: "status" });
  const camera = h("section", { class: "card" }, h("h1", {}, title), frame, message);
  show(view, camera, ...below);

  let stream = null;
  let reader = null;
  // Each start gets a number; a start that was overtaken (the screen hidden, left or started
  // again meanwhile) lets go of what it opened.
  let run = 0;
  let left = false;
  // After a camera or decoder failure the screen is the typed form: coming back to the page
  // does not try again (opening the screen anew does).
  let gaveUp = false;

  const say = (state, text) => {
    message.dataset.state = state;
    message.className = `scan-message ${["reading", "starting"].includes(state) ? "muted" : "warn"}`;
    message.textContent = text;
  };

  const halt = () => {
    run += 1;
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    reader?.close();
    reader = null;
  };

  const leave = () => {
    if (left) return;
    left = true;
    halt();
    observer.disconnect();
    document.removeEventListener("visibilitychange", onVisibility);
    window.removeEventListener("pagehide", halt);
  };

  const failed = (state, text) => {
    halt();
    gaveUp = true;
    frame.hidden = true;
    say(state, text);
  };

  const scan = async (current) => {
    while (current === run) {
      let texts = [];
      if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) {
        try {
          texts = await reader.read(video);
        } catch {
          if (current === run) failed("decoder_failed", t("scan.decoder_failed"));
          return;
        }
      }
      if (current !== run) return;
      for (const text of texts) {
        const code = read(text);
        if (code) {
          leave();
          await onCode(code);
          return;
        }
      }
      if (texts.length) {
        const shown = texts[0].length > 60 ? `${texts[0].slice(0, 60)}…` : texts[0];
        say("not_a_tag", t("scan.not_a_tag", { text: shown }));
      }
      await pause(PAUSE_MS);
    }
  };

  const start = async () => {
    const current = ++run;
    if (!navigator.mediaDevices?.getUserMedia) {
      failed("no_camera", t(window.isSecureContext ? "scan.no_camera" : "scan.insecure"));
      return;
    }
    say("starting", t("scan.starting"));
    let opened;
    try {
      opened = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" } },
        audio: false,
      });
    } catch (error) {
      if (current === run) failed(...cameraProblem(error));
      return;
    }
    if (current !== run) {
      opened.getTracks().forEach((track) => track.stop());
      return;
    }
    stream = opened;
    video.srcObject = stream;
    video.play().catch(() => {});
    let found;
    try {
      found = (await nativeReader()) ?? workerReader();
    } catch {
      if (current === run) failed("decoder_failed", t("scan.decoder_failed"));
      return;
    }
    if (current !== run) {
      found.close();
      return;
    }
    reader = found;
    frame.dataset.reader = reader.kind;
    frame.hidden = false;
    say("reading", t("scan.aim"));
    scan(current);
  };

  // Any other screen drawn into the view takes this one's place: the camera goes with it.
  const observer = new MutationObserver(() => {
    if (!camera.isConnected) leave();
  });
  observer.observe(view, { childList: true });
  const onVisibility = () => {
    if (document.hidden) halt();
    else if (!left && !gaveUp && !stream) start();
  };
  // A page put in the back-forward cache is hidden first and shown again when it comes back.
  document.addEventListener("visibilitychange", onVisibility);
  window.addEventListener("pagehide", halt);
  // Not awaited: the screen is drawn while the person answers the camera prompt.
  if (!document.hidden) start();
}
