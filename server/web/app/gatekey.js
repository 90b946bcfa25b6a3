// The keyed hash that finds a repeat visitor or a watchlist entry on the gate device
// without keeping the visitor's number: the same id_key the server computes
// (server/gate/documents.py id_key, with the site's lookup key), with the SHA-256 and HMAC
// of sha256.js. Pure: values in, values out.

import { hex, hmacSha256, sha256 } from "./sha256.js";

export { hex, sha256 };

// The site's lookup key as the gate settings feed carries it: base64url without padding.
export function keyFromBase64url(text) {
  const plain = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(plain + "=".repeat((4 - (plain.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

// What Python's str.isspace() calls whitespace (JS's \s differs: it has U+FEFF and lacks
// U+001C..U+001F), and server/gate/text.py's separators.
const SPACES = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const SEPARATORS = new Set("-‐‑‒–—―−﹣·•・.()[]/");

// server/gate/text.py fold_text: NFKC, no whitespace or separators, upper case. Typed
// numbers fold the same on the device and the server, or a repeat visitor is not found.
export function foldText(text) {
  let folded = "";
  for (const c of String(text).normalize("NFKC")) {
    if (!SPACES.test(c) && !SEPARATORS.has(c)) folded += c;
  }
  return folded.toUpperCase();
}

// documents.py normalise_number: every kind folds the same way today.
export function normaliseNumber(kind, number) {
  if (kind === "none") throw new Error("'no document' has no number");
  return foldText(number);
}

// documents.py id_key: HMAC-SHA256 (hex) of `kind:number`, the number normalised, under
// the site's lookup key (bytes).
export function idKey(kind, number, key) {
  if (key.length < 16) throw new Error("the ID key's secret must be at least 16 bytes");
  const message = new TextEncoder().encode(`${kind}:${normaliseNumber(kind, number)}`);
  return hex(hmacSha256(key, message));
}
