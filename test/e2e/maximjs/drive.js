// Drives the real @maximai/maxim-js SDK through a realistic agent session
// against the URL in MAXIM_BASE_URL (the e2e test's fault-injecting proxy in
// front of the collector). Prints the ids it used as one JSON line.
//
// env: MAXIM_BASE_URL, MAXIM_API_KEY, MAXIM_REPO_ID, RUN_ID (unique suffix)
"use strict";
const { Maxim } = require("@maximai/maxim-js");

const LARGE_OUTPUT_CHARS = 950000; // > 900 KB: the SDK offloads the commit

async function main() {
  const baseUrl = process.env.MAXIM_BASE_URL;
  const apiKey = process.env.MAXIM_API_KEY;
  const repo = process.env.MAXIM_REPO_ID;
  const run = process.env.RUN_ID || String(Date.now());
  if (!baseUrl || !apiKey || !repo) throw new Error("MAXIM_BASE_URL, MAXIM_API_KEY and MAXIM_REPO_ID are required");

  const ids = {
    session: `sess-${run}`,
    trace: `trace-${run}`,
    bigTrace: `trace-big-${run}`,
    span: `span-${run}`,
    childSpan: `span-child-${run}`,
    generation: `gen-${run}`,
    toolCall: `call-${run}`,
    failingToolCall: `call-fail-${run}`,
    retrieval: `ret-${run}`,
    spanEvent: `evt-span-${run}`,
    traceEvent: `evt-trace-${run}`,
    traceError: `err-${run}`,
    attachment: `att-${run}`,
    attachmentText: `hello from run ${run}!`,
    largeOutputChars: LARGE_OUTPUT_CHARS,
  };

  const maxim = new Maxim({ apiKey, baseUrl });
  const logger = await maxim.logger({ id: repo });
  if (!logger) throw new Error("logger() returned nothing: repo check failed");

  const session = logger.session({ id: ids.session, name: "support-chat", tags: { channel: "web" } });
  const trace = session.trace({ id: ids.trace, name: "turn-1", tags: { userId: "u-42" } });
  trace.input("What's the weather in Paris and any news about it?");
  trace.addTag("env", "e2e");
  trace.addMetadata({ requestId: "req-123" });

  const span = trace.span({ id: ids.span, name: "agent-loop" });
  const gen = span.generation({
    id: ids.generation,
    name: "plan",
    provider: "openai",
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "What's the weather in Paris and any news about it?" },
    ],
    modelParameters: { temperature: 0.2, max_tokens: 256 },
  });
  gen.addMetric("ttft_ms", 123);
  gen.result({
    id: "chatcmpl-e2e-1",
    object: "chat.completion",
    created: 1735689600,
    model: "gpt-4o-mini-2024-07-18",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: null,
        tool_calls: [{ id: ids.toolCall, type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" } }],
      },
      logprobs: null,
      finish_reason: "tool_calls",
    }],
    usage: { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 },
  });

  const tool = span.toolCall({ id: ids.toolCall, name: "get_weather", description: "Get current weather for a city", args: "{\"city\":\"Paris\"}", tags: { kind: "http" } });
  tool.result("{\"tempC\":18,\"sky\":\"cloudy\"}");
  const failing = span.toolCall({ id: ids.failingToolCall, name: "get_news", description: "news", args: "{}" });
  failing.error({ message: "timeout", code: "ETIMEDOUT", type: "network" });

  const ret = span.retrieval({ id: ids.retrieval, name: "news-search", tags: { index: "news-v2" } });
  ret.input("Paris news today");
  ret.addMetric("k", 2);
  ret.output(["doc A: Paris marathon", "doc B: Louvre exhibit"]);

  span.event(ids.spanEvent, "cache-miss", { layer: "l1" }, { key: "paris" });
  const child = span.span({ id: ids.childSpan, name: "post-process" });
  child.end();
  span.end();

  trace.error({ id: ids.traceError, message: "partial failure", code: "E_PARTIAL", type: "app", name: "PartialFailure" });
  trace.event(ids.traceEvent, "answer-sent");
  trace.addMetric("latency_ms", 840.5);
  trace.feedback({ score: 4, comment: "good" });
  trace.evaluate.withEvaluators("faithfulness");
  trace.addAttachment({ type: "fileData", id: ids.attachment, name: "hello.txt", mimeType: "text/plain", data: Buffer.from(ids.attachmentText) });
  trace.output("It's 18C and cloudy; the marathon is on.");
  trace.end();

  const big = session.trace({ id: ids.bigTrace, name: "big-output" });
  big.output("x".repeat(LARGE_OUTPUT_CHARS));
  big.end();

  session.addTag("resolved", "yes");
  session.addMetric("turns", 2);
  session.feedback({ score: 5 });
  session.end();

  // The first push is answered 503 by the test's proxy: the SDK parks the
  // batch in a temp file and re-sends it at the start of the next flush.
  await logger.flush();
  await logger.flush();
  await maxim.cleanup();
  process.stdout.write(JSON.stringify(ids) + "\n");
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
