// The dashboard: volume, tokens, cost, latency percentiles and error rate
// over time from GET /api/v1/stats, optionally one series per model or
// trace name, with a totals table. A click on a chart bucket or a table
// row opens the trace list filtered to that time range and group. It
// refetches when the live feed reports changes (throttled, paused while
// the tab is hidden). The pure parts live in dashdata.js.

import uPlot from '../vendor/uplot/uPlot.esm.js';
import { api, live, APIError } from './api.js';
import { el, clear, fmtDuration, fmtInt, fmtCost, fmtTotalCost, fmtTime, toLocalInput, fromLocalInput } from './util.js';
import {
  RANGES, STEPS, DEFAULT_RANGE, TOP_N, readState, urlParams, resolveRange, statsParams, autoStep, fmtStep,
  chartsFor, buildChart, bucketRange, listURL, topGroups, totalsRows, isEmptyStats, fmtRate, fmtCompact,
} from './dashdata.js';

// Live refresh: wait this long after a change event (more events in the
// meantime ride along), and never fetch more often than MIN_INTERVAL_MS.
const SETTLE_MS = 1000;
const MIN_INTERVAL_MS = 5000;
const CHART_HEIGHT = 190;

const PALETTE = ['#3b5bdb', '#f08c00', '#2f9e44', '#d63939', '#7048e8', '#1098ad', '#e64980', '#5c940d'];
const FIELD_COLORS = {
  volume: ['#3b5bdb', '#7048e8'],
  tokens: ['#1098ad', '#f08c00'],
  cost: ['#2f9e44'],
  'trace-latency': ['#74c0fc', '#3b5bdb', '#1d2b8f'],
  'generation-latency': ['#b197fc', '#7048e8', '#4220a8'],
  'error-rate': ['#d63939'],
};

function fmtValue(unit, v) {
  if (v === null || v === undefined) return '–';
  switch (unit) {
    case 'usd': return fmtCost(v);
    case 'ms': return fmtDuration(v);
    case 'ratio': return fmtRate(v);
    default: return fmtInt(Math.round(v));
  }
}

function fmtAxis(unit, v) {
  switch (unit) {
    case 'usd': return v === 0 ? '$0' : `$${v < 0.01 ? Number(v.toPrecision(2)) : fmtCompact(v)}`;
    case 'ms': return v >= 1000 ? `${fmtCompact(v / 1000)} s` : `${fmtCompact(v)} ms`;
    case 'ratio': return `${fmtCompact(v * 100)}%`;
    default: return fmtCompact(v);
  }
}

export function mount(container, ctx, query) {
  const state = readState(query);
  let resp = null; // the last answer
  let shownGroups = [];
  let aborter = new AbortController();
  let stopped = false;
  let unsupported = false;
  const charts = new Map(); // chart id → { u, sig, card }

  // ---- controls ----
  const inputs = {};
  const rangeSel = el('select', { name: 'range', id: 'dash-range' },
    RANGES.map(([v, , label]) => el('option', { value: v, selected: !state.from && (state.range || DEFAULT_RANGE) === v }, label)),
    el('option', { value: 'custom', selected: !!state.from }, 'from / to'));
  inputs.from = el('input', { name: 'from', type: 'datetime-local', value: toLocalInput(state.from) });
  inputs.to = el('input', { name: 'to', type: 'datetime-local', value: toLocalInput(state.to) });
  const stepSel = el('select', { name: 'step', id: 'dash-step' },
    el('option', { value: '' }, 'auto'),
    STEPS.map((s) => el('option', { value: s, selected: state.step === s }, s)));
  const bySel = el('select', { name: 'by', id: 'dash-by' },
    [['', 'none'], ['model', 'model'], ['name', 'trace name']].map(([v, l]) => el('option', { value: v, selected: state.by === v }, l)));
  inputs.model = el('input', { name: 'model', type: 'text', placeholder: 'e.g. gpt-4o', value: state.model, autocomplete: 'off', spellcheck: 'false' });
  inputs.name = el('input', { name: 'name', type: 'text', placeholder: 'exact name', value: state.name, autocomplete: 'off', spellcheck: 'false' });
  inputs.tag = el('input', { name: 'tag', type: 'text', placeholder: 'k:v, k2:v2', value: state.tag.join(', '), autocomplete: 'off', spellcheck: 'false' });

  rangeSel.addEventListener('change', () => {
    if (rangeSel.value === 'custom') {
      if (!inputs.from.value) inputs.from.value = toLocalInput(resolveRange(state).from);
      inputs.from.focus();
      return;
    }
    inputs.from.value = '';
    inputs.to.value = '';
    apply();
  });
  for (const i of [inputs.from, inputs.to]) i.addEventListener('change', () => { if (i.value) rangeSel.value = 'custom'; });
  stepSel.addEventListener('change', () => apply());
  bySel.addEventListener('change', () => apply());

  const form = el('form', { class: 'filters', id: 'dash-filters', onsubmit: (e) => { e.preventDefault(); apply(); } },
    el('label', null, 'Range', rangeSel),
    el('label', null, 'From', inputs.from),
    el('label', null, 'To', inputs.to),
    el('label', null, 'Step', stepSel),
    el('label', null, 'Group by', bySel),
    el('label', null, 'Model', inputs.model),
    el('label', null, 'Name', inputs.name),
    el('label', null, 'Tags', inputs.tag),
    el('div', { class: 'filter-buttons' }, el('button', { type: 'submit', class: 'primary' }, 'Apply')));

  const status = el('div', { class: 'list-status muted', id: 'dash-status' }, 'Loading…');
  const message = el('div', { id: 'dash-message' });
  const chartGrid = el('div', { class: 'dash-charts', id: 'dash-charts' });
  const tbody = el('tbody');
  const table = el('table', { class: 'trace-table dash-totals', id: 'dash-totals' },
    el('thead', null, el('tr', null,
      ['Group', 'Traces', 'Generations', 'Error rate', 'Input tokens', 'Output tokens', 'Cost', 'Trace p95'].map((h, i) => el('th', { class: i ? 'num' : '', text: h })))),
    tbody);
  const tableWrap = el('div', { class: 'table-wrap', hidden: true }, table);

  tbody.addEventListener('click', (e) => {
    if (e.target.closest('a') || String(window.getSelection() || '')) return;
    const tr = e.target.closest('tr.dash-row');
    if (tr) ctx.navigate(tr.dataset.href);
  });

  container.appendChild(el('section', { class: 'list-view dash-view' },
    el('h1', null, 'Dashboard'), form, status, message, chartGrid, tableWrap));

  function readForm() {
    state.from = fromLocalInput(inputs.from.value.trim());
    state.to = state.from ? fromLocalInput(inputs.to.value.trim()) : '';
    state.range = rangeSel.value === 'custom' ? '' : rangeSel.value;
    if (rangeSel.value === 'custom' && !state.from) state.range = DEFAULT_RANGE;
    state.step = stepSel.value;
    state.by = bySel.value;
    state.model = inputs.model.value.trim();
    state.name = inputs.name.value.trim();
    state.tag = inputs.tag.value.split(',').map((s) => s.trim()).filter(Boolean);
  }

  function apply() {
    readForm();
    ctx.setQuery(urlParams(state));
    load();
  }

  // ---- fetching ----
  let inflight = false;
  let pending = false;
  let timer = null;
  let lastFetch = 0;

  async function load() {
    aborter.abort();
    aborter = new AbortController();
    const signal = aborter.signal;
    clearTimeout(timer); timer = null;
    pending = false;
    inflight = true;
    lastFetch = Date.now();
    const params = statsParams(state);
    const auto = autoStep(resolveRange(state).ms);
    stepSel.options[0].textContent = `auto (${auto})`;
    try {
      const r = await api.stats(params, signal);
      if (stopped || signal.aborted) return;
      resp = r;
      render();
    } catch (err) {
      if (err.name === 'AbortError' || stopped) return;
      if (err instanceof APIError && (err.status === 404 || err.status === 405 || err.status === 501)) {
        unsupported = true;
        feed.stop();
        clear(message).append(el('div', { class: 'error-box', role: 'alert', id: 'dash-unsupported' },
          el('strong', { text: 'Dashboard unavailable' }), ' ',
          `This collector does not serve /api/v1/stats (${err.message}); the dashboard needs a newer otelcol-genai. The `,
          el('a', { href: '/', 'data-link': true }, 'trace list'), ' works as before.'));
        status.textContent = '';
        destroyCharts();
        tableWrap.hidden = true;
        return;
      }
      ctx.fail(message, err);
      status.textContent = '';
    } finally {
      if (!signal.aborted) inflight = false;
      if (pending && !signal.aborted) schedule();
    }
  }

  // schedule refetches after a change: SETTLE_MS after the first event,
  // at least MIN_INTERVAL_MS after the previous fetch, never while the tab
  // is hidden (the visibility handler picks it up).
  function schedule() {
    pending = true;
    if (stopped || unsupported || timer || inflight || document.hidden) return;
    const wait = Math.max(SETTLE_MS, lastFetch + MIN_INTERVAL_MS - Date.now());
    timer = setTimeout(() => {
      timer = null;
      if (stopped) return;
      if (document.hidden) return; // stays pending
      load();
    }, wait);
  }
  function onVisibility() {
    if (!document.hidden && pending) schedule();
  }
  document.addEventListener('visibilitychange', onVisibility);

  // ---- rendering ----
  function destroyCharts() {
    for (const c of charts.values()) c.u.destroy();
    charts.clear();
    clear(chartGrid);
  }

  function render() {
    clear(message);
    const grouped = !!resp.by;
    const step = fmtStep(resp.step);
    if (isEmptyStats(resp)) {
      destroyCharts();
      tableWrap.hidden = true;
      status.textContent = '';
      message.append(el('div', { class: 'dash-empty', id: 'dash-empty' },
        el('strong', { text: 'No data in this range' }), el('div', { class: 'muted' },
          `${fmtTime(resp.from)} → ${fmtTime(resp.to)}. Widen the range or clear the filters.`)));
      return;
    }
    const top = grouped ? topGroups(resp.groups) : { shown: resp.groups.slice(0, 1), hidden: 0, total: 1 };
    shownGroups = top.shown;
    status.textContent = `${fmtTime(resp.from)} → ${fmtTime(resp.to)}, ${step} buckets` +
      (grouped ? ` · ${top.total} group${top.total === 1 ? '' : 's'} by ${resp.by}` +
        (top.hidden ? `; the charts show the ${TOP_N} largest, the table all` : '') : '');
    renderCharts(grouped);
    renderTable(grouped);
  }

  function unpricedTotal() {
    return (resp.groups || []).reduce((n, g) => n + ((g.totals && g.totals.unpricedGenerations) || 0), 0);
  }

  function renderCharts(grouped) {
    const specs = chartsFor(grouped);
    const wanted = new Set(specs.map((s) => s.id));
    for (const [id, c] of charts) {
      if (!wanted.has(id)) { c.u.destroy(); c.card.remove(); charts.delete(id); }
    }
    specs.forEach((spec, i) => {
      const { xs, series } = buildChart(resp, spec, grouped, shownGroups);
      const data = [xs, ...series.map((s) => s.values)];
      const sig = `${grouped}|${xs.length}|${series.map((s) => s.label).join('\u0000')}`;
      let c = charts.get(spec.id);
      if (c && c.sig === sig) {
        c.u.setData(data);
      } else {
        if (c) c.u.destroy();
        const card = c ? c.card : el('div', { class: 'dash-chart', dataset: { chart: spec.id } });
        clear(card);
        const note = el('span', { class: 'dash-note muted' });
        const plotEl = el('div', { class: 'dash-plot' });
        card.append(el('h2', null, spec.title, note), plotEl);
        if (!c) chartGrid.append(card);
        else if (chartGrid.children[i] !== card) chartGrid.insertBefore(card, chartGrid.children[i] || null);
        const colors = grouped ? PALETTE : (FIELD_COLORS[spec.id] || PALETTE);
        const u = new uPlot(chartOptions(spec, series, colors, plotEl), data, plotEl);
        c = { u, sig, card, note, plotEl };
        charts.set(spec.id, c);
      }
      c.note.textContent = '';
      if (spec.id === 'cost') {
        const n = unpricedTotal();
        if (n > 0) c.note.textContent = `+ ${fmtInt(n)} unpriced generation${n === 1 ? '' : 's'} not included`;
      }
      if (grouped && spec.id === 'volume' && resp.by === 'model') c.note.textContent = 'traces that used the model';
    });
  }

  function chartOptions(spec, series, colors, plotEl) {
    const width = Math.max(280, plotEl.clientWidth || chartGrid.clientWidth / 2 || 600);
    const xsCount = resp && resp.groups && resp.groups[0] ? (resp.groups[0].buckets || []).length : 0;
    return {
      width,
      height: CHART_HEIGHT,
      cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 6 } },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [
        { stroke: '#6b7385', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#e2e5eb' } },
        {
          stroke: '#6b7385', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#e2e5eb' },
          values: (u, splits) => splits.map((v) => fmtAxis(spec.unit, v)),
          // Wide enough for the longest label ("$0.0005", "750 ms").
          size: (u, values) => 24 + 7 * Math.max(3, ...(values || []).map((v) => String(v).length)),
        },
      ],
      series: [
        { value: (u, v) => (v === null || v === undefined ? '–' : fmtTime(v * 1000).slice(0, 16)) },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: colors[i % colors.length],
          width: 1.5,
          spanGaps: false,
          // Latency and error rate have gaps (no traces, no value): a lone
          // bucket is only visible as a point.
          points: { show: spec.unit === 'ms' || spec.unit === 'ratio' || xsCount <= 48, size: 5 },
          value: (u, v) => fmtValue(spec.unit, v),
        })),
      ],
      hooks: {
        ready: [(u) => {
          u.over.classList.add('dash-clickable');
          u.over.addEventListener('click', () => clickChart(u, spec));
        }],
      },
    };
  }

  // clickChart opens the trace list for the bucket under the cursor and,
  // when grouped, the group whose line is nearest the pointer.
  function clickChart(u, spec) {
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined || !resp) return;
    const range = bucketRange(resp, idx);
    if (!range) return;
    let key = '';
    if (resp.by) {
      let best = Infinity;
      shownGroups.forEach((g, i) => {
        if (!u.series[i + 1].show) return;
        const v = u.data[i + 1][idx];
        if (v === null || v === undefined) return;
        const d = Math.abs(u.valToPos(v, 'y') - u.cursor.top);
        if (d < best) { best = d; key = g.key; }
      });
    }
    ctx.navigate(listURL({ ...range, by: resp.by, key, filters: state }));
  }

  function renderTable(grouped) {
    clear(tbody);
    for (const r of totalsRows(resp)) {
      const href = listURL({ from: resp.from, to: resp.to, by: resp.by, key: r.key, filters: state });
      const label = grouped ? (r.key === '' ? '(none)' : r.key) : 'All traces';
      tbody.append(el('tr', { class: `dash-row${r.errorTraces ? ' is-error' : ''}`, dataset: { key: r.key, href } },
        el('td', { class: 'key' }, el('a', { href, 'data-link': true }, label)),
        el('td', { class: 'num traces', dataset: { value: r.traces } }, fmtInt(r.traces)),
        el('td', { class: 'num generations', dataset: { value: r.generations } }, fmtInt(r.generations)),
        el('td', { class: 'num error-rate', dataset: { value: r.errorRate === null ? '' : r.errorRate } }, fmtRate(r.errorRate)),
        el('td', { class: 'num input-tokens', dataset: { value: r.inputTokens } }, fmtInt(r.inputTokens)),
        el('td', { class: 'num output-tokens', dataset: { value: r.outputTokens } }, fmtInt(r.outputTokens)),
        el('td', { class: 'num cost', dataset: { value: r.cost, unpriced: r.unpriced } }, fmtTotalCost(r.cost, r.unpriced)),
        el('td', { class: 'num trace-p95', dataset: { value: r.traceP95 === null ? '' : r.traceP95 } }, fmtDuration(r.traceP95))));
    }
    tableWrap.hidden = false;
  }

  // Charts follow the width of their cards.
  const ro = new ResizeObserver(() => {
    for (const c of charts.values()) {
      const w = Math.max(280, Math.floor(c.plotEl.clientWidth));
      if (w !== c.u.width) c.u.setSize({ width: w, height: CHART_HEIGHT });
    }
  });
  ro.observe(chartGrid);

  const feed = live({}, {
    onChange: (ch) => { if ((ch.traces || []).length) schedule(); },
    onResync: () => schedule(),
    onState: (s) => ctx.setLive(s),
  });

  load();
  return () => {
    stopped = true;
    feed.stop();
    clearTimeout(timer);
    aborter.abort();
    ro.disconnect();
    document.removeEventListener('visibilitychange', onVisibility);
    destroyCharts();
  };
}
