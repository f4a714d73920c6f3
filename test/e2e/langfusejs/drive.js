// Drives Langfuse's OpenTelemetry SDK (@langfuse/otel's LangfuseSpanProcessor
// and @langfuse/tracing's observation API) against otelcol-genai, the model
// calls going to the fake OpenAI server of ../fakeopenai. One trace, the way
// a Langfuse user instruments an agent turn by hand:
//
//   propagateAttributes {sessionId, userId, metadata, tags, traceName}
//   └ agent "support-agent"                 input / output
//     ├ generation "plan"                   model, modelParameters, messages,
//     │ │                                   tool-call output, usageDetails
//     │ └ guardrail "input-moderation"      a child of a generation
//     ├ tool "get_weather"                  input / output
//     ├ retriever "kb-search"               query, documents
//     ├ chain "compose-answer"              nested spans:
//     │ └ generation "answer"               the answer, usageDetails,
//     │                                     costDetails
//     └ generation "fallback"               refused by the server:
//                                           level ERROR + statusMessage
//
// Usage: node drive.js <langfuse|http|grpc> <session id>
//   langfuse  the processor's own exporter, configured only by Langfuse's
//             variables LANGFUSE_BASE_URL / LANGFUSE_PUBLIC_KEY /
//             LANGFUSE_SECRET_KEY (batched, flushed at the end);
//   http|grpc the processor given an OTLP exporter of that transport, set by
//             the standard OTEL_EXPORTER_OTLP_ENDPOINT / _HEADERS (every span
//             exported alone as it ends: children before their parents, each
//             in its own request).
// Prints one JSON line {"traceId": …}.
'use strict';
const { diag, DiagConsoleLogger, DiagLogLevel } = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { LangfuseSpanProcessor } = require('@langfuse/otel');
const { startActiveObservation, startObservation, propagateAttributes } = require('@langfuse/tracing');
const { startFakeOpenAI } = require('../fakeopenai/server.js');

// Export failures go to stderr, which the Go test prints on failure.
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);

const [mode, sessionId] = process.argv.slice(2);
if (!['langfuse', 'http', 'grpc'].includes(mode) || !sessionId) {
  console.error('usage: node drive.js <langfuse|http|grpc> <session id>');
  process.exit(2);
}

let processor;
if (mode === 'langfuse') {
  processor = new LangfuseSpanProcessor();
} else {
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-' + mode);
  processor = new LangfuseSpanProcessor({ exporter: new OTLPTraceExporter(), exportMode: 'immediate' });
}
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'langfusejs-e2e-' + mode }),
  spanProcessors: [processor],
});
provider.register();

const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Get the weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

async function chat(baseURL, body) {
  const res = await fetch(baseURL + '/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-fake' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(json.error.message);
  return json;
}

function usageDetails(u) {
  return { input: u.prompt_tokens, output: u.completion_tokens, total: u.total_tokens };
}

async function turn(baseURL) {
  return propagateAttributes({
    sessionId,
    userId: 'user-42',
    metadata: { tenant: 'acme', plan: 'pro' },
    tags: ['e2e', 'langfuse'],
    traceName: 'support-turn',
  }, () => startActiveObservation('support-agent', async (agent) => {
    const question = 'What is the weather in Paris?';
    agent.update({ input: { question } });
    const messages = [
      { role: 'system', content: 'You are a weather assistant.' },
      { role: 'user', content: question },
    ];

    const plan = startObservation('plan', {
      model: 'gpt-4o-mini',
      modelParameters: { temperature: 0.2, max_tokens: 256 },
      input: messages,
      metadata: { step: 'plan' },
    }, { asType: 'generation' });
    const guard = plan.startObservation('input-moderation', { input: question }, { asType: 'guardrail' });
    guard.update({ output: { flagged: false } }).end();
    const r1 = await chat(baseURL, { model: 'gpt-4o-mini', messages, tools, temperature: 0.2, max_tokens: 256 });
    const asked = r1.choices[0].message;
    plan.update({ output: asked, usageDetails: usageDetails(r1.usage) }).end();

    const call = asked.tool_calls[0];
    const tool = startObservation('get_weather', { input: JSON.parse(call.function.arguments) }, { asType: 'tool' });
    const weather = { tempC: 18, sky: 'cloudy' };
    tool.update({ output: weather }).end();

    const kb = startObservation('kb-search', { input: { query: 'Paris weather advisories' } }, { asType: 'retriever' });
    kb.update({ output: [{ id: 'doc-1', content: 'No weather advisories for Paris today.' }] }).end();

    const text = await startActiveObservation('compose-answer', async (chain) => {
      const history = [...messages, asked, { role: 'tool', tool_call_id: call.id, content: JSON.stringify(weather) }];
      const answer = startObservation('answer', { model: 'gpt-4o-mini', modelParameters: { temperature: 0 }, input: history }, { asType: 'generation' });
      const r2 = await chat(baseURL, { model: 'gpt-4o-mini', messages: history, temperature: 0 });
      // The cost the application computed itself (Langfuse costDetails, USD).
      answer.update({ output: r2.choices[0].message, usageDetails: usageDetails(r2.usage), costDetails: { input: 0.0005, output: 0.00025, total: 0.00075 } }).end();
      chain.update({ output: r2.choices[0].message.content });
      return r2.choices[0].message.content;
    }, { asType: 'chain' });

    const fallback = startObservation('fallback', { model: 'broken-model', input: [{ role: 'user', content: 'Hi' }] }, { asType: 'generation' });
    let refused = false;
    try {
      await chat(baseURL, { model: 'broken-model', messages: [{ role: 'user', content: 'Hi' }] });
    } catch (e) {
      refused = true;
      fallback.update({ level: 'ERROR', statusMessage: e.message });
    }
    fallback.end();
    if (!refused) throw new Error('the fake server should refuse broken-model');

    agent.update({ output: { answer: text } });
    return agent.traceId;
  }, { asType: 'agent' }));
}

(async () => {
  const server = await startFakeOpenAI();
  const traceId = await turn(server.baseURL);
  await provider.forceFlush();
  await provider.shutdown();
  server.close();
  process.stdout.write(JSON.stringify({ traceId }) + '\n');
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
