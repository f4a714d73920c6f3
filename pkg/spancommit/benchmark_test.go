package spancommit_test

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

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
