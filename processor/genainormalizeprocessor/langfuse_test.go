package genainormalizeprocessor

import (
	"strconv"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

func i64(n int64) *int64 { return &n }

func eqCount(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// Langfuse usage_details arrive as the user's object, JSON-encoded
// (@langfuse/tracing 5.11.1 dist/index.mjs createObservationAttributes,
// `_serialize(usageDetails)`; type UsageDetails in @langfuse/core
// index.d.ts). Langfuse's own keys are disjoint buckets (`input` excludes
// cache and other input_* details); OpenAI's shapes are inclusive. The
// canonical usage is inclusive either way.
func TestLangfuseUsageDetailsInclusive(t *testing.T) {
	for _, tc := range []struct {
		name, usage string
		want        spancommit.Usage
	}{
		{"langfuse openai integration buckets",
			`{"input":80,"output":20,"total":130,"input_cached_tokens":20,"output_reasoning_tokens":10}`,
			spancommit.Usage{Input: i64(100), Output: i64(30), Total: i64(130), CacheRead: i64(20), Reasoning: i64(10)}},
		{"python v3 langchain buckets (input_token_details flattened)",
			`{"input":5,"output":7,"total":40,"input_cache_read":20,"input_cache_creation":8,"output_reasoning":3}`,
			spancommit.Usage{Input: i64(33), Output: i64(10), Total: i64(40), CacheRead: i64(20), CacheWrite: i64(8), Reasoning: i64(3)}},
		{"anthropic keys, ephemeral split not counted twice",
			`{"input":10,"output":5,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"ephemeral_5m_input_tokens":20}`,
			spancommit.Usage{Input: i64(130), Output: i64(5), Total: i64(135), CacheRead: i64(100), CacheWrite: i64(20)}},
		{"openai chat completion usage (inclusive already)",
			`{"prompt_tokens":50,"completion_tokens":12,"total_tokens":62,"prompt_tokens_details":{"cached_tokens":10},"completion_tokens_details":{"reasoning_tokens":4}}`,
			spancommit.Usage{Input: i64(50), Output: i64(12), Total: i64(62), CacheRead: i64(10), Reasoning: i64(4)}},
		{"openai responses usage",
			`{"input_tokens":30,"output_tokens":9,"total_tokens":39,"input_tokens_details":{"cached_tokens":6}}`,
			spancommit.Usage{Input: i64(30), Output: i64(9), Total: i64(39), CacheRead: i64(6)}},
		{"legacy OpenAiUsage camelCase (the SDK's own doc example)",
			`{"promptTokens":25,"completionTokens":150}`,
			spancommit.Usage{Input: i64(25), Output: i64(150), Total: i64(175)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			td := oneSpan(map[string]any{"langfuse.observation.type": "generation", "langfuse.observation.usage_details": tc.usage})
			got := spancommit.Decode(firstSpan(runProcessor(t, createDefaultConfig().(*Config), td)).Attributes()).Usage
			w := tc.want
			if !eqCount(got.Input, w.Input) || !eqCount(got.Output, w.Output) || !eqCount(got.Total, w.Total) ||
				!eqCount(got.CacheRead, w.CacheRead) || !eqCount(got.CacheWrite, w.CacheWrite) || !eqCount(got.Reasoning, w.Reasoning) {
				t.Errorf("usage = %s, want %s", show(got), show(w))
			}
		})
	}
}

func show(u spancommit.Usage) string {
	f := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatInt(*p, 10)
	}
	return "in " + f(u.Input) + " out " + f(u.Output) + " total " + f(u.Total) + " cr " + f(u.CacheRead) + " cw " + f(u.CacheWrite) + " rs " + f(u.Reasoning)
}

// Python SDK v3 / JS v4 shapes on non-generation observations: a span's
// input/output text, a WARNING level kept as metadata, an ERROR level on
// a span without status, and Python's quoted completion start time.
func TestLangfuseSpanFields(t *testing.T) {
	td := oneSpan(map[string]any{
		"langfuse.observation.type":           "span",
		"langfuse.observation.input":          `"plain question"`, // Python json.dumps of a str
		"langfuse.observation.output":         `{"answer":42}`,
		"langfuse.observation.level":          "WARNING",
		"langfuse.observation.status_message": "slow upstream",
		"langfuse.observation.metadata":       `{"source":"cli","n":2}`,
	})
	c := spancommit.Decode(firstSpan(runProcessor(t, createDefaultConfig().(*Config), td)).Attributes())
	if c.Input != "plain question" || c.Output != `{"answer":42}` {
		t.Errorf("io = %q / %q", c.Input, c.Output)
	}
	if c.ErrorMessage != "" || c.Metadata["level"] != "WARNING" || c.Metadata["status_message"] != "slow upstream" {
		t.Errorf("warning: error %q, metadata %v", c.ErrorMessage, c.Metadata)
	}
	if c.Metadata["source"] != "cli" || c.Metadata["n"] != float64(2) {
		t.Errorf("bare metadata object = %v", c.Metadata)
	}
	td = oneSpan(map[string]any{
		"langfuse.observation.type":           "agent",
		"langfuse.observation.level":          "ERROR",
		"langfuse.observation.status_message": "boom",
	})
	c = spancommit.Decode(firstSpan(runProcessor(t, createDefaultConfig().(*Config), td)).Attributes())
	if c.ErrorMessage != "boom" || c.Subtype != "agent" {
		t.Errorf("error level: %q (%s)", c.ErrorMessage, c.Subtype)
	}
}
