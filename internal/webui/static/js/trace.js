// The trace view: a collapsible tree with a timeline waterfall, rendered
// as a virtual list (only the rows in view exist in the DOM, so a
// 10,000-node trace stays responsive), search within the trace, error
// highlighting, a detail pane for the selected node, and live growth: a
// change event for this trace refetches the tree (debounced) and keeps
// the collapsed set, the selection and the scroll position.

import { api, live, APIError } from './api.js';
import { el, clear, debounce, kindIcon, fmtDuration, fmtInt, fmtTotalCost, fmtTime, parseTime } from './util.js';
import { renderDetail } from './detail.js';

const ROW_H = 26;
const OVERSCAN = 12;

export const keyOf = (n) => `${n.kind}:${n.id}`;

// flatten indexes a tree: every node gets its depth, parent key and
// subtree error flag; order is the tree's pre-order.
export function indexTree(root) {
  const nodes = new Map();
  const order = [];
  let minStart = Infinity;
  let maxEnd = -Infinity;
  const stack = [{ n: root, depth: 0, parent: null }];
  while (stack.length) {
    const { n, depth, parent } = stack.pop();
    const key = keyOf(n);
    if (nodes.has(key)) continue;
    const s = parseTime(n.startTimestamp);
    const e = parseTime(n.endTimestamp);
    if (!Number.isNaN(s)) { minStart = Math.min(minStart, s); maxEnd = Math.max(maxEnd, s); }
    if (!Number.isNaN(e)) maxEnd = Math.max(maxEnd, e);
    const info = { node: n, key, depth, parent, start: s, end: e, children: [] };
    nodes.set(key, info);
    order.push(info);
    if (parent) nodes.get(parent).children.push(key);
    const kids = n.children || [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ n: kids[i], depth: depth + 1, parent: key });
  }
  if (minStart === Infinity) { minStart = 0; maxEnd = 1; }
  if (maxEnd <= minStart) maxEnd = minStart + 1;
  return { nodes, order, minStart, maxEnd };
}

export function nodeHasError(n) {
  return n.kind === 'error' || (Array.isArray(n.errors) && n.errors.length > 0);
}

function searchText(n) {
  return [n.name, n.id, n.kind, n.model, n.provider, n.message, ...(Object.entries(n.tags || {}).map(([k, v]) => `${k}:${v}`))]
    .filter(Boolean).join(' ').toLowerCase();
}

export function mount(container, ctx, traceId, query) {
  const state = {
    trace: null,
    index: null,
    collapsed: new Set(),
    visible: [],
    selected: query.get('node') || '',
    matches: [],
    matchPos: -1,
    search: '',
    fresh: new Set(),
    aborter: new AbortController(),
    firstPaint: true,
  };

  const header = el('div', { class: 'trace-header' });
  const searchInput = el('input', { type: 'search', id: 'tree-search', placeholder: 'Search this trace (name, id, model, tag)…', autocomplete: 'off', spellcheck: 'false' });
  const matchInfo = el('span', { class: 'muted small', id: 'match-info' });
  const toolbar = el('div', { class: 'tree-toolbar' },
    searchInput,
    el('button', { type: 'button', title: 'previous match', onclick: () => step(-1) }, '↑'),
    el('button', { type: 'button', title: 'next match', onclick: () => step(1) }, '↓'),
    matchInfo,
    el('span', { class: 'spacer' }),
    el('button', { type: 'button', id: 'expand-all', onclick: () => { state.collapsed.clear(); rebuild(); } }, 'Expand all'),
    el('button', { type: 'button', id: 'collapse-all', onclick: () => collapseTo(1) }, 'Collapse'));
  const spacer = el('div', { class: 'tree-spacer' });
  const rowsLayer = el('div', { class: 'tree-rows' });
  const scroller = el('div', { class: 'tree-scroll', id: 'tree', tabindex: '0', role: 'tree', 'aria-label': 'trace tree' }, spacer, rowsLayer);
  const axis = el('div', { class: 'tree-axis' });
  const detail = el('aside', { class: 'detail', id: 'detail' }, el('p', { class: 'muted' }, 'Select a node to see its details.'));
  const body = el('div', { class: 'trace-body' },
    el('div', { class: 'tree-pane' }, toolbar, axis, scroller),
    detail);
  const root = el('section', { class: 'trace-view' }, header, body);
  container.appendChild(root);

  // ---- rendering ----

  function renderHeader() {
    clear(header);
    const t = state.trace.trace;
    const tot = t.totals || {};
    header.append(
      el('div', { class: 'crumbs' }, el('a', { href: '/', 'data-link': true }, 'Traces'), ' / ',
        t.sessionId ? [el('a', { href: `/sessions/${encodeURIComponent(t.sessionId)}`, 'data-link': true }, `session ${t.sessionId}`), ' / '] : null,
        el('span', { class: 'mono' }, t.id)),
      el('h1', null, kindIcon(t.kind), ' ', t.name || '(unnamed trace)',
        nodeHasError(t) || tot.error ? el('span', { class: 'badge error' }, `${tot.errors || 1} error${tot.errors === 1 ? '' : 's'}`) : null,
        t.ended ? null : el('span', { class: 'badge running' }, 'running')),
      el('dl', { class: 'stats', id: 'trace-stats' },
        stat('Start', fmtTime(t.startTimestamp)),
        stat('Duration', t.durationMs !== undefined ? fmtDuration(t.durationMs) : '–'),
        stat('Tokens', `${fmtInt(tot.inputTokens)} in / ${fmtInt(tot.outputTokens)} out / ${fmtInt(tot.totalTokens)}`),
        stat('Cost', fmtTotalCost(tot.cost, tot.unpricedGenerations)),
        stat('Nodes', `${state.index.order.length} (${Object.entries(tot.counts || {}).map(([k, v]) => `${v} ${k}`).join(', ')})`),
        stat('Commits', fmtInt(state.trace.commitCount))));
  }

  function stat(k, v) { return el('div', null, el('dt', null, k), el('dd', null, v)); }

  function renderAxis() {
    clear(axis);
    const span = state.index.maxEnd - state.index.minStart;
    axis.append(el('div', { class: 'axis-label' }, 'node'));
    const ticks = el('div', { class: 'axis-ticks' });
    for (let i = 0; i <= 4; i++) {
      ticks.append(el('span', { style: { left: `${i * 25}%` } }, fmtDuration((span * i) / 4)));
    }
    axis.append(ticks);
  }

  // rebuild recomputes the visible row list after a collapse change.
  function rebuild() {
    const vis = [];
    const { nodes, order } = state.index;
    const hiddenUnder = new Set();
    for (const info of order) {
      if (info.parent && (hiddenUnder.has(info.parent) || state.collapsed.has(info.parent))) {
        hiddenUnder.add(info.key);
        continue;
      }
      vis.push(info);
    }
    state.visible = vis;
    spacer.style.height = `${vis.length * ROW_H}px`;
    void nodes;
    paint(true);
  }

  let painted = { from: -1, to: -1 };
  function paint(force) {
    const top = scroller.scrollTop;
    const h = scroller.clientHeight || 600;
    const from = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const to = Math.min(state.visible.length, Math.ceil((top + h) / ROW_H) + OVERSCAN);
    if (!force && from === painted.from && to === painted.to) return;
    painted = { from, to };
    const frag = document.createDocumentFragment();
    for (let i = from; i < to; i++) frag.appendChild(renderRow(state.visible[i], i));
    clear(rowsLayer);
    rowsLayer.appendChild(frag);
    if (state.firstPaint && state.visible.length) {
      state.firstPaint = false;
      // Exposed for the browser test's time-to-first-paint measurement.
      performance.mark('trace-first-paint');
      root.dataset.painted = 'true';
    }
  }

  function renderRow(info, i) {
    const n = info.node;
    const { minStart, maxEnd } = state.index;
    const span = maxEnd - minStart;
    const hasKids = info.children.length > 0;
    const collapsed = state.collapsed.has(info.key);
    const err = nodeHasError(n);
    const subtreeErr = !err && n.totals && n.totals.error;
    const cls = ['tree-row'];
    if (err) cls.push('is-error');
    if (subtreeErr) cls.push('has-error-below');
    if (info.key === state.selected) cls.push('selected');
    if (state.matchSet && state.matchSet.has(info.key)) cls.push('match');
    if (state.fresh.has(info.key)) cls.push('flash');

    let bar;
    if (!Number.isNaN(info.start)) {
      const left = ((info.start - minStart) / span) * 100;
      const end = Number.isNaN(info.end) ? (n.ended ? info.start : maxEnd) : info.end;
      const width = Math.max(((end - info.start) / span) * 100, 0.3);
      const dur = Number.isNaN(info.end) ? null : info.end - info.start;
      bar = el('div', {
        class: `bar bar-${n.kind}${Number.isNaN(info.end) && !n.ended ? ' open' : ''}${err ? ' bar-error' : ''}`,
        style: { left: `${Math.min(left, 99.7)}%`, width: `${Math.min(width, 100 - Math.min(left, 99.7))}%` },
        title: `start +${fmtDuration(info.start - minStart)}${dur !== null ? `, ${fmtDuration(dur)}` : ', still open'}`,
      });
    }
    const usage = n.usage ? el('span', { class: 'pill' }, `${fmtInt(n.usage.totalTokens)} tok`) : null;
    return el('div', {
      class: cls.join(' '), role: 'treeitem', 'aria-level': info.depth + 1, 'aria-selected': info.key === state.selected ? 'true' : 'false',
      'aria-expanded': hasKids ? String(!collapsed) : undefined,
      style: { transform: `translateY(${i * ROW_H}px)` }, dataset: { key: info.key, kind: n.kind },
    },
    el('div', { class: 'tree-label', style: { paddingLeft: `${info.depth * 16 + 4}px` } },
      hasKids ? el('button', { type: 'button', class: 'toggle', tabindex: '-1', 'aria-label': collapsed ? 'expand' : 'collapse', dataset: { toggle: info.key } }, collapsed ? '▸' : '▾')
        : el('span', { class: 'toggle-pad' }),
      kindIcon(n.kind),
      el('span', { class: 'node-name' }, n.name || n.message || n.id),
      n.model ? el('span', { class: 'pill model' }, n.model) : null,
      usage,
      err ? el('span', { class: 'badge error' }, 'error') : null,
      hasKids && collapsed ? el('span', { class: 'muted small' }, ` +${countBelow(info)}`) : null),
    el('div', { class: 'tree-bar-cell' }, bar,
      el('span', { class: 'dur small muted' }, Number.isNaN(info.end) || Number.isNaN(info.start) ? '' : fmtDuration(info.end - info.start))));
  }

  function countBelow(info) {
    let c = 0;
    const st = [...info.children];
    while (st.length) { const k = st.pop(); c++; st.push(...state.index.nodes.get(k).children); }
    return c;
  }

  function collapseTo(depth) {
    state.collapsed.clear();
    for (const info of state.index.order) if (info.depth >= depth && info.children.length) state.collapsed.add(info.key);
    rebuild();
  }

  // ---- selection and details ----

  let detailAborter = null;
  function select(key, { scroll = false } = {}) {
    if (!state.index || !state.index.nodes.has(key)) return;
    state.selected = key;
    // Reveal: expand every ancestor so the selected row is in the list.
    let changed = false;
    for (let p = state.index.nodes.get(key).parent; p; p = state.index.nodes.get(p).parent) {
      if (state.collapsed.delete(p)) changed = true;
    }
    if (changed) rebuild(); else paint(true);
    if (scroll) scrollToKey(key);
    const q = new URLSearchParams(window.location.search);
    q.set('node', key);
    history.replaceState(null, '', `${window.location.pathname}?${q}`);
    showDetail(key);
  }

  function showDetail(key) {
    const info = state.index.nodes.get(key);
    if (!info) return;
    if (detailAborter) detailAborter.abort();
    detailAborter = new AbortController();
    clear(detail);
    detail.appendChild(renderDetail(info.node, { signal: detailAborter.signal, traceStart: state.index.minStart }));
  }

  function scrollToKey(key) {
    const i = state.visible.findIndex((v) => v.key === key);
    if (i < 0) return;
    const top = i * ROW_H;
    if (top < scroller.scrollTop || top > scroller.scrollTop + scroller.clientHeight - ROW_H) {
      scroller.scrollTop = Math.max(0, top - scroller.clientHeight / 3);
    }
    paint(true);
  }

  // "/" focuses the search box, as in most explorers.
  function onKey(e) {
    if (e.key === '/' && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement && document.activeElement.tagName)) {
      e.preventDefault();
      searchInput.focus();
    }
  }
  document.addEventListener('keydown', onKey);

  scroller.addEventListener('scroll', () => requestAnimationFrame(() => paint(false)), { passive: true });
  window.addEventListener('resize', onResize);
  function onResize() { paint(true); }
  scroller.addEventListener('click', (e) => {
    const t = e.target.closest('[data-toggle]');
    if (t) {
      const k = t.dataset.toggle;
      if (state.collapsed.has(k)) state.collapsed.delete(k); else state.collapsed.add(k);
      rebuild();
      return;
    }
    const row = e.target.closest('.tree-row');
    if (row) select(row.dataset.key);
  });
  scroller.addEventListener('keydown', (e) => {
    if (!state.visible.length) return;
    let i = state.visible.findIndex((v) => v.key === state.selected);
    const cur = state.visible[i];
    switch (e.key) {
      case 'ArrowDown': i = Math.min(state.visible.length - 1, i + 1); break;
      case 'ArrowUp': i = Math.max(0, i - 1); break;
      case 'ArrowRight': if (cur && state.collapsed.delete(cur.key)) rebuild(); e.preventDefault(); return;
      case 'ArrowLeft':
        if (cur && cur.children.length && !state.collapsed.has(cur.key)) { state.collapsed.add(cur.key); rebuild(); } else if (cur && cur.parent) select(cur.parent, { scroll: true });
        e.preventDefault();
        return;
      default: return;
    }
    e.preventDefault();
    select(state.visible[i].key, { scroll: true });
  });

  // ---- search within the trace ----

  function runSearch() {
    const s = searchInput.value.trim().toLowerCase();
    state.search = s;
    if (!s) {
      state.matches = []; state.matchSet = null; state.matchPos = -1;
      matchInfo.textContent = '';
      paint(true);
      return;
    }
    state.matches = state.index.order.filter((info) => searchText(info.node).includes(s)).map((i) => i.key);
    state.matchSet = new Set(state.matches);
    state.matchPos = -1;
    matchInfo.textContent = `${state.matches.length} match${state.matches.length === 1 ? '' : 'es'}`;
    if (state.matches.length) step(1); else paint(true);
  }
  function step(d) {
    if (!state.matches.length) return;
    state.matchPos = (state.matchPos + d + state.matches.length) % state.matches.length;
    matchInfo.textContent = `${state.matchPos + 1} / ${state.matches.length}`;
    select(state.matches[state.matchPos], { scroll: true });
  }
  searchInput.addEventListener('input', debounce(runSearch, 200));
  searchInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); step(e.shiftKey ? -1 : 1); } });

  // ---- loading and live growth ----

  async function load() {
    try {
      const t = await api.trace(traceId, state.aborter.signal);
      if (!state.trace) performance.mark('trace-fetched');
      const prev = state.index;
      state.trace = t;
      state.index = indexTree(t.trace);
      state.fresh = new Set();
      if (prev) {
        for (const k of state.index.nodes.keys()) if (!prev.nodes.has(k)) state.fresh.add(k);
        for (const k of [...state.collapsed]) if (!state.index.nodes.has(k)) state.collapsed.delete(k);
      } else if (state.index.order.length > 5000) {
        // A huge trace opens with the top levels only; rows are virtual
        // either way, but a smaller first list paints faster.
        for (const info of state.index.order) if (info.depth >= 1 && info.children.length) state.collapsed.add(info.key);
      }
      root.dataset.nodes = String(state.index.order.length);
      renderHeader();
      renderAxis();
      rebuild();
      if (state.search) runSearchQuiet();
      if (!prev && !state.selected && query.get('span')) {
        // A span link (?span=<id>, from another trace's links) names a
        // node by id only: select the node with that id, whatever its kind.
        const info = state.index.order.find((i) => i.node.id === query.get('span'));
        if (info) state.selected = info.key;
      }
      if (state.selected && state.index.nodes.has(state.selected)) {
        if (!prev) select(state.selected, { scroll: true }); else showDetailIfChanged(prev);
      } else if (!prev) {
        // Nothing asked for: show the trace itself (its input, output,
        // tags, feedback...) rather than an empty pane.
        state.selected = state.index.order[0].key;
        paint(true);
        showDetail(state.selected);
      }
      if (state.fresh.size) setTimeout(() => { state.fresh.clear(); paint(true); }, 1600);
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err instanceof APIError && err.status === 404 && !state.trace) {
        clear(header);
        header.append(el('h1', null, 'Trace ', el('span', { class: 'mono' }, traceId)),
          el('p', { class: 'muted', id: 'waiting' }, 'Not found yet. Waiting for its commits to arrive…'));
        return;
      }
      ctx.fail(header, err);
    }
  }

  // runSearchQuiet re-applies the search after a live reload without moving
  // the selection: the match the user stepped to keeps its position.
  function runSearchQuiet() {
    const current = state.matchPos >= 0 ? state.matches[state.matchPos] : null;
    state.matches = state.index.order.filter((info) => searchText(info.node).includes(state.search)).map((i) => i.key);
    state.matchSet = new Set(state.matches);
    state.matchPos = current ? state.matches.indexOf(current) : -1;
    matchInfo.textContent = state.matchPos >= 0
      ? `${state.matchPos + 1} / ${state.matches.length}`
      : `${state.matches.length} match${state.matches.length === 1 ? '' : 'es'}`;
    paint(true);
  }

  function showDetailIfChanged(prev) {
    const a = prev.nodes.get(state.selected);
    const b = state.index.nodes.get(state.selected);
    if (!a || !b || a.node.lastVersion !== b.node.lastVersion || a.node.commitCount !== b.node.commitCount) showDetail(state.selected);
  }

  // Live reloads never overlap: a change during a fetch schedules one more
  // fetch after it, and the debounce grows with the tree's fetch time so a
  // huge trace being written is not refetched back to back.
  let inflight = false;
  let again = false;
  let lastLoadMs = 0;
  async function reloadNow() {
    if (inflight) { again = true; return; }
    inflight = true;
    const t0 = performance.now();
    try { await load(); } finally {
      lastLoadMs = performance.now() - t0;
      inflight = false;
      if (again) { again = false; reload(); }
    }
  }
  const debounced = debounce(reloadNow, 150);
  const reload = Object.assign(() => (lastLoadMs > 300 ? setTimeout(debounced, lastLoadMs) : debounced()), { cancel: () => debounced.cancel() });
  const feed = live({ trace: traceId }, {
    onChange: () => reload(),
    onResync: () => reload(),
    onState: (s) => ctx.setLive(s),
  });

  load();
  return () => {
    feed.stop(); reload.cancel(); state.aborter.abort();
    if (detailAborter) detailAborter.abort();
    window.removeEventListener('resize', onResize);
    document.removeEventListener('keydown', onKey);
  };
}
