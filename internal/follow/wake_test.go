package follow

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestWake: a handler parks a ref until its next change; Wake, called from
// another goroutine, makes it due at the next step without a change, and
// a ref no longer pending is not brought back.
func TestWake(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	ref := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "t-1"}
	calls, finish := 0, false
	ix := newIndexer(t)
	f := New(Config{QuietPeriod: time.Second, CatchUpWindow: time.Hour, BatchSize: 10,
		Checkpoint: store.EvalCheckpointKey("_test", "wake")}, ix,
		func(_ context.Context, _ commit.NodeRef, p *Pending, _ time.Time) (bool, error) {
			calls++
			if finish {
				return true, nil
			}
			p.RetryAt = FarFuture
			return false, nil
		}, Telemetry{}, zap.NewNop())
	f.Now = func() time.Time { return clock }
	f.Touch(ctx, ref, clock, clock)
	clock = clock.Add(2 * time.Second)
	step := func() {
		t.Helper()
		if err := f.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	step()
	step()
	if calls != 1 {
		t.Fatalf("parked ref handled %d times, want 1", calls)
	}
	done := make(chan struct{})
	go func() { defer close(done); f.Wake(ref) }()
	<-done
	select {
	case <-f.wakeCh: // Run would step now
	default:
		t.Fatal("Wake did not signal Run")
	}
	finish = true
	step()
	if calls != 2 {
		t.Fatalf("woken ref handled %d times, want 2", calls)
	}
	if len(f.Pending) != 0 {
		t.Fatalf("pending %v", f.Pending)
	}
	f.Wake(ref)
	step()
	if calls != 2 || len(f.Pending) != 0 {
		t.Fatalf("a ref no longer pending was woken: %d calls, pending %v", calls, f.Pending)
	}
}
