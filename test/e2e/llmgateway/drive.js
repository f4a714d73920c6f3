// Drives a client → gateway → provider chain where both hops record the
// same model call as a GenAI span, against otelcol-genai:
//   the application  the `openai` client, instrumented by the official
//                    @opentelemetry/instrumentation-openai (a CLIENT span
//                    per call, with usage) and @opentelemetry/instrumentation-
//                    undici (the HTTP CLIENT span below it, which carries the
//                    traceparent), exporting over argv[2] (http or grpc);
//   the gateway      gateway.js, another process: a SERVER span per call
//                    continuing the application's trace, with usage,
//                    exporting over argv[3];
//   the provider     the fake OpenAI server of ../fakeopenai.
// One trace: a call offering a tool (→ tool call, 50/14 tokens), then the
// answer with the tool result (61/9). Endpoints come from APP_OTLP_ENDPOINT
// and GATEWAY_OTLP_ENDPOINT, headers from OTEL_EXPORTER_OTLP_HEADERS.
// Prints one JSON line {"traceId": …}.
'use strict';
const path = require('node:path');
const { fork } = require('node:child_process');
const { trace, diag, DiagConsoleLogger, DiagLogLevel } = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { OpenAIInstrumentation } = require('@opentelemetry/instrumentation-openai');
const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici');
const { startFakeOpenAI } = require('../fakeopenai/server.js');

diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);

const [appTransport, gatewayTransport] = process.argv.slice(2);
if (!['http', 'grpc'].includes(appTransport) || !['http', 'grpc'].includes(gatewayTransport)) {
  console.error('usage: node drive.js <http|grpc> <http|grpc>');
  process.exit(2);
}
process.env.OTEL_EXPORTER_OTLP_ENDPOINT = process.env.APP_OTLP_ENDPOINT;
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-' + appTransport);
const tracerProvider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'support-app' }),
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter())],
});
tracerProvider.register();
registerInstrumentations({ instrumentations: [new OpenAIInstrumentation(), new UndiciInstrumentation()], tracerProvider });
const OpenAI = require('openai').OpenAI; // after the instrumentation hooked require
const tracer = trace.getTracer('llmgateway-e2e');

function startGateway(upstream) {
  const gw = fork(path.join(__dirname, 'gateway.js'), [], {
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: process.env.GATEWAY_OTLP_ENDPOINT, GATEWAY_TRANSPORT: gatewayTransport, GATEWAY_UPSTREAM: upstream },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    gw.once('message', (m) => resolve({ gw, port: m.port }));
    gw.once('exit', (code) => reject(new Error('gateway exited with ' + code)));
  });
}

function flushGateway(gw) {
  return new Promise((resolve) => {
    gw.once('message', (m) => { if (m === 'flushed') resolve(); });
    gw.send('flush');
  });
}

const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Get the weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

async function turn(client) {
  return tracer.startActiveSpan('support-turn', async (root) => {
    const messages = [
      { role: 'system', content: 'You are a weather assistant.' },
      { role: 'user', content: 'What is the weather in Paris?' },
    ];
    const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
    const call = first.choices[0].message.tool_calls[0];
    messages.push(first.choices[0].message);
    messages.push({ role: 'tool', tool_call_id: call.id, content: '{"tempC":18,"sky":"cloudy"}' });
    const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    if (answer.choices[0].message.content !== 'It is 18C and cloudy in Paris.') throw new Error('answer ' + JSON.stringify(answer.choices[0].message));
    root.end();
    return root.spanContext().traceId;
  });
}

(async () => {
  const provider = await startFakeOpenAI();
  const { gw, port } = await startGateway(provider.baseURL);
  const client = new OpenAI({ apiKey: 'sk-fake', baseURL: 'http://127.0.0.1:' + port + '/v1', maxRetries: 0 });
  const traceId = await turn(client);
  await tracerProvider.forceFlush();
  await tracerProvider.shutdown();
  await flushGateway(gw);
  gw.disconnect();
  provider.close();
  process.stdout.write(JSON.stringify({ traceId }) + '\n');
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
