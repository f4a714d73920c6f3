package follow

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// BenchmarkStepOneChange is one Step of a follower holding 10,000 pending
// refs — traces in their quiet period and traces parked until their
// evaluations finish, as under evaluation load — after one new change: the
// step a follower takes on every change of the live feed.
//
// held: the parked refs have been pending for longer than checkpointEvery,
// so they hold the checkpoint back (a trace waiting for a busy judge), and
// the checkpoint is due to move as far as it can.
func BenchmarkStepOneChange(b *testing.B) {
	b.Run("fresh", func(b *testing.B) { benchStepOneChange(b, 0) })
	b.Run("held", func(b *testing.B) { benchStepOneChange(b, checkpointEvery+time.Second) })
}

func benchStepOneChange(b *testing.B, parkedFor time.Duration) {
	ctx := context.Background()
	ix := newIndexer(b)
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
	clock = clock.Add(parkedFor)
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
