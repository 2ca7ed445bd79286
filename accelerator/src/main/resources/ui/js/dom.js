// Builds DOM nodes. Strings become text nodes (textContent), never markup: a volume name such as
// "<img onerror=...>" shows as those characters.

/**
 * el('a', {href: '#/x', class: 'c', onclick: fn}, 'text', child): an element with attributes,
 * listeners (on* keys) and children (strings become text, null and false are skipped).
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else if (key === 'style' || key.toLowerCase().startsWith('on')) {
      throw new Error('el(): ' + key + ' is not set from code');
    } else if (value === true) {
      node.setAttribute(key, '');
    } else {
      node.setAttribute(key, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(node, child);
    } else if (child instanceof Node) {
      node.appendChild(child);
    } else {
      node.appendChild(document.createTextNode(String(child)));
    }
  }
}

/** Replaces every child of node with children. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** A table with a header row of columns and one row per item, made by row(item) -> cells. */
export function table(caption, columns, items, row, empty) {
  if (items.length === 0) {
    return el('p', { class: 'empty' }, empty || 'None.');
  }
  return el('table', {},
    caption ? el('caption', {}, caption) : null,
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col' }, c)))),
    el('tbody', {}, items.map((item) => el('tr', {}, row(item).map((cell) => el('td', {}, cell))))));
}

/** A card: a titled box of figures or content. */
export function card(title, ...children) {
  return el('section', { class: 'card' }, el('h2', {}, title), ...children);
}

const statusLine = () => document.getElementById('status');

let fade = null;

/** Shows a message in the status line (announced to screen readers); an 'ok' one goes after 15 s. */
export function say(message, kind) {
  const s = statusLine();
  clearTimeout(fade);
  s.className = 'status ' + (kind || '');
  s.textContent = message;
  if (kind === 'ok') {
    fade = setTimeout(() => {
      s.textContent = '';
    }, 15000);
  }
}

/** Shows what went wrong with an action. */
export function sayError(what, error) {
  say(what + ': ' + (error && error.message ? error.message : String(error)), 'error');
}
