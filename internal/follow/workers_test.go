package follow

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestWorkersHandleAtOnce: with Workers set, a step calls the handler for
// that many due traces at once (each handler here waits until all four run
// together, which one at a time never happens), every session only after
// every trace, and applies each answer to its own ref: done refs leave,
// a failed one backs off, a parked one stays.
func TestWorkersHandleAtOnce(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	ix := newIndexer(t)
	const workers = 4
	var (
		mu            sync.Mutex
		running       int
		together      = make(chan struct{})
		tracesDone    int
		sessionsEarly bool
	)
	f := New(Config{QuietPeriod: time.Second, CatchUpWindow: time.Hour, BatchSize: 10, Workers: workers,
		Checkpoint: store.EvalCheckpointKey("_test", "workers")}, ix,
		func(ctx context.Context, ref commit.NodeRef, p *Pending, _ time.Time) (bool, error) {
			mu.Lock()
			if ref.Kind == commit.EntitySession {
				sessionsEarly = sessionsEarly || tracesDone < 2*workers
				mu.Unlock()
				return true, nil
			}
			running++
			if running == workers {
				close(together)
			}
			mu.Unlock()
			select {
			case <-together:
			case <-time.After(10 * time.Second): // a bound on a deadlock, not a wait for timing
				return false, errors.New("handlers never ran together")
			}
			mu.Lock()
			tracesDone++
			mu.Unlock()
			switch ref.ID {
			case "t-0":
				return false, errors.New("boom")
			case "t-1":
				p.RetryAt = FarFuture
				return false, nil
			}
			return true, nil
		}, Telemetry{}, zap.NewNop())
	f.Now = func() time.Time { return clock }
	for i := range 2 * workers {
		f.Touch(ctx, commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: fmt.Sprintf("t-%d", i)}, clock, clock)
	}
	f.Touch(ctx, commit.NodeRef{Repo: "r", Kind: commit.EntitySession, ID: "s-0"}, clock, clock)
	clock = clock.Add(2 * time.Second)
	if err := f.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if sessionsEarly {
		t.Error("a session was handled before every trace was")
	}
	if len(f.Pending) != 2 {
		t.Fatalf("pending after the step: %v, want t-0 (failed) and t-1 (parked)", f.Pending)
	}
	failed := f.Pending[commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "t-0"}]
	parked := f.Pending[commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "t-1"}]
	if failed == nil || failed.Failures != 1 || !failed.RetryAt.After(clock) {
		t.Errorf("failed ref: %+v", failed)
	}
	if parked == nil || parked.RetryAt != FarFuture {
		t.Errorf("parked ref: %+v", parked)
	}
}
