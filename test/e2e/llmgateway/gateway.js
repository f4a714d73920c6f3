// A minimal LLM gateway, the pattern of Bifrost, LiteLLM or Portkey: it
// serves POST /v1/chat/completions, forwards the call to the provider (the
// fake OpenAI server of ../fakeopenai, at GATEWAY_UPSTREAM) and records it as
// a GenAI span of kind SERVER that continues the caller's trace (W3C
// traceparent), with the model and the usage the provider answered. So the
// one model call is recorded twice: by the application's CLIENT span and by
// this SERVER span.
// Run by drive.js with child_process.fork: it sends {port} once listening,
// and on the message 'flush' exports what it recorded, answers 'flushed'.
// Exports with the OTel JS SDK to the standard OTEL_EXPORTER_OTLP_* settings
// over GATEWAY_TRANSPORT (http or grpc).
'use strict';
const http = require('node:http');
const { SpanKind, SpanStatusCode, ROOT_CONTEXT, propagation, defaultTextMapGetter } = require('@opentelemetry/api');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const transport = process.env.GATEWAY_TRANSPORT === 'grpc' ? 'grpc' : 'http';
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-' + transport);
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'llm-gateway' }),
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter())],
});
const tracer = provider.getTracer('llm-gateway');
const w3c = new W3CTraceContextPropagator();
const upstream = process.env.GATEWAY_UPSTREAM;

async function chatCompletions(req, res, body) {
  const parent = w3c.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
  const r = JSON.parse(body);
  const span = tracer.startSpan('chat ' + r.model, {
    kind: SpanKind.SERVER,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': r.model,
      'http.request.method': 'POST',
      'url.path': '/v1/chat/completions',
    },
  }, parent);
  try {
    const up = await fetch(upstream + '/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: req.headers.authorization || '' },
      body,
    });
    const text = await up.text();
    if (up.ok) {
      const out = JSON.parse(text);
      span.setAttributes({
        'gen_ai.response.id': out.id,
        'gen_ai.response.model': out.model,
        'gen_ai.response.finish_reasons': out.choices.map((c) => c.finish_reason),
        'gen_ai.usage.input_tokens': out.usage.prompt_tokens,
        'gen_ai.usage.output_tokens': out.usage.completion_tokens,
      });
    } else {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream ' + up.status });
    }
    span.setAttribute('http.response.status_code', up.status);
    res.writeHead(up.status, { 'content-type': 'application/json' });
    res.end(text);
  } finally {
    span.end();
  }
}

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (req.method === 'POST' && req.url.endsWith('/chat/completions')) {
      chatCompletions(req, res, body).catch((e) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(e), type: 'gateway_error' } }));
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'no route ' + req.url } }));
  });
});

process.on('message', async (m) => {
  if (m === 'flush') {
    await provider.forceFlush();
    await provider.shutdown();
    server.close();
    process.send('flushed');
  }
});

server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
