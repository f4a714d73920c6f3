package genainormalizeprocessor

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor/internal/metadata"
)

// realisticBatch gathers the reference's real example spans (OpenLLMetry,
// OpenLit, Semantic Kernel, OpenInference, GenAI events, AI SDK legacy and
// v7, Pydantic AI) into one batch, repeated to about 1,000 spans.
func realisticBatch(b *testing.B) ptrace.Traces {
	files, _ := filepath.Glob("testdata/golden/ref4_*.json")
	batch := ptrace.NewTraces()
	for len(files) > 0 && batch.SpanCount() < 1000 {
		for _, f := range files {
			td := loadTraces(b, f)
			td.ResourceSpans().MoveAndAppendTo(batch.ResourceSpans())
		}
	}
	if !strings.Contains(files[0], "ref4_") || batch.SpanCount() < 1000 {
		b.Fatalf("benchmark batch too small: %d spans", batch.SpanCount())
	}
	return batch
}

// BenchmarkProcessRealisticSpans measures spans/s on one goroutine (run
// with -cpu 1 for a per-core number). Each iteration normalizes a fresh
// copy of the batch; the copy is excluded from the timing.
func BenchmarkProcessRealisticSpans(b *testing.B) {
	batch := realisticBatch(b)
	p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), createDefaultConfig(), consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	n := batch.SpanCount()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		td := ptrace.NewTraces()
		batch.CopyTo(td)
		b.StartTimer()
		if err := p.ConsumeTraces(context.Background(), td); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/span")
}
