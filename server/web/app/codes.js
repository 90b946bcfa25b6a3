// Tag codes, as qr/codes.py reads them: 7 Crockford base32 characters and a check
// character (a weighted sum over GF(32) that every single-character substitution and every
// transposition changes). A port of normalize_code; tests check it against Python's codes.

export const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const CODE_LENGTH = 8;

function gf32Multiply(a, b) {
  let product = 0;
  while (b) {
    if (b & 1) product ^= a;
    b >>= 1;
    a <<= 1;
    if (a & 32) a ^= 0b100101;
  }
  return product;
}

const WEIGHTS = (() => {
  const weights = [];
  let w = 1;
  for (let i = 0; i < CODE_LENGTH; i++) {
    weights.push(w);
    w = gf32Multiply(w, 2);
  }
  return weights.reverse();
})();

export class InvalidTagCode extends Error {
  // `reason` is the translation key's last part; `vars` fill its placeholders.
  constructor(reason, vars = {}) {
    super(reason);
    this.reason = reason;
    this.vars = vars;
  }
}

// The canonical form of a typed or scanned code; throws InvalidTagCode saying what is wrong.
export function normalizeCode(text) {
  const candidate = text
    .replace(/[ \t\n\r-]/g, "")
    .toUpperCase()
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  for (const char of candidate) {
    if (!ALPHABET.includes(char)) throw new InvalidTagCode("invalid_char", { char });
  }
  if (candidate.length !== CODE_LENGTH) {
    throw new InvalidTagCode("wrong_length", { expected: CODE_LENGTH, got: candidate.length });
  }
  let sum = 0;
  for (let i = 0; i < CODE_LENGTH; i++) {
    sum ^= gf32Multiply(WEIGHTS[i], ALPHABET.indexOf(candidate[i]));
  }
  if (sum !== 0) throw new InvalidTagCode("check_mismatch");
  return candidate;
}

export function formatCode(code) {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}
