// Every string the console shows comes from /web/console/i18n/{lang}.json (what every page
// shares) and a page's own /web/console/i18n/{bundle}.{lang}.json, loaded when the page is
// first shown: zh-CN unless the person chose English. The choice is kept under the phone app's key (localStorage "rk.lang"):
// one preference per person and browser, whichever of the two they chose it in.

export const LANGUAGES = ["zh-CN", "en"];
const KEY = "rk.lang";
let strings = {};
let shared = {};
// The pages' bundles loaded so far, by name, in the current language.
const bundles = new Map();
let current = "zh-CN";

export function language() {
  return current;
}

export async function loadLanguage(lang) {
  const chosen = LANGUAGES.includes(lang) ? lang : (localStorage.getItem(KEY) ?? "zh-CN");
  const response = await fetch(`/web/console/i18n/${chosen}.json`);
  shared = await response.json();
  current = chosen;
  // The bundles already shown are read again in the new language.
  const names = [...bundles.keys()];
  bundles.clear();
  await Promise.all(names.map(loadStrings));
  merge();
  localStorage.setItem(KEY, chosen);
  document.documentElement.lang = chosen;
  document.title = strings["console.name"];
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}

// A page's own strings (`bundle`: its name, e.g. "today" or "register-assets"), added to
// the shared ones; read once per language.
export async function loadStrings(bundle) {
  if (bundles.has(bundle)) return;
  const response = await fetch(`/web/console/i18n/${bundle}.${current}.json`);
  bundles.set(bundle, response.ok ? await response.json() : {});
  merge();
}

function merge() {
  strings = Object.assign({}, shared, ...bundles.values());
}

export function t(key, vars = {}) {
  const text = strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

// A site's name in the chosen language (its English name where it has one).
export function nameOf(site) {
  return current === "en" && site.name_en ? site.name_en : site.name;
}

export function formatDate(iso) {
  return new Intl.DateTimeFormat(current, { dateStyle: "medium" }).format(new Date(iso));
}

export function formatDateTime(iso) {
  return new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

// Whether a string exists (a refusal the console can say in the person's language).
export function has(key) {
  return key in strings;
}
