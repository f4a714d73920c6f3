package memstore

import (
	"context"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// BenchmarkApply measures the apply rate of realistic batches (one
// generated trace per Apply, edges included) into one growing store.
func BenchmarkApply(b *testing.B) {
	var batches [][]commit.Commit
	total := 0
	for seed := uint64(1); total < 20000; seed++ {
		c := treegen.Generate(seed, treegen.DefaultOptions)
		batches = append(batches, c.Commits)
		total += len(c.Commits)
	}
	edges := make([][]store.Edge, len(batches))
	for i, bt := range batches {
		edges[i] = tree.EdgesOfAll(bt)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	applied := 0
	for i := 0; i < b.N; i++ {
		s := New()
		for j, bt := range batches {
			if err := s.Apply(ctx, bt, edges[j]); err != nil {
				b.Fatal(err)
			}
			applied += len(bt)
		}
	}
	b.ReportMetric(float64(applied)/b.Elapsed().Seconds(), "commits/s")
}
