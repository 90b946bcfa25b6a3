// One asset or place of the site, chosen by searching on the server: a site may hold tens
// of thousands of them, so nothing is listed before something is typed. The tags and
// labels tabs use it; their own strings name its parts (`words`).

import * as api from "../../api.js";
import { h, show } from "../../dom.js";
import { problemSlot } from "../../forms.js";
import { t } from "../../i18n.js";

const SHOWN = 8;

// What a found thing is called in the list: its name, number and where it is.
function describe(kind, item) {
  const number = kind === "asset" ? item.asset_number : item.code;
  const place = kind === "asset" ? item.location_path : item.path.slice(0, -1);
  return { name: item.name, number, place: place.join(" › ") };
}

// `kinds`: "asset", "location" or both; `words`: the keys of its label, kind names, button
// and messages; `onChoose(thing)` is told of each choice (null when cleared).
export function thingPicker(ctx, { id, kinds, words, onChoose = () => {} }) {
  let chosen = null;
  const kind = kinds.length > 1
    ? h("select", { id: `${id}-kind`, "data-testid": `${id}-kind` },
      kinds.map((k) => h("option", { value: k }, t(words[k]))))
    : null;
  const query = h("input", { id: `${id}-q`, type: "search", autocomplete: "off", "data-testid": `${id}-q`,
    placeholder: t(words.placeholder) });
  const results = h("ul", { class: "picker-results", "data-testid": `${id}-results` });
  const status = h("p", { class: "muted small-text", role: "status" });
  const shown = h("p", { class: "picker-chosen", "data-testid": `${id}-chosen` });
  const currentKind = () => kind?.value ?? kinds[0];

  const choose = (thing) => {
    chosen = thing;
    show(shown, ...(thing
      ? [h("span", { class: "muted" }, t(words.chosen)), " ", h("strong", {}, thing.name),
        thing.number ? h("span", { class: "muted code" }, ` ${thing.number}`) : null,
        thing.place ? h("span", { class: "muted" }, ` · ${thing.place}`) : null]
      : []));
    for (const button of results.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.id === thing?.id));
    }
    onChoose(thing);
  };

  const search = async () => {
    const text = query.value.trim();
    const which = currentKind();
    const params = new URLSearchParams({ site_id: ctx.site.id, limit: String(SHOWN) });
    if (text) params.set("q", text);
    status.textContent = t(words.searching);
    let page;
    try {
      page = await api.get(`/api/${which === "asset" ? "assets" : "locations"}?${params}`);
    } catch (error) {
      status.textContent = ctx.describeError(error);
      return;
    }
    status.textContent = page.items.length
      ? (page.next_after ? t(words.more, { count: SHOWN }) : "")
      : t(words.none);
    results.replaceChildren(...page.items.map((item) => {
      const thing = { kind: which, id: item.id, ...describe(which, item) };
      return h("li", {}, h("button", {
        type: "button", class: "small plain picker-choice", "data-id": item.id, "data-testid": `${id}-choice`,
        "aria-pressed": String(chosen?.id === item.id), onclick: () => choose(thing),
      }, h("span", { class: "picker-name" }, thing.name),
      thing.number ? h("span", { class: "code" }, thing.number) : null,
      thing.place ? h("span", { class: "muted" }, thing.place) : null));
    }));
  };

  // Enter searches; it never sends the form the picker stands in.
  query.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    search();
  });
  kind?.addEventListener("change", () => {
    results.replaceChildren();
    status.textContent = "";
    choose(null);
  });
  const element = h("div", { class: "picker", "data-testid": id },
    h("label", { for: query.id }, t(words.label)),
    h("div", { class: "picker-search" },
      kind ? [h("label", { for: kind.id, class: "sr-only" }, t(words.kind)), kind] : null,
      query,
      h("button", { type: "button", class: "plain", "data-testid": `${id}-search`, onclick: search }, t(words.search))),
    status, results, shown,
    problemSlot("asset_id"), problemSlot("location_id"));
  return {
    element,
    chosen: () => chosen,
    // A choice made before (kept in the page's address), shown without a search.
    show: (thing) => choose(thing),
    clear: () => choose(null),
  };
}
