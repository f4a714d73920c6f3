// Unit tests of the UI's pure modules (no browser): the SSE parser that
// reads the live feed from a fetch stream, and the tree indexer behind the
// virtual tree and waterfall. Run by browser_test.go (TestUIModules).

import { test } from 'node:test';
import assert from 'node:assert/strict';

// api.js reads localStorage only inside functions; util.js touches the DOM
// only inside functions, so both import cleanly under node.
const { sseParser } = await import('../../internal/webui/static/js/api.js');
const { indexTree, nodeHasError } = await import('../../internal/webui/static/js/trace.js');

function collect(chunks) {
  const events = [];
  const feed = sseParser((e) => events.push(e));
  for (const c of chunks) feed(c);
  return events;
}

test('sseParser: events split across chunks at any byte', () => {
  const stream = 'retry: 2000\n: connected\n\nid: 1\nevent: change\ndata: {"traces":["t1"]}\n\n: heartbeat\n\nid: 2\nevent: resync\ndata: {}\n\n';
  const whole = collect([stream]);
  assert.deepEqual(whole, [
    { event: 'change', data: '{"traces":["t1"]}', id: '1' },
    { event: 'resync', data: '{}', id: '2' },
  ]);
  for (let i = 1; i < stream.length; i++) {
    assert.deepEqual(collect([stream.slice(0, i), stream.slice(i)]), whole, `split at ${i}`);
  }
  // One character at a time.
  assert.deepEqual(collect([...stream]), whole);
});

test('sseParser: CRLF, multi-line data, default event name, no trailing blank line', () => {
  const ev = collect(['data: a\r\ndata: b\r\n\r\n', 'event: change\ndata:x\n\n', 'data: pending']);
  assert.deepEqual(ev, [
    { event: 'message', data: 'a\nb', id: undefined },
    { event: 'change', data: 'x', id: undefined },
  ]);
});

test('indexTree: pre-order, depths, parents, time bounds; a node reached twice is placed once', () => {
  const shared = { kind: 'generation', id: 'g', startTimestamp: '2026-01-01T00:00:03Z', endTimestamp: '2026-01-01T00:00:05Z' };
  const root = {
    kind: 'trace', id: 't', startTimestamp: '2026-01-01T00:00:01Z',
    children: [
      { kind: 'span', id: 's1', startTimestamp: '2026-01-01T00:00:02Z', children: [shared, { kind: 'tool_call', id: 'c', errors: [{ key: 'k' }] }] },
      { kind: 'span', id: 's2', endTimestamp: '2026-01-01T00:00:09Z', children: [shared] },
      { kind: 'error', id: 'e' },
    ],
  };
  const ix = indexTree(root);
  assert.deepEqual(ix.order.map((i) => i.key), ['trace:t', 'span:s1', 'generation:g', 'tool_call:c', 'span:s2', 'error:e']);
  assert.deepEqual(ix.order.map((i) => i.depth), [0, 1, 2, 2, 1, 1]);
  assert.equal(ix.nodes.get('generation:g').parent, 'span:s1');
  assert.deepEqual(ix.nodes.get('span:s1').children, ['generation:g', 'tool_call:c']);
  assert.deepEqual(ix.nodes.get('span:s2').children, []);
  assert.equal(ix.minStart, Date.parse('2026-01-01T00:00:01Z'));
  assert.equal(ix.maxEnd, Date.parse('2026-01-01T00:00:09Z'));
  assert.equal(nodeHasError(ix.nodes.get('tool_call:c').node), true);
  assert.equal(nodeHasError(ix.nodes.get('error:e').node), true);
  assert.equal(nodeHasError(ix.nodes.get('span:s1').node), false);
});

test('indexTree: a trace without timestamps still has a non-empty time range', () => {
  const ix = indexTree({ kind: 'trace', id: 't' });
  assert.ok(ix.maxEnd > ix.minStart);
});

test('indexTree: 10,000 nodes index quickly enough to stay interactive', () => {
  const root = { kind: 'trace', id: 't', startTimestamp: '2026-01-01T00:00:00Z', children: [] };
  for (let s = 0; s < 100; s++) {
    const span = { kind: 'span', id: `s${s}`, startTimestamp: '2026-01-01T00:00:00Z', children: [] };
    for (let c = 0; c < 99; c++) span.children.push({ kind: 'generation', id: `g${s}-${c}`, startTimestamp: '2026-01-01T00:00:01Z' });
    root.children.push(span);
  }
  const t0 = performance.now();
  const ix = indexTree(root);
  const ms = performance.now() - t0;
  assert.equal(ix.order.length, 10001);
  process.stdout.write(`METRIC index_tree_10k_ms=${ms.toFixed(1)} ms\n`);
});

// ---- the dashboard's pure part (dashdata.js) ----

const dash = await import('../../internal/webui/static/js/dashdata.js');

test('dashboard: Go durations, automatic step (≤ 200 buckets), API step names', () => {
  assert.equal(dash.parseDuration('15m'), 15 * 60e3);
  assert.equal(dash.parseDuration('1h0m0s'), 3600e3);
  assert.equal(dash.parseDuration('1h30m'), 90 * 60e3);
  assert.equal(dash.parseDuration('250ms'), 250);
  assert.equal(dash.parseDuration('1d'), 24 * 3600e3);
  assert.ok(Number.isNaN(dash.parseDuration('')));
  assert.ok(Number.isNaN(dash.parseDuration('5 minutes')));
  assert.equal(dash.fmtStep('1h0m0s'), '1h');
  assert.equal(dash.fmtStep('24h0m0s'), '1d');
  assert.equal(dash.fmtStep('15m0s'), '15m');
  assert.equal(dash.apiStep('1d'), '24h');
  assert.equal(dash.apiStep('15m'), '15m');
  // The presets: 1h → 1m (60), 24h → 15m (96), 7d → 1h (168), 30d → 6h (120).
  assert.equal(dash.autoStep(3600e3), '1m');
  assert.equal(dash.autoStep(24 * 3600e3), '15m');
  assert.equal(dash.autoStep(7 * 24 * 3600e3), '1h');
  assert.equal(dash.autoStep(30 * 24 * 3600e3), '6h');
  assert.equal(dash.autoStep(10 * 365 * 24 * 3600e3), '1d', 'the largest step when nothing fits');
  for (const [, ms] of dash.RANGES) {
    assert.ok(ms / dash.parseDuration(dash.autoStep(ms)) <= dash.MAX_BUCKETS);
  }
});

test('dashboard: URL state, range resolution and the stats request', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  const s = dash.readState(new URLSearchParams('range=7d&by=model&tag=env:prod&tag=team:a&name=chat&by=bogus'));
  assert.deepEqual(s, { range: '7d', from: '', to: '', step: '', by: 'model', model: '', name: 'chat', tag: ['env:prod', 'team:a'] });
  assert.equal(dash.readState(new URLSearchParams('by=evil')).by, '');
  assert.equal(dash.readState(new URLSearchParams('by=tag:env')).by, 'tag:env');
  assert.deepEqual(dash.statsParams(s, now), {
    from: '2026-02-22T12:00:00.000Z', to: '2026-03-01T12:00:00.000Z', step: '1h', by: 'model', model: '', name: 'chat', tag: ['env:prod', 'team:a'],
  });
  // Default range 24h; an explicit step wins; from without to ends now.
  assert.equal(dash.statsParams(dash.readState(new URLSearchParams('')), now).from, '2026-02-28T12:00:00.000Z');
  assert.equal(dash.statsParams(dash.readState(new URLSearchParams('step=1d')), now).step, '24h');
  const custom = dash.statsParams(dash.readState(new URLSearchParams('from=2026-03-01T10:00:00Z&range=30d')), now);
  assert.equal(custom.from, '2026-03-01T10:00:00.000Z');
  assert.equal(custom.to, '2026-03-01T12:00:00.000Z');
  assert.equal(custom.step, '1m');
  // The preset is not kept in the URL next to from, nor when it is the default.
  assert.equal(dash.urlParams({ ...s, from: '2026-03-01T10:00:00Z' }).range, '');
  assert.equal(dash.urlParams({ ...s, range: '24h' }).range, '');
  assert.equal(dash.urlParams(s).range, '7d');
});

function bucket(start, o = {}) {
  return { start, traces: 0, errorTraces: 0, generations: 0, errorGenerations: 0, inputTokens: 0, outputTokens: 0, cost: 0, unpricedGenerations: 0, traceLatencyMs: null, generationLatencyMs: null, ...o };
}
const starts = ['2026-03-01T10:00:00Z', '2026-03-01T11:00:00Z', '2026-03-01T12:00:00Z'];

test('dashboard: chart series from the answer, ungrouped and grouped; gaps are null', () => {
  const resp = {
    from: '2026-03-01T10:00:00Z', to: '2026-03-01T12:30:00Z', step: '1h0m0s', by: '',
    groups: [{
      key: '',
      totals: bucket(starts[0], { traces: 5, errorTraces: 1, generations: 7 }),
      buckets: [
        bucket(starts[0], { traces: 4, errorTraces: 1, generations: 6, inputTokens: 100, outputTokens: 20, cost: 0.5, traceLatencyMs: { p50: 10, p95: 20, p99: 30 } }),
        bucket(starts[1]),
        bucket(starts[2], { traces: 1, generations: 1, inputTokens: 5, outputTokens: 1 }),
      ],
    }],
  };
  const charts = Object.fromEntries(dash.chartsFor(false).map((c) => [c.id, c]));
  assert.ok(!charts['volume-gen'], 'generations per group only when grouped');
  const vol = dash.buildChart(resp, charts.volume, false);
  assert.deepEqual(vol.xs, starts.map((s) => Date.parse(s) / 1000));
  assert.deepEqual(vol.series.map((s) => [s.label, s.values]), [['traces', [4, 0, 1]], ['generations', [6, 0, 1]]]);
  assert.deepEqual(dash.buildChart(resp, charts.tokens, false).series.map((s) => s.values), [[100, 0, 5], [20, 0, 1]]);
  assert.deepEqual(dash.buildChart(resp, charts['trace-latency'], false).series.map((s) => s.values), [[10, null, null], [20, null, null], [30, null, null]]);
  assert.deepEqual(dash.buildChart(resp, charts['error-rate'], false).series[0].values, [0.25, null, 0]);

  const g = (key, traces, gens) => ({ key, totals: bucket(starts[0], { traces, generations: gens }), buckets: starts.map((s, i) => bucket(s, { traces: i === 0 ? traces : 0, generations: gens, generationLatencyMs: i === 1 ? { p50: 1, p95: 2 * traces, p99: 3 } : null })) });
  const grouped = { ...resp, by: 'model', groups: [g('small', 1, 1), g('big', 9, 2), g('', 3, 0)] };
  const top = dash.topGroups(grouped.groups, 2);
  assert.deepEqual(top.shown.map((x) => x.key), ['big', '']);
  assert.equal(top.hidden, 1);
  assert.equal(top.total, 3);
  const gcharts = Object.fromEntries(dash.chartsFor(true).map((c) => [c.id, c]));
  const gv = dash.buildChart(grouped, gcharts.volume, true, top.shown);
  assert.equal(gcharts.volume.title, 'Traces');
  assert.deepEqual(gv.series.map((s) => [s.label, s.key, s.values]), [['big', 'big', [9, 0, 0]], ['(none)', '', [3, 0, 0]]]);
  assert.deepEqual(dash.buildChart(grouped, gcharts['volume-gen'], true, top.shown).series[0].values, [2, 2, 2]);
  assert.deepEqual(dash.buildChart(grouped, gcharts['generation-latency'], true, top.shown).series[0].values, [null, 18, null]);
  assert.equal(dash.isEmptyStats(grouped), false);
  assert.equal(dash.isEmptyStats({ groups: [{ key: '', totals: bucket(starts[0]), buckets: [] }] }), true);
  assert.equal(dash.isEmptyStats({ groups: [] }), true);
});

test('dashboard: top-N keeps the largest groups in a stable order', () => {
  const groups = Array.from({ length: 12 }, (_, i) => ({ key: `m${String(i).padStart(2, '0')}`, totals: bucket(starts[0], { traces: i % 4, generations: i }) }));
  const top = dash.topGroups(groups);
  assert.equal(top.shown.length, dash.TOP_N);
  assert.equal(top.hidden, 4);
  assert.deepEqual(top.shown.map((g) => g.key), ['m11', 'm07', 'm03', 'm10', 'm06', 'm02', 'm09', 'm05']);
  assert.deepEqual(dash.topGroups(undefined), { shown: [], hidden: 0, total: 0 });
  const rows = dash.totalsRows({ groups: [{ key: 'a', totals: bucket(starts[0], { traces: 4, errorTraces: 1, cost: 0.25, unpricedGenerations: 2, traceLatencyMs: { p50: 1, p95: 9, p99: 12 } }) }, { key: 'b', totals: bucket(starts[0]) }] });
  assert.deepEqual(rows.map((r) => [r.key, r.traces, r.errorRate, r.cost, r.unpriced, r.traceP95]), [['a', 4, 0.25, 0.25, 2, 9], ['b', 0, null, 0, 0, null]]);
  assert.equal(dash.fmtRate(0.25), '25%');
  assert.equal(dash.fmtRate(0.0123), '1.2%');
  assert.equal(dash.fmtRate(null), '–');
  assert.equal(dash.fmtCompact(1234), '1.2k');
  assert.equal(dash.fmtCompact(25e6), '25M');
});

test('dashboard: click-through to the trace list (bucket range, group filter)', () => {
  const resp = { from: '2026-03-01T10:00:00Z', to: '2026-03-01T12:30:00Z', step: '1h0m0s', groups: [{ key: '', buckets: starts.map((s) => bucket(s)) }] };
  assert.deepEqual(dash.bucketRange(resp, 0), { from: '2026-03-01T10:00:00.000Z', to: '2026-03-01T11:00:00.000Z' });
  assert.deepEqual(dash.bucketRange(resp, 2), { from: '2026-03-01T12:00:00.000Z', to: '2026-03-01T12:30:00.000Z' }, 'the last bucket ends at the range end');
  assert.equal(dash.bucketRange({ ...resp, to: '2026-03-01T14:00:00Z' }, 2).to, '2026-03-01T13:00:00.000Z');
  assert.equal(dash.bucketRange(resp, 3), null);
  const from = '2026-03-01T10:00:00.000Z';
  const to = '2026-03-01T11:00:00.000Z';
  const parse = (u) => { const x = new URL(u, 'http://h'); return [x.pathname, [...x.searchParams]]; };
  assert.deepEqual(parse(dash.listURL({ from, to, by: 'model', key: 'gpt-4o' })), ['/', [['from', from], ['to', to], ['model', 'gpt-4o']]]);
  assert.deepEqual(parse(dash.listURL({ from, to, by: 'name', key: 'chat turn', filters: { model: 'gpt-4o', tag: ['env:prod'] } })),
    ['/', [['from', from], ['to', to], ['name', 'chat turn'], ['model', 'gpt-4o'], ['tag', 'env:prod']]]);
  assert.deepEqual(parse(dash.listURL({ from, to, by: 'tag:env', key: 'prod', filters: { tag: ['team:a'] } })), ['/', [['from', from], ['to', to], ['tag', 'team:a'], ['tag', 'env:prod']]]);
  // The empty key (ungrouped, or calls without a model) adds no group filter.
  assert.deepEqual(parse(dash.listURL({ from, to, by: 'model', key: '', filters: { name: 'n' } })), ['/', [['from', from], ['to', to], ['name', 'n']]]);
  assert.equal(dash.listURL({}), '/');
});
