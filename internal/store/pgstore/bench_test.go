package pgstore

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/storetest"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

const benchBatch = 500

type benchBatchT struct {
	commits []commit.Commit
	edges   []store.Edge
}

// benchBatches cuts a stream of SDK traffic (agent turns of 5 spans, new
// traces every time so each commit is a new row) into batches of 500
// commits, the size an exporter's batch processor sends.
func benchBatches(b *testing.B, n int, prefix string) ([]benchBatchT, float64) {
	b.Helper()
	v := fixedVersioner(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	var out []benchBatchT
	var cur []commit.Commit
	var bytes, count int
	for t := 0; len(out) < n; t++ {
		body := sdkTrace(fmt.Sprintf("%s-tr-%d", prefix, t), fmt.Sprintf("%s-sess-%d", prefix, t/10), 5, time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
		for _, c := range sdkCommits(b, "repo-bench", body, v) {
			// What a commit weighs: its wire line plus the 16-byte id and
			// 8-byte version the store keeps with it.
			bytes += len(commit.FormatLine(&c)) + 24
			count++
			cur = append(cur, c)
			if len(cur) == benchBatch {
				out = append(out, benchBatchT{commits: cur, edges: tree.EdgesOfAll(cur)})
				cur = nil
				if len(out) == n {
					break
				}
			}
		}
	}
	return out, float64(bytes) / float64(count)
}

// BenchmarkApply measures commits/s into PostgreSQL with one writer and
// with two writers (two stores with separate pools on one schema, as two
// collectors of a fleet). One op is one Apply of a 500-commit batch.
func BenchmarkApply(b *testing.B) {
	for _, writers := range []int{1, 2} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			requirePostgres(b)
			schema := testSchema()
			stores := []*Store{openTestStore(b, schema, true)}
			for len(stores) < writers {
				stores = append(stores, openTestStore(b, schema, false))
			}
			batches, avg := benchBatches(b, b.N, fmt.Sprintf("w%d-n%d", writers, b.N))
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w, st := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < len(batches); i += writers {
						if err := st.Apply(ctx, batches[i].commits, batches[i].edges); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N*benchBatch)/elapsed.Seconds(), "commits/s")
			b.ReportMetric(avg, "bytes/commit")
		})
	}
}

// BenchmarkAssembleTrace measures reading one 5-span trace (55 commits)
// back as a tree: the query path's cost per trace on PostgreSQL.
func BenchmarkAssembleTrace(b *testing.B) {
	requirePostgres(b)
	s := newTestStore(b)
	ctx := context.Background()
	v := fixedVersioner(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	cs := sdkCommits(b, "repo-bench", sdkTrace("tr", "sess", 5, time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)), v)
	if err := s.Apply(ctx, cs, tree.EdgesOfAll(cs)); err != nil {
		b.Fatal(err)
	}
	ref := commit.NodeRef{Repo: "repo-bench", Kind: commit.EntityTrace, ID: "tr"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := tree.AssembleTrace(ctx, s, ref); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStats1MTraces builds the stats dataset (storetest; size
// STATS_BENCH_TRACES, default 1M traces / 3M generations over 30 days)
// and times 30 days of 1-hour buckets grouped by model (hourly rollups).
//
// STATS_BENCH_SCHEMA keeps the schema (it is not dropped), to time the
// query again without rebuilding.
func BenchmarkStats1MTraces(b *testing.B) {
	requirePostgres(b)
	schema, keep := os.Getenv("STATS_BENCH_SCHEMA"), true
	if schema == "" {
		schema, keep = testSchema(), false
	}
	s := openTestStore(b, schema, !keep)
	storetest.BuildStatsDataset(b, s, storetest.StatsBenchTraces(), 1000)
	storetest.BenchStatsQuery(b, s)
}
