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
