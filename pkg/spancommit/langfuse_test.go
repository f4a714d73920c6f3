package spancommit_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// langfuseTraces is a trace as the Langfuse JS SDK emits it, shapes taken
// from the npm tarballs @langfuse/core, @langfuse/tracing and
// @langfuse/otel 5.11.1 (attribute names identical in 4.6.1):
//
//   - dist/index.mjs of @langfuse/tracing, createObservationAttributes:
//     input/output/usageDetails/costDetails/modelParameters and
//     completionStartTime are `_serialize`d (strings as they are, anything
//     else JSON.stringify, so a Date arrives as a quoted ISO string);
//     metadata objects are flattened into `langfuse.observation.metadata.<k>`.
//   - @langfuse/core getPropagatedAttributesFromContext / setPropagatedAttribute:
//     userId → `user.id`, sessionId → `session.id`, tags →
//     `langfuse.trace.tags` (string[]), metadata → `langfuse.trace.metadata.<k>`
//     (String(v)), traceName → `langfuse.trace.name`, version → `langfuse.version`.
//   - @langfuse/otel LangfuseSpanProcessor.onStart: `langfuse.environment`,
//     `langfuse.release` on every span.
//   - @langfuse/tracing observe(): a throw sets level ERROR and
//     statusMessage, output {error: String(err)}, and no span status.
//   - setTraceIO → `langfuse.trace.input`/`.output`; setTraceAsPublic →
//     `langfuse.trace.public` = true. The Python SDK v3 and JS v4 also
//     write `langfuse.user.id`/`langfuse.session.id` (TRACE_COMPAT_*).
func langfuseTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	ss.Scope().SetName("langfuse-sdk")
	ss.Scope().SetVersion("5.11.1")
	add := func(id, parent byte, name string, startMs, endMs int, attrs map[string]any) {
		appendSpan(ss, id, parent, name, startMs, endMs, attrs)
	}
	common := func(m map[string]any) map[string]any {
		m["langfuse.environment"] = "production"
		m["langfuse.release"] = "v1.2.3"
		m["langfuse.session.id"] = "sess-lf"
		m["langfuse.user.id"] = "user-42"
		m["langfuse.trace.tags"] = []any{"beta", "support"}
		m["langfuse.trace.metadata.tenant"] = "acme"
		return m
	}
	add(1, 0, "handle-request", 0, 1000, common(map[string]any{
		"langfuse.observation.type":     "span",
		"langfuse.trace.name":           "chat-pipeline",
		"langfuse.trace.input":          `{"question":"Weather in Paris?"}`,
		"langfuse.trace.output":         "Sunny, 22°C",
		"langfuse.trace.public":         true,
		"langfuse.observation.input":    `{"question":"Weather in Paris?"}`,
		"langfuse.observation.output":   `{"answer":"Sunny, 22°C"}`,
		"langfuse.internal.is_app_root": true,
	}))
	add(2, 1, "llm-call", 100, 600, common(map[string]any{
		"langfuse.observation.type":                  "generation",
		"langfuse.observation.model.name":            "gpt-4o-2024-08-06",
		"langfuse.observation.model.parameters":      `{"temperature":0.2,"maxTokens":256}`,
		"langfuse.observation.input":                 `[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in Paris?"}]`,
		"langfuse.observation.output":                `{"role":"assistant","content":"Sunny, 22°C"}`,
		"langfuse.observation.usage_details":         `{"input":80,"output":20,"total":130,"input_cached_tokens":20,"output_reasoning_tokens":10}`,
		"langfuse.observation.cost_details":          `{"input":0.0002,"input_cached_tokens":0.00001,"output":0.0002,"output_reasoning_tokens":0.0001}`,
		"langfuse.observation.completion_start_time": `"` + at(350).Format("2006-01-02T15:04:05.000Z07:00") + `"`,
		"langfuse.observation.metadata.attempt":      "2",
		"langfuse.observation.metadata.request":      `{"id":"r1","retries":3}`,
		"langfuse.observation.prompt.name":           "weather",
		"langfuse.observation.prompt.version":        int64(3),
		"langfuse.version":                           "2.0",
	}))
	add(3, 1, "get_weather", 610, 700, common(map[string]any{
		"langfuse.observation.type":   "tool",
		"langfuse.observation.input":  `{"city":"Paris"}`,
		"langfuse.observation.output": `{"temp":22}`,
	}))
	add(4, 1, "llm-retry", 710, 900, common(map[string]any{
		"langfuse.observation.type":           "generation",
		"langfuse.observation.model.name":     "gpt-4o",
		"langfuse.observation.input":          "Weather in Paris?",
		"langfuse.observation.output":         `{"error":"Error: Rate limit exceeded"}`,
		"langfuse.observation.level":          "ERROR",
		"langfuse.observation.status_message": "Rate limit exceeded",
		// OpenAI's own usage object passed through (UsageDetails union).
		"langfuse.observation.usage_details": `{"prompt_tokens":50,"completion_tokens":0,"total_tokens":50,"prompt_tokens_details":{"cached_tokens":10}}`,
	}))
	return td
}

func TestLangfuseTraceFolds(t *testing.T) {
	cs, err := spancommit.FromTraces(normalize(t, langfuseTraces()), commit.NewVersioner())
	if err != nil {
		t.Fatal(err)
	}
	s := memstore.New()
	storeCommits(t, s, cs)
	tr, err := tree.AssembleTrace(context.Background(), s, commit.NodeRef{Repo: "default", Kind: commit.EntityTrace, ID: otlpTrace.String()})
	if err != nil {
		t.Fatal(err)
	}
	root := tr.Root
	if root.Node.Name != "chat-pipeline" || root.Node.SessionID != "sess-lf" {
		t.Errorf("trace name/session = %q/%q", root.Node.Name, root.Node.SessionID)
	}
	if got := root.Node.Tags; got["beta"] != "" || got["userId"] != "user-42" || len(got) != 3 {
		t.Errorf("trace tags = %v", got)
	}
	if got := string(root.Node.Input); !strings.Contains(got, "Weather in Paris?") {
		t.Errorf("trace input = %s", got)
	}
	if got := string(root.Node.Output); !strings.Contains(got, "Sunny") {
		t.Errorf("trace output = %s", got)
	}
	for k, want := range map[string]string{"tenant": `"acme"`, "public": "true", "environment": `"production"`, "release": `"v1.2.3"`} {
		if got := string(root.Node.Metadata[k]); got != want {
			t.Errorf("trace metadata %s = %s, want %s", k, got, want)
		}
	}
	// 80 + 20 cached (Langfuse's input excludes cache) and 20 + 10
	// reasoning from the first generation, 50 (OpenAI, inclusive) from the
	// failed one.
	if got := root.Totals; got.InputTokens != 150 || got.OutputTokens != 30 || got.Counts["generation"] != 2 || got.Counts["tool_call"] != 1 {
		t.Errorf("totals = %+v", got)
	}
	byName := map[string]*tree.TreeNode{}
	var walk func(n *tree.TreeNode)
	walk = func(n *tree.TreeNode) {
		byName[n.Node.Name] = n
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(root)
	gen := byName["llm-call"]
	if gen == nil || gen.Node.Kind != commit.EntityGeneration {
		t.Fatalf("llm-call generation missing: %v", byName)
	}
	g := gen.Node
	if g.Model != "gpt-4o-2024-08-06" || len(g.Messages) != 2 || g.Completion == nil || g.Completion.Text != "Sunny, 22°C" {
		t.Errorf("generation = model %q, %d messages, completion %+v", g.Model, len(g.Messages), g.Completion)
	}
	if g.Usage == nil || g.Usage.InputTokens != 100 || g.Usage.OutputTokens != 30 || g.Usage.TotalTokens != 130 ||
		g.Usage.CacheReadTokens != 20 || g.Usage.ReasoningTokens != 10 {
		t.Errorf("usage = %+v, want inclusive 100/30/130 with 20 cached, 10 reasoning", g.Usage)
	}
	if g.Cost == nil || g.Cost.Source != tree.CostSent || g.Cost.Total < 0.00050 || g.Cost.Total > 0.00052 {
		t.Errorf("cost = %+v, want the sum of every bucket (0.00051)", g.Cost)
	}
	if g.ModelParameters["temperature"] != 0.2 || g.ModelParameters["max_tokens"] != float64(256) {
		t.Errorf("model parameters = %v", g.ModelParameters)
	}
	if got := g.Metrics["ttft_ms"]; got != 250 {
		t.Errorf("ttft = %v, want 250 (completion start − span start)", got)
	}
	var req map[string]any
	if err := json.Unmarshal(g.Metadata["request"], &req); err != nil || req["retries"] != float64(3) {
		t.Errorf("observation metadata request = %s (objects stay objects)", g.Metadata["request"])
	}
	for k, want := range map[string]string{"attempt": `"2"`, "prompt.name": `"weather"`, "prompt.version": `"3"`, "version": `"2.0"`} {
		if got := string(g.Metadata[k]); got != want {
			t.Errorf("generation metadata %s = %s, want %s", k, got, want)
		}
	}
	tool := byName["get_weather"]
	if tool == nil || tool.Node.Kind != commit.EntityToolCall || string(tool.Node.Args) != `"{\"city\":\"Paris\"}"` ||
		!strings.Contains(string(tool.Node.Output), "temp") {
		t.Errorf("tool = %+v", tool)
	}
	failed := byName["llm-retry"]
	if failed == nil || len(failed.Node.Errors) == 0 || failed.Node.Errors[0].Message != "Rate limit exceeded" {
		t.Errorf("level ERROR must surface as an error with the status message: %+v", failed)
	}
	if u := failed.Node.Usage; u == nil || u.InputTokens != 50 || u.CacheReadTokens != 10 {
		t.Errorf("failed usage = %+v", u)
	}
}
