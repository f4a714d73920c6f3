package follow

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestStepHandlesExactlyTheDueRefs drives a follower with random changes,
// wakes, clock moves and handler outcomes (done, parked, a retry time, not
// ready, an error), and checks at every Step that the handler got exactly
// the refs due by the rule — quiet period passed and retry time come —
// computed from scratch over the pending set. Step takes the due refs from
// its schedule (schedule.go) instead of that scan; a ref the schedule
// missed, took twice or took early fails the test. It also checks the
// checkpoint never passes a pending ref's FirstSeen.
func TestStepHandlesExactlyTheDueRefs(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { checkSchedule(t, seed) })
	}
}

func checkSchedule(t *testing.T, seed uint64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	const quiet = time.Second
	clock := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	refs := make([]commit.NodeRef, 12)
	for i := range refs {
		refs[i] = commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: fmt.Sprintf("t%02d", i)}
	}
	ix := newIndexer(t)
	var handled []commit.NodeRef
	f := New(Config{QuietPeriod: quiet, CatchUpWindow: time.Hour, BatchSize: 10,
		Checkpoint: store.EvalCheckpointKey("_test", "schedule")}, ix,
		func(_ context.Context, ref commit.NodeRef, p *Pending, now time.Time) (bool, error) {
			handled = append(handled, ref)
			switch rng.IntN(5) {
			case 0:
				return true, nil
			case 1:
				p.RetryAt = FarFuture
			case 2:
				p.RetryAt = now.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
			case 3: // not ready, no retry time: due again at once
			case 4:
				return false, errors.New("judge down")
			}
			return false, nil
		}, Telemetry{}, zap.NewNop())
	f.Now = func() time.Time { return clock }
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	woken := map[commit.NodeRef]bool{}
	for step := range 400 {
		switch rng.IntN(4) {
		case 0:
			seen := clock.Add(-time.Duration(rng.IntN(2000)) * time.Millisecond)
			f.Touch(ctx, refs[rng.IntN(len(refs))], seen, clock)
		case 1:
			ref := refs[rng.IntN(len(refs))]
			f.Wake(ref)
			woken[ref] = true
		case 2:
			clock = clock.Add(time.Duration(rng.IntN(1500)) * time.Millisecond)
		case 3:
			// The rule, from scratch, after the wakes Step applies first.
			var want []commit.NodeRef
			for ref, p := range f.Pending {
				retryAt := p.RetryAt
				if woken[ref] {
					retryAt = time.Time{}
				}
				if clock.Sub(p.LastChange) >= quiet && !clock.Before(retryAt) {
					want = append(want, ref)
				}
			}
			clear(woken)
			handled = handled[:0]
			if err := f.Step(ctx); err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(want, compareRefs)
			slices.SortFunc(handled, compareRefs)
			if !slices.Equal(handled, want) {
				t.Fatalf("step %d at %s: handled %v, want %v (pending %v)", step, clock.Format(time.TimeOnly), handled, want, slices.Collect(maps.Keys(f.Pending)))
			}
			for ref, p := range f.Pending {
				if f.savedT.After(p.FirstSeen) {
					t.Fatalf("step %d: checkpoint %s passed %s, pending since %s", step, f.savedT, ref.ID, p.FirstSeen)
				}
			}
		}
	}
}

func compareRefs(a, b commit.NodeRef) int {
	if a.ID < b.ID {
		return -1
	}
	if a.ID > b.ID {
		return 1
	}
	return 0
}
