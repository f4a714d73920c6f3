// Alerts: the genai_alerts extension's rules, the current state of each
// rule on each repository (firing first) and the history of transitions
// with each webhook delivery's outcome, from GET /api/v1/alerts. The state
// changes on the extension's evaluation interval, so the page polls.

import { api, settings } from './api.js';
import { el, clear, fmtTime } from './util.js';

const POLL_MS = 10e3;

const OPS = { above: '>', at_least: '≥', below: '<', at_most: '≤' };

function metricLabel(r) {
  return r.evaluator ? `${r.metric}(${r.evaluator})` : r.metric;
}

// fmtWindow shows a Go duration without its zero tail: "5m0s" as "5m",
// "1h0m0s" as "1h".
function fmtWindow(d) {
  return String(d || '').replace(/(\D)0s$/, '$1').replace(/(\D)0m$/, '$1') || '–';
}

function fmtValue(v) {
  if (v === undefined || v === null) return '–';
  return Number.isInteger(v) ? String(v) : v.toPrecision(4).replace(/\.?0+$/, '');
}

// tracesLink opens the trace list narrowed to what an evaluation rule
// counts (its evaluator failed), in the alert's repository: inside the app
// when that is the repository the UI reads, else as a page load with
// ?repo=, which the app adopts (app.js), so the list is not another
// repository's.
function tracesLink(rule, repo) {
  if (!rule || !rule.evaluator) return null;
  const q = new URLSearchParams({ eval: rule.evaluator });
  if (rule.metric === 'eval_mean_score') q.set('eval_score_lt', String(rule.op === 'below' || rule.op === 'at_most' ? rule.threshold : 1));
  const here = repo === settings.repo;
  if (!here) q.set('repo', repo);
  return el('a', { href: `/?${q}`, 'data-link': here, class: 'alert-traces', title: `traces in ${repo}` }, 'traces');
}

export function mount(container, ctx) {
  const aborter = new AbortController();
  const status = el('div', { class: 'list-status muted' }, 'Loading…');
  const alertsBody = el('tbody');
  const rulesBody = el('tbody');
  const historyBody = el('tbody');
  const table = (id, heads, body) => el('div', { class: 'table-wrap' }, el('table', { class: 'trace-table', id },
    el('thead', null, el('tr', null, heads.map((h) => el('th', { text: h })))), body));
  container.append(el('section', { class: 'list-view alerts-view' },
    el('h1', null, 'Alerts'), status,
    el('h2', null, 'Current state'),
    table('alerts-table', ['State', 'Rule', 'Repository', 'Value', 'Samples', 'Since', 'Last evaluated', ''], alertsBody),
    el('h2', null, 'Rules'),
    table('rules-table', ['Rule', 'Condition', 'Window', 'Every', 'Min samples', 'Repositories', 'Webhooks'], rulesBody),
    el('h2', null, 'History'),
    table('history-table', ['Time', 'Event', 'Rule', 'Repository', 'Value', 'Samples', 'Notifications'], historyBody)));

  let timer = null;
  async function load() {
    try {
      const a = await api.alerts({ limit: 200 }, aborter.signal);
      const rules = new Map((a.rules || []).map((r) => [r.name, r]));
      clear(alertsBody);
      for (const x of a.alerts || []) {
        alertsBody.append(el('tr', { class: `alert-row${x.state === 'firing' ? ' is-error' : ''}`, dataset: { rule: x.rule, repo: x.repo, state: x.state } },
          el('td', null, el('span', { class: `badge ${x.state}` }, x.state)),
          el('td', null, x.rule),
          el('td', { class: 'mono small' }, x.repo),
          el('td', { class: 'num' }, fmtValue(x.value)),
          el('td', { class: 'num' }, String(x.samples)),
          el('td', { class: 'nowrap small' }, fmtTime(x.since)),
          el('td', { class: 'nowrap small muted' }, fmtTime(x.lastEvaluated)),
          el('td', null, tracesLink(rules.get(x.rule), x.repo))));
      }
      clear(rulesBody);
      for (const r of a.rules || []) {
        rulesBody.append(el('tr', { dataset: { rule: r.name } },
          el('td', null, el('strong', null, r.name)),
          el('td', { class: 'mono small' }, `${metricLabel(r)} ${OPS[r.op] || r.op} ${r.threshold}`),
          el('td', null, fmtWindow(r.window)),
          el('td', null, fmtWindow(r.interval)),
          el('td', { class: 'num' }, String(r.minSamples)),
          el('td', { class: 'small' }, (r.repositories || []).join(', ') || 'all seen'),
          el('td', { class: 'small' }, (r.webhooks || []).join(', ') || '–')));
      }
      clear(historyBody);
      for (const ev of a.history || []) {
        historyBody.append(el('tr', { class: 'history-row', dataset: { id: ev.id, kind: ev.kind } },
          el('td', { class: 'nowrap' }, fmtTime(ev.at)),
          el('td', null, el('span', { class: `badge ${ev.kind === 'fired' ? 'firing' : 'ok'}` }, ev.kind)),
          el('td', null, ev.rule),
          el('td', { class: 'mono small' }, ev.repo),
          el('td', { class: 'num' }, fmtValue(ev.value)),
          el('td', { class: 'num' }, String(ev.samples)),
          el('td', { class: 'small' }, !(ev.deliveries || []).length ? el('span', { class: 'muted' }, 'none') : ev.deliveries.map((d) => el('span', {
            class: `badge ${d.status === 'sent' ? 'pass' : d.status === 'failed' ? 'error' : 'running'}`,
            title: [d.attempts ? `${d.attempts} attempt(s)` : '', d.error || ''].filter(Boolean).join(': '),
          }, `${d.webhook}: ${d.status}`)))));
      }
      const firing = a.firing || 0;
      status.textContent = (a.rules || []).length
        ? `${firing} firing · ${(a.alerts || []).length} alert(s) · ${(a.rules || []).length} rule(s)${a.updatedAt ? ` · state of ${fmtTime(a.updatedAt)}` : ''}`
        : 'No alert rules: configure the genai_alerts extension on this store.';
    } catch (err) {
      ctx.fail(status, err);
    }
    if (!aborter.signal.aborted) timer = setTimeout(load, POLL_MS);
  }
  load();
  return () => { clearTimeout(timer); aborter.abort(); };
}
