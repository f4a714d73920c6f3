package spancommit_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// BenchmarkFromTraces measures normalized spans → commits (the tracetree
// exporter's per-span cost) on the equivalence scenario, 100 copies per
// batch.
func BenchmarkFromTraces(b *testing.B) {
	one := normalize(&testing.T{}, otlpTraces())
	batch := ptrace.NewTraces()
	for i := 0; i < 100; i++ {
		tmp := ptrace.NewTraces()
		one.CopyTo(tmp)
		tmp.ResourceSpans().MoveAndAppendTo(batch.ResourceSpans())
	}
	v := commit.NewVersioner()
	spans := batch.SpanCount()
	var commits int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cs, err := spancommit.FromTraces(batch, v)
		if err != nil {
			b.Fatal(err)
		}
		commits += len(cs)
	}
	b.ReportMetric(float64(spans*b.N)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(commits)/b.Elapsed().Seconds(), "commits/s")
}

// BenchmarkAssembleOTLPTrace measures reading one OTLP trace back from the
// store: an agent span with 500 model calls, each with an HTTP client span
// below it (so every generation's child holder has a child), 1001 spans.
func BenchmarkAssembleOTLPTrace(b *testing.B) {
	t := &testing.T{}
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	id := func(n int) pcommon.SpanID { return pcommon.SpanID{0, 0, 0, 0, 0, 0, byte(n >> 8), byte(n)} }
	add := func(n, parent int, name string, attrs map[string]any) {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(otlpTrace)
		sp.SetSpanID(id(n))
		if parent != 0 {
			sp.SetParentSpanID(id(parent))
		}
		sp.SetName(name)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(at(n)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at(n + 1)))
		_ = sp.Attributes().FromRaw(attrs)
	}
	add(1, 0, "agent", map[string]any{})
	for g := 0; g < 500; g++ {
		n := 2 + 2*g
		add(n, 1, "chat gpt-4o-mini", map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
			"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 2})
		add(n+1, n, "POST", map[string]any{"http.request.method": "POST"})
	}
	cs, err := spancommit.FromTraces(normalize(t, td), commit.NewVersioner())
	if err != nil {
		b.Fatal(err)
	}
	st := memstore.New()
	if err := st.Apply(context.Background(), cs, tree.EdgesOfAll(cs)); err != nil {
		b.Fatal(err)
	}
	ref := commit.NodeRef{Repo: "default", Kind: commit.EntityTrace, ID: otlpTrace.String()}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr, err := tree.AssembleTrace(context.Background(), st, ref)
		if err != nil {
			b.Fatal(err)
		}
		if tr.Root.Totals.Counts["span"] != 501 {
			b.Fatalf("counts %v", tr.Root.Totals.Counts)
		}
	}
}
