// The trace list: the API's search filters, newest first, cursor
// pagination ("Load more"), and rows that update live: a change event for
// a trace refetches the first page (debounced) and merges it in.

import { api, live } from './api.js';
import { el, clear, debounce, fmtDuration, fmtInt, fmtTotalCost, fmtTime, toLocalInput, fromLocalInput } from './util.js';

const FILTERS = [
  { name: 'name', label: 'Name', placeholder: 'exact name' },
  { name: 'session', label: 'Session', placeholder: 'session id' },
  { name: 'model', label: 'Model', placeholder: 'e.g. gpt-4o' },
  { name: 'tag', label: 'Tags', placeholder: 'k:v, k2:v2' },
  { name: 'min_duration', label: 'Min duration', placeholder: '250ms, 2s' },
  { name: 'min_cost', label: 'Min cost ($)', placeholder: '0.01' },
  { name: 'eval', label: 'Evaluation failed', placeholder: 'evaluator, e.g. pii' },
  { name: 'eval_score_lt', label: 'Eval score <', placeholder: '0.5 (with evaluator)' },
  { name: 'from', label: 'From', type: 'datetime-local' },
  { name: 'to', label: 'To', type: 'datetime-local' },
];

export function mount(container, ctx, query) {
  const state = {
    filters: {},
    traces: [], // in display order
    byId: new Map(),
    cursor: '',
    loading: false,
    aborter: new AbortController(),
  };
  for (const f of FILTERS) state.filters[f.name] = f.name === 'tag' ? query.getAll('tag').join(', ') : (query.get(f.name) || '');
  state.filters.status = query.get('status') || '';
  state.filters.limit = query.get('limit') || '50';
  state.filters.sort = query.get('sort') === 'cost' ? 'cost' : '';

  const inputs = {};
  const form = el('form', { class: 'filters', id: 'trace-filters', onsubmit: (e) => { e.preventDefault(); apply(); } },
    FILTERS.map((f) => {
      const input = el('input', {
        name: f.name, type: f.type || 'text', placeholder: f.placeholder || '',
        value: f.type === 'datetime-local' ? toLocalInput(state.filters[f.name]) : state.filters[f.name],
        autocomplete: 'off', spellcheck: 'false',
      });
      inputs[f.name] = input;
      return el('label', null, f.label, input);
    }),
    el('label', null, 'Last', el('select', {
      name: 'range', id: 'range-preset',
      onchange: (e) => {
        const ms = Number(e.target.value);
        if (!ms) return;
        inputs.from.value = toLocalInput(new Date(Date.now() - ms).toISOString());
        inputs.to.value = '';
        e.target.value = '';
        apply();
      },
    }, [['', '…'], [15 * 60e3, '15 minutes'], [3600e3, 'hour'], [24 * 3600e3, '24 hours'], [7 * 24 * 3600e3, '7 days']].map(([v, l]) => el('option', { value: v }, l)))),
    el('label', { class: 'check' }, (inputs.status = el('input', { type: 'checkbox', name: 'status', checked: state.filters.status === 'error' })), 'Errors only'),
    el('label', null, 'Sort', (inputs.sort = el('select', { name: 'sort', id: 'trace-sort' },
      [['', 'newest first'], ['cost', 'most expensive']].map(([v, l]) => el('option', { value: v, selected: v === state.filters.sort }, l))))),
    el('label', null, 'Page', (inputs.limit = el('select', { name: 'limit' },
      ['20', '50', '100', '200'].map((n) => el('option', { value: n, selected: n === state.filters.limit }, n))))),
    el('div', { class: 'filter-buttons' },
      el('button', { type: 'submit', class: 'primary' }, 'Search'),
      el('button', { type: 'button', onclick: () => { form.reset(); for (const i of Object.values(inputs)) if (i.type !== 'checkbox' && i.tagName !== 'SELECT') i.value = ''; apply(); } }, 'Reset')));

  const status = el('div', { class: 'list-status muted' });
  const tbody = el('tbody');
  const table = el('table', { class: 'trace-table', id: 'trace-table' },
    el('thead', null, el('tr', null,
      ['Start', 'Name', 'Trace id', 'Session', 'Duration', 'Tokens (in/out)', 'Cost', 'Models', 'Nodes', 'Evaluations', ''].map((h) => el('th', { text: h })))),
    tbody);
  const more = el('button', { type: 'button', id: 'load-more', class: 'load-more', hidden: true, onclick: () => load(false) }, 'Load more');

  // A click anywhere on a row opens the trace (links inside keep their own
  // targets; selecting text does not navigate).
  tbody.addEventListener('click', (e) => {
    if (e.target.closest('a') || String(window.getSelection() || '')) return;
    const tr = e.target.closest('tr.trace-row');
    if (tr) ctx.navigate(`/traces/${encodeURIComponent(tr.dataset.id)}`);
  });

  container.appendChild(el('section', { class: 'list-view' },
    el('h1', null, 'Traces'), form, status, el('div', { class: 'table-wrap' }, table), more));

  function queryParams() {
    const tags = (state.filters.tag || '').split(',').map((s) => s.trim()).filter(Boolean);
    return {
      name: state.filters.name, session: state.filters.session, model: state.filters.model,
      tag: tags, min_duration: state.filters.min_duration, min_cost: state.filters.min_cost,
      eval: state.filters.eval, eval_score_lt: state.filters.eval ? state.filters.eval_score_lt : '', from: state.filters.from, to: state.filters.to,
      status: state.filters.status, sort: state.filters.sort, limit: state.filters.limit,
    };
  }

  function apply() {
    for (const f of FILTERS) {
      const v = inputs[f.name].value.trim();
      state.filters[f.name] = f.type === 'datetime-local' ? fromLocalInput(v) : v;
    }
    state.filters.status = inputs.status.checked ? 'error' : '';
    state.filters.limit = inputs.limit.value;
    state.filters.sort = inputs.sort.value;
    ctx.setQuery(queryParams());
    load(true);
  }

  function row(t, fresh) {
    const tr = el('tr', { class: `trace-row${t.error ? ' is-error' : ''}${fresh ? ' flash' : ''}`, dataset: { id: t.id } },
      el('td', { class: 'nowrap' }, fmtTime(t.start)),
      el('td', null, el('a', { href: `/traces/${encodeURIComponent(t.id)}`, 'data-link': true, class: 'trace-link' }, t.name || '(unnamed)')),
      el('td', { class: 'mono small' }, t.id),
      el('td', { class: 'mono small' }, t.sessionId ? el('a', { href: `/sessions/${encodeURIComponent(t.sessionId)}`, 'data-link': true }, t.sessionId) : ''),
      el('td', { class: 'num' }, t.end ? fmtDuration(t.durationMs) : el('span', { class: 'badge running' }, 'running')),
      el('td', { class: 'num' }, `${fmtInt(t.inputTokens)} / ${fmtInt(t.outputTokens)}`),
      el('td', { class: 'num trace-cost' }, fmtTotalCost(t.cost, t.unpricedGenerations)),
      el('td', { class: 'small' }, (t.models || []).join(', ')),
      el('td', { class: 'small' }, Object.entries(t.counts || {}).map(([k, v]) => `${v} ${k}`).join(', ')),
      el('td', { class: 'small trace-evals' }, (t.evaluations || []).map((v) => el('span', {
        class: `badge ${v.failures > 0 ? 'error' : 'pass'}`,
        title: `${v.runs} verdict(s), ${v.failures} failed${v.minScore !== undefined ? `, lowest score ${v.minScore}` : ''}`,
      }, v.failures > 0 ? `${v.evaluator} ✗${v.failures}` : `${v.evaluator} ✓`))),
      el('td', null, t.error ? el('span', { class: 'badge error' }, 'error') : ''));
    return tr;
  }

  function renderRows(freshIds = new Set()) {
    clear(tbody);
    for (const t of state.traces) tbody.appendChild(row(t, freshIds.has(t.id)));
    status.textContent = state.traces.length ? `${state.traces.length} trace${state.traces.length === 1 ? '' : 's'}${state.cursor ? ' (more available)' : ''}` : 'No traces match.';
    more.hidden = !state.cursor;
  }

  async function load(reset) {
    if (reset) {
      state.aborter.abort();
      state.aborter = new AbortController();
      state.traces = []; state.byId.clear(); state.cursor = '';
      status.textContent = 'Loading…';
    }
    state.loading = true;
    try {
      const page = await api.traces({ ...queryParams(), cursor: reset ? '' : state.cursor }, state.aborter.signal);
      for (const t of page.traces || []) {
        if (state.byId.has(t.id)) continue;
        state.byId.set(t.id, t);
        state.traces.push(t);
      }
      state.cursor = page.nextCursor || '';
      renderRows();
    } catch (err) {
      if (err.name !== 'AbortError') { ctx.fail(status, err); }
    } finally {
      state.loading = false;
    }
  }

  // refreshHead re-reads the first page and merges: rows already shown are
  // replaced in place, new traces are inserted by start time, so a user
  // paging deep into the list keeps their place.
  const refreshHead = debounce(async () => {
    try {
      const page = await api.traces({ ...queryParams(), cursor: '' }, state.aborter.signal);
      const fresh = new Set();
      for (const t of page.traces || []) {
        const old = state.byId.get(t.id);
        if (old && JSON.stringify(old) === JSON.stringify(t)) continue;
        fresh.add(t.id);
        state.byId.set(t.id, t);
        if (old) state.traces[state.traces.indexOf(old)] = t;
        else state.traces.push(t);
      }
      if (!fresh.size) return;
      const byStart = (a, b) => (Date.parse(b.start) || 0) - (Date.parse(a.start) || 0) || (a.id < b.id ? 1 : -1);
      state.traces.sort(state.filters.sort === 'cost' ? (a, b) => (b.cost || 0) - (a.cost || 0) || byStart(a, b) : byStart);
      renderRows(fresh);
    } catch (err) {
      if (err.name !== 'AbortError') console.warn('live refresh failed', err);
    }
  }, 400);

  const feed = live({}, {
    onChange: (ch) => { if ((ch.traces || []).length) refreshHead(); },
    onResync: () => refreshHead(),
    onState: (s) => ctx.setLive(s),
  });

  load(true);
  return () => { feed.stop(); refreshHead.cancel(); state.aborter.abort(); };
}
