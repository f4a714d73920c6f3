package tracetreefeedreceiver

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/storetest"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
	"github.com/otelcol-genai/otelcol-genai/receiver/tracetreefeedreceiver/internal/metadata"
)

// BenchmarkConvert measures tree → spans for generated traces of
// realistic shape (nested spans, generations, tool calls, sub-records).
func BenchmarkConvert(b *testing.B) {
	st := memstore.New()
	var traces []*tree.Trace
	nodes := 0
	for seed := uint64(1); seed <= 50; seed++ {
		t := storetest.AssembledCase(b, st, treegen.Generate(seed, treegen.Options{MaxChildren: 6, MaxDepth: 4, MaxNodes: 200}))
		traces = append(traces, t)
		tree.Walk(t.Root, func(*tree.TreeNode) { nodes++ })
	}
	cv := converter{serviceName: "bench"}
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	spans := 0
	for i := 0; i < b.N; i++ {
		em := cv.convert(traces[i%len(traces)], nil, true, now)
		spans += em.spans
	}
	b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(nodes)/float64(len(traces)), "nodes/trace")
}

// BenchmarkFeed measures the whole path per trace: live change, assembly,
// conversion, hand-off, marker and checkpoint writes, on the in-memory
// store (so the number is the feed's own cost, not a backend's).
func BenchmarkFeed(b *testing.B) {
	for _, size := range []int{20, 200} {
		b.Run(fmt.Sprintf("nodes=%d", size), func(b *testing.B) {
			ix, err := indexer.New(memstore.New(), indexer.DefaultConfig(), indexer.Settings{})
			require.NoError(b, err)
			cfg := createDefaultConfig().(*Config)
			cfg.QuietPeriod = 0
			cfg.IncompleteTimeout = time.Nanosecond
			tel, err := metadata.NewTelemetryBuilder(componenttest.NewNopTelemetrySettings())
			require.NoError(b, err)
			sink := new(consumertest.TracesSink)
			f := newFeed(cfg, ix, sink, zap.NewNop(), tel, "bench")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			require.NoError(b, f.start(ctx))
			cases := make([]treegen.Case, b.N)
			for i := range cases {
				cases[i] = treegen.Generate(uint64(i+1), treegen.Options{MaxChildren: 6, MaxDepth: 4, MaxNodes: size})
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range cases {
				b.StopTimer()
				require.NoError(b, ix.Apply(ctx, cases[i].Commits, tree.EdgesOfAll(cases[i].Commits)))
				require.NoError(b, ix.Flush(ctx)) // indexing is the store's cost, not the feed's
				b.StartTimer()
				require.NoError(b, f.step(ctx))
			}
			b.StopTimer()
			require.Empty(b, f.fl.Pending)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "traces/s")
			b.ReportMetric(float64(sink.SpanCount())/b.Elapsed().Seconds(), "spans/s")
		})
	}
}
