package pgstore

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// sdkTrace writes the wire lines (docs/protocol.md §2.2) an SDK
// sends for one agent turn: a trace in a session, `spans` spans each with
// a generation (result with usage), a tool call with its result, an event,
// tag and metadata updates and ends, the way the JS capture shows them.
// The lines average roughly 300 bytes.
func sdkTrace(traceID, sessionID string, spans int, at time.Time) []byte {
	ts := func(d int) string {
		return at.Add(time.Duration(d) * time.Millisecond).UTC().Format("2006-01-02T15:04:05.000Z")
	}
	var b strings.Builder
	line := func(entity, id, action, data string) {
		fmt.Fprintf(&b, "%s{id=%s,action=%s,data=%s}\n", entity, id, action, data)
	}
	line("trace", traceID, "create", fmt.Sprintf(`{"name":"turn","tags":{"userId":"u-42","channel":"web"},"startTimestamp":%q,"sessionId":%q}`, ts(0), sessionID))
	line("trace", traceID, "update", `{"input":"What's the weather in Paris and is there any news about the marathon this weekend?"}`)
	for i := range spans {
		sp := fmt.Sprintf("%s-span-%d", traceID, i)
		gen := fmt.Sprintf("%s-gen-%d", traceID, i)
		tc := fmt.Sprintf("%s-call-%d", traceID, i)
		line("span", sp, "create", fmt.Sprintf(`{"name":"agent-step-%d","tags":{"phase":"plan","agent":"travel-assistant"},"startTimestamp":%q,"metadata":{"loop":"react","maxSteps":8}}`, i, ts(i*10)))
		line("trace", traceID, "add-span", fmt.Sprintf(`{"id":%q,"name":"agent-step-%d","tags":{"phase":"plan"},"startTimestamp":%q}`, sp, i, ts(i*10)))
		line("span", sp, "add-generation", fmt.Sprintf(`{"id":%q,"messages":[{"role":"system","content":"You are a helpful travel assistant. Use the tools you are given to look up current weather and local news, cite the tool results you used, keep answers under three sentences, and never invent numbers that no tool returned."},{"role":"user","content":"step %d: decide which tool to call next for the user's question about the weather in Paris and the marathon news; answer with a single tool call"}],"name":"plan","tags":{},"startTimestamp":%q,"provider":"openai","model":"gpt-4o-mini","modelParameters":{"temperature":0.2}}`, gen, i, ts(i*10+1)))
		line("generation", gen, "result", fmt.Sprintf(`{"result":{"id":"chatcmpl-%d","object":"chat.completion","created":1735689600,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"I will call get_weather for Paris first and then search the news index for the marathon."},"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d},"system_fingerprint":"fp_0ba0d124f1"}}`, i, 40+i, 12, 52+i))
		line("generation", gen, "update", `{"metrics":{"ttft_ms":123,"tokens_per_s":87.5},"tags":{"cache":"miss"}}`)
		line("generation", gen, "end", fmt.Sprintf(`{"endTimestamp":%q}`, ts(i*10+4)))
		line("span", sp, "add-tool-call", fmt.Sprintf(`{"id":%q,"name":"get_weather","tags":{"kind":"http"},"startTimestamp":%q,"description":"Get current weather for a city","args":"{\"city\":\"Paris\"}"}`, tc, ts(i*10+5)))
		line("tool_call", tc, "result", `{"result":"{\"city\":\"Paris\",\"tempC\":18,\"feelsLikeC\":16,\"sky\":\"cloudy\",\"wind\":\"12km/h NW\",\"humidity\":71,\"forecast\":[{\"day\":\"sat\",\"tempC\":19},{\"day\":\"sun\",\"tempC\":21}]}"}`)
		line("span", sp, "add-event", fmt.Sprintf(`{"id":"%s-evt","name":"cache-miss","timestamp":%q,"tags":{"layer":"l1"},"metadata":{"key":"paris","cache":"weather-l1","ttlSeconds":300,"region":"eu-west-1"}}`, sp, ts(i*10+6)))
		line("span", sp, "update", fmt.Sprintf(`{"metadata":{"step":"%d","planner":"react-v2","toolChoice":"auto","notes":"weather lookup before news search"},"tags":{"phase":"tools"}}`, i))
		line("span", sp, "end", fmt.Sprintf(`{"endTimestamp":%q}`, ts(i*10+9)))
	}
	line("trace", traceID, "update", `{"output":"It's 18C and cloudy; the marathon is on.","tags":{"env":"prod"}}`)
	line("trace", traceID, "add-feedback", `{"score":4,"comment":"good"}`)
	line("trace", traceID, "end", fmt.Sprintf(`{"endTimestamp":%q}`, ts(spans*10+10)))
	return []byte(b.String())
}

// sdkCommits parses an SDK body the way the receiver does, with versions
// from a deterministic clock.
func sdkCommits(tb testing.TB, repo string, body []byte, v *commit.Versioner) []commit.Commit {
	tb.Helper()
	cs, errs := commit.ParseBody(repo, body, v)
	if len(errs) > 0 {
		tb.Fatalf("generated body does not parse: %v", errs)
	}
	return cs
}

func fixedVersioner(start time.Time) *commit.Versioner {
	t := start
	return commit.NewVersionerClock(func() time.Time { t = t.Add(time.Millisecond); return t })
}
