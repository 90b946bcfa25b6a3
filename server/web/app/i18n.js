// Every string the person sees comes from /web/i18n/{lang}.json; zh-CN unless they chose
// English (kept in localStorage: a preference, not data, so logging out keeps it).

export const LANGUAGES = ["zh-CN", "en"];
const KEY = "rk.lang";
let strings = {};
let current = "zh-CN";

export function language() {
  return current;
}

export async function loadLanguage(lang) {
  const chosen = LANGUAGES.includes(lang) ? lang : (localStorage.getItem(KEY) ?? "zh-CN");
  const response = await fetch(`/web/i18n/${chosen}.json`);
  strings = await response.json();
  current = chosen;
  localStorage.setItem(KEY, chosen);
  document.documentElement.lang = chosen;
  document.title = strings["app.name"];
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}

export function t(key, vars = {}) {
  const text = strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

// Why the server refused something, in the person's language (never the server's English
// `detail`): the text for its code with the code for reference, or, for a code this build
// does not know, that the server refused it.
export function refusal(code, status) {
  const key = `refusal.${code}`;
  if (code && key in strings) return t("refusal.with_code", { text: strings[key], code });
  return t("refusal.unknown", { code: code ?? status ?? "" });
}

// A translated label for a value (a category, a kind), or the value itself if none exists.
export function label(prefix, value) {
  const key = `${prefix}.${value}`;
  return key in strings ? strings[key] : value;
}

// A bilingual field of pulled data: {"zh-CN": ..., "en": ...} or a name and its name_en.
export function pick(zh, en) {
  return current === "en" && en ? en : zh;
}

// A pulled record's name (a site, a place, a thing) in the chosen language.
export function nameOf(record) {
  return pick(record.name, record.name_en);
}

// A location path, top first, as "building › floor".
export function pathText(locations) {
  return locations.map(nameOf).join(" › ");
}
