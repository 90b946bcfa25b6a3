// Checklists: the organization's templates (the built-in library and its own), each with
// its latest version and where it applies at this site; one template's version as the
// phone shows it, in either language; what changed between two versions; publishing a new
// version (admins), and where it applies at this site (admins and managers). Auditors read
// all of it.

import * as api from "../api.js";
import { h, claim, showFor, useStyles } from "../dom.js";
import { pageMessage } from "../forms.js";
import { formatDate, language, t } from "../i18n.js";
import { differenceView } from "./checklists/diff.js";
import { publishForm } from "./checklists/publish.js";
import { ruleForm, ruleReadOnly, ruleText } from "./checklists/rule.js";
import { templateView } from "./checklists/view.js";
import { categoryName, textOf } from "./checklists/words.js";

const TEMPLATE_LANGUAGES = [
  { lang: "zh-CN", name: "checklists.lang_zh" },
  { lang: "en", name: "checklists.lang_en" },
];

// The words around a template in `lang` (its kinds, limits, answers), as a phone in that
// language shows them: the console's own when it is the console's language, else read
// from the same files, once.
const WORDS = new Map();

async function wordsIn(lang) {
  if (lang === language()) return t;
  if (!WORDS.has(lang)) {
    const files = [`/web/console/i18n/${lang}.json`, `/web/console/i18n/checklists.${lang}.json`];
    const [shared, own] = await Promise.all(files.map((file) => api.get(file)));
    const strings = { ...shared, ...own };
    WORDS.set(lang, (key, vars = {}) => (strings[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? "")));
  }
  return WORDS.get(lang);
}

// The template a page shows is kept in its address, so a reload or a shared link opens it.
function keepInAddress(key) {
  const url = new URL(location.href);
  if (key) url.searchParams.set("template", key);
  else url.searchParams.delete("template");
  history.replaceState({}, "", url);
}

function sourceBadge(entry) {
  return entry.from_library
    ? h("span", { class: "badge source-library" }, t("checklists.from_library"))
    : h("span", { class: "badge source-own" }, t("checklists.own"));
}

function libraryTable(templates, rules, open) {
  const ruleOf = new Map(rules.map((r) => [r.template_key, r]));
  const lang = language();
  return h("table", { class: "checklists", "data-testid": "templates" },
    h("caption", { class: "sr-only" }, t("checklists.caption")),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("checklists.name")),
      h("th", { scope: "col" }, t("checklists.category")),
      h("th", { scope: "col" }, t("checklists.latest")),
      h("th", { scope: "col" }, t("checklists.here")))),
    h("tbody", {}, templates.map((entry) => {
      const rule = ruleOf.get(entry.key);
      return h("tr", { "data-testid": "template", "data-key": entry.key, class: rule && !rule.enabled ? "ended" : null },
        h("td", {},
          h("button", { type: "button", class: "link", "data-testid": "open-template", onclick: () => open(entry.key) },
            lang === "en" ? entry.title_en : entry.title_zh),
          h("div", { class: "template-line" }, sourceBadge(entry), h("code", { class: "muted" }, entry.key))),
        h("td", { class: "nowrap" }, categoryName(entry.category)),
        h("td", { class: "nowrap", "data-testid": "latest-version" }, t("checklists.version_n", { version: entry.version }),
          h("div", { class: "muted small-text" }, formatDate(entry.published_at))),
        h("td", { "data-testid": "applies-here" }, ruleText(rule),
          rule?.overridden ? h("div", {}, h("span", { class: "badge" }, t("checklists.rule_own_short"))) : null));
    })));
}

function languageToggle(state, redraw) {
  return h("div", { class: "row lang-toggle", role: "group", "aria-label": t("checklists.template_language") },
    h("span", { class: "muted", "aria-hidden": "true" }, t("checklists.template_language")),
    TEMPLATE_LANGUAGES.map(({ lang, name }) => h("button", {
      type: "button", class: "small plain", lang, "aria-pressed": String(state.lang === lang), "data-testid": `template-lang-${lang}`,
      onclick: () => { state.lang = lang; redraw(); },
    }, t(name))));
}

function versionSelect(id, versions, chosen, onChange) {
  const select = h("select", { id, "data-testid": id },
    versions.map((v) => h("option", { value: v, selected: v === chosen }, t("checklists.version_n", { version: v }))));
  select.addEventListener("change", () => onChange(Number(select.value)));
  return select;
}

async function comparison(key, versions, state, redraw) {
  const to = state.compareTo ?? versions.at(-1);
  const from = state.compareFrom ?? versions[Math.max(0, versions.indexOf(to) - 1)];
  const path = (v) => `/api/templates/${encodeURIComponent(key)}/versions/${v}`;
  const [a, b] = await Promise.all([api.get(path(from)), api.get(path(to))]);
  return h("section", { class: "card", "data-testid": "compare" },
    h("h2", {}, t("checklists.compare_title")),
    h("div", { class: "row compare-choice" },
      h("label", { for: "compare-from" }, t("checklists.compare_from")),
      versionSelect("compare-from", versions, from, (v) => { state.compareFrom = v; state.compareTo = to; redraw(); }),
      h("label", { for: "compare-to" }, t("checklists.compare_to")),
      versionSelect("compare-to", versions, to, (v) => { state.compareTo = v; state.compareFrom = from; redraw(); })),
    differenceView(a.template, b.template, from, to, state.lang));
}

async function templatePage(ctx, state, redraw, rules) {
  const { site } = ctx;
  const key = state.key;
  const latest = await api.get(`/api/templates/${encodeURIComponent(key)}`);
  const shown = state.version && state.version !== latest.version
    ? await api.get(`/api/templates/${encodeURIComponent(key)}/versions/${state.version}`)
    : latest;
  const rule = rules.find((r) => r.template_key === key);
  // Said once, in the form it is about.
  const notice = state.notice;
  state.notice = null;
  const canPublish = site.role === "admin";
  const canRule = site.role === "admin" || site.role === "manager";
  const back = h("button", { type: "button", class: "small plain", "data-testid": "back-to-library", onclick: () => {
    Object.assign(state, { key: null, version: null, compareFrom: null, compareTo: null, editing: false, draft: null });
    keepInAddress(null);
    redraw().then(() => scrollTo(0, 0));
  } }, t("checklists.back"));

  const sections = [
    h("section", { class: "card", "data-testid": "template-page", "data-key": key },
      h("div", { class: "template-top" },
        h("h2", {}, textOf(latest.template.title, language())), back),
      h("p", { class: "muted" }, t("checklists.published_at", { version: shown.version, date: formatDate(shown.published_at) }),
        shown.version !== latest.version ? ` · ${t("checklists.not_latest", { latest: latest.version })}` : ""),
      h("div", { class: "row template-tools" },
        h("label", { for: "version-choice" }, t("checklists.version")),
        versionSelect("version-choice", latest.versions, shown.version, (v) => { state.version = v; redraw(); }),
        languageToggle(state, redraw)),
      h("p", { class: "muted small-text" }, t("checklists.as_phone_shows")),
      templateView(shown, state.lang, await wordsIn(state.lang))),
    h("section", { class: "card", "data-testid": "rule" },
      h("h2", {}, t("checklists.rule_title")),
      h("p", { class: "muted" }, t("checklists.rule_intro")),
      rule && canRule ? ruleForm(rule, latest.template, ctx, redraw) : rule ? ruleReadOnly(rule) : null),
  ];
  if (latest.versions.length > 1) sections.splice(1, 0, await comparison(key, latest.versions, state, redraw));
  if (canPublish) {
    const toggle = h("button", { type: "button", class: "plain", "aria-expanded": String(!!state.editing), "data-testid": "edit-template",
      onclick: () => { Object.assign(state, { editing: !state.editing, draft: null }); redraw(); } }, t("checklists.edit"));
    sections.push(h("section", { class: "card", "data-testid": "publish" },
      h("h2", {}, t("checklists.publish_title")),
      h("p", { class: "muted" }, t("checklists.publish_intro", { version: latest.version })),
      toggle,
      state.editing ? publishForm(latest, ctx, {
        lang: state.lang,
        draft: state.draft,
        notice,
        onDraft: (draft) => { state.draft = draft; },
        onPublished: (published) => {
          Object.assign(state, { version: null, compareFrom: null, compareTo: null, editing: false, draft: null });
          return redraw(t("checklists.published", { version: published.version }));
        },
        onStale: (newest) => {
          const said = t("checklists.stale", { version: newest });
          Object.assign(state, { version: null, compareFrom: null, compareTo: null, editing: true, draft: null, notice: said });
          return redraw(said, true);
        },
      }) : null));
  }
  return sections;
}

async function libraryPage(ctx, state, redraw, templates, rules) {
  const open = (key) => {
    Object.assign(state, { key, version: null, compareFrom: null, compareTo: null, editing: false, draft: null });
    keepInAddress(key);
    redraw().then(() => scrollTo(0, 0));
  };
  const sections = [
    h("section", { class: "card wide-table" },
      h("h2", {}, t("checklists.library_title", { count: templates.length })),
      templates.length
        ? libraryTable(templates, rules, open)
        : h("p", { class: "muted", "data-testid": "no-templates" }, t("checklists.none"))),
  ];
  if (ctx.site.role === "admin") {
    sections.push(h("section", { class: "card", "data-testid": "publish-new" },
      h("h2", {}, t("checklists.new_title")),
      h("p", { class: "muted" }, t("checklists.new_intro")),
      h("button", { type: "button", class: "plain", "aria-expanded": String(!!state.editing), "data-testid": "new-template",
        onclick: () => { Object.assign(state, { editing: !state.editing, draft: null }); redraw(); } }, t("checklists.new")),
      state.editing ? publishForm(null, ctx, {
        lang: state.lang,
        draft: state.draft,
        onDraft: (draft) => { state.draft = draft; },
        onPublished: (published) => {
          Object.assign(state, { key: published.key, version: null, editing: false, draft: null });
          keepInAddress(published.key);
          return redraw(t("checklists.published", { version: published.version }));
        },
        onStale: () => redraw(),
      }) : null));
  }
  return sections;
}

function intro(role) {
  if (role === "admin") return t("checklists.intro_admin");
  if (role === "manager") return t("checklists.intro_manager");
  return t("checklists.intro_read");
}

async function draw(view, ctx, state) {
  const ticket = claim(view);
  const { site, chooser, describeError } = ctx;
  const redraw = async (message, failed = false) => {
    if (!(await draw(view, ctx, state)) || !message) return;
    // The page is long: the line is brought into sight, wherever the change was made.
    const note = pageMessage(message, failed);
    view.prepend(note);
    note.scrollIntoView({ block: "nearest" });
  };
  let body;
  try {
    const [templates, rules] = await Promise.all([
      api.get("/api/templates"),
      api.get(`/api/sites/${site.id}/checklists`),
    ]);
    if (state.key && !templates.some((x) => x.key === state.key)) state.key = null;
    body = state.key
      ? await templatePage(ctx, state, redraw, rules)
      : await libraryPage(ctx, state, redraw, templates, rules);
  } catch (error) {
    body = [h("p", { class: "card warn", role: "alert", "data-testid": "load-error" }, describeError(error))];
  }
  return showFor(ticket, view,
    h("section", { class: "card" }, h("h1", {}, t("nav.checklists")), chooser, h("p", { class: "muted" }, intro(site.role))),
    ...body);
}

export async function render(view, ctx) {
  useStyles("checklists");
  const key = new URLSearchParams(location.search).get("template");
  await draw(view, ctx, { key, version: null, lang: language(), editing: false });
}
