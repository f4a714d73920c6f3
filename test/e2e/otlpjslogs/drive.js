// Drives the official OpenTelemetry OpenAI instrumentation
// (@opentelemetry/instrumentation-openai, message content captured: it goes
// out as OTLP log records) with the OTel JS SDK's trace and log exporters
// against otelcol-genai, and the `openai` client against the fake OpenAI
// server of ../fakeopenai. Four traces:
//   chat-turn       a chat call offering a tool (→ tool call), then a
//                   streamed answer with the tool result in the history;
//   stream-tool-turn the same with the tool call streamed and the answer
//                   not;
//   responses-turn  the Responses API: a plain answer, then a streamed
//                   function call;
//   error-turn      a chat call the server refuses (400), plus one plain
//                   application log line in the span and one outside any
//                   span (dropped by the collector, counted).
// Usage: node drive.js <http|grpc>
// Endpoint and headers come from the standard OTEL_EXPORTER_OTLP_* variables;
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true turns on content.
// Prints one JSON line with the trace ids.
'use strict';
const { trace, context, ROOT_CONTEXT } = require('@opentelemetry/api');
const { logs, SeverityNumber } = require('@opentelemetry/api-logs');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');
const { startFakeOpenAI } = require('../fakeopenai/server.js');

const transport = process.argv[2];
const pkg = transport === 'grpc' ? 'grpc' : 'http';
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-' + pkg);
const { OTLPLogExporter } = require('@opentelemetry/exporter-logs-otlp-' + pkg);

const resource = resourceFromAttributes({ 'service.name': 'otlpjslogs-e2e-' + transport });
// Spans one by one, records batched (the SDK default for logs): spans and
// their content events reach the collector in different requests.
const tracerProvider = new NodeTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter())] });
tracerProvider.register();
const loggerProvider = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter() })] });
logs.setGlobalLoggerProvider(loggerProvider);
registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()], tracerProvider, loggerProvider });

const OpenAI = require('openai').OpenAI; // after the instrumentation hooked require
const tracer = trace.getTracer('otlpjslogs-e2e');
const appLog = logs.getLogger('otlpjslogs-app');

const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Get the weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

async function chatTurn(client) {
  return tracer.startActiveSpan('chat-turn', async (root) => {
    const messages = [
      { role: 'system', content: 'You are a weather assistant.' },
      { role: 'user', content: 'What is the weather in Paris?' },
    ];
    const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools, temperature: 0.2 });
    const call = first.choices[0].message.tool_calls[0];
    messages.push(first.choices[0].message);
    messages.push({ role: 'tool', tool_call_id: call.id, content: '{"tempC":18,"sky":"cloudy"}' });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    for await (const chunk of stream) {
      text += (chunk.choices[0] && chunk.choices[0].delta && chunk.choices[0].delta.content) || '';
    }
    if (text !== 'It is 18C and cloudy in Paris.') throw new Error('streamed answer ' + JSON.stringify(text));
    root.end();
    return root.spanContext().traceId;
  });
}

// The tool call streamed (its id, name and arguments arrive in deltas), the
// answer not.
async function streamToolTurn(client) {
  return tracer.startActiveSpan('stream-tool-turn', async (root) => {
    const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools, stream: true, stream_options: { include_usage: true } });
    const call = { id: '', name: '', arguments: '' };
    for await (const chunk of stream) {
      const d = chunk.choices[0] && chunk.choices[0].delta;
      for (const tc of (d && d.tool_calls) || []) {
        call.id += tc.id || '';
        call.name += (tc.function && tc.function.name) || '';
        call.arguments += (tc.function && tc.function.arguments) || '';
      }
    }
    if (call.id !== 'call_s_1' || call.arguments !== '{"city":"Paris"}') throw new Error('streamed tool call ' + JSON.stringify(call));
    messages.push({ role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] });
    messages.push({ role: 'tool', tool_call_id: call.id, content: '{"tempC":18,"sky":"cloudy"}' });
    const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    if (answer.choices[0].message.content !== 'It is 18C and cloudy in Paris.') throw new Error('answer ' + JSON.stringify(answer.choices[0].message));
    root.end();
    return root.spanContext().traceId;
  });
}

async function responsesTurn(client) {
  return tracer.startActiveSpan('responses-turn', async (root) => {
    const r = await client.responses.create({ model: 'gpt-4o-mini', instructions: 'Answer in French.', input: 'Say hello.' });
    if (r.output_text !== 'Bonjour!') throw new Error('responses answer ' + JSON.stringify(r.output_text));
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'Weather in Lyon?', tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }], stream: true });
    let calls = 0;
    for await (const ev of stream) {
      if (ev.type === 'response.output_item.done' && ev.item.type === 'function_call') calls++;
    }
    if (calls !== 1) throw new Error('streamed function calls: ' + calls);
    root.end();
    return root.spanContext().traceId;
  });
}

async function errorTurn(client) {
  return tracer.startActiveSpan('error-turn', async (root) => {
    appLog.emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'calling a model that may not exist', attributes: { attempt: 1 } });
    appLog.emit({ context: ROOT_CONTEXT, severityNumber: SeverityNumber.INFO, body: 'a log line outside any span' });
    let refused = false;
    try {
      await client.chat.completions.create({ model: 'broken-model', messages: [{ role: 'user', content: 'Hi' }] });
    } catch (e) {
      refused = e.status === 400;
    }
    if (!refused) throw new Error('the fake server should refuse broken-model with 400');
    root.end();
    return root.spanContext().traceId;
  });
}

(async () => {
  const server = await startFakeOpenAI();
  const client = new OpenAI({ apiKey: 'sk-fake', baseURL: server.baseURL, maxRetries: 0 });
  const out = {};
  out.chatTrace = await chatTurn(client);
  out.streamToolTrace = await streamToolTurn(client);
  out.responsesTrace = await responsesTurn(client);
  out.errorTrace = await errorTurn(client);
  await tracerProvider.forceFlush();
  await loggerProvider.forceFlush();
  await tracerProvider.shutdown();
  await loggerProvider.shutdown();
  server.close();
  process.stdout.write(JSON.stringify(out) + '\n');
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
