package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

var statsT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(h, m int) time.Time {
	return statsT0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

func statsRows() []store.TraceSummary {
	return []store.TraceSummary{{
		Repo: repo, TraceID: "A", Name: "chat", Start: at(10, 10), End: at(10, 10).Add(2 * time.Second), DurationMs: 2000,
		Tags: map[string]string{"env": "prod"}, Models: []string{"gpt-4o"}, Revision: 10, LastActivity: at(10, 11),
		Generations: []store.GenerationRow{
			{ID: "g0", Start: at(10, 10), Model: "gpt-4o", Generation: true, DurationMs: 1600},
			{ID: "g1", Start: at(10, 10), Model: "gpt-4o", Generation: true, Leaf: true, InputTokens: 10, OutputTokens: 20, Cost: 0.001, DurationMs: 500},
			{ID: "g2", Start: at(10, 11), Model: "claude", Generation: true, Leaf: true, InputTokens: 5, OutputTokens: 5, Unpriced: true, DurationMs: 1000, Error: true},
		},
	}, {
		Repo: repo, TraceID: "B", Name: "chat", Start: at(11, 30), Error: true, Revision: 10, LastActivity: at(12, 6),
		Generations: []store.GenerationRow{
			{ID: "g3", Start: at(12, 5), Model: "gpt-4o", Generation: true, Leaf: true, InputTokens: 1, OutputTokens: 1, Cost: 0.5, DurationMs: -1},
		},
	}, {
		Repo: repo, TraceID: "C", Name: "rag", Start: at(10, 59), End: at(10, 59).Add(100 * time.Millisecond), DurationMs: 100,
		Tags: map[string]string{"env": "dev"}, Revision: 10, LastActivity: at(11, 0), Generations: []store.GenerationRow{},
	}, {
		// Another repository: never counted.
		Repo: "other-repo", TraceID: "A", Name: "chat", Start: at(10, 10), Revision: 10,
		Generations: []store.GenerationRow{{ID: "x", Start: at(10, 10), Model: "gpt-4o", Generation: true, Leaf: true, InputTokens: 99, DurationMs: 1}},
	}}
}

func statsQuery(by string, step time.Duration, from, to time.Time) store.StatsQuery {
	return store.StatsQuery{TraceQuery: store.TraceQuery{Repo: repo, From: from, To: to}, Step: step, By: by}
}

func queryStats(t *testing.T, b store.Backend, q store.StatsQuery) store.Stats {
	t.Helper()
	st, err := b.QueryStats(context.Background(), q)
	if err != nil {
		t.Fatalf("QueryStats(%+v): %v", q, err)
	}
	return st
}

func group(t *testing.T, st store.Stats, key string) store.StatsGroup {
	t.Helper()
	for _, g := range st.Groups {
		if g.Key == key {
			return g
		}
	}
	t.Fatalf("no group %q in %+v", key, groupKeys(st))
	return store.StatsGroup{}
}

func groupKeys(st store.Stats) []string {
	var ks []string
	for _, g := range st.Groups {
		ks = append(ks, g.Key)
	}
	return ks
}

type counts struct{ traces, errTraces, gens, errGens, in, out, unpriced int64 }

func countsOf(b store.StatsBucket) counts {
	return counts{b.Traces, b.ErrorTraces, b.Generations, b.ErrorGenerations, b.InputTokens, b.OutputTokens, b.UnpricedGenerations}
}

func testStats(t *testing.T, b store.Backend) {
	ctx := context.Background()
	if err := b.PutTraceSummaries(ctx, statsRows()); err != nil {
		t.Fatal(err)
	}

	// Ungrouped, hourly (rollups where the backend has them).
	st := queryStats(t, b, statsQuery("", time.Hour, at(10, 0), at(13, 0)))
	if len(st.Groups) != 1 || st.Groups[0].Key != "" || len(st.Groups[0].Buckets) != 3 {
		t.Fatalf("ungrouped: want one group of 3 buckets, got %+v", st)
	}
	if !st.From.Equal(at(10, 0)) || !st.To.Equal(at(13, 0)) || st.By != "" {
		t.Errorf("range: got %s..%s by %q", st.From, st.To, st.By)
	}
	g := st.Groups[0]
	wantB := []counts{{2, 0, 3, 1, 15, 25, 1}, {1, 1, 0, 0, 0, 0, 0}, {0, 0, 1, 0, 1, 1, 0}}
	for i, w := range wantB {
		if got := countsOf(g.Buckets[i]); got != w {
			t.Errorf("bucket %d: got %+v want %+v", i, got, w)
		}
		if !g.Buckets[i].Start.Equal(at(10+i, 0)) {
			t.Errorf("bucket %d starts %s", i, g.Buckets[i].Start)
		}
	}
	if got := countsOf(g.Totals); got != (counts{3, 1, 4, 1, 16, 26, 1}) {
		t.Errorf("totals: %+v", got)
	}
	if math.Abs(g.Totals.Cost-0.501) > 1e-9 || math.Abs(g.Buckets[0].Cost-0.001) > 1e-9 {
		t.Errorf("cost: totals %v bucket0 %v", g.Totals.Cost, g.Buckets[0].Cost)
	}
	// Trace latency: A (2000 ms) and C (100 ms); B is open.
	tl := g.Buckets[0].TraceLatencyMs
	if tl == nil || !within1pct(tl.P50, 100) || !within1pct(tl.P99, 2000) {
		t.Errorf("trace latency bucket 0: %+v", tl)
	}
	if g.Buckets[1].TraceLatencyMs != nil || g.Buckets[2].GenerationLatencyMs != nil {
		t.Error("a bucket without durations must have null percentiles")
	}
	gl := g.Totals.GenerationLatencyMs
	if gl == nil || !within1pct(gl.P50, 1000) || !within1pct(gl.P95, 1600) {
		t.Errorf("generation latency totals: %+v", gl)
	}

	// By model: trace metrics count the traces that used the model.
	st = queryStats(t, b, statsQuery("model", time.Hour, at(10, 0), at(13, 0)))
	if got := groupKeys(st); !reflect.DeepEqual(got, []string{"claude", "gpt-4o"}) {
		t.Fatalf("model groups: %v", got)
	}
	if got := countsOf(group(t, st, "gpt-4o").Totals); got != (counts{2, 1, 3, 0, 11, 21, 0}) {
		t.Errorf("gpt-4o totals: %+v", got)
	}
	if got := countsOf(group(t, st, "claude").Totals); got != (counts{1, 0, 1, 1, 5, 5, 1}) {
		t.Errorf("claude totals: %+v", got)
	}

	// By tag: traces without the tag are group "".
	st = queryStats(t, b, statsQuery("tag:env", time.Hour, at(10, 0), at(13, 0)))
	if got := groupKeys(st); !reflect.DeepEqual(got, []string{"", "dev", "prod"}) {
		t.Fatalf("tag groups: %v", got)
	}
	if got := countsOf(group(t, st, "").Totals); got != (counts{1, 1, 1, 0, 1, 1, 0}) {
		t.Errorf("untagged totals: %+v", got)
	}
	if got := countsOf(group(t, st, "dev").Totals); got != (counts{1, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("dev totals: %+v", got)
	}

	// By name, 2-hour steps: from aligns down to a multiple of the step.
	st = queryStats(t, b, statsQuery("name", 2*time.Hour, at(9, 0), at(13, 0)))
	if !st.From.Equal(at(8, 0)) || !st.To.Equal(at(14, 0)) {
		t.Errorf("aligned range: %s..%s", st.From, st.To)
	}
	if c := group(t, st, "chat"); len(c.Buckets) != 3 || countsOf(c.Buckets[1]) != (counts{2, 1, 3, 1, 15, 25, 1}) {
		t.Errorf("chat by 2h: %+v", c.Buckets)
	}

	// Filtered (a row scan), sub-hour steps.
	q := statsQuery("", 30*time.Minute, at(10, 0), at(12, 30))
	q.Name = "chat"
	st = queryStats(t, b, q)
	g = st.Groups[0]
	if len(g.Buckets) != 5 || countsOf(g.Totals) != (counts{2, 1, 4, 1, 16, 26, 1}) ||
		g.Buckets[0].Traces != 1 || g.Buckets[3].Traces != 1 || g.Buckets[4].Generations != 1 {
		t.Errorf("filtered: %+v", g)
	}
	q = statsQuery("model", time.Hour, at(10, 0), at(13, 0))
	q.Tags = map[string]string{"env": "prod"}
	st = queryStats(t, b, q)
	if got := groupKeys(st); !reflect.DeepEqual(got, []string{"claude", "gpt-4o"}) ||
		countsOf(group(t, st, "gpt-4o").Totals) != (counts{1, 0, 2, 0, 10, 20, 0}) {
		t.Errorf("filtered by tag, grouped by model: %v %+v", got, st)
	}

	// No data: one empty ungrouped group, no groups when grouped.
	st = queryStats(t, b, statsQuery("", time.Hour, at(100, 0), at(102, 0)))
	if len(st.Groups) != 1 || st.Groups[0].Totals.Traces != 0 || len(st.Groups[0].Buckets) != 2 {
		t.Errorf("empty ungrouped: %+v", st)
	}
	if st = queryStats(t, b, statsQuery("model", time.Hour, at(100, 0), at(102, 0))); len(st.Groups) != 0 {
		t.Errorf("empty grouped: %+v", st.Groups)
	}

	// Bad queries.
	for _, bad := range []store.StatsQuery{
		statsQuery("", 30*time.Second, at(10, 0), at(11, 0)),
		statsQuery("", time.Minute, at(0, 0), at(100, 0)),
		statsQuery("color", time.Hour, at(10, 0), at(11, 0)),
		statsQuery("", time.Hour, at(11, 0), at(10, 0)),
	} {
		if _, err := b.QueryStats(ctx, bad); !errors.Is(err, store.ErrBadStatsQuery) {
			t.Errorf("QueryStats(%v, %q): want ErrBadStatsQuery, got %v", bad.Step, bad.By, err)
		}
	}

	// Re-indexing replaces the trace's contribution; a stale row does not.
	a := statsRows()[0]
	a.Revision = 20
	a.Generations = a.Generations[1:2] // only g1 left
	stale := statsRows()[0]
	stale.Revision = 5
	if err := b.PutTraceSummaries(ctx, []store.TraceSummary{a}); err != nil {
		t.Fatal(err)
	}
	if err := b.PutTraceSummaries(ctx, []store.TraceSummary{stale, a}); err != nil {
		t.Fatal(err)
	}
	st = queryStats(t, b, statsQuery("model", time.Hour, at(10, 0), at(13, 0)))
	if got := groupKeys(st); !reflect.DeepEqual(got, []string{"gpt-4o"}) {
		t.Errorf("after re-index: groups %v", got)
	}
	if got := countsOf(group(t, st, "gpt-4o").Totals); got != (counts{2, 1, 2, 0, 11, 21, 0}) {
		t.Errorf("after re-index gpt-4o: %+v", got)
	}

	// Deleting a trace removes it from the stats.
	if err := b.Delete(ctx, []commit.NodeRef{{Repo: repo, Kind: commit.EntityTrace, ID: "A"}}); err != nil {
		t.Fatal(err)
	}
	st = queryStats(t, b, statsQuery("", time.Hour, at(10, 0), at(13, 0)))
	if got := countsOf(st.Groups[0].Totals); got != (counts{2, 1, 1, 0, 1, 1, 0}) {
		t.Errorf("after delete: %+v", got)
	}
	st = queryStats(t, b, statsQuery("tag:env", time.Hour, at(10, 0), at(13, 0)))
	if got := groupKeys(st); !reflect.DeepEqual(got, []string{"", "dev"}) {
		t.Errorf("after delete, tag groups: %v", got)
	}
}

func within1pct(got, want float64) bool { return math.Abs(got-want) <= 0.01*want }

// testStatsRandom writes random traces, re-indexes and deletes some, and
// checks every grouping against the reference scan of the final rows.
func testStatsRandom(t *testing.T, b store.Backend) {
	ctx := context.Background()
	seed, _ := Knobs(0)
	rng := rand.New(rand.NewPCG(seed, 7))
	models := []string{"gpt-4o", "gpt-4o-mini", "claude", ""}
	names := []string{"chat", "rag", ""}
	mk := func(id string, rev int64) store.TraceSummary {
		start := statsT0.Add(time.Duration(rng.IntN(48*60)) * time.Minute)
		r := store.TraceSummary{Repo: repo, TraceID: id, Name: names[rng.IntN(len(names))], Start: start,
			Error: rng.IntN(5) == 0, Revision: rev, Generations: []store.GenerationRow{}}
		if rng.IntN(4) > 0 {
			r.DurationMs = float64(rng.IntN(100000)) / 7
			r.End = start.Add(time.Duration(r.DurationMs * float64(time.Millisecond)))
		}
		if rng.IntN(2) == 0 {
			r.Tags = map[string]string{"env": []string{"prod", "dev", ""}[rng.IntN(3)]}
		}
		for j := range rng.IntN(5) {
			g := store.GenerationRow{ID: fmt.Sprint(j), Start: start.Add(time.Duration(rng.IntN(90)) * time.Minute),
				Model: models[rng.IntN(len(models))], Generation: rng.IntN(6) > 0, Leaf: rng.IntN(3) > 0,
				InputTokens: int64(rng.IntN(1000)), OutputTokens: int64(rng.IntN(1000)), Cost: float64(rng.IntN(10000)) / 1e5,
				Unpriced: rng.IntN(5) == 0, DurationMs: float64(rng.IntN(20000)) / 3, Error: rng.IntN(8) == 0}
			if rng.IntN(6) == 0 {
				g.DurationMs = -1
			}
			r.Generations = append(r.Generations, g)
		}
		return r
	}
	final := map[string]store.TraceSummary{}
	var batch []store.TraceSummary
	for i := range 150 {
		r := mk(fmt.Sprintf("t%03d", i), 1)
		batch = append(batch, r)
		final[r.TraceID] = r
	}
	if err := b.PutTraceSummaries(ctx, batch); err != nil {
		t.Fatal(err)
	}
	batch = batch[:0]
	for i := 0; i < 150; i += 3 {
		r := mk(fmt.Sprintf("t%03d", i), 2)
		batch = append(batch, r)
		final[r.TraceID] = r
	}
	if err := b.PutTraceSummaries(ctx, batch); err != nil {
		t.Fatal(err)
	}
	var del []commit.NodeRef
	for i := 0; i < 150; i += 7 {
		id := fmt.Sprintf("t%03d", i)
		del = append(del, commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: id})
		delete(final, id)
	}
	if err := b.Delete(ctx, del); err != nil {
		t.Fatal(err)
	}
	for _, by := range []string{"", "model", "name", "tag:env"} {
		for _, step := range []time.Duration{time.Hour, 3 * time.Hour, 20 * time.Minute} {
			q := statsQuery(by, step, statsT0.Add(5*time.Hour+7*time.Minute), statsT0.Add(50*time.Hour))
			plan, err := q.Plan()
			if err != nil {
				t.Fatal(err)
			}
			sc := store.NewStatsScanner(&q, plan)
			from, _ := plan.ScanRange()
			for _, r := range final {
				if q.UsesRollups() || !r.Start.Before(from) {
					sc.Add(&r)
				}
			}
			want := sc.Result()
			got := queryStats(t, b, q)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("by %q step %s (seed %d): backend answer differs from the reference scan\ngot  %s\nwant %s",
					by, step, seed, brief(got), brief(want))
			}
		}
	}
}

func brief(st store.Stats) string {
	s := ""
	for _, g := range st.Groups {
		s += fmt.Sprintf("[%q %+v] ", g.Key, g.Totals)
	}
	return s
}
