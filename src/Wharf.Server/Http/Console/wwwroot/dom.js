// Small DOM helpers: elements are built with h(), never from HTML strings, so data is always text.

export function h(tag, attrs = {}, ...children) {
  const ns = attrs && attrs.svg ? 'http://www.w3.org/2000/svg' : null;
  const el = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === 'svg' || value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'testid') el.setAttribute('data-testid', value);
    else if (name === 'value' && !ns) el.value = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function table(testid, headers, rows) {
  return h('table', { testid },
    h('thead', {}, h('tr', {}, headers.map(c => h('th', { class: c.num ? 'num' : null }, c.title ?? c)))),
    h('tbody', {}, rows));
}

export function num(value) {
  return value === null || value === undefined ? '—' : Number(value).toLocaleString('en-US');
}

export function bytes(value) {
  if (value === null || value === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = value, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function time(ms) {
  return ms < 0 ? '—' : new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export function showError(message) {
  const banner = document.getElementById('error');
  banner.textContent = message;
  banner.hidden = !message;
}
