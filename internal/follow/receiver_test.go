package follow

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// slowSearch holds every summary search until released: a catch-up through
// a day of summaries after a crash.
type slowSearch struct {
	store.Store
	release chan struct{}
}

func (s *slowSearch) SearchTraces(ctx context.Context, q store.TraceQuery) (store.TracePage, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
		return store.TracePage{}, ctx.Err()
	}
	return s.Store.SearchTraces(ctx, q)
}

// TestRunnerStartDoesNotWaitForTheCatchUp: a receiver's Start (Runner.Start)
// returns while its follower's catch-up is still searching, since the
// collector takes data only once every Start has returned; once the search
// completes, the trace written while no follower ran is handled.
func TestRunnerStartDoesNotWaitForTheCatchUp(t *testing.T) {
	ctx := context.Background()
	ix := newIndexer(t)
	if err := ix.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer ix.Shutdown(ctx)
	st := &slowSearch{Store: ix, release: make(chan struct{})}
	cfg := Config{CatchUpWindow: time.Hour, BatchSize: 10, Checkpoint: store.EvalCheckpointKey("_test", "runner")}
	var handled atomic.Value
	handler := func(_ context.Context, ref commit.NodeRef, _ *Pending, _ time.Time) (bool, error) {
		handled.Store(ref.ID)
		return true, nil
	}
	// A first follower leaves a checkpoint, so the next start catches up.
	if err := New(cfg, ix, handler, Telemetry{}, zap.NewNop()).Start(ctx); err != nil {
		t.Fatal(err)
	}
	cs, errs := commit.ParseBody("r", []byte(`trace{id=while-down,action=create,data={"name":"x"}}`), commit.NewVersioner())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if err := ix.Apply(ctx, cs, nil); err != nil {
		t.Fatal(err)
	}
	if err := ix.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	var r Runner
	started := make(chan error, 1)
	go func() {
		started <- r.Start(New(cfg, st, handler, Telemetry{}, zap.NewNop()), 10*time.Millisecond, func(context.Context, error) {})
	}()
	select {
	case err := <-started:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second): // a bound on a condition, not a timing assertion
		t.Fatal("Runner.Start waited for the catch-up's search")
	}
	defer r.Stop(ctx)
	if handled.Load() != nil {
		t.Fatal("handled before the catch-up found it")
	}
	close(st.release)
	deadline := time.Now().Add(30 * time.Second)
	for handled.Load() != "while-down" {
		if time.Now().After(deadline) {
			t.Fatal("the trace written while no follower ran was never handled")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRunnerSubscribesBeforeStartReturns: the collector takes data once
// every Start has returned, and a first start (no checkpoint) has no
// catch-up, so a follower that subscribed only later, in its goroutine,
// missed the traces written in between (seen as a flaky tracetree_feed
// lifecycle test under load). Runner.Start subscribes before it returns.
// Against a Runner that subscribes in its goroutine this test sees no
// subscription, or, under -race (make test), a data race on it.
func TestRunnerSubscribesBeforeStartReturns(t *testing.T) {
	ctx := context.Background()
	ix := newIndexer(t)
	cfg := Config{CatchUpWindow: time.Hour, BatchSize: 10, Checkpoint: store.EvalCheckpointKey("_test", "first-start")}
	fl := New(cfg, ix, func(context.Context, commit.NodeRef, *Pending, time.Time) (bool, error) { return true, nil },
		Telemetry{}, zap.NewNop())
	var r Runner
	if err := r.Start(fl, 10*time.Millisecond, func(context.Context, error) {}); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(ctx)
	if fl.Changes() == nil {
		t.Fatal("the follower had not subscribed when Runner.Start returned")
	}
}
