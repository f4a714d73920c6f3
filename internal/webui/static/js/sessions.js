// Sessions: the session list, and one session with its traces in start
// order and the session's totals. Both refresh live.

import { api, live, APIError } from './api.js';
import { el, clear, debounce, kindIcon, fmtDuration, fmtInt, fmtTotalCost, fmtTime, parseTime } from './util.js';
import { renderDetail } from './detail.js';

export function mountList(container, ctx) {
  const aborter = new AbortController();
  const status = el('div', { class: 'list-status muted' }, 'Loading…');
  const tbody = el('tbody');
  const more = el('button', { type: 'button', class: 'load-more', hidden: true, onclick: () => load(false) }, 'Load more');
  container.append(el('section', { class: 'list-view' }, el('h1', null, 'Sessions'), status,
    el('div', { class: 'table-wrap' }, el('table', { class: 'trace-table', id: 'session-table' },
      el('thead', null, el('tr', null, ['Start', 'Name', 'Session id', 'Traces', 'Duration', 'Tokens', 'Cost', ''].map((h) => el('th', { text: h })))),
      tbody)), more));
  let cursor = '';
  let rows = [];

  async function load(reset) {
    try {
      const page = await api.sessions({ limit: 50, cursor: reset ? '' : cursor }, aborter.signal);
      if (reset) rows = [];
      const seen = new Set(rows.map((s) => s.id));
      for (const s of page.sessions || []) if (!seen.has(s.id)) rows.push(s);
      cursor = page.nextCursor || '';
      clear(tbody);
      for (const s of rows) {
        tbody.append(el('tr', { class: s.error ? 'is-error' : '', dataset: { id: s.id } },
          el('td', { class: 'nowrap' }, fmtTime(s.start)),
          el('td', null, el('a', { href: `/sessions/${encodeURIComponent(s.id)}`, 'data-link': true }, s.name || '(unnamed)')),
          el('td', { class: 'mono small' }, s.id),
          el('td', { class: 'num' }, fmtInt(s.traceCount)),
          el('td', { class: 'num' }, s.end ? fmtDuration(parseTime(s.end) - parseTime(s.start)) : el('span', { class: 'badge running' }, 'open')),
          el('td', { class: 'num' }, fmtInt(s.totalTokens)),
          el('td', { class: 'num session-cost' }, fmtTotalCost(s.cost, s.unpricedGenerations)),
          el('td', null, s.error ? el('span', { class: 'badge error' }, 'error') : '')));
      }
      status.textContent = rows.length ? `${rows.length} session${rows.length === 1 ? '' : 's'}` : 'No sessions.';
      more.hidden = !cursor;
    } catch (err) {
      ctx.fail(status, err);
    }
  }
  const refresh = debounce(() => load(true), 500);
  const feed = live({}, { onChange: (ch) => { if ((ch.sessions || []).length) refresh(); }, onResync: refresh, onState: (s) => ctx.setLive(s) });
  load(true);
  return () => { feed.stop(); refresh.cancel(); aborter.abort(); };
}

export function mountSession(container, ctx, sessionId) {
  const aborter = new AbortController();
  const head = el('div', { class: 'trace-header' }, el('p', { class: 'muted' }, 'Loading…'));
  const list = el('div', { class: 'session-traces' });
  const detail = el('div', { class: 'session-detail' });
  container.append(el('section', { class: 'session-view' }, head, list, detail));

  async function load() {
    try {
      const s = await api.session(sessionId, aborter.signal);
      const n = s.session;
      const tot = n.totals || {};
      const traces = [...(n.children || [])].filter((c) => c.kind === 'trace')
        .sort((a, b) => (parseTime(a.startTimestamp) || 0) - (parseTime(b.startTimestamp) || 0) || (a.id < b.id ? -1 : 1));
      clear(head).append(
        el('div', { class: 'crumbs' }, el('a', { href: '/sessions', 'data-link': true }, 'Sessions'), ' / ', el('span', { class: 'mono' }, n.id)),
        el('h1', null, kindIcon('session'), ' ', n.name || '(unnamed session)', tot.error ? el('span', { class: 'badge error' }, `${tot.errors} errors`) : null,
          n.ended ? null : el('span', { class: 'badge running' }, 'open')),
        el('dl', { class: 'stats', id: 'session-stats' },
          stat('Traces', String(traces.length)),
          stat('Start', fmtTime(n.startTimestamp)),
          stat('Duration', n.durationMs !== undefined ? fmtDuration(n.durationMs) : '–'),
          stat('Tokens', `${fmtInt(tot.inputTokens)} in / ${fmtInt(tot.outputTokens)} out / ${fmtInt(tot.totalTokens)}`),
          stat('Cost', fmtTotalCost(tot.cost, tot.unpricedGenerations)),
          stat('Nodes', Object.entries(tot.counts || {}).map(([k, v]) => `${v} ${k}`).join(', '))));
      clear(list).append(el('table', { class: 'trace-table', id: 'session-trace-table' },
        el('thead', null, el('tr', null, ['#', 'Start', 'Trace', 'Input', 'Output', 'Duration', 'Tokens', 'Cost', ''].map((h) => el('th', { text: h })))),
        el('tbody', null, traces.map((t, i) => {
          const tt = t.totals || {};
          return el('tr', { class: tt.error ? 'is-error' : '', dataset: { id: t.id } },
            el('td', { class: 'num' }, String(i + 1)),
            el('td', { class: 'nowrap' }, fmtTime(t.startTimestamp)),
            el('td', null, el('a', { href: `/traces/${encodeURIComponent(t.id)}`, 'data-link': true }, t.name || t.id)),
            el('td', { class: 'clip' }, short(t.input)),
            el('td', { class: 'clip' }, short(t.output)),
            el('td', { class: 'num' }, t.durationMs !== undefined ? fmtDuration(t.durationMs) : el('span', { class: 'badge running' }, 'running')),
            el('td', { class: 'num' }, fmtInt(tt.totalTokens)),
            el('td', { class: 'num' }, fmtTotalCost(tt.cost, tt.unpricedGenerations)),
            el('td', null, tt.error ? el('span', { class: 'badge error' }, 'error') : ''));
        }))));
      const own = { ...n, children: undefined };
      clear(detail).append(renderDetail(own, { signal: aborter.signal }));
    } catch (err) {
      if (err instanceof APIError && err.status === 404) {
        clear(head).append(el('h1', null, 'Session ', el('span', { class: 'mono' }, sessionId)), el('p', { class: 'muted' }, 'Not found yet. Waiting for its commits…'));
        return;
      }
      ctx.fail(head, err);
    }
  }
  function stat(k, v) { return el('div', null, el('dt', null, k), el('dd', null, v)); }
  function short(v) {
    if (v === undefined || v === null) return '';
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return s.length > 120 ? `${s.slice(0, 117)}…` : s;
  }
  const reload = debounce(load, 300);
  const feed = live({ session: sessionId }, { onChange: reload, onResync: reload, onState: (s) => ctx.setLive(s) });
  load();
  return () => { feed.stop(); reload.cancel(); aborter.abort(); };
}
