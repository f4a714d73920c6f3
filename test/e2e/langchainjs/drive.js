// Drives LangChain.js (@langchain/core + @langchain/openai) traced by
// OpenInference (@arizeai/openinference-instrumentation-langchain, which
// hooks LangChain's callback manager) with the OTel JS SDK's OTLP trace
// exporter, against otelcol-genai; ChatOpenAI talks to the fake OpenAI
// server of ../fakeopenai. Two traces, each rooted in a LangChain runnable
// (no hand-made span: the spans are LangChain's own):
//   weather-agent  a chain that runs a retriever, calls the chat model with a
//                  tool bound (→ tool call get_weather), executes the tool
//                  and feeds its ToolMessage back, then streams the answer;
//                  run metadata carries a session id and typed values;
//   broken-chain   a chain whose chat model call the server refuses (400).
// Usage: node drive.js <http|grpc>
// Endpoint and headers come from the standard OTEL_EXPORTER_OTLP_* variables.
// Prints one JSON line with the trace ids.
'use strict';
const { trace } = require('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { LangChainInstrumentation } = require('@arizeai/openinference-instrumentation-langchain');
const CallbackManagerModule = require('@langchain/core/callbacks/manager');
const { startFakeOpenAI } = require('../fakeopenai/server.js');

const transport = process.argv[2];
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-' + (transport === 'grpc' ? 'grpc' : 'http'));

// The trace id of every root span, by name: the roots are LangChain's runs.
const roots = {};
const rootRecorder = {
  onStart() {},
  onEnd(span) {
    if (!span.parentSpanContext) roots[span.name] = span.spanContext().traceId;
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};
// Spans one by one: children reach the collector before their parents.
const tracerProvider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'langchainjs-e2e-' + transport }),
  spanProcessors: [rootRecorder, new SimpleSpanProcessor(new OTLPTraceExporter())],
});
tracerProvider.register();
new LangChainInstrumentation({ tracerProvider }).manuallyInstrument(CallbackManagerModule);

const { ChatOpenAI } = require('@langchain/openai');
const { tool } = require('@langchain/core/tools');
const { BaseRetriever } = require('@langchain/core/retrievers');
const { Document } = require('@langchain/core/documents');
const { RunnableLambda } = require('@langchain/core/runnables');
const { SystemMessage, HumanMessage } = require('@langchain/core/messages');

class AtlasRetriever extends BaseRetriever {
  constructor() {
    super();
    this.lc_namespace = ['e2e', 'retrievers'];
  }
  async _getRelevantDocuments(query) {
    return [
      new Document({ pageContent: 'Paris is the capital of France.', metadata: { source: 'atlas', page: 3 } }),
      new Document({ pageContent: 'Paris has an oceanic climate.', metadata: { source: 'climate', page: 7 } }),
    ];
  }
}

const getWeather = tool(async ({ city }) => JSON.stringify({ city, tempC: 18, sky: 'cloudy' }), {
  name: 'get_weather',
  description: 'Get the weather for a city',
  schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
});

async function weatherAgent(baseURL) {
  const model = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'sk-fake', temperature: 0.2, maxRetries: 0, configuration: { baseURL } });
  const retriever = new AtlasRetriever();
  // The config RunnableLambda hands its function carries the run's callbacks:
  // passed on, the inner runs become children of the chain's run (with only
  // @langchain/core nothing propagates it implicitly).
  const agent = RunnableLambda.from(async (question, config) => {
    const docs = await retriever.invoke(question, config);
    const messages = [
      new SystemMessage('You are a weather assistant. Context: ' + docs.map((d) => d.pageContent).join(' ')),
      new HumanMessage(question),
    ];
    const ai = await model.bindTools([getWeather]).invoke(messages, config);
    if (!ai.tool_calls || ai.tool_calls.length !== 1) throw new Error('want one tool call, got ' + JSON.stringify(ai.tool_calls));
    messages.push(ai);
    messages.push(await getWeather.invoke(ai.tool_calls[0], config)); // a ToolMessage
    let text = '';
    for await (const chunk of await model.stream(messages, config)) text += chunk.content;
    if (text !== 'It is 18C and cloudy in Paris.') throw new Error('streamed answer ' + JSON.stringify(text));
    return text;
  }).withConfig({ runName: 'weather-agent' });
  await agent.invoke('What is the weather in Paris?', {
    metadata: { session_id: 'sess-langchainjs-' + transport, user_tier: 'gold', attempt: 2, flags: { beta: true } },
    tags: ['e2e', 'langchain'],
  });
}

async function brokenChain(baseURL) {
  const model = new ChatOpenAI({ model: 'broken-model', apiKey: 'sk-fake', maxRetries: 0, configuration: { baseURL } });
  const chain = RunnableLambda.from(async (q, config) => (await model.invoke([new HumanMessage(q)], config)).content).withConfig({ runName: 'broken-chain' });
  let refused = false;
  try {
    await chain.invoke('Hi');
  } catch (e) {
    refused = e.status === 400 || /broken-model/.test(String(e && e.message));
  }
  if (!refused) throw new Error('the fake server should refuse broken-model with 400');
}

(async () => {
  const server = await startFakeOpenAI();
  await weatherAgent(server.baseURL);
  await brokenChain(server.baseURL);
  await tracerProvider.forceFlush();
  await tracerProvider.shutdown();
  server.close();
  if (!roots['weather-agent'] || !roots['broken-chain']) throw new Error('root spans: ' + JSON.stringify(roots));
  process.stdout.write(JSON.stringify({ agentTrace: roots['weather-agent'], errorTrace: roots['broken-chain'] }) + '\n');
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
