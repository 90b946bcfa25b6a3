// What the gate form checks before a visitor is registered, the same way the server does
// (server/gate/documents.py, contacts.py, text.py), so that a mistyped ID number is caught
// at the gate, offline, while the card is still in hand, not refused by the server later
// when the visitor has gone in. Pure: values in, {value, faults: [code]} out; the person
// reads the faults through i18n (`refusal.{code}`).

import { foldText } from "./gatekey.js";

export const KINDS = [
  "resident_id", "passport", "hk_macao_travel_permit", "taiwan_travel_permit",
  "residence_permit", "permanent_residence_id", "other", "none",
];

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARACTERS = "10X98765432";
const PROVINCES = new Set(
  [[11, 15], [21, 23], [31, 37], [41, 46], [50, 54], [61, 65]]
    .flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i))),
);
const PERMIT_PREFIXES = ["81", "82", "83"];

const EIGHTEEN = /^[0-9]{17}[0-9X]$/;
const FIRST_GENERATION = /^[0-9]{15}$/;
const OLD_PERMANENT_RESIDENCE = /^[A-Z]{3}[0-9]{12}$/;
const PASSPORT = /^(?=[A-Z0-9]*[0-9])[A-Z0-9]{5,20}$/;
const HK_MACAO_PERMIT = /^[HM][0-9]{8}(?:[0-9]{2})?$/;
const TAIWAN_PERMIT = /^[0-9]{8}[0-9A-Z]{0,2}$/;

// GB 11643 (ISO 7064 MOD 11-2) check character of 17 digits.
export function checkCharacter(body) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(body[i]) * WEIGHTS[i];
  return CHECK_CHARACTERS[sum % 11];
}

function birthDate(number, today) {
  const digits = number.slice(6, 14);
  const [year, month, day] = [Number(digits.slice(0, 4)), Number(digits.slice(4, 6)), Number(digits.slice(6))];
  const born = new Date(Date.UTC(year, month - 1, day));
  if (year < 1 || born.getUTCFullYear() !== year || born.getUTCMonth() !== month - 1 || born.getUTCDate() !== day) {
    return ["visit.id_birth_date"];
  }
  const text = digits.slice(0, 4) + "-" + digits.slice(4, 6) + "-" + digits.slice(6);
  if (year < 1900) return ["visit.id_birth_date"];
  if (text > today) return ["visit.id_birth_date"];
  return [];
}

function checkDigit(number) {
  return checkCharacter(number.slice(0, 17)) === number[17] ? [] : ["visit.id_check_digit"];
}

const FAULTS = {
  resident_id(number, today) {
    if (FIRST_GENERATION.test(number)) return ["visit.id_old_form"];
    if (!EIGHTEEN.test(number)) return ["visit.id_format"];
    const faults = [];
    if (PERMIT_PREFIXES.includes(number.slice(0, 2)) || !PROVINCES.has(number.slice(0, 2))) faults.push("visit.id_region");
    return [...faults, ...birthDate(number, today), ...checkDigit(number)];
  },
  residence_permit(number, today) {
    if (!EIGHTEEN.test(number)) return ["visit.id_format"];
    const faults = PERMIT_PREFIXES.includes(number.slice(0, 2)) ? [] : ["visit.id_region"];
    return [...faults, ...birthDate(number, today), ...checkDigit(number)];
  },
  permanent_residence_id(number, today) {
    if (OLD_PERMANENT_RESIDENCE.test(number)) return [];
    if (!EIGHTEEN.test(number) || !number.startsWith("9")) return ["visit.id_format"];
    return [...birthDate(number, today), ...checkDigit(number)];
  },
  passport: (number) => (PASSPORT.test(number) ? [] : ["visit.id_format"]),
  hk_macao_travel_permit: (number) => (HK_MACAO_PERMIT.test(number) ? [] : ["visit.id_format"]),
  taiwan_travel_permit: (number) => (TAIWAN_PERMIT.test(number) ? [] : ["visit.id_format"]),
  other: (number) => (number.length >= 2 && number.length <= 40 && isAlnum(number) ? [] : ["visit.id_format"]),
};

// Python's str.isalnum: every character a letter or a number (of any script).
function isAlnum(text) {
  return /^[\p{L}\p{N}]+$/u.test(text);
}

// documents.py check_document. `today`: the site's local date, "YYYY-MM-DD".
export function checkDocument(kind, number, { today, reason = "" }) {
  if (kind === "none") return { value: null, faults: reason.trim() ? [] : ["visit.no_document_reason"] };
  const value = foldText(number);
  const faults = FAULTS[kind](value, today);
  return { value: faults.length ? null : value, faults };
}

// text.py mask_middle.
export function maskMiddle(text, head, tail, atLeast) {
  const chars = Array.from(text);
  const hidden = Math.max(chars.length - head - tail, Math.min(atLeast, chars.length));
  const shown = chars.length - hidden;
  const keepTail = Math.min(tail, shown - Math.min(head, Math.floor(shown / 2)));
  const keepHead = Math.min(head, shown - keepTail);
  return chars.slice(0, keepHead).join("") + "*".repeat(chars.length - keepHead - keepTail) +
    chars.slice(chars.length - keepTail).join("");
}

// documents.py mask_id; `mask`: the site's "6+4" or "4+4".
export function maskId(number, mask = "6+4") {
  const folded = foldText(number);
  const [head, tail] = mask === "4+4" ? [4, 4] : [6, 4];
  return maskMiddle(folded, head, tail, Math.min(8, Math.floor((Array.from(folded).length + 1) / 2)));
}

const MOBILE = /^1[3-9][0-9]{9}$/;
const LANDLINE = /^(0(?:10|2[0-9]|[3-9][0-9]{2}))?([2-9][0-9]{6,7})$/;

function stripCountry(folded) {
  for (const prefix of ["+86", "0086"]) {
    if (folded.startsWith(prefix)) return [folded.slice(prefix.length), true];
  }
  if (folded.length === 13 && folded.startsWith("86") && MOBILE.test(folded.slice(2))) return [folded.slice(2), true];
  return [folded, false];
}

// contacts.py _landline: `021-87654321`, or the local number alone; null when none.
function landline(digits, international) {
  const local = international && !digits.startsWith("0") ? `0${digits}` : digits;
  const found = LANDLINE.exec(local);
  if (!found || (international && !found[1])) return null;
  return found[1] ? `${found[1]}-${found[2]}` : found[2];
}

// contacts.py check_phone with landline=False: the gate asks for a mobile.
export function checkPhone(text) {
  const [digits, international] = stripCountry(foldText(text));
  if (MOBILE.test(digits)) return { value: digits, faults: [] };
  return { value: null, faults: [landline(digits, international) === null ? "visit.phone_format" : "visit.phone_landline"] };
}

// contacts.py mask_phone.
export function maskPhone(number) {
  const [digits, international] = stripCountry(foldText(number));
  if (MOBILE.test(digits)) return maskMiddle(digits, 3, 4, 4);
  const fixed = landline(digits, international);
  if (fixed !== null) {
    const cut = fixed.lastIndexOf("-");
    const [area, local] = cut < 0 ? ["", fixed] : [fixed.slice(0, cut), fixed.slice(cut + 1)];
    const masked = maskMiddle(local, 0, 4, 4);
    return area ? `${area}-${masked}` : masked;
  }
  return maskMiddle(digits, 3, 4, Math.max(4, Math.floor((digits.length + 1) / 2)));
}

const PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
const OFFICE = "[A-HJ-Z]";
const SERIAL = "[A-HJ-NP-Z0-9]";
const PLATES = new RegExp(`^(?:${[
  `[${PLATE_PROVINCES}]${OFFICE}${SERIAL}{5}`,
  `[${PLATE_PROVINCES}]${OFFICE}[A-HJK]${SERIAL}[0-9]{4}`,
  `[${PLATE_PROVINCES}]${OFFICE}[0-9]{5}[DF]`,
  `[${PLATE_PROVINCES}]${OFFICE}${SERIAL}{4}[警学挂领港澳试超]`,
  "使[0-9]{6}",
].join("|")})$`, "u");

// contacts.py check_plate.
export function checkPlate(text) {
  const plate = foldText(text);
  return PLATES.test(plate) ? { value: plate, faults: [] } : { value: null, faults: ["visit.plate_format"] };
}
