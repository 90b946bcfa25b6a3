// A small element builder, as the phone app's (server/web/app/dom.js): text always goes in as
// text, never as HTML. A copy, not an import: a change the console needs must not change a
// phone app file, which would make every phone download the app again.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const name in attrs) {
    const value = attrs[name];
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

// Children are elements, texts, or lists of them (nested lists too); null, undefined and
// false are left out.
function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

// A page may be drawn again while an earlier draw is still loading (a save's redraw, then
// a click on "back"): the draw asked for last is the one shown, whichever finishes last.
// A page's draw claims the view when it starts and shows through its claim; a plain show
// is always the latest and drops any draw still loading.
const claims = new WeakMap();

export function claim(container) {
  const ticket = (claims.get(container) ?? 0) + 1;
  claims.set(container, ticket);
  return ticket;
}

// Shows the children if no draw of the container was started after `ticket`; says whether
// it did.
export function showFor(ticket, container, ...children) {
  if (claims.get(container) !== ticket) return false;
  container.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
  return true;
}

export function show(container, ...children) {
  showFor(claim(container), container, ...children);
}

// A page's own styles (css/{name}.css), linked once: a page adds its look without
// touching console.css or another page's.
export function useStyles(name) {
  const href = `/web/console/css/${name}.css`;
  if (document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(h("link", { rel: "stylesheet", href }));
}
