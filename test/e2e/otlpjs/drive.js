// Drives real OpenTelemetry JS clients against an OTLP/HTTP endpoint:
//   1. the Vercel AI SDK (v5, experimental_telemetry) with its mock model:
//      two steps (a tool call, then the answer) and a tool execution;
//   2. the OpenInference instrumentation of the `openai` client, pointed at a
//      small fake OpenAI server started here (chat completions with and
//      without streaming, tool calls).
// Usage: node drive.js <otlp-http-base-url> <repo-id> [api-key]
// Prints one JSON line with the trace ids it produced.
'use strict';
const http = require('node:http');
const { trace, context } = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const [, , otlpBase, repoID, apiKey] = process.argv;

const exporter = new OTLPTraceExporter({
  url: otlpBase + '/v1/traces',
  headers: apiKey ? { 'x-maxim-repo-id': repoID, 'x-maxim-api-key': apiKey } : { 'x-maxim-repo-id': repoID },
});
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'otlpjs-e2e' }),
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
provider.register();
const tracer = trace.getTracer('otlpjs-e2e');

// --- fake OpenAI-compatible server ----------------------------------------
function startFakeOpenAI() {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r = JSON.parse(body || '{}');
      const hasToolResult = (r.messages || []).some((m) => m.role === 'tool');
      const usage = hasToolResult
        ? { prompt_tokens: 61, completion_tokens: 9, total_tokens: 70 }
        : { prompt_tokens: 50, completion_tokens: 14, total_tokens: 64 };
      const message = hasToolResult
        ? { role: 'assistant', content: 'It is 18C and cloudy in Paris.' }
        : {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_oi_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          };
      const finish = hasToolResult ? 'stop' : 'tool_calls';
      if (r.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const base = { id: 'chatcmpl-stream', object: 'chat.completion.chunk', created: 1795336429, model: 'gpt-4o-mini-2024-07-18' };
        const send = (o) => res.write('data: ' + JSON.stringify(o) + '\n\n');
        send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
        for (const part of ['It is 18C ', 'and cloudy ', 'in Paris.']) {
          send({ ...base, choices: [{ index: 0, delta: { content: part }, finish_reason: null }] });
        }
        send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
        send({ ...base, choices: [], usage: { prompt_tokens: 61, completion_tokens: 9, total_tokens: 70 } });
        res.end('data: [DONE]\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id: hasToolResult ? 'chatcmpl-oi-2' : 'chatcmpl-oi-1',
        object: 'chat.completion',
        created: 1795336429,
        model: 'gpt-4o-mini-2024-07-18',
        choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
        usage,
      }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function aiSDK() {
  const { generateText, tool, jsonSchema, stepCountIs } = require('ai');
  const { MockLanguageModelV2 } = require('ai/test');
  let step = 0;
  const model = new MockLanguageModelV2({
    provider: 'openai.chat',
    modelId: 'gpt-4o-mini',
    doGenerate: async () => {
      step++;
      if (step === 1) {
        return {
          content: [{ type: 'tool-call', toolCallId: 'call_ai_1', toolName: 'get_weather', input: '{"city":"Paris"}' }],
          finishReason: 'tool-calls',
          usage: { inputTokens: 40, outputTokens: 11, totalTokens: 51 },
          warnings: [],
        };
      }
      return {
        content: [{ type: 'text', text: 'It is 18C and cloudy in Paris.' }],
        finishReason: 'stop',
        usage: { inputTokens: 72, outputTokens: 10, totalTokens: 82 },
        warnings: [],
      };
    },
  });
  return tracer.startActiveSpan('weather-turn', async (root) => {
    await generateText({
      model,
      system: 'You are a weather assistant.',
      prompt: 'What is the weather in Paris?',
      temperature: 0.3,
      tools: {
        get_weather: tool({
          description: 'Get the weather for a city',
          inputSchema: jsonSchema({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
          execute: async ({ city }) => ({ city, tempC: 18, sky: 'cloudy' }),
        }),
      },
      stopWhen: stepCountIs(3),
      experimental_telemetry: {
        isEnabled: true,
        functionId: 'weather-agent',
        metadata: { sessionId: 'sess-otlpjs', userId: 'u-7', 'maxim-trace-name': 'ai-sdk-turn' },
      },
    });
    root.end();
    return root.spanContext().traceId;
  });
}

async function openInference(baseURL) {
  const OpenAIModule = require('openai');
  const OpenAI = OpenAIModule.OpenAI || OpenAIModule.default || OpenAIModule;
  const { OpenAIInstrumentation } = require('@arizeai/openinference-instrumentation-openai');
  const inst = new OpenAIInstrumentation();
  inst.setTracerProvider(provider);
  inst.manuallyInstrument(OpenAIModule);
  const client = new OpenAI({ apiKey: 'sk-fake', baseURL });
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Get the weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
  return tracer.startActiveSpan('oi-turn', async (root) => {
    const messages = [
      { role: 'system', content: 'You are a weather assistant.' },
      { role: 'user', content: 'What is the weather in Paris?' },
    ];
    const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools, temperature: 0.1 });
    const call = first.choices[0].message.tool_calls[0];
    messages.push(first.choices[0].message);
    messages.push({ role: 'tool', tool_call_id: call.id, content: '{"tempC":18,"sky":"cloudy"}' });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) {
      text += (chunk.choices[0] && chunk.choices[0].delta && chunk.choices[0].delta.content) || '';
    }
    root.setAttribute('output.value', text);
    root.end();
    return root.spanContext().traceId;
  });
}

(async () => {
  const server = await startFakeOpenAI();
  const base = 'http://127.0.0.1:' + server.address().port + '/v1';
  const out = {};
  out.aiSdkTrace = await aiSDK();
  out.openInferenceTrace = await openInference(base);
  await provider.forceFlush();
  await provider.shutdown();
  server.close();
  process.stdout.write(JSON.stringify(out) + '\n');
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
