package genainormalizeprocessor

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-genai/otelcol-genai/internal/repoaccess"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor/internal/metadata"
)

func oneSpan(attrs map[string]any) ptrace.Traces {
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetName("s")
	sp.SetTraceID([16]byte{1})
	sp.SetSpanID([8]byte{1})
	_ = sp.Attributes().FromRaw(attrs)
	return td
}

func firstSpan(td ptrace.Traces) ptrace.Span {
	return td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
}

func TestRepoFromRequestMetadata(t *testing.T) {
	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), createDefaultConfig(), sink)
	if err != nil {
		t.Fatal(err)
	}
	ctx := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{"x-maxim-repo-id": {"repo-42"}})})
	if err := p.ConsumeTraces(ctx, oneSpan(map[string]any{"gen_ai.operation.name": "chat"})); err != nil {
		t.Fatal(err)
	}
	if err := p.ConsumeTraces(context.Background(), oneSpan(map[string]any{"gen_ai.operation.name": "chat"})); err != nil {
		t.Fatal(err)
	}
	got := sink.AllTraces()
	r1, _ := firstSpan(got[0]).Attributes().Get(spancommit.AttrRepo)
	r2, _ := firstSpan(got[1]).Attributes().Get(spancommit.AttrRepo)
	if r1.Str() != "repo-42" || r2.Str() != "default" {
		t.Fatalf("repos = %q, %q; want repo-42 (request metadata) and default (config)", r1.Str(), r2.Str())
	}
}

func TestKeepRawAttributesFalse(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.KeepRawAttributes = false
	cfg.GenAIAttributes = false // the derived gen_ai.* view is not raw
	out := runProcessor(t, cfg, oneSpan(map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "custom": "x",
		"gen_ai.usage.input_tokens": 3,
	}))
	attrs := firstSpan(out).Attributes()
	for k := range attrs.AsRaw() {
		if len(k) < 6 || k[:6] != "maxim." {
			t.Errorf("raw attribute %q kept with keep_raw_attributes=false", k)
		}
	}
	if v, ok := attrs.Get(spancommit.AttrUsageInput); !ok || v.Int() != 3 {
		t.Fatalf("usage lost: %v", attrs.AsRaw())
	}
}

// Normalizing an already normalized span must not change it: a pipeline
// may chain two collectors that both run the processor.
func TestIdempotent(t *testing.T) {
	td := oneSpan(map[string]any{"gen_ai.operation.name": "chat", "gen_ai.input.messages": `[{"role":"user","content":"hi"}]`})
	once := runProcessor(t, createDefaultConfig().(*Config), td)
	snapshot := firstSpan(once).Attributes().AsRaw()
	twice := runProcessor(t, createDefaultConfig().(*Config), once)
	again := firstSpan(twice).Attributes().AsRaw()
	if len(again) != len(snapshot) || again[spancommit.AttrInputMessages] != snapshot[spancommit.AttrInputMessages] {
		t.Fatalf("second pass changed the span:\n%v\n%v", snapshot, again)
	}
}

func TestTelemetryCounters(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := createDefaultConfig().(*Config)
	cfg.MaxAttributeBytes = 1024
	p, err := NewFactory().CreateTraces(context.Background(), set, cfg, new(consumertest.TracesSink))
	if err != nil {
		t.Fatal(err)
	}
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'a'
	}
	for _, a := range []map[string]any{
		{"gen_ai.operation.name": "chat"},
		{"gen_ai.operation.name": "chat", "gen_ai.input.messages": `[{"role":"user"`}, // malformed
		{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "t", "gen_ai.tool.call.result": string(long)},
		{"maxim.session.end": "s1"},
	} {
		_ = spans.AppendEmpty().Attributes().FromRaw(a)
	}
	if err := p.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	byKind := map[string]int64{}
	m, err := tel.GetMetric("otelcol_genai_normalize_spans")
	if err != nil {
		t.Fatal(err)
	}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		k, _ := dp.Attributes.Value("kind")
		byKind[k.AsString()] = dp.Value
	}
	if byKind["generation"] != 2 || byKind["tool_call"] != 1 || byKind["session_end"] != 1 {
		t.Fatalf("spans by kind = %v", byKind)
	}
	for name, want := range map[string]int64{"otelcol_genai_normalize_malformed_values": 1, "otelcol_genai_normalize_truncations": 1} {
		m, err := tel.GetMetric(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Data.(metricdata.Sum[int64]).DataPoints[0].Value; got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
}

// A client must not pick another tenant's repository by sending a span that
// claims to be normalized already.
func TestForgedRepoIsOverwritten(t *testing.T) {
	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), createDefaultConfig(), sink)
	if err != nil {
		t.Fatal(err)
	}
	ctx := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{"x-maxim-repo-id": {"repo-42"}})})
	td := oneSpan(map[string]any{spancommit.AttrNormalized: true, spancommit.AttrRepo: "victim", spancommit.AttrKind: "span"})
	if err := p.ConsumeTraces(ctx, td); err != nil {
		t.Fatal(err)
	}
	r, _ := firstSpan(sink.AllTraces()[0]).Attributes().Get(spancommit.AttrRepo)
	if r.Str() != "repo-42" {
		t.Fatalf("repo = %q, want the request's repo-42", r.Str())
	}
}

type authRepos []string

func (a authRepos) GetAttribute(name string) any {
	if name == repoaccess.Attribute {
		return []string(a)
	}
	return nil
}
func (a authRepos) GetAttributeNames() []string { return []string{repoaccess.Attribute} }

// Without x-maxim-repo-id the API key's own repository is used, and a key
// scoped to other repositories never writes into default_repo.
func TestRepoFromKeyScope(t *testing.T) {
	n := &normalizer{cfg: createDefaultConfig().(*Config)}
	for _, tt := range []struct {
		repos authRepos
		want  string
	}{
		{authRepos{"repo-a"}, "repo-a"},
		{authRepos{"*"}, "default"},
		{authRepos{"repo-b", "default"}, "default"},
		{authRepos{"repo-c", "repo-d"}, "repo-c"},
	} {
		ctx := client.NewContext(context.Background(), client.Info{Auth: tt.repos})
		if got := n.repo(ctx); got != tt.want {
			t.Errorf("repos %v: repo = %q, want %q", tt.repos, got, tt.want)
		}
	}
}

// authInfo is what maxim_auth puts into client.Info.Auth.
type authInfo struct{ repos []string }

func (a authInfo) GetAttribute(name string) any {
	if name == repoaccess.Attribute {
		return a.repos
	}
	return nil
}
func (a authInfo) GetAttributeNames() []string { return []string{repoaccess.Attribute} }

// An agent normalizes spans for several repositories and forwards them to a
// gateway with a key for every repository: the gateway keeps each span's
// repository. A key scoped to other repositories still cannot place a span
// into a repository it does not own.
func TestForwardedRepoKeptOnlyWhenKeyOwnsIt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		repos []string
		want  string
	}{
		{"wildcard key keeps the agent's repo", []string{"*"}, "repo-from-agent"},
		{"key owning the repo keeps it", []string{"repo-x", "repo-from-agent"}, "repo-from-agent"},
		{"key not owning it gets its own repo", []string{"repo-x"}, "repo-x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := new(consumertest.TracesSink)
			p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), createDefaultConfig(), sink)
			if err != nil {
				t.Fatal(err)
			}
			ctx := client.NewContext(context.Background(), client.Info{Auth: authInfo{repos: tc.repos}})
			td := oneSpan(map[string]any{spancommit.AttrNormalized: true, spancommit.AttrRepo: "repo-from-agent", spancommit.AttrKind: "span"})
			if err := p.ConsumeTraces(ctx, td); err != nil {
				t.Fatal(err)
			}
			r, _ := firstSpan(sink.AllTraces()[0]).Attributes().Get(spancommit.AttrRepo)
			if r.Str() != tc.want {
				t.Fatalf("repo = %q, want %q", r.Str(), tc.want)
			}
		})
	}
}

// An OpenInference LLM span leaves the processor with the OTel GenAI view as
// well, so vendors forwarded the span see gen_ai.* whatever the client sent;
// with genai_attributes off only the canonical maxim.* keys are added.
func TestGenAIAttributesForVendors(t *testing.T) {
	for _, mode := range []string{"content", "dimensions", "off"} {
		on := mode != "off"
		sink := new(consumertest.TracesSink)
		cfg := createDefaultConfig().(*Config)
		cfg.GenAIAttributes = on
		cfg.GenAIContent = mode == "content"
		p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, sink)
		if err != nil {
			t.Fatal(err)
		}
		td := oneSpan(map[string]any{
			"openinference.span.kind":               "LLM",
			"llm.model_name":                        "gpt-4o-mini",
			"llm.provider":                          "openai",
			"llm.token_count.prompt":                int64(12),
			"llm.token_count.completion":            int64(5),
			"llm.input_messages.0.message.role":     "system",
			"llm.input_messages.0.message.content":  "Be brief.",
			"llm.input_messages.1.message.role":     "user",
			"llm.input_messages.1.message.content":  "Hi",
			"llm.output_messages.0.message.role":    "assistant",
			"llm.output_messages.0.message.content": "Hello!",
		})
		if err := p.ConsumeTraces(context.Background(), td); err != nil {
			t.Fatal(err)
		}
		attrs := firstSpan(sink.AllTraces()[0]).Attributes()
		get := func(k string) string {
			v, ok := attrs.Get(k)
			if !ok {
				return ""
			}
			return v.AsString()
		}
		if !on {
			if get("gen_ai.operation.name") != "" || get("gen_ai.input.messages") != "" {
				t.Fatalf("genai_attributes off still wrote gen_ai.*")
			}
			continue
		}
		want := map[string]string{
			"gen_ai.operation.name":      "chat",
			"gen_ai.provider.name":       "openai",
			"gen_ai.request.model":       "gpt-4o-mini",
			"gen_ai.usage.input_tokens":  "12",
			"gen_ai.usage.output_tokens": "5",
			"gen_ai.system_instructions": `[{"type":"text","content":"Be brief."}]`,
			"gen_ai.input.messages":      `[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]`,
			"gen_ai.output.messages":     `[{"role":"assistant","parts":[{"type":"text","content":"Hello!"}]}]`,
		}
		if mode == "dimensions" {
			// What the metrics connector reads stays; the content does not.
			for _, k := range []string{"gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.output.messages"} {
				want[k] = ""
			}
		}
		for k, want := range want {
			if got := get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
	}
}

// TestPreNormalizedWithoutKindIsNormalized: a span claiming to be
// normalized but without a valid maxim.entity.kind (it used to crash the
// collector) is normalized like any other span and keeps its data.
func TestPreNormalizedWithoutKindIsNormalized(t *testing.T) {
	for _, kind := range []any{nil, int64(5), "nonsense"} {
		attrs := map[string]any{"maxim.normalized": true, "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}
		if kind != nil {
			attrs["maxim.entity.kind"] = kind
		}
		out := runProcessor(t, createDefaultConfig().(*Config), oneSpan(attrs))
		got := firstSpan(out).Attributes()
		k, ok := got.Get("maxim.entity.kind")
		if !ok || k.Str() != "generation" {
			t.Fatalf("kind %v: normalized kind %v", kind, k)
		}
		if m, _ := got.Get("maxim.model"); m.Str() != "gpt-4o" {
			t.Fatalf("kind %v: model %q", kind, m.Str())
		}
	}
}
