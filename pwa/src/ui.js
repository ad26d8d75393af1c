// DOM building without ever parsing a string as HTML: the page holds a bearer token, so data
// from the user or the server only ever reaches the page as text nodes and attribute values.
// No inline style either: the CSP allows only the stylesheet.

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function setProps(el, props) {
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name === 'text') el.textContent = value;
    else if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'style') {
      throw new Error('inline style is blocked by the CSP; use a class');
    } else if (name in el && typeof value !== 'string') el[name] = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// --- words and numbers, the Indonesian way ----------------------------------------------------

export function metres(value) {
  if (value < 1000) return `${Math.round(value)} m`;
  return `${(value / 1000).toFixed(1).replace('.', ',')} km`;
}

export function timeIn(iso, timeZone) {
  return new Intl.DateTimeFormat('id-ID', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
  }).format(new Date(iso));
}

// A moment in the back office's lists (audit trail, face references, kiosks): "30 Nov 2026 07.12".
export function momentText(iso) {
  return new Intl.DateTimeFormat('id-ID', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(iso));
}

// Dates are written one way everywhere: "30 November 2026", weekday first on a day's heading.
// `date` is a local YYYY-MM-DD, read at noon UTC so no zone moves it to another day.
const dateIn = (date, options) =>
  new Intl.DateTimeFormat('id-ID', { day: 'numeric', month: 'long', timeZone: 'UTC', ...options })
    .format(new Date(`${date}T12:00:00Z`));

export const dateText = (date, year = true) => dateIn(date, year ? { year: 'numeric' } : {});
export const dayName = (date) => dateIn(date, { weekday: 'long', year: 'numeric' });

// "30 November – 2 Desember 2026"
export function dateRange(start, end) {
  if (start === end) return dateText(start);
  return `${dateText(start, start.slice(0, 4) !== end.slice(0, 4))} – ${dateText(end)}`;
}

const ZONES = { Jakarta: 'WIB', Pontianak: 'WIB', Makassar: 'WITA', Jayapura: 'WIT' };
export const zoneName = (tz) => ZONES[tz.replace('Asia/', '')] || tz;

// Today's YYYY-MM-DD in the unit's time zone (en-CA formats dates that way).
export function localDate(timeZone, at = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone }).format(at);
}

export function shiftDate(date, days) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export const KIND = { in: 'Masuk', out: 'Pulang' };

export const STATUS = {
  queued: 'Menunggu dikirim',
  failed: 'Gagal dikirim',
  pending: 'Menunggu verifikasi',
  accepted: 'Diterima',
  flagged: 'Diperiksa BKD',
  rejected: 'Ditolak',
};

export function chip(status) {
  return h('span', { class: `chip chip-${status}`, text: STATUS[status] || status });
}

// A short message at the bottom of the screen, read out by screen readers.
export function toast(message) {
  const region = document.getElementById('toast');
  if (!region) return;
  region.textContent = message;
  region.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    region.hidden = true;
  }, 4000);
}
