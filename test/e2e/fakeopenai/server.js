// A small fake OpenAI-compatible server for the e2e tests: no dependencies,
// deterministic answers, loopback only. Start it with
//   const { startFakeOpenAI } = require('../fakeopenai/server.js');
//   const server = await startFakeOpenAI(); // base URL: server.baseURL
//
// POST /v1/chat/completions
//   model "broken-model"          → 400 invalid_request_error (no retries: 4xx)
//   history holds a tool message  → "It is 18C and cloudy in Paris." (61/9 tokens),
//                                   streamed when `stream` (usage chunk with
//                                   stream_options.include_usage)
//   tools offered                 → tool call get_weather {"city":"Paris"} (50/14)
//   otherwise                     → "Hello!" (12/3)
// POST /v1/responses (the Responses API)
//   not streamed                  → one output message "Bonjour!" (20/5)
//   streamed                      → a function_call item get_weather
//                                   {"city":"Lyon"} (30/8), as SSE events
//                                   response.created / .output_item.done /
//                                   .completed
'use strict';
const http = require('node:http');

const MODEL = 'gpt-4o-mini-2024-07-18';
const CREATED = 1795336429;

function chat(r, res) {
  if (r.model === 'broken-model') {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'The model `broken-model` does not exist', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } }));
    return;
  }
  const msgs = r.messages || [];
  const hasToolResult = msgs.some((m) => m.role === 'tool');
  const wantsTool = !hasToolResult && Array.isArray(r.tools) && r.tools.length > 0;
  const usage = hasToolResult
    ? { prompt_tokens: 61, completion_tokens: 9, total_tokens: 70 }
    : wantsTool
      ? { prompt_tokens: 50, completion_tokens: 14, total_tokens: 64 }
      : { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 };
  const text = hasToolResult ? 'It is 18C and cloudy in Paris.' : 'Hello!';
  if (r.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const base = { id: 'chatcmpl-stream', object: 'chat.completion.chunk', created: CREATED, model: MODEL };
    const send = (o) => res.write('data: ' + JSON.stringify(o) + '\n\n');
    send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    if (wantsTool) {
      send({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_s_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }, finish_reason: null }] });
      send({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":"Paris"}' } }] }, finish_reason: null }] });
      send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
    } else {
      for (const part of text.match(/.{1,10}/g)) {
        send({ ...base, choices: [{ index: 0, delta: { content: part }, finish_reason: null }] });
      }
      send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    }
    if (r.stream_options && r.stream_options.include_usage) {
      send({ ...base, choices: [], usage });
    }
    res.end('data: [DONE]\n\n');
    return;
  }
  const message = wantsTool
    ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }
    : { role: 'assistant', content: text };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    id: hasToolResult ? 'chatcmpl-2' : wantsTool ? 'chatcmpl-1' : 'chatcmpl-0',
    object: 'chat.completion',
    created: CREATED,
    model: MODEL,
    choices: [{ index: 0, message, logprobs: null, finish_reason: wantsTool ? 'tool_calls' : 'stop' }],
    usage,
  }));
}

function response(id, status, output, usage) {
  return {
    id, object: 'response', created_at: CREATED, status, model: MODEL, output, usage,
    parallel_tool_calls: true, tool_choice: 'auto', tools: [], text: { format: { type: 'text' } },
  };
}

function responses(r, res) {
  if (r.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let seq = 0;
    const send = (type, o) => res.write('event: ' + type + '\ndata: ' + JSON.stringify({ type, sequence_number: seq++, ...o }) + '\n\n');
    const item = { type: 'function_call', id: 'fc_1', call_id: 'call_r_1', name: 'get_weather', arguments: '{"city":"Lyon"}', status: 'completed' };
    const usage = { input_tokens: 30, output_tokens: 8, total_tokens: 38, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } };
    send('response.created', { response: response('resp_s', 'in_progress', [], null) });
    send('response.output_item.added', { output_index: 0, item: { ...item, arguments: '', status: 'in_progress' } });
    send('response.output_item.done', { output_index: 0, item });
    send('response.completed', { response: response('resp_s', 'completed', [item], usage) });
    res.end();
    return;
  }
  const output = [{ type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Bonjour!', annotations: [] }] }];
  const usage = { input_tokens: 20, output_tokens: 5, total_tokens: 25, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(response('resp_1', 'completed', output, usage)));
}

function startFakeOpenAI() {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r = JSON.parse(body || '{}');
      if (req.url.endsWith('/chat/completions')) return chat(r, res);
      if (req.url.endsWith('/responses')) return responses(r, res);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'no route ' + req.url, type: 'invalid_request_error' } }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    server.baseURL = 'http://127.0.0.1:' + server.address().port + '/v1';
    resolve(server);
  }));
}

module.exports = { startFakeOpenAI };
