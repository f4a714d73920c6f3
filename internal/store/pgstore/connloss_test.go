package pgstore

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap/zaptest"

	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestConnectionLossUnderLoad terminates the store's backends from a
// separate connection (pg_terminate_backend: SQLSTATE 57P01 or a dropped
// socket, depending on where the statement was) after every acknowledged
// batch while four writers apply batches. Writes must retry and succeed, and every
// acknowledged commit must be in the store afterwards.
func TestConnectionLossUnderLoad(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	ctx := context.Background()
	schema := testSchema()
	app := "pgstore_kill_" + schema

	cfg := testConfig(schema)
	u, err := url.Parse(testDSN())
	if err != nil {
		t.Fatal(err)
	}
	qv := u.Query()
	qv.Set("application_name", app)
	u.RawQuery = qv.Encode()
	cfg.DSN = configopaque.String(u.String())
	s, err := New(ctx, cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Drop(context.Background())
		_ = s.Close()
	})

	killer, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(ctx)

	const repo = "repo-loss"
	v := fixedVersioner(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	const writers, batchesPerWriter = 4, 25
	batches := make([][][]commit.Commit, writers)
	for w := range writers {
		for b := range batchesPerWriter {
			body := sdkTrace(fmt.Sprintf("tr-%d-%d", w, b), fmt.Sprintf("sess-%d", w), 5, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
			batches[w] = append(batches[w], sdkCommits(t, repo, body, v))
		}
	}

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked []commit.Commit
		fails atomic.Int64
		kills atomic.Int64
	)
	stop := make(chan struct{})
	progress := make(chan struct{}, 1)
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		// Kill after every successful Apply rather than on a clock: a
		// fixed rate faster than a loaded machine completes a transaction
		// starves the writers until their retry budget runs out (it did,
		// on a busy CI machine), while this interrupts connections just
		// as often on a fast machine and never prevents progress.
		for {
			select {
			case <-stop:
				return
			case <-progress:
			}
			var n int
			err := killer.QueryRow(ctx, `SELECT count(*) FROM (
				SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE application_name = $1 AND pid <> pg_backend_pid()) k`, app).Scan(&n)
			if err != nil {
				t.Errorf("terminate backends: %v", err)
				return
			}
			kills.Add(int64(n))
		}
	}()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, b := range batches[w] {
				if err := s.Apply(ctx, b, tree.EdgesOfAll(b)); err != nil {
					fails.Add(1)
					t.Errorf("writer %d: Apply failed despite retries: %v", w, err)
					continue
				}
				mu.Lock()
				acked = append(acked, b...)
				mu.Unlock()
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-killerDone

	if kills.Load() == 0 {
		t.Fatal("no backend was terminated: the test did not exercise connection loss")
	}
	if s.Stats().Retries == 0 {
		t.Fatal("no operation was retried: the test did not exercise the retry path")
	}
	t.Logf("terminated %d backends, %d retries, %d failed applies, %d acknowledged commits",
		kills.Load(), s.Stats().Retries, fails.Load(), len(acked))

	// Every acknowledged commit is present with its version.
	nodes := map[commit.NodeRef]bool{}
	var refs []commit.NodeRef
	for i := range acked {
		if r := acked[i].Node(); !nodes[r] {
			nodes[r] = true
			refs = append(refs, r)
		}
	}
	got, err := s.Commits(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	have := map[commit.ID]int64{}
	for _, cs := range got {
		for _, c := range cs {
			have[c.ID] = c.Version
		}
	}
	missing := 0
	for _, c := range acked {
		if v, ok := have[c.ID]; !ok || v != c.Version {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged commits are missing or have the wrong version", missing, len(acked))
	}
	if len(got) != len(refs) {
		t.Fatalf("%d of %d acknowledged nodes are stored", len(got), len(refs))
	}
	// The change log stayed dense and ordered through the failures: every
	// position from 1 to the head is present exactly once.
	var n, lo, hi int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*), coalesce(min(seq),0), coalesce(max(seq),0) FROM `+s.q+`.change_log`).Scan(&n, &lo, &hi); err != nil {
		t.Fatal(err)
	}
	if lo != 1 || hi != n {
		t.Fatalf("change log has %d rows spanning %d..%d: not dense", n, lo, hi)
	}
}
