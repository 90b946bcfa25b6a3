// A small element builder: text always goes in as text, never as HTML.

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

// Draws a screen in `container`. A screen drawn again in place of itself (same URL: a sync's
// redraw, the language switched) never loses what a person is typing: its text fields get
// back their text, and the one being typed in its focus and caret.
export function show(container, ...children) {
  const here = location.pathname + location.search;
  const typed = drawnAt.get(container) === here ? typedIn(container) : null;
  container.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
  drawnAt.set(container, here);
  if (typed?.size) putBack(container, typed);
}

// The URL each container's screen was drawn for.
const drawnAt = new WeakMap();
const KEPT = "input:not([type=file]):not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea";

// Text fields by what names them (id, name or test id, then their order among namesakes).
function fields(container) {
  const found = new Map();
  const seen = new Map();
  for (const field of container.querySelectorAll(KEPT)) {
    const name = field.id || field.name || field.dataset.testid;
    if (!name) continue;
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    found.set(`${name}#${n}`, field);
  }
  return found;
}

function typedIn(container) {
  const typed = new Map();
  for (const [key, field] of fields(container)) {
    const focused = document.activeElement === field;
    let caret = null;
    try {
      if (focused && field.selectionStart !== null) caret = [field.selectionStart, field.selectionEnd, field.selectionDirection];
    } catch {
      caret = null; // a field without a caret (a number, a date)
    }
    typed.set(key, { value: field.value, focused, caret });
  }
  return typed;
}

function putBack(container, typed) {
  for (const [key, field] of fields(container)) {
    const was = typed.get(key);
    if (!was) continue;
    if (field.value !== was.value) {
      field.value = was.value;
      // The screen's own state follows its field, as if the text had been typed into it.
      field.dispatchEvent(new Event("input", { bubbles: true }));
    }
    if (was.focused) {
      field.focus({ preventScroll: true });
      try {
        if (was.caret) field.setSelectionRange(...was.caret);
      } catch {
        // a field without a caret
      }
    }
  }
}
