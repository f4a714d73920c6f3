// Small DOM and formatting helpers. Every piece of user data reaches the
// page through textContent or attributes set here, never through
// innerHTML, so trace content cannot inject markup.

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k === 'style' && typeof v === 'object') Object.assign(node.style, v);
      else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else if (c instanceof Node) node.appendChild(c);
    else node.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function debounce(fn, ms) {
  let t = null;
  const d = (...args) => {
    clearTimeout(t);
    t = setTimeout(() => { t = null; fn(...args); }, ms);
  };
  d.cancel = () => clearTimeout(t);
  return d;
}

export const KIND_ICONS = {
  session: '◎',
  trace: '▦',
  span: '▭',
  generation: '✦',
  tool_call: '⚒',
  retrieval: '⌕',
  error: '⚠',
  event: '•',
  storage: '▤',
};

export function kindIcon(kind) {
  return el('span', { class: `kind-icon kind-${kind}`, title: kind, 'aria-label': kind }, KIND_ICONS[kind] || '◇');
}

export function fmtDuration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
  const m = Math.floor(ms / 60000);
  return `${m}m ${Math.round((ms % 60000) / 1000)}s`;
}

export function fmtInt(n) {
  if (n === undefined || n === null) return '–';
  return Number(n).toLocaleString('en-US');
}

// fmtCost formats a USD amount; an unknown cost (null, undefined) is '–',
// never '$0'.
export function fmtCost(c) {
  if (c === undefined || c === null) return '–';
  if (c === 0) return '$0';
  if (Math.abs(c) < 0.01) return `$${c.toPrecision(2)}`;
  return `$${c.toFixed(4)}`;
}

// fmtTotalCost formats a total over model calls of which `unpriced` had no
// known price: the sum is then partial and says so ('–' when nothing was
// priced at all).
export function fmtTotalCost(c, unpriced) {
  if (!unpriced) return fmtCost(c || 0);
  const n = `${unpriced} unpriced`;
  return c ? `${fmtCost(c)} + ${n}` : `– (${n})`;
}

export function fmtTime(t) {
  if (!t) return '–';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// toLocalInput and fromLocalInput convert between RFC 3339 (URL, API) and
// the value of a datetime-local input (local time, no zone).
export function toLocalInput(v) {
  const d = new Date(v);
  if (!v || Number.isNaN(d.getTime())) return '';
  const off = d.getTimezoneOffset() * 60000;
  return new Date(d.getTime() - off).toISOString().slice(0, 19);
}
export function fromLocalInput(v) {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

export function parseTime(t) {
  if (!t) return NaN;
  const v = Date.parse(t);
  return Number.isNaN(v) ? NaN : v;
}

// pretty renders any JSON value for a <pre>: strings that hold JSON are
// parsed first (SDKs send tool args and results as JSON strings).
export function pretty(v) {
  if (typeof v === 'string') {
    const s = v.trim();
    if ((s.startsWith('{') && s.endsWith('}')) || (s.startsWith('[') && s.endsWith(']'))) {
      try { return JSON.stringify(JSON.parse(s), null, 2); } catch { /* keep as text */ }
    }
    return v;
  }
  if (v === undefined) return '';
  return JSON.stringify(v, null, 2);
}

export function jsonBlock(v, cls) {
  return el('pre', { class: `json ${cls || ''}` }, pretty(v));
}

export function isEmpty(v) {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}
