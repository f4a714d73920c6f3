// Browser tests of the trace explorer, run by browser_test.go with node's
// test runner against the built distribution (started by the Go test):
//
//   UI_URL        base URL of the query endpoint serving the UI and /api/v1
//   MXIN_URL      base URL of the Maxim SDK endpoint (mxin receiver)
//   API_KEY       key for x-maxim-api-key; REPO the log repository id
//   CHROMIUM_PATH Debian's chromium; ARTIFACTS_DIR where screenshots go
//   DOCS_SCREENSHOTS_DIR  if set, screenshots are copied there too
//   EXPECT_AUTH   "1" when the API refuses requests without the key
//
// Metrics are printed as "METRIC name=value unit" lines for the Go test.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, readFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

const env = (k, d) => {
  const v = process.env[k] || d;
  if (v === undefined) throw new Error(`${k} must be set`);
  return v;
};
const UI = env('UI_URL').replace(/\/$/, '');
const MXIN = env('MXIN_URL').replace(/\/$/, '');
const KEY = env('API_KEY');
const REPO = env('REPO');
const ART = env('ARTIFACTS_DIR', join(here, '..', '..', 'artifacts'));
const DOCS = process.env.DOCS_SCREENSHOTS_DIR || '';
// DOCS_ONLY limits the copies to some names (a newly added screenshot is
// written without rewriting the others).
const DOCS_ONLY = (process.env.DOCS_ONLY || '').split(',').filter(Boolean);
const RUN = process.env.RUN_ID || String(Date.now());
const EXPECT_AUTH = process.env.EXPECT_AUTH === '1';

const SHOTS = join(ART, 'screenshots');
mkdirSync(SHOTS, { recursive: true });
if (DOCS) mkdirSync(DOCS, { recursive: true });

let context;
let userDataDir;

before(async () => {
  userDataDir = mkdtempSync(join(tmpdir(), 'genai-ui-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: env('CHROMIUM_PATH', '/usr/bin/chromium'),
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  if (context) await context.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

function metric(name, value, unit) {
  process.stdout.write(`METRIC ${name}=${typeof value === 'number' ? value.toFixed(1) : value} ${unit}\n`);
}

async function shot(page, name, opts = {}) {
  const p = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: p, ...opts });
  if (DOCS && (!DOCS_ONLY.length || DOCS_ONLY.includes(name))) copyFileSync(p, join(DOCS, `${name}.png`));
}

// newPage opens a page whose localStorage already holds the key and repo,
// and which fails the test on any uncaught page error.
async function newPage({ withKey = true } = {}) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  // The UI runs under a strict Content-Security-Policy; a violation means
  // something (an inline style or script) silently did not apply.
  page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text()); });
  page.errors = errors;
  if (withKey) {
    await page.addInitScript(([k, r]) => {
      localStorage.setItem('otelcol-genai.apiKey', k);
      localStorage.setItem('otelcol-genai.repo', r);
    }, [KEY, REPO]);
  }
  return page;
}

function noPageErrors(page) {
  assert.deepEqual(page.errors.map(String), [], 'uncaught errors in the page');
}

// ---- talking to the collector directly ----

async function postLines(lines) {
  const body = Array.isArray(lines) ? `${lines.join('\n')}\n` : lines;
  const res = await fetch(`${MXIN}/api/sdk/v3/log?id=${encodeURIComponent(REPO)}`, {
    method: 'POST', headers: { 'content-type': 'text/plain', 'x-maxim-api-key': KEY }, body,
  });
  assert.ok(res.ok, `push answered ${res.status}: ${await res.text()}`);
}

async function apiGet(path) {
  const u = new URL(UI + path);
  if (!u.searchParams.has('repo')) u.searchParams.set('repo', REPO);
  const res = await fetch(u, { headers: { 'x-maxim-api-key': KEY } });
  return { status: res.status, body: res.status === 200 ? await res.json() : await res.text() };
}

// waitFor polls fn until it returns a truthy value (the pipeline and the
// summary indexer are asynchronous).
async function waitFor(what, fn, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}: last ${last}`);
}

async function waitForSummary(id, pred = () => true) {
  return waitFor(`trace ${id} in the search index`, async () => {
    const r = await apiGet(`/api/v1/traces?limit=500`);
    const t = r.status === 200 && r.body.traces.find((x) => x.id === id);
    return t && pred(t) ? t : null;
  });
}

const ts = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();

// ---- the tests ----

test('the key prompt, then the trace list shows the replayed SDK capture', async () => {
  await postLines(readFileSync(join(here, 'testdata', 'js-session.body'), 'utf8'));
  const summary = await waitForSummary('trace-001', (t) => t.end && t.counts && t.counts.generation === 3);

  const page = await newPage({ withKey: false });
  await page.goto(`${UI}/`);
  if (EXPECT_AUTH) {
    // Without a key the API refuses; the UI asks for one.
    await page.locator('#key-dialog[open]').waitFor();
    await page.fill('#key-input', KEY);
    await page.fill('#key-repo-input', REPO);
    await page.click('#key-save');
  } else {
    await page.evaluate(([k, r]) => { localStorage.setItem('otelcol-genai.apiKey', k); localStorage.setItem('otelcol-genai.repo', r); }, [KEY, REPO]);
    await page.reload();
  }
  const row = page.locator('tr.trace-row[data-id="trace-001"]');
  await row.waitFor();
  const text = await row.innerText();
  assert.match(text, /turn-1/);
  assert.match(text, /sess-001/);
  assert.match(text, new RegExp(`${summary.inputTokens.toLocaleString('en-US')} / ${summary.outputTokens.toLocaleString('en-US')}`));
  assert.match(text, /gpt-4o-mini/);
  assert.match(text, /error/, 'trace-001 holds an error node and failed children');
  assert.ok(await row.evaluate((r) => r.classList.contains('is-error')));
  assert.equal(await page.evaluate(() => localStorage.getItem('otelcol-genai.apiKey')), KEY);

  // Filters go to the API: status=error keeps trace-001, drops trace-002.
  await page.locator('tr.trace-row[data-id="trace-002"]').waitFor();
  await page.check('input[name=status]');
  await page.click('#trace-filters button[type=submit]');
  await page.waitForFunction(() => !document.querySelector('tr.trace-row[data-id="trace-002"]') && document.querySelector('tr.trace-row[data-id="trace-001"]'));
  assert.match(page.url(), /status=error/);
  await page.uncheck('input[name=status]');
  await page.fill('input[name=name]', 'turn-2');
  await page.click('#trace-filters button[type=submit]');
  await page.waitForFunction(() => document.querySelector('tr.trace-row[data-id="trace-002"]') && !document.querySelector('tr.trace-row[data-id="trace-001"]'));
  await page.fill('input[name=name]', '');
  await page.click('#trace-filters button[type=submit]');
  await row.waitFor();
  // Tag filter and cursor pagination: 25 traces of this run, pages of 20.
  const base = Date.now() - 3600e3;
  await postLines(Array.from({ length: 25 }, (_, i) => `trace{id=page-${RUN}-${i},action=create,data=${JSON.stringify({ name: `paged-${i}`, tags: { batch: RUN }, startTimestamp: new Date(base + i * 1000).toISOString() })}}`));
  await waitFor('25 paged traces indexed', async () => {
    const r = await apiGet(`/api/v1/traces?tag=batch:${RUN}&limit=500`);
    return r.status === 200 && r.body.traces.length === 25;
  });
  await page.fill('input[name=tag]', `batch:${RUN}`);
  await page.selectOption('select[name=limit]', '20');
  await page.click('#trace-filters button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('tr.trace-row').length === 20);
  const firstPage = await page.$$eval('tr.trace-row', (rs) => rs.map((r) => r.dataset.id));
  assert.deepEqual(firstPage, Array.from({ length: 20 }, (_, i) => `page-${RUN}-${24 - i}`), 'newest first');
  await page.click('#load-more');
  await page.waitForFunction(() => document.querySelectorAll('tr.trace-row').length === 25);
  assert.equal(await page.locator('tr.trace-row').last().getAttribute('data-id'), `page-${RUN}-0`);
  assert.ok(await page.locator('#load-more').isHidden(), 'no more pages');
  await page.fill('input[name=tag]', '');
  await page.selectOption('select[name=limit]', '50');
  await page.click('#trace-filters button[type=submit]');
  await row.waitFor();

  // A time range in the future of the capture hides it; "Reset" brings it back.
  await page.fill('input[name=from]', '2099-01-01T00:00:00');
  await page.click('#trace-filters button[type=submit]');
  await page.waitForFunction(() => !document.querySelector('tr.trace-row[data-id="trace-001"]'));
  assert.match(page.url(), /from=2099/);
  await page.click('#trace-filters button:text("Reset")');
  await row.waitFor();
  noPageErrors(page);
  await page.close();
});

test('a trace sent by the Maxim JS SDK: tree, waterfall, generation transcript, tokens, tools, retrieval, history', async () => {
  const { Maxim } = require('@maximai/maxim-js');
  const ids = { trace: `trace-sdk-${RUN}`, span: `span-sdk-${RUN}`, gen: `gen-sdk-${RUN}`, gen2: `gen-img-${RUN}`, tool: `call-sdk-${RUN}`, ret: `ret-sdk-${RUN}` };
  const maxim = new Maxim({ apiKey: KEY, baseUrl: MXIN });
  const logger = await maxim.logger({ id: REPO });
  assert.ok(logger, 'logger() returned nothing: repo check failed');
  const trace = logger.trace({ id: ids.trace, name: 'weather-agent', tags: { env: 'browser-test' } });
  trace.input('What is the weather in Paris?');
  const span = trace.span({ id: ids.span, name: 'agent-loop' });
  const gen = span.generation({
    id: ids.gen, name: 'plan', provider: 'openai', model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'You are a weather assistant.' },
      { role: 'user', content: 'What is the weather in Paris?' },
    ],
    modelParameters: { temperature: 0.2, max_tokens: 256 },
  });
  gen.result({
    id: 'chatcmpl-ui-1', object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, finish_reason: 'tool_calls', logprobs: null, message: { role: 'assistant', content: null, tool_calls: [{ id: ids.tool, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] } }],
    usage: { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 },
  });
  const tool = span.toolCall({ id: ids.tool, name: 'get_weather', description: 'Current weather for a city', args: '{"city":"Paris"}' });
  tool.result('{"tempC":18,"sky":"cloudy"}');
  const ret = span.retrieval({ id: ids.ret, name: 'news-search' });
  ret.input('Paris news today');
  ret.output(['doc A: Paris marathon', 'doc B: Louvre exhibit']);
  // A 2x2 PNG in the user message: the SDK lifts it into an uploaded
  // attachment of the generation.
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFklEQVR42mNk+M/wn4GBgYGJAQoAAE0VAQF6c1TKAAAAAElFTkSuQmCC';
  const gen2 = span.generation({
    id: ids.gen2, name: 'describe-image', provider: 'openai', model: 'gpt-4o',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }],
    modelParameters: {},
  });
  gen2.result({ id: 'chatcmpl-ui-2', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'A tiny square.' } }], usage: { prompt_tokens: 85, completion_tokens: 4, total_tokens: 89 } });
  span.end();
  trace.addAttachment({ type: 'fileData', id: `att-notes-${RUN}`, name: 'notes.txt', mimeType: 'text/plain', data: Buffer.from(`notes of run ${RUN}`) });
  trace.output('18C and cloudy');
  trace.end();
  await logger.flush();
  await maxim.cleanup();

  await waitForSummary(ids.trace, (t) => t.counts && t.counts.generation === 2 && t.counts.tool_call === 1 && t.counts.retrieval === 1);

  const page = await newPage();
  await page.goto(`${UI}/`);
  const link = page.locator(`tr.trace-row[data-id="${ids.trace}"] a.trace-link`);
  await link.waitFor();
  await shot(page, 'list');
  await link.click();
  await page.waitForURL(new RegExp(`/traces/${ids.trace}`));

  const genRow = page.locator(`.tree-row[data-key="generation:${ids.gen}"]`);
  await genRow.waitFor();
  for (const key of [`trace:${ids.trace}`, `span:${ids.span}`, `tool_call:${ids.tool}`, `retrieval:${ids.ret}`, `generation:${ids.gen2}`]) {
    await page.locator(`.tree-row[data-key="${key}"]`).waitFor();
  }
  // Every row of a node with a start has a waterfall bar inside the cell.
  const bars = await page.$$eval('.tree-row .bar', (bs) => bs.map((b) => [parseFloat(b.style.left), parseFloat(b.style.width)]));
  assert.ok(bars.length >= 6, `waterfall bars: ${bars.length}`);
  for (const [l, w] of bars) assert.ok(l >= 0 && w > 0 && l + w <= 100.01, `bar out of range: ${l} ${w}`);
  assert.match(await page.locator('#trace-stats').innerText(), /148/, 'total tokens 59 + 89');
  await shot(page, 'trace');

  // The trace itself is shown first: its attachment downloads through the
  // API with the key.
  const att = page.locator(`#detail li.attachment[data-id="att-notes-${RUN}"]`);
  await att.waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), att.locator('button.download').click()]);
  assert.equal(download.suggestedFilename(), 'notes.txt');
  assert.equal(readFileSync(await download.path(), 'utf8'), `notes of run ${RUN}`);

  await genRow.click();
  const detail = page.locator('#detail');
  await detail.locator('.msg-system').waitFor();
  assert.match(await detail.locator('.msg-system').innerText(), /You are a weather assistant\./);
  assert.match(await detail.locator('.msg-user').innerText(), /What is the weather in Paris\?/);
  const completion = await detail.locator('.msg-completion').innerText();
  assert.match(completion, /get_weather/);
  assert.match(completion, /"city": "Paris"/);
  assert.equal((await detail.locator('#usage-input .card-value').innerText()).trim(), '42');
  assert.equal((await detail.locator('#usage-output .card-value').innerText()).trim(), '17');
  assert.equal((await detail.locator('#usage-total .card-value').innerText()).trim(), '59');
  assert.match(await detail.locator('#model').innerText(), /gpt-4o-mini[\s\S]*temperature[\s\S]*0\.2/);
  // The node's commit history comes from /api/v1/entities.
  await detail.locator('#history tr[data-action="result"]').waitFor();
  assert.ok(await detail.locator('#history tr[data-action="add-generation"]').count() >= 1);
  assert.match(page.url(), new RegExp(`node=generation%3A${ids.gen}`));
  await shot(page, 'generation');

  await page.locator(`.tree-row[data-key="tool_call:${ids.tool}"]`).click();
  await detail.locator('#tool-args').waitFor();
  assert.match(await detail.locator('#tool-args').innerText(), /"city": "Paris"/);
  assert.match(await detail.locator('#tool-result').innerText(), /"sky": "cloudy"/);

  await page.locator(`.tree-row[data-key="retrieval:${ids.ret}"]`).click();
  await detail.locator('#retrieval-docs').waitFor();
  assert.match(await detail.locator('#retrieval-query').innerText(), /Paris news today/);
  assert.equal(await detail.locator('#retrieval-docs li.doc').count(), 2);

  // The image: either still inline in the message or lifted into an
  // uploaded attachment that the UI fetches with the key.
  await page.locator(`.tree-row[data-key="generation:${ids.gen2}"]`).click();
  await detail.locator('.msg-user').waitFor();
  assert.match(await detail.locator('.msg-user').innerText(), /What is in this picture\?/);
  const img = detail.locator('img.msg-image').first();
  await img.waitFor({ timeout: 15000 });
  await page.waitForFunction((el) => el.complete && el.naturalWidth === 2, await img.elementHandle());
  // The SDK also lifted the image into an uploaded attachment; the UI
  // fetches it with the key and shows it inline.
  const attImg = detail.locator('img.attachment-image');
  await attImg.waitFor({ timeout: 15000 });
  await page.waitForFunction((el) => el.complete && el.naturalWidth === 2, await attImg.elementHandle());
  noPageErrors(page);
  await page.close();
});

test('the replayed capture: errors highlighted, events, feedback, evaluations, metadata', async () => {
  const page = await newPage();
  await page.goto(`${UI}/traces/trace-001`);
  await page.locator('.tree-row[data-key="error:err-001"]').waitFor();
  assert.ok(await page.locator('.tree-row[data-key="error:err-001"]').evaluate((r) => r.classList.contains('is-error')));
  assert.ok(await page.locator('.tree-row[data-key="tool_call:call_2"]').evaluate((r) => r.classList.contains('is-error')), 'failed tool call highlighted');
  assert.ok(await page.locator('.tree-row[data-key="generation:gen-003"]').evaluate((r) => r.classList.contains('is-error')), 'failed generation highlighted');
  await page.locator('.tree-row[data-key="trace:trace-001"]').click();
  const d = page.locator('#detail');
  await d.locator('#events').waitFor();
  assert.match(await d.locator('#events').innerText(), /answer-sent/);
  assert.match(await d.locator('#feedback').innerText(), /score 4[\s\S]*good/);
  assert.match(await d.locator('#evaluations').innerText(), /faithfulness/);
  assert.match(await d.locator('#metadata').innerText(), /requestId[\s\S]*req-123/);
  assert.match(await d.locator('#tags').innerText(), /env[\s\S]*dev/);
  assert.match(await d.locator('#metrics').innerText(), /latency_ms[\s\S]*840\.5/);
  await page.locator('.tree-row[data-key="generation:gen-003"]').click();
  assert.match(await d.locator('#errors').innerText(), /rate limited/);
  noPageErrors(page);
  await page.close();
});

test('message dialects: OpenAI parts, tool results, reasoning, Anthropic blocks, GenAI parts, Responses output', async () => {
  const id = `trace-dialects-${RUN}`;
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFklEQVR42mNk+M/wn4GBgYGJAQoAAE0VAQF6c1TKAAAAAElFTkSuQmCC';
  const gens = {
    openai: {
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] },
        { role: 'assistant', content: null, reasoning: 'thinking about the tool', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '{"found":true}' },
      ],
    },
    anthropic: {
      messages: [{ role: 'assistant', content: [{ type: 'text', text: 'calling' }, { type: 'tool_use', id: 'tu1', name: 'search', input: { q: 'y' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu1', content: 'result text' }] }],
    },
    genai: {
      messages: [{ role: 'assistant', parts: [{ type: 'tool_call', id: 'g1', name: 'weather', arguments: { city: 'Oslo' } }] },
        { role: 'tool', parts: [{ type: 'tool_call_response', id: 'g1', response: { tempC: 3 } }] }],
    },
  };
  const lines = [`trace{id=${id},action=create,data=${JSON.stringify({ name: 'dialects', startTimestamp: ts() })}}`];
  for (const [name, g] of Object.entries(gens)) {
    lines.push(`trace{id=${id},action=add-generation,data=${JSON.stringify({ id: `gen-${name}-${RUN}`, name, model: 'm', messages: g.messages, startTimestamp: ts() })}}`);
  }
  lines.push(`generation{id=gen-openai-${RUN},action=result,data=${JSON.stringify({ result: { id: 'r', object: 'response', output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'final answer' }] }, { type: 'function_call', call_id: 'fc1', name: 'notify', arguments: '{}' }], usage: { input_tokens: 7, output_tokens: 3, total_tokens: 10 } } })}}`);
  await postLines(lines);
  await waitForSummary(id, (t) => t.counts && t.counts.generation === 3);

  const page = await newPage();
  const d = page.locator('#detail');
  await page.goto(`${UI}/traces/${id}?node=generation:gen-openai-${RUN}`);
  await d.locator('.msg-tool').waitFor();
  assert.match(await d.locator('.msg-user').innerText(), /look/);
  await page.waitForFunction(() => { const i = document.querySelector('#detail .msg-user img.msg-image'); return i && i.complete && i.naturalWidth === 2; });
  assert.match(await d.locator('.msg-assistant').first().innerText(), /lookup[\s\S]*"q": "x"/);
  assert.equal(await d.locator('.msg-assistant details.reasoning').count(), 1);
  assert.match(await d.locator('.msg-tool').innerText(), /tool result · c1[\s\S]*"found": true/i);
  assert.match(await d.locator('.msg-completion').innerText(), /final answer[\s\S]*notify/);

  await page.locator(`.tree-row[data-key="generation:gen-anthropic-${RUN}"]`).click();
  await d.locator('.tool-result').waitFor();
  assert.match(await d.locator('.tool-call').innerText(), /search[\s\S]*"q": "y"/);
  assert.match(await d.locator('.tool-result').innerText(), /result text/);

  await page.locator(`.tree-row[data-key="generation:gen-genai-${RUN}"]`).click();
  await d.locator('.tool-result').waitFor();
  assert.match(await d.locator('.tool-call').innerText(), /weather[\s\S]*"city": "Oslo"/);
  assert.match(await d.locator('.tool-result').innerText(), /"tempC": 3/);
  noPageErrors(page);
  await page.close();
});

test('live: a trace grows on screen while its commits are posted, and the list gains rows', async () => {
  const id = `trace-live-${RUN}`;
  const page = await newPage();
  await page.goto(`${UI}/`);
  await page.locator('#trace-table').waitFor();
  await page.evaluate(() => { window.__noReload = true; });
  await postLines([`trace{id=${id},action=create,data=${JSON.stringify({ name: 'live-trace', startTimestamp: ts(), tags: { live: 'yes' } })}}`]);
  await page.locator(`tr.trace-row[data-id="${id}"]`).waitFor({ timeout: 20000 });
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the list updated without a reload');
  assert.match(await page.locator(`tr.trace-row[data-id="${id}"]`).innerText(), /running/);

  // A click on the row (not the link) opens the trace too.
  await page.locator(`tr.trace-row[data-id="${id}"] td.num`).first().click();
  await page.locator(`.tree-row[data-key="trace:${id}"]`).waitFor();
  await page.evaluate(() => { window.__noReload = true; });
  const steps = [
    [`span:span-live-${RUN}`, `trace{id=${id},action=add-span,data=${JSON.stringify({ id: `span-live-${RUN}`, name: 'step-1', startTimestamp: ts() })}}`],
    [`generation:gen-live-${RUN}`, `span{id=span-live-${RUN},action=add-generation,data=${JSON.stringify({ id: `gen-live-${RUN}`, name: 'live-llm', model: 'gpt-4o-mini', provider: 'openai', messages: [{ role: 'user', content: 'hi' }], startTimestamp: ts() })}}`],
    [`tool_call:tool-live-${RUN}`, `span{id=span-live-${RUN},action=add-tool-call,data=${JSON.stringify({ id: `tool-live-${RUN}`, name: 'lookup', args: '{}', startTimestamp: ts() })}}`],
  ];
  for (const [key, line] of steps) {
    const t0 = Date.now();
    await postLines([line]);
    await page.locator(`.tree-row[data-key="${key}"]`).waitFor({ timeout: 20000 });
    metric(`live_node_visible_ms.${key.split(':')[0]}`, Date.now() - t0, 'ms');
  }
  // A result arriving for the selected generation updates its details.
  await page.locator(`.tree-row[data-key="generation:gen-live-${RUN}"]`).click();
  await page.locator('#detail .msg-user').waitFor();
  await postLines([`generation{id=gen-live-${RUN},action=result,data=${JSON.stringify({ result: { id: 'x', object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'hello live' } }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } } })}}`]);
  await page.waitForFunction(() => (document.querySelector('#usage-total .card-value') || {}).textContent === '5', null, { timeout: 20000 });
  assert.match(await page.locator('#detail .msg-completion').innerText(), /hello live/);
  assert.equal(await page.evaluate(() => window.__noReload), true, 'the trace view grew without a reload');
  noPageErrors(page);
  await page.close();
});

test('cost: computed per generation, unpriced calls counted, on the list, trace, generation and session', async () => {
  const { Maxim } = require('@maximai/maxim-js');
  const ids = { session: `sess-cost-${RUN}`, trace: `trace-cost-${RUN}`, priced: `gen-priced-${RUN}`, unknown: `gen-unknown-${RUN}` };
  const maxim = new Maxim({ apiKey: KEY, baseUrl: MXIN });
  const logger = await maxim.logger({ id: REPO });
  const session = logger.session({ id: ids.session, name: 'cost-session' });
  const trace = session.trace({ id: ids.trace, name: 'cost-trace' });
  const priced = trace.generation({ id: ids.priced, name: 'priced', provider: 'openai', model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], modelParameters: {} });
  priced.result({ id: 'c1', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'hello' } }], usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 } });
  const unknown = trace.generation({ id: ids.unknown, name: 'unknown', provider: 'acme', model: 'acme-secret-model', messages: [{ role: 'user', content: 'hi' }], modelParameters: {} });
  unknown.result({ id: 'c2', object: 'chat.completion', created: 1, model: 'acme-secret-model', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'hello' } }], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } });
  trace.end();
  session.end();
  await logger.flush();
  await maxim.cleanup();

  const row = await waitForSummary(ids.trace, (t) => t.counts && t.counts.generation === 2 && t.unpricedGenerations === 1);
  const tr = await apiGet(`/api/v1/traces/${ids.trace}`);
  assert.equal(tr.status, 200);
  const byId = {};
  (function walk(n) { byId[n.id] = n; for (const c of n.children || []) walk(c); })(tr.body.trace);
  const cost = byId[ids.priced].cost;
  assert.ok(cost && cost.source === 'computed' && cost.total > 0, `priced generation: ${JSON.stringify(cost)}`);
  assert.equal(byId[ids.unknown].cost, undefined, 'an unknown model has no cost, not $0');
  assert.equal(tr.body.trace.totals.cost, cost.total);
  assert.equal(row.cost, cost.total, 'the search row agrees with the tree');
  const shown = cost.total < 0.01 ? `$${cost.total.toPrecision(2)}` : `$${cost.total.toFixed(4)}`;

  const page = await newPage();
  await page.goto(`${UI}/?name=cost-trace`);
  const cell = page.locator(`tr.trace-row[data-id="${ids.trace}"] td.trace-cost`);
  await cell.waitFor();
  assert.equal((await cell.innerText()).trim(), `${shown} + 1 unpriced`);
  await page.locator(`tr.trace-row[data-id="${ids.trace}"] a.trace-link`).click();
  await page.locator('#trace-stats').waitFor();
  assert.ok((await page.locator('#trace-stats').innerText()).includes(`${shown} + 1 unpriced`), 'trace header cost');
  const detail = page.locator('#detail');
  await page.locator(`.tree-row[data-key="generation:${ids.priced}"]`).click();
  await detail.locator('#cost-note').waitFor();
  assert.equal((await detail.locator('#usage-cost .card-value').innerText()).trim(), shown);
  const note = await detail.locator('#cost-note').innerText();
  assert.match(note, /computed with [^ ]*gpt-4o/);
  assert.match(note, /genai-prices/);
  assert.match(note, /input \$[0-9.]+\/M/);
  await shot(page, 'cost');
  await page.locator(`.tree-row[data-key="generation:${ids.unknown}"]`).click();
  await page.waitForFunction(() => /no price known/.test((document.querySelector('#cost-note') || {}).textContent || ''));
  assert.equal((await detail.locator('#usage-cost .card-value').innerText()).trim(), '–');

  await page.goto(`${UI}/sessions/${ids.session}`);
  await page.locator('#session-stats').waitFor();
  await page.waitForFunction(() => /unpriced/.test(document.querySelector('#session-stats').textContent));
  assert.match(await page.locator('#session-stats').innerText(), /1 unpriced/);
  noPageErrors(page);
  await page.close();
});

test('session view lists its traces in order with totals', async () => {
  const page = await newPage();
  await page.goto(`${UI}/sessions/sess-001`);
  await page.locator('#session-trace-table tr[data-id="trace-002"]').waitFor();
  const order = await page.$$eval('#session-trace-table tbody tr', (rs) => rs.map((r) => r.dataset.id));
  assert.deepEqual(order, ['trace-001', 'trace-002']);
  const s = await apiGet('/api/v1/sessions/sess-001');
  assert.equal(s.status, 200);
  const tot = s.body.session.totals;
  assert.match(await page.locator('#session-stats').innerText(), new RegExp(`${tot.inputTokens} in / ${tot.outputTokens} out / ${tot.totalTokens}`));
  await shot(page, 'session');
  await page.click('a[href="/sessions"]');
  await page.locator('#session-table tr[data-id="sess-001"]').waitFor();
  noPageErrors(page);
  await page.close();
});

test('a 10,000-node trace: time to first paint, virtual rows, search, expand', async () => {
  const id = `trace-big-${RUN}`;
  const spans = 100;
  const perSpan = 99; // 1 trace + 100 spans + 9,900 leaves = 10,001 nodes
  const base = Date.now() - 60000;
  const t = (ms) => new Date(base + ms).toISOString();
  const lines = [`trace{id=${id},action=create,data=${JSON.stringify({ name: 'big-trace', startTimestamp: t(0) })}}`];
  for (let s = 0; s < spans; s++) {
    const sid = `bs-${RUN}-${s}`;
    lines.push(`trace{id=${id},action=add-span,data=${JSON.stringify({ id: sid, name: `batch-${s}`, startTimestamp: t(s * 500) })}}`);
    lines.push(`span{id=${sid},action=end,data=${JSON.stringify({ endTimestamp: t(s * 500 + 480) })}}`);
    for (let c = 0; c < perSpan; c++) {
      const cid = `bn-${RUN}-${s}-${c}`;
      const kind = c % 3;
      const data = { id: cid, name: `${['llm', 'tool', 'search'][kind]}-${s}-${c}`, startTimestamp: t(s * 500 + c * 4) };
      if (kind === 0) Object.assign(data, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `q ${s}/${c}` }] });
      lines.push(`span{id=${sid},action=${['add-generation', 'add-tool-call', 'add-retrieval'][kind]},data=${JSON.stringify(data)}}`);
    }
  }
  lines.push(`trace{id=${id},action=end,data=${JSON.stringify({ endTimestamp: t(spans * 500) })}}`);
  for (let i = 0; i < lines.length; i += 2500) await postLines(lines.slice(i, i + 2500));
  await waitForSummary(id, (x) => x.end && x.counts && x.counts.generation === 3300 && x.counts.tool_call === 3300 && x.counts.retrieval === 3300 && x.counts.span === spans);

  const page = await newPage();
  const t0 = Date.now();
  await page.goto(`${UI}/traces/${id}`);
  await page.locator('.trace-view[data-painted="true"]').waitFor({ timeout: 60000 });
  const wall = Date.now() - t0;
  const [ttfp, fetched] = await page.evaluate(() => [performance.getEntriesByName('trace-first-paint')[0].startTime, performance.getEntriesByName('trace-fetched')[0].startTime]);
  metric('big_trace_nodes', 10001, 'nodes');
  metric('big_trace_first_paint_ms', ttfp, 'ms(since navigation start)');
  metric('big_trace_render_ms', ttfp - fetched, 'ms(tree JSON received to first paint)');
  const a0 = Date.now();
  const direct = await apiGet(`/api/v1/traces/${id}`);
  assert.equal(direct.status, 200);
  metric('big_trace_api_get_ms', Date.now() - a0, 'ms(GET tree from node, incl. JSON parse)');
  const scrollerH = await page.evaluate(() => document.getElementById('tree').clientHeight);
  assert.ok(scrollerH > 100 && scrollerH < 1200, `the tree scroller is bounded by the viewport, got ${scrollerH}px`);
  metric('big_trace_first_paint_wall_ms', wall, 'ms(goto to painted)');
  assert.equal(await page.locator('.trace-view').getAttribute('data-nodes'), '10001');
  const domRows = await page.locator('.tree-row').count();
  assert.ok(domRows > 10 && domRows < 200, `virtual list renders only rows in view, got ${domRows}`);
  await shot(page, 'large-trace');

  // Search for a node deep in the trace ("/" focuses the box): it is
  // revealed and selected.
  const target = `search-77-95`;
  await page.locator('#tree').click();
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tree-search');
  const t1 = Date.now();
  await page.keyboard.type(target);
  await page.locator(`.tree-row.selected[data-key="retrieval:bn-${RUN}-77-95"]`).waitFor();
  metric('big_trace_search_ms', Date.now() - t1, 'ms');
  assert.equal(await page.locator('#match-info').innerText(), '1 / 1');
  await page.locator('#detail h2').filter({ hasText: target }).waitFor();

  // Expand everything: still a bounded number of DOM rows, and scrolling to
  // the end paints the last node.
  const t2 = Date.now();
  await page.click('#expand-all');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  metric('big_trace_expand_all_ms', Date.now() - t2, 'ms');
  await page.evaluate(() => { const s = document.getElementById('tree'); s.scrollTop = s.scrollHeight; s.dispatchEvent(new Event('scroll')); });
  await page.locator(`.tree-row[data-key="retrieval:bn-${RUN}-99-98"]`).waitFor();
  assert.ok(await page.locator('.tree-row').count() < 200);
  noPageErrors(page);
  await page.close();
});

test('dashboard: a collector without /api/v1/stats gets a clear message, not a crash', async () => {
  const page = await newPage();
  // An older server: the stats endpoint does not exist.
  await page.route('**/api/v1/stats?**', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"message":"not found"}' }));
  await page.goto(`${UI}/dashboard?range=1h`);
  const box = page.locator('#dash-unsupported');
  await box.waitFor();
  assert.match(await box.innerText(), /does not serve \/api\/v1\/stats[\s\S]*404/);
  assert.equal(await page.locator('#key-dialog[open]').count(), 0, 'a 404 is not an auth problem');
  assert.equal(await page.locator('.dash-chart').count(), 0);
  assert.ok(await page.locator('.topbar a[data-nav="dashboard"]').evaluate((a) => a.classList.contains('active')));
  noPageErrors(page);
  await page.close();
});

test('dashboard: totals and charts agree with /api/v1/stats; a row opens the filtered trace list', async () => {
  const base = Date.now();
  const from = new Date(base - 10 * 60e3).toISOString();
  const to = new Date(base + 10 * 60e3).toISOString();
  const probe = await apiGet(`/api/v1/stats?from=${from}&to=${to}&step=1m`);
  assert.equal(probe.status, 200, `stats answered ${probe.status}: ${JSON.stringify(probe.body)}`);

  // Three traces of this run (tag dash:RUN): gpt-4o, gpt-4o + gpt-4o-mini,
  // and a gpt-4o-mini call that failed.
  const tag = `dash:${RUN}`;
  const id = (n) => `trace-dash-${RUN}-${n}`;
  const at = (ms) => new Date(base - 60e3 + ms).toISOString();
  const lines = [];
  const gen = (trace, g, model, start, usage) => {
    lines.push(`trace{id=${trace},action=add-generation,data=${JSON.stringify({ id: g, name: `call-${model}`, model, provider: 'openai', messages: [{ role: 'user', content: 'hi' }], modelParameters: {}, startTimestamp: at(start) })}}`);
    const result = usage
      ? { id: `r-${g}`, object: 'chat.completion', created: 1, model, choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'ok' } }], usage: { prompt_tokens: usage[0], completion_tokens: usage[1], total_tokens: usage[0] + usage[1] } }
      : { error: { message: 'rate limited', code: '429', type: 'rate_limit_error' }, id: `r-${g}` };
    lines.push(`generation{id=${g},action=result,data=${JSON.stringify({ result })}}`);
    lines.push(`generation{id=${g},action=end,data=${JSON.stringify({ endTimestamp: at(start + 400) })}}`);
  };
  const traces = [
    [id(1), [['gpt-4o', [100, 20]]]],
    [id(2), [['gpt-4o', [200, 40]], ['gpt-4o-mini', [50, 10]]]],
    [id(3), [['gpt-4o-mini', null]]],
  ];
  traces.forEach(([tid, gens], i) => {
    lines.push(`trace{id=${tid},action=create,data=${JSON.stringify({ name: `dash-${i + 1}`, tags: { dash: RUN }, startTimestamp: at(i * 1000) })}}`);
    gens.forEach(([model, usage], j) => gen(tid, `${tid}-g${j}`, model, i * 1000 + j * 100, usage));
    lines.push(`trace{id=${tid},action=end,data=${JSON.stringify({ endTimestamp: at(i * 1000 + 900) })}}`);
  });
  await postLines(lines);

  const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&by=model&tag=${encodeURIComponent(tag)}`;
  const stats = await waitFor('the stats API to count the run', async () => {
    const r = await apiGet(`/api/v1/stats?${q}&step=1m`);
    if (r.status !== 200) return null;
    const gens = r.body.groups.reduce((n, g) => n + g.totals.generations, 0);
    const ins = r.body.groups.reduce((n, g) => n + g.totals.inputTokens, 0);
    return gens === 4 && ins === 350 ? r.body : null;
  });
  assert.deepEqual(stats.groups.map((g) => g.key).sort(), ['gpt-4o', 'gpt-4o-mini']);
  assert.equal(stats.by, 'model');
  const nb = stats.groups[0].buckets.length;
  assert.ok(nb >= 20 && nb <= 21, `a 20-minute range in 1-minute buckets: ${nb}`);

  const page = await newPage();
  await page.goto(`${UI}/dashboard?${q}`);
  await page.locator('#dash-totals tr.dash-row').first().waitFor();
  // The page chose the same step (20 minutes → 1m) and asks for the same numbers.
  assert.match(await page.locator('#dash-status').innerText(), /1m buckets/);
  for (const g of stats.groups) {
    const row = page.locator(`#dash-totals tr[data-key="${g.key}"]`);
    const cell = async (cls) => row.locator(`td.${cls}`).getAttribute('data-value');
    assert.equal(Number(await cell('traces')), g.totals.traces, `${g.key} traces`);
    assert.equal(Number(await cell('generations')), g.totals.generations, `${g.key} generations`);
    assert.equal(Number(await cell('input-tokens')), g.totals.inputTokens, `${g.key} input tokens`);
    assert.equal(Number(await cell('output-tokens')), g.totals.outputTokens, `${g.key} output tokens`);
    assert.equal(Number(await cell('cost')), g.totals.cost || 0, `${g.key} cost`);
    assert.equal((await row.locator('td.input-tokens').innerText()).trim(), g.totals.inputTokens.toLocaleString('en-US'));
    const rate = g.totals.traces ? g.totals.errorTraces / g.totals.traces : null;
    assert.equal(await cell('error-rate'), rate === null ? '' : String(rate), `${g.key} error rate`);
    const p95 = g.totals.traceLatencyMs ? g.totals.traceLatencyMs.p95 : null;
    assert.equal(await cell('trace-p95'), p95 === null ? '' : String(p95), `${g.key} trace p95`);
  }
  assert.equal(await page.locator('#dash-totals tr.dash-row').count(), stats.groups.length);

  // Every chart drew a canvas of non-zero size, one series per group.
  const canvases = await page.$$eval('.dash-chart canvas', (cs) => cs.map((c) => [c.clientWidth, c.clientHeight]));
  assert.ok(canvases.length >= 7, `chart canvases: ${canvases.length}`);
  for (const [w, h] of canvases) assert.ok(w > 100 && h > 50, `canvas ${w}x${h}`);
  const legend = await page.locator('.dash-chart[data-chart="tokens"] .u-legend').innerText();
  assert.match(legend, /gpt-4o-mini/);
  await shot(page, 'dashboard', { fullPage: true });

  // A chart click opens the list for one bucket (the step after it).
  const plot = page.locator('.dash-chart[data-chart="volume"] .u-over');
  const box = await plot.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForURL((u) => u.pathname === '/' && u.searchParams.has('from'));
  const clicked = new URL(page.url());
  assert.equal(Date.parse(clicked.searchParams.get('to')) - Date.parse(clicked.searchParams.get('from')), 60e3, 'one 1-minute bucket');
  assert.deepEqual(clicked.searchParams.getAll('tag'), [tag]);
  await page.goBack();

  // A row opens the list for the whole range and that model.
  await page.locator('#dash-totals tr[data-key="gpt-4o-mini"] td.traces').click();
  await page.waitForURL((u) => u.pathname === '/' && u.searchParams.get('model') === 'gpt-4o-mini');
  const u = new URL(page.url());
  assert.equal(u.searchParams.get('from'), stats.from, 'the range the API answered for');
  assert.equal(u.searchParams.get('to'), stats.to);
  assert.deepEqual(u.searchParams.getAll('tag'), [tag]);
  await page.locator(`tr.trace-row[data-id="${id(2)}"]`).waitFor();
  await page.locator(`tr.trace-row[data-id="${id(3)}"]`).waitFor();
  assert.equal(await page.locator(`tr.trace-row[data-id="${id(1)}"]`).count(), 0, 'the gpt-4o-only trace is filtered out');
  assert.equal(await page.locator('tr.trace-row').count(), 2);
  noPageErrors(page);
  await page.close();
});

test('evaluations: verdicts in the node detail, the eval filter, and the Alerts page with the alert they fire', async () => {
  const ids = { fail: `trace-evalfail-${RUN}`, pass: `trace-evalpass-${RUN}`, genFail: `gen-evalfail-${RUN}`, genPass: `gen-evalpass-${RUN}` };
  // Verdicts are `evaluate` commits {"with":"result", evaluator, score,
  // pass, reason, judge} on the judged node (docs/tree-json.md), as the
  // genai_eval receiver writes them; the SDK's own evaluate request
  // ({"with":"evaluators"}) goes beside them.
  const verdict = (gen, evaluator, fields) => `generation{id=${gen},action=evaluate,data=${JSON.stringify({ with: 'result', evaluator, timestamp: ts(), ...fields })}}`;
  const judge = { model: 'judge-model', inputTokens: 120, outputTokens: 8, cost: 0.00012, attempts: 2 };
  const lines = [];
  for (const [trace, gen, name] of [[ids.fail, ids.genFail, 'eval-fail'], [ids.pass, ids.genPass, 'eval-pass']]) {
    lines.push(`trace{id=${trace},action=create,data=${JSON.stringify({ name, tags: { evalrun: RUN }, startTimestamp: ts(-5000) })}}`);
    lines.push(`trace{id=${trace},action=add-generation,data=${JSON.stringify({ id: gen, name: 'answer', model: 'gpt-4o-mini', provider: 'openai', messages: [{ role: 'user', content: 'Where do I send the invoice?' }], modelParameters: {}, startTimestamp: ts(-4000) })}}`);
    lines.push(`generation{id=${gen},action=result,data=${JSON.stringify({ result: { id: `r-${gen}`, object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Send it to billing.' } }], usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } } })}}`);
    lines.push(`trace{id=${trace},action=end,data=${JSON.stringify({ endTimestamp: ts(-1000) })}}`);
  }
  lines.push(verdict(ids.genFail, 'pii', { score: 0, pass: false, reason: 'e-mail address in the output' }));
  lines.push(verdict(ids.genFail, 'relevance', { score: 0.9, pass: true, reason: 'answers the question', judge }));
  lines.push(verdict(ids.genPass, 'pii', { score: 1, pass: true, reason: 'no PII found' }));
  lines.push(verdict(ids.genPass, 'relevance', { score: 0.3, pass: false, reason: 'off topic', judge }));
  lines.push(`trace{id=${ids.fail},action=evaluate,data=${JSON.stringify({ with: 'evaluators', evaluators: ['pii', 'relevance'], timestamp: ts() })}}`);
  await postLines(lines);
  const evals = (t) => Object.fromEntries((t.evaluations || []).map((v) => [v.evaluator, v]));
  await waitForSummary(ids.fail, (t) => evals(t).pii && evals(t).pii.failures === 1 && evals(t).relevance);
  await waitForSummary(ids.pass, (t) => evals(t).pii && evals(t).relevance && evals(t).relevance.failures === 1);

  // The eval filter: of every trace of this run, only the one pii failed on.
  const page = await newPage();
  await page.goto(`${UI}/`);
  await page.locator(`tr.trace-row[data-id="${ids.pass}"]`).waitFor();
  const badges = await page.locator(`tr.trace-row[data-id="${ids.fail}"] td.trace-evals`).innerText();
  assert.match(badges, /pii ✗1/);
  assert.match(badges, /relevance ✓/);
  await page.fill('input[name=eval]', 'pii');
  await page.click('#trace-filters button[type=submit]');
  await page.waitForFunction((pass) => !document.querySelector(`tr.trace-row[data-id="${pass}"]`), ids.pass);
  assert.match(page.url(), /eval=pii/);
  assert.deepEqual(await page.$$eval('tr.trace-row', (rs) => rs.map((r) => r.dataset.id)), [ids.fail]);
  const api = await apiGet('/api/v1/traces?eval=pii&limit=500');
  assert.deepEqual(api.body.traces.map((t) => t.id), [ids.fail], 'the API agrees');
  // With a score bound: relevance below 0.5 is the other trace.
  await page.fill('input[name=eval]', 'relevance');
  await page.fill('input[name=eval_score_lt]', '0.5');
  await page.click('#trace-filters button[type=submit]');
  await page.waitForFunction((fail) => !document.querySelector(`tr.trace-row[data-id="${fail}"]`), ids.fail);
  assert.deepEqual(await page.$$eval('tr.trace-row', (rs) => rs.map((r) => r.dataset.id)), [ids.pass]);
  await page.click('#trace-filters button:text("Reset")');
  await page.locator(`tr.trace-row[data-id="${ids.fail}"]`).waitFor();

  // The verdict table of the judged generation: evaluator, score,
  // pass/fail, reason, judge model with its tokens and attempts.
  await page.locator(`tr.trace-row[data-id="${ids.fail}"] a.trace-link`).click();
  await page.locator(`.tree-row[data-key="generation:${ids.genFail}"]`).click();
  const d = page.locator('#detail');
  const pii = d.locator('#evaluations tr.eval-verdict[data-evaluator="pii"]');
  await pii.waitFor();
  const cells = async (row) => row.locator('td').allInnerTexts();
  const [, piiScore, piiVerdict, piiReason] = (await cells(pii)).map((s) => s.trim());
  assert.deepEqual([piiScore, piiVerdict, piiReason], ['0', 'fail', 'e-mail address in the output']);
  const rel = d.locator('#evaluations tr.eval-verdict[data-evaluator="relevance"]');
  const [, relScore, relVerdict, relReason, relJudge] = (await cells(rel)).map((s) => s.trim());
  assert.deepEqual([relScore, relVerdict, relReason], ['0.9', 'pass', 'answers the question']);
  assert.match(relJudge, /judge-model · 120 \/ 8 tokens · .* · 2 attempts/);
  assert.equal(await d.locator('#evaluations tr.eval-verdict').count(), 2);
  await d.locator('#evaluations').scrollIntoViewIfNeeded();
  await shot(page, 'evaluations');
  // The trace holds the SDK's request, listed apart from verdicts.
  await page.locator(`.tree-row[data-key="trace:${ids.fail}"]`).click();
  await d.locator('#evaluations li').filter({ hasText: 'pii, relevance' }).waitFor();
  assert.equal(await d.locator('#evaluations tr.eval-verdict').count(), 0);

  // The pii failure fires the pii-leak rule (testdata/alerts.yaml): the
  // Alerts page shows the firing alert, the rule and the transition.
  const alerts = await waitFor('pii-leak to fire', async () => {
    const r = await apiGet('/api/v1/alerts');
    const a = r.status === 200 && r.body.alerts.find((x) => x.rule === 'pii-leak' && x.repo === REPO);
    return a && a.state === 'firing' ? r.body : null;
  });
  const firing = alerts.alerts.find((x) => x.rule === 'pii-leak' && x.repo === REPO);
  assert.equal(firing.value, 1, 'one failed pii verdict in the window');
  assert.equal(firing.samples, 2, 'two pii verdicts in the window');
  await page.click('.topbar a[data-nav="alerts"]');
  await page.waitForURL((u) => u.pathname === '/alerts');
  const alertRow = page.locator(`#alerts-table tr.alert-row[data-rule="pii-leak"][data-repo="${REPO}"]`);
  await alertRow.waitFor();
  assert.equal(await alertRow.getAttribute('data-state'), 'firing');
  assert.ok(await alertRow.evaluate((r) => r.classList.contains('is-error')), 'a firing alert is highlighted');
  const [state, rule, repo, value, samples] = (await cells(alertRow)).map((s) => s.trim());
  assert.deepEqual([state, rule, repo, value, samples], ['firing', 'pii-leak', REPO, '1', '2']);
  const [, condition, window] = (await cells(page.locator('#rules-table tr[data-rule="pii-leak"]'))).map((s) => s.trim());
  assert.deepEqual([condition, window], ['eval_failures(pii) ≥ 1', '5m']);
  await page.locator('#history-table tr.history-row[data-kind="fired"]').filter({ hasText: 'pii-leak' }).first().waitFor();
  assert.match(await page.locator('.alerts-view .list-status').innerText(), /1 firing/);
  assert.ok(await page.locator('.topbar a[data-nav="alerts"]').evaluate((a) => a.classList.contains('active')));
  await shot(page, 'alerts', { fullPage: true });

  // The alert's "traces" link opens the list narrowed to the failed verdicts.
  await alertRow.locator('a.alert-traces').click();
  await page.waitForURL((u) => u.pathname === '/' && u.searchParams.get('eval') === 'pii');
  await page.locator(`tr.trace-row[data-id="${ids.fail}"]`).waitFor();
  assert.deepEqual(await page.$$eval('tr.trace-row', (rs) => rs.map((r) => r.dataset.id)), [ids.fail]);
  assert.equal(await page.inputValue('input[name=eval]'), 'pii');
  noPageErrors(page);
  await page.close();
});
