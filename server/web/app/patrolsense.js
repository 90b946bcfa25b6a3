// What the phone can add to a checkpoint scan besides the code: the serial of an NFC
// sticker (Web NFC, Chrome on Android; a photographed QR code cannot fake one) and a GPS
// fix. Neither is ever waited for long: no signal in a basement is a normal night's work,
// and the server flags what is missing rather than refusing the scan.

// A fix younger than this is used as it is; otherwise one is asked for, briefly.
const FRESH_MS = 30_000;
const FIX_TIMEOUT_MS = 2_000;

export function nfcAvailable() {
  return "NDEFReader" in window;
}

// The serial as the server keeps it: upper case, bytes separated by colons.
export function serialOf(raw) {
  const text = String(raw ?? "").trim().toUpperCase();
  if (text.includes(":")) return text;
  return (text.match(/[0-9A-F]{2}/g) ?? []).join(":");
}

// One NFC reading session for the screen on show: `onSerial(serial)` for every sticker
// read until stop(). One at a time: a new session stops the one before.
let session = null;

export async function startNfc({ key, onSerial, onProblem }) {
  stopNfc();
  const controller = new AbortController();
  const reader = new NDEFReader();
  session = { key, controller };
  reader.onreading = (event) => onSerial(serialOf(event.serialNumber));
  reader.onreadingerror = () => onProblem("unreadable");
  try {
    await reader.scan({ signal: controller.signal });
  } catch (error) {
    if (session?.controller === controller) session = null;
    onProblem(error?.name === "NotAllowedError" ? "denied" : "failed");
    return false;
  }
  return true;
}

export function nfcSession() {
  return session?.key ?? null;
}

export function stopNfc() {
  session?.controller.abort();
  session = null;
}

// --- position ----------------------------------------------------------------------------

let last = null;
let watching = null;

// Keeps a fix coming while a round is walked on a route that has positions, so a scan
// rarely has to ask for one.
export function watchPosition() {
  if (watching !== null || !navigator.geolocation) return;
  watching = navigator.geolocation.watchPosition(
    (found) => { last = found; },
    () => {},
    { enableHighAccuracy: true, maximumAge: FRESH_MS },
  );
}

export function stopPosition() {
  if (watching !== null) navigator.geolocation.clearWatch(watching);
  watching = null;
}

function asFix(found) {
  return { position: { lat: found.coords.latitude, lon: found.coords.longitude }, accuracy_m: found.coords.accuracy ?? null };
}

// {position, accuracy_m} or null: the fix kept from watching if fresh, else one asked for
// with a short timeout.
export function quickFix() {
  if (last && Date.now() - last.timestamp < FRESH_MS) return Promise.resolve(asFix(last));
  if (!navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), FIX_TIMEOUT_MS + 200);
    navigator.geolocation.getCurrentPosition(
      (found) => {
        clearTimeout(timer);
        last = found;
        resolve(asFix(found));
      },
      () => {
        clearTimeout(timer);
        resolve(null);
      },
      { enableHighAccuracy: true, timeout: FIX_TIMEOUT_MS, maximumAge: FRESH_MS },
    );
  });
}
