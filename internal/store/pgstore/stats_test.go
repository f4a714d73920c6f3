package pgstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestStatsConcurrentIndexers runs four writers — two stores with their
// own pools on one schema, as indexers on two gateways — that upsert
// overlapping traces with random revisions in random orders, plus a
// deleter. Whatever the interleaving, the rollups must equal the
// reference scan of the surviving highest-revision rows: no trace counted
// twice, none subtracted twice.
func TestStatsConcurrentIndexers(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	schema := testSchema()
	stores := []*Store{openTestStore(t, schema, true), openTestStore(t, schema, false)}
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	models := []string{"a", "b", "c"}
	row := func(rng *rand.Rand, id int, rev int64) store.TraceSummary {
		start := t0.Add(time.Duration(id%48) * time.Hour).Add(time.Duration(rng.IntN(60)) * time.Minute)
		r := store.TraceSummary{Repo: "r", TraceID: fmt.Sprintf("t%02d", id), Name: fmt.Sprint("n", rev%3), Start: start,
			End: start.Add(time.Second), DurationMs: 1000 + float64(rev), Revision: rev, Tags: map[string]string{"k": fmt.Sprint(rev % 2)}}
		for j := range int(rev % 4) {
			r.Generations = append(r.Generations, store.GenerationRow{ID: fmt.Sprint(j), Start: start, Model: models[(int(rev)+j)%3],
				Generation: true, Leaf: true, InputTokens: rev, OutputTokens: 1, Cost: 0.001, DurationMs: float64(10 * rev)})
		}
		return r
	}
	const traces, revs = 30, 12
	// final[id] is decided after the writers: the highest revision,
	// recomputed deterministically from (id, rev).
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			s := stores[w%2]
			for range revs * 3 {
				var batch []store.TraceSummary
				for range 8 {
					id := rng.IntN(traces)
					rev := int64(1 + rng.IntN(revs))
					batch = append(batch, row(rand.New(rand.NewPCG(uint64(id), uint64(rev))), id, rev))
				}
				if err := s.PutTraceSummaries(ctx, batch); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 5 {
			time.Sleep(5 * time.Millisecond)
			ref := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: fmt.Sprintf("t%02d", i*3)}
			if err := stores[1].Delete(ctx, []commit.NodeRef{ref}); err != nil {
				t.Error(err)
			}
		}
	}()
	wg.Wait()
	if t.Failed() {
		return
	}
	// The reference: the rows that ended up stored, rebuilt from their
	// (id, revision).
	page, err := stores[0].SearchTraces(ctx, store.TraceQuery{Repo: "r", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, by := range []string{"", "model", "name", "tag:k"} {
		q := store.StatsQuery{TraceQuery: store.TraceQuery{Repo: "r", From: t0, To: t0.Add(50 * time.Hour)}, Step: time.Hour, By: by}
		plan, err := q.Plan()
		if err != nil {
			t.Fatal(err)
		}
		sc := store.NewStatsScanner(&q, plan)
		for _, p := range page.Traces {
			var id int
			fmt.Sscanf(p.TraceID, "t%d", &id)
			r := row(rand.New(rand.NewPCG(uint64(id), uint64(p.Revision))), id, p.Revision)
			sc.Add(&r)
		}
		got, err := stores[1].QueryStats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if want := sc.Result(); !reflect.DeepEqual(got, want) {
			t.Errorf("by %q: rollups differ from the stored rows", by)
		}
	}
}
