// The dashboard's pure part (no DOM, no chart library, so node's test
// runner can import it): the time range and step, the request to
// GET /api/v1/stats, the chart series built from its answer, the top-N
// groups, the totals rows and the trace-list URLs a click leads to.

// Range presets (URL value → milliseconds).
export const RANGES = [
  ['1h', 3600e3, 'last hour'],
  ['24h', 24 * 3600e3, 'last 24 hours'],
  ['7d', 7 * 24 * 3600e3, 'last 7 days'],
  ['30d', 30 * 24 * 3600e3, 'last 30 days'],
];
export const DEFAULT_RANGE = '24h';

// Steps offered (Go duration strings, as the API takes them), smallest
// first; the automatic choice is the smallest that keeps the number of
// buckets at or under MAX_BUCKETS.
export const STEPS = ['1m', '5m', '15m', '1h', '6h', '1d'];
export const MAX_BUCKETS = 200;

// The most groups drawn as chart series; the totals table lists them all.
export const TOP_N = 8;

const UNIT_MS = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 24 * 3600e3 };

// parseDuration reads a Go duration ("15m", "1h0m0s", "1h30m", "250ms") and
// also "1d" (the UI's own step name; sent to the API as "24h"). It returns
// milliseconds, or NaN when the text is not a duration.
export function parseDuration(s) {
  if (typeof s !== 'string' || !s) return NaN;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h|d)/y;
  let ms = 0;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return NaN;
    ms += Number(m[1]) * UNIT_MS[m[2]];
    i = re.lastIndex;
  }
  return ms;
}

// apiStep converts a step to what a Go server parses ("d" is not a Go unit).
export function apiStep(step) {
  const m = /^(\d+)d$/.exec(step || '');
  return m ? `${Number(m[1]) * 24}h` : step;
}

// fmtStep names a step for people: "1h0m0s" → "1h", 86400000 ms → "1d".
export function fmtStep(step) {
  const ms = typeof step === 'number' ? step : parseDuration(step);
  if (!(ms > 0)) return String(step || '');
  for (const [u, n] of [['d', 24 * 3600e3], ['h', 3600e3], ['m', 60e3], ['s', 1e3]]) {
    if (ms % n === 0) return `${ms / n}${u}`;
  }
  return `${ms}ms`;
}

// autoStep picks the smallest offered step giving at most maxBuckets
// buckets over rangeMs (the largest offered when even that gives more).
export function autoStep(rangeMs, maxBuckets = MAX_BUCKETS) {
  for (const s of STEPS) {
    if (Math.ceil(rangeMs / parseDuration(s)) <= maxBuckets) return s;
  }
  return STEPS[STEPS.length - 1];
}

// readState takes the dashboard's state from the page URL's query.
export function readState(q) {
  const by = q.get('by') || '';
  return {
    range: q.get('range') || '',
    from: q.get('from') || '',
    to: q.get('to') || '',
    step: q.get('step') || '',
    by: by === 'model' || by === 'name' || by.startsWith('tag:') ? by : '',
    model: q.get('model') || '',
    name: q.get('name') || '',
    tag: q.getAll('tag').filter(Boolean),
  };
}

// urlParams is the state as the page URL's query (empty values dropped by
// ctx.setQuery); the range preset is left out when from is set.
export function urlParams(s) {
  return {
    range: s.from ? '' : (s.range && s.range !== DEFAULT_RANGE ? s.range : ''),
    from: s.from, to: s.to, step: s.step, by: s.by, model: s.model, name: s.name, tag: s.tag,
  };
}

// resolveRange turns the state into absolute times: from/to when from is
// set (to defaults to now), else the preset ending now.
export function resolveRange(s, now = Date.now()) {
  const fromMs = Date.parse(s.from);
  if (s.from && !Number.isNaN(fromMs)) {
    let toMs = s.to ? Date.parse(s.to) : now;
    if (Number.isNaN(toMs)) toMs = now;
    if (toMs <= fromMs) toMs = fromMs + 60e3;
    return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), ms: toMs - fromMs, preset: '' };
  }
  const preset = RANGES.find((r) => r[0] === s.range) || RANGES.find((r) => r[0] === DEFAULT_RANGE);
  return { from: new Date(now - preset[1]).toISOString(), to: new Date(now).toISOString(), ms: preset[1], preset: preset[0] };
}

// statsParams is the query of GET /api/v1/stats for the state at `now`.
export function statsParams(s, now = Date.now()) {
  const r = resolveRange(s, now);
  const step = s.step && parseDuration(s.step) > 0 ? s.step : autoStep(r.ms);
  return { from: r.from, to: r.to, step: apiStep(step), by: s.by, model: s.model, name: s.name, tag: s.tag };
}

export function errorRate(b) {
  return b && b.traces ? b.errorTraces / b.traces : null;
}

// volume orders groups: by traces, then generations (a model group's
// traces are those that used the model), then key.
function volume(g) {
  const t = g.totals || {};
  return [t.traces || 0, t.generations || 0];
}
export function byVolume(a, b) {
  const [at, ag] = volume(a);
  const [bt, bg] = volume(b);
  return bt - at || bg - ag || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

// topGroups keeps the n largest groups (by traces, then generations) for
// the charts; `hidden` is how many were left out.
export function topGroups(groups, n = TOP_N) {
  const sorted = [...(groups || [])].sort(byVolume);
  return { shown: sorted.slice(0, n), hidden: Math.max(0, sorted.length - n), total: sorted.length };
}

// isEmpty is true when no group has a trace or a generation.
export function isEmptyStats(resp) {
  return !(resp && resp.groups || []).some((g) => g.totals && (g.totals.traces || g.totals.generations));
}

const lat = (field, p) => (b) => (b[field] ? b[field][p] : null);

// CHARTS: what each chart plots. Ungrouped, a chart draws each of its
// `fields`; grouped, it draws its `group` field once per group (the
// group's key is the series label).
export const CHARTS = [
  {
    id: 'volume', title: 'Traces & generations', unit: 'count',
    fields: [['traces', (b) => b.traces], ['generations', (b) => b.generations]],
  },
  {
    id: 'volume-gen', title: 'Generations', unit: 'count', groupedOnly: true,
    group: (b) => b.generations,
  },
  {
    id: 'tokens', title: 'Tokens', unit: 'count',
    fields: [['input', (b) => b.inputTokens], ['output', (b) => b.outputTokens]],
    group: (b) => (b.inputTokens || 0) + (b.outputTokens || 0), groupTitle: 'Tokens (input + output)',
  },
  {
    id: 'cost', title: 'Cost (USD)', unit: 'usd',
    fields: [['cost', (b) => b.cost || 0]],
  },
  {
    id: 'trace-latency', title: 'Trace latency', unit: 'ms',
    fields: [['p50', lat('traceLatencyMs', 'p50')], ['p95', lat('traceLatencyMs', 'p95')], ['p99', lat('traceLatencyMs', 'p99')]],
    group: lat('traceLatencyMs', 'p95'), groupTitle: 'Trace latency p95',
  },
  {
    id: 'generation-latency', title: 'Generation latency', unit: 'ms',
    fields: [['p50', lat('generationLatencyMs', 'p50')], ['p95', lat('generationLatencyMs', 'p95')], ['p99', lat('generationLatencyMs', 'p99')]],
    group: lat('generationLatencyMs', 'p95'), groupTitle: 'Generation latency p95',
  },
  {
    id: 'error-rate', title: 'Error rate (traces with an error)', unit: 'ratio',
    fields: [['error rate', errorRate]],
  },
];

// chartsFor lists the charts of a view (grouped or not) with their titles.
export function chartsFor(grouped) {
  return CHARTS.filter((c) => (grouped ? true : !c.groupedOnly)).map((c) => {
    if (!grouped) return { ...c };
    const title = c.groupTitle || (c.id === 'volume' ? 'Traces' : c.title);
    const group = c.group || (c.id === 'volume' ? (b) => b.traces : c.fields[0][1]);
    return { ...c, title, group };
  });
}

// buildChart turns the answer into uPlot's columnar data for one chart:
// { xs (bucket starts, seconds), series: [{label, key, values}] }.
// Values that do not exist (no latency, no traces for an error rate) are
// null, which uPlot draws as gaps.
export function buildChart(resp, chart, grouped, groups) {
  const first = (groups && groups[0]) || (resp.groups || [])[0];
  const xs = ((first && first.buckets) || []).map((b) => Date.parse(b.start) / 1000);
  const val = (v) => (v === undefined || v === null || Number.isNaN(v) ? null : v);
  let series;
  if (grouped) {
    series = groups.map((g) => ({ label: g.key === '' ? '(none)' : g.key, key: g.key, values: (g.buckets || []).map((b) => val(chart.group(b))) }));
  } else {
    const g = first || { buckets: [] };
    series = chart.fields.map(([label, get]) => ({ label, key: '', values: (g.buckets || []).map((b) => val(get(b))) }));
  }
  return { xs, series };
}

// bucketRange is the [from, to) of bucket i: its start and the next
// bucket's (the step after it for the last, clamped to the answer's to).
export function bucketRange(resp, i) {
  const g = (resp.groups || [])[0];
  const bs = (g && g.buckets) || [];
  if (!bs[i]) return null;
  const from = Date.parse(bs[i].start);
  let to = bs[i + 1] ? Date.parse(bs[i + 1].start) : from + parseDuration(resp.step);
  const end = Date.parse(resp.to);
  if (!Number.isNaN(end) && end > from && end < to) to = end;
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

// listURL is the trace list filtered to a time range and a group, keeping
// the dashboard's own filters: by=model → model=key, by=name → name=key,
// by=tag:k → tag=k:key. The empty key (ungrouped, or traces without the
// grouped property) adds no group filter.
export function listURL({ from, to, by, key, filters = {} }) {
  const q = new URLSearchParams();
  if (from) q.set('from', from);
  if (to) q.set('to', to);
  let model = filters.model || '';
  let name = filters.name || '';
  const tags = [...(filters.tag || [])];
  if (key) {
    if (by === 'model') model = key;
    else if (by === 'name') name = key;
    else if (by && by.startsWith('tag:')) {
      const t = `${by.slice(4)}:${key}`;
      if (!tags.includes(t)) tags.push(t);
    }
  }
  if (name) q.set('name', name);
  if (model) q.set('model', model);
  // The list's tag input takes "k:v, k2:v2" in one field, read back from
  // repeated tag params.
  for (const t of tags) q.append('tag', t);
  const s = q.toString();
  return s ? `/?${s}` : '/';
}

// totalsRows are the rows of the totals table, largest group first.
export function totalsRows(resp) {
  return [...(resp.groups || [])].sort(byVolume).map((g) => {
    const t = g.totals || {};
    return {
      key: g.key,
      traces: t.traces || 0,
      generations: t.generations || 0,
      errorTraces: t.errorTraces || 0,
      errorRate: errorRate(t),
      inputTokens: t.inputTokens || 0,
      outputTokens: t.outputTokens || 0,
      cost: t.cost || 0,
      unpriced: t.unpricedGenerations || 0,
      traceP95: t.traceLatencyMs ? t.traceLatencyMs.p95 : null,
    };
  });
}

// fmtRate formats an error rate (0..1) as a percentage; null is '–'.
export function fmtRate(r) {
  if (r === null || r === undefined || Number.isNaN(r)) return '–';
  if (r === 0) return '0%';
  const p = r * 100;
  return `${p < 10 ? p.toFixed(1) : Math.round(p)}%`;
}

// fmtCompact shortens axis numbers: 1200 → 1.2k, 3400000 → 3.4M.
export function fmtCompact(n) {
  if (n === null || n === undefined) return '';
  const a = Math.abs(n);
  const f = (v, u) => `${Number(v.toFixed(v < 10 ? 1 : 0))}${u}`;
  if (a >= 1e9) return f(n / 1e9, 'G');
  if (a >= 1e6) return f(n / 1e6, 'M');
  if (a >= 1e3) return f(n / 1e3, 'k');
  return String(Number(n.toFixed(2)));
}
