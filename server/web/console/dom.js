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

export function show(container, ...children) {
  container.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
}

// A page's own styles (css/{name}.css), linked once: a page adds its look without
// touching console.css or another page's.
export function useStyles(name) {
  const href = `/web/console/css/${name}.css`;
  if (document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(h("link", { rel: "stylesheet", href }));
}
