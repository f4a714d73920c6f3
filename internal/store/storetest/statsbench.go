package storetest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// Stats benchmark dataset: STATS_BENCH_TRACES traces (default 1,000,000)
// of three generations each over 30 days in one repository, written
// straight through PutTraceSummaries (no assembly) in time order, the way
// an indexer keeps up with live traffic. Five models, ten names, an env
// tag, log-normal latencies.

// StatsBenchRepo is the benchmark's repository.
const StatsBenchRepo = "repo-stats-bench"

// StatsBenchStart is the first hour of the benchmark's 30 days.
var StatsBenchStart = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// StatsBenchTraces reads STATS_BENCH_TRACES.
func StatsBenchTraces() int {
	if v, err := strconv.Atoi(os.Getenv("STATS_BENCH_TRACES")); err == nil && v > 0 {
		return v
	}
	return 1_000_000
}

// BuildStatsDataset writes n traces in batches of batch rows, unless the
// backend already holds them (a kept benchmark directory or schema).
func BuildStatsDataset(b testing.TB, be store.Backend, n, batch int) {
	b.Helper()
	ctx := context.Background()
	if p, err := be.SearchTraces(ctx, store.TraceQuery{Repo: StatsBenchRepo, Limit: 1}); err == nil && len(p.Traces) > 0 {
		b.Logf("stats dataset: reusing the stored one")
		return
	}
	rng := rand.New(rand.NewPCG(1, 2))
	models := []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-pro", "llama-3.1-70b"}
	span := 30 * 24 * time.Hour
	lognormal := func(medianMs, sigma float64) float64 { return medianMs * math.Exp(sigma*rng.NormFloat64()) }
	rows := make([]store.TraceSummary, 0, batch)
	start := time.Now()
	for i := range n {
		ts := StatsBenchStart.Add(time.Duration(float64(span) * float64(i) / float64(n)))
		dur := lognormal(3000, 0.8)
		r := store.TraceSummary{
			Repo: StatsBenchRepo, TraceID: fmt.Sprintf("tr-%08d", i), Name: fmt.Sprintf("agent-%d", rng.IntN(10)),
			Start: ts, End: ts.Add(time.Duration(dur * float64(time.Millisecond))), DurationMs: dur,
			Tags: map[string]string{"env": []string{"prod", "staging", "dev"}[rng.IntN(3)]}, Error: rng.IntN(50) == 0,
			Revision: 1, LastActivity: ts,
		}
		var cost float64
		at := ts
		for j := range 3 {
			m := models[rng.IntN(len(models))]
			gd := lognormal(800, 0.7)
			g := store.GenerationRow{ID: fmt.Sprintf("g%d", j), Start: at, Model: m, Generation: true, Leaf: true,
				InputTokens: int64(200 + rng.IntN(2000)), OutputTokens: int64(50 + rng.IntN(500)), DurationMs: gd,
				Error: rng.IntN(100) == 0}
			g.Cost = float64(g.InputTokens)*2.5e-6 + float64(g.OutputTokens)*1e-5
			cost += g.Cost
			r.Generations = append(r.Generations, g)
			r.Models = append(r.Models, m)
			r.InputTokens += g.InputTokens
			r.OutputTokens += g.OutputTokens
			at = at.Add(time.Duration(gd * float64(time.Millisecond)))
		}
		r.Cost = cost
		rows = append(rows, r)
		if len(rows) == batch || i == n-1 {
			if err := be.PutTraceSummaries(ctx, rows); err != nil {
				b.Fatalf("PutTraceSummaries: %v", err)
			}
			rows = rows[:0]
		}
		if (i+1)%100_000 == 0 {
			b.Logf("stats dataset: %d traces in %s", i+1, time.Since(start).Round(time.Second))
		}
	}
	b.Logf("stats dataset: %d traces, %d generations in %s", n, 3*n, time.Since(start).Round(time.Second))
}

// BenchStatsQuery times the dashboard's query: 30 days, 1-hour buckets,
// grouped by model (rollups) and, for comparison, the same query filtered
// by one trace name (a scan of a tenth of the traces).
func BenchStatsQuery(b *testing.B, be store.Backend) {
	q := store.StatsQuery{TraceQuery: store.TraceQuery{Repo: StatsBenchRepo, From: StatsBenchStart,
		To: StatsBenchStart.Add(30 * 24 * time.Hour)}, Step: time.Hour, By: "model"}
	b.Run("rollups", func(b *testing.B) {
		var st store.Stats
		for b.Loop() {
			var err error
			if st, err = be.QueryStats(context.Background(), q); err != nil {
				b.Fatal(err)
			}
		}
		var gens int64
		for _, g := range st.Groups {
			gens += g.Totals.Generations
		}
		// The last traces' later generations start after the 30 days.
		if want := 3 * int64(StatsBenchTraces()); len(st.Groups) != 5 || gens > want || gens < want-10 {
			b.Fatalf("unexpected answer: %d groups, %d generations", len(st.Groups), gens)
		}
		b.ReportMetric(float64(len(st.Groups[0].Buckets)), "buckets")
		b.ReportMetric(float64(gens), "generations")
	})
	b.Run("scan-name-filter", func(b *testing.B) {
		fq := q
		fq.Name = "agent-3"
		var st store.Stats
		for b.Loop() {
			var err error
			if st, err = be.QueryStats(context.Background(), fq); err != nil {
				b.Fatal(err)
			}
		}
		var traces int64
		for _, g := range st.Groups {
			traces += g.Totals.Traces
		}
		b.ReportMetric(float64(traces), "trace-model-pairs")
	})
}
