package follow

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// BenchmarkStepOneChange is one Step of a follower holding 10,000 pending
// refs — traces in their quiet period and traces parked until their
// evaluations finish, as under evaluation load — after one new change: the
// step a follower takes on every change of the live feed.
func BenchmarkStepOneChange(b *testing.B) {
	ctx := context.Background()
	ix, err := indexer.New(memstore.New(), indexer.DefaultConfig(), indexer.Settings{})
	if err != nil {
		b.Fatal(err)
	}
	clock := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	f := New(Config{QuietPeriod: 2 * time.Second, CatchUpWindow: time.Hour, BatchSize: 10,
		Checkpoint: store.EvalCheckpointKey("_bench", "step")}, ix,
		func(_ context.Context, _ commit.NodeRef, p *Pending, _ time.Time) (bool, error) {
			p.RetryAt = FarFuture
			return false, nil
		}, Telemetry{}, zap.NewNop())
	f.Now = func() time.Time { return clock }
	if err := f.Start(ctx); err != nil {
		b.Fatal(err)
	}
	for i := range 10_000 {
		f.Touch(ctx, commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: fmt.Sprint(i)}, clock, clock)
		if i == 4_999 {
			// The first half is parked by the handler.
			clock = clock.Add(3 * time.Second)
			if err := f.Step(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := f.Step(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		// A change to a parked trace: it waits out its quiet period again.
		f.Touch(ctx, commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: fmt.Sprint(i % 5_000)}, clock, clock)
		clock = clock.Add(time.Microsecond)
		if err := f.Step(ctx); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
