// A tiny DOM builder: h('div.card', { onclick }, 'text', child). Text always goes in as text
// nodes, never as HTML, so nothing a device reports can inject markup.
const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      // through the CSSOM: the content security policy forbids inline style attributes
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else if (k === 'value' && 'value' in el) el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

function isAttrs(a) {
  return a !== null && typeof a === 'object' && !Array.isArray(a) && !(a instanceof Node);
}

/** h('tag.class1.class2#id', attrs?, ...children) */
export function h(spec, ...rest) {
  const attrs = isAttrs(rest[0]) ? rest.shift() : null;
  const [tagAndClasses, id] = spec.split('#');
  const [tag, ...classes] = tagAndClasses.split('.');
  const el = document.createElement(tag || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (id) el.id = id;
  return build(el, attrs, rest);
}

/** An SVG element: s('rect', { x: 0, ... }, ...children) */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** A table: a header row of `headers`, then `row(item)` (a tr) for each item; `attrs` go on the table. */
export function table(spec, headers, items, row, attrs = {}) {
  return h(spec, attrs, h('thead', h('tr', headers.map((t) => h('th', t)))), h('tbody', items.map(row)));
}

/** Replaces the element's content. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}
