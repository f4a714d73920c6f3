package genaievalreceiver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-genai/otelcol-genai/internal/evaluate"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// chatN is chat with its own trace and generation ids.
func chatN(i int) string {
	return strings.NewReplacer("t-1", fmt.Sprintf("t-b%d", i), "g-1", fmt.Sprintf("g-b%d", i)).Replace(chat)
}

// claimLog is a store that records the keys of the claims asked for.
type claimLog struct {
	store.Store
	mu   sync.Mutex
	keys []string
}

func (c *claimLog) Claim(ctx context.Context, repo, key, owner string, now, until time.Time) (bool, error) {
	c.mu.Lock()
	c.keys = append(c.keys, key)
	c.mu.Unlock()
	return c.Store.Claim(ctx, repo, key, owner, now, until)
}

// evaluateCommits counts the evaluate commits stored on a node.
func evaluateCommits(t *testing.T, st store.Reader, kind commit.Entity, id string) int {
	t.Helper()
	ref := commit.NodeRef{Repo: repo, Kind: kind, ID: id}
	cs, err := st.Commits(context.Background(), []commit.NodeRef{ref})
	require.NoError(t, err)
	n := 0
	for _, c := range cs[ref] {
		if c.Action == commit.ActionEvaluate {
			n++
		}
	}
	return n
}

// Deterministic evaluators take no claim (two synced writes each, more
// than the evaluation); an LLM judge still does. Two members that both
// evaluate an entity hand on the same commit ids, and the store keeps one
// verdict per entity and evaluator.
func TestDeterministicEvaluatorsTakeNoClaims(t *testing.T) {
	ms := memstore.New()
	fx := newFixture(t, ms)
	fx.cfg.Evaluators = append(fx.cfg.Evaluators, evCfg(t, evaluate.Config{Name: "judged", Type: evaluate.TypeEmpty}, Filter{Kinds: []string{"trace"}}))
	fx.override["judged"] = gated{name: "judged", calls: &atomic.Int64{}}
	fx.remote["judged"] = true
	claims := &claimLog{Store: fx.st}
	e1 := fx.engine(claims)
	ix2, err := indexer.New(ms, indexer.DefaultConfig(), indexer.Settings{})
	require.NoError(t, err)
	e2 := fx.engine(ix2)
	for _, e := range []*engine{e1, e2} {
		e.batch.every = time.Hour // handed on when the test says
	}
	ctx := context.Background()
	fx.push(chat)
	require.NoError(t, e1.step(ctx)) // hears of t-1
	e2.fl.Touch(ctx, commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: "t-1"}, fx.clock, fx.clock)
	fx.clock = fx.clock.Add(6 * time.Second)

	// Both members evaluate pii and latency before either verdict is
	// stored (the judge: only the first, which holds its claim).
	require.NoError(t, e1.step(ctx))
	require.Eventually(t, func() bool { return e1.batch.pending() == 4 }, 10*time.Second, time.Millisecond)
	require.NoError(t, e2.step(ctx))
	require.Eventually(t, func() bool { return e2.batch.pending() == 3 }, 10*time.Second, time.Millisecond)
	require.NoError(t, e1.batch.flush(ctx))
	require.NoError(t, e2.batch.flush(ctx))
	e1.wait()
	e2.wait()

	claims.mu.Lock()
	assert.Equal(t, []string{"eval/judged/trace/t-1", "eval/judged/trace/t-1"}, claims.keys,
		"the judge's claim, taken and marked done; none for pii and latency")
	claims.mu.Unlock()
	assert.Equal(t, int64(4), fx.calls["pii"].Load(), "both members evaluated pii on both entities")
	assert.Equal(t, int64(7), fx.records.Load())
	assert.Equal(t, 3, evaluateCommits(t, ms, commit.EntityTrace, "t-1"), "pii, latency, judged: one commit each")
	assert.Equal(t, 1, evaluateCommits(t, ms, commit.EntityGeneration, "g-1"), "pii: one commit")
}

// The verdicts of many evaluations (of several traces) are handed to the
// pipeline together: here one hand-off, when the batch is full.
func TestVerdictsOfManyEvaluationsShareOneHandOff(t *testing.T) {
	fx := newFixture(t, memstore.New())
	fx.cfg.Concurrency = 12
	e := fx.engine(nil)
	e.batch.max, e.batch.every = 12, time.Hour // full at 4 traces × 3 verdicts
	for i := range 4 {
		fx.push(chatN(i))
	}
	ctx := context.Background()
	require.NoError(t, e.step(ctx))
	fx.clock = fx.clock.Add(6 * time.Second)
	require.NoError(t, e.step(ctx))
	e.wait()

	fx.mu.Lock()
	handOffs := len(fx.logs)
	fx.mu.Unlock()
	assert.Equal(t, 1, handOffs, "one hand-off for the 12 verdicts")
	assert.Equal(t, int64(12), fx.records.Load())
	for i := range 4 {
		v := fx.verdicts(fmt.Sprintf("t-b%d", i))
		assert.Len(t, v[fmt.Sprintf("trace/t-b%d", i)], 2, "pii and latency on trace %d", i)
		assert.Len(t, v[fmt.Sprintf("generation/g-b%d", i)], 1, "pii on generation %d", i)
	}
	fx.step(e) // hears of the verdict commits
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	assert.Empty(t, e.fl.Pending, "every trace done")
	assert.Equal(t, int64(12), fx.records.Load(), "nothing judged twice")
}

// Verdicts reached but still in a batch when the receiver shuts down are
// handed on by the shutdown (with its own context), not dropped.
func TestShutdownHandsOnBatchedVerdicts(t *testing.T) {
	fx := newFixture(t, memstore.New())
	e := fx.engine(nil)
	cancel := fx.verdictsHeldInBatch(e)
	assert.Zero(t, fx.records.Load(), "nothing handed on yet")

	cancel() // what the receiver's Shutdown does to the run first
	require.NoError(t, e.shutdown(context.Background()))
	assert.Equal(t, int64(3), fx.records.Load())
	v := fx.verdicts("t-1")
	assert.Len(t, v["trace/t-1"], 2)
	assert.Len(t, v["generation/g-1"], 1)
}

// A crash (no shutdown) loses the verdicts still in a batch; they were
// never stored and nothing marks them done, so the next start evaluates
// them again, and each is stored once.
func TestBatchedVerdictsLostInACrashAreRedone(t *testing.T) {
	ms := memstore.New()
	fx := newFixture(t, ms)
	e1 := fx.engine(nil)
	crash := fx.verdictsHeldInBatch(e1)
	crash()
	e1.wait()
	require.Zero(t, fx.records.Load())

	e2 := fx.engine(nil) // the restart: catches up from the checkpoint
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e2)
	assert.Equal(t, int64(3), fx.records.Load())
	assert.Equal(t, int64(4), fx.calls["pii"].Load(), "pii evaluated again on both entities")
	assert.Equal(t, 2, evaluateCommits(t, ms, commit.EntityTrace, "t-1"))
	assert.Equal(t, 1, evaluateCommits(t, ms, commit.EntityGeneration, "g-1"))
}

// batcher: a full batch goes at once, in one plog.Logs grouped by repo;
// a partial one after its interval; every contributor hears the outcome;
// a flush with its context ended keeps the batch for a later one.
func TestBatcher(t *testing.T) {
	var (
		mu   sync.Mutex
		got  []plog.Logs
		fail error
	)
	next, err := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ld)
		return fail
	})
	require.NoError(t, err)
	rec := func(repo, id string) plog.Logs {
		return commit.LogsFromCommits([]commit.Commit{{Repo: repo, Entity: commit.EntityTrace, EntityID: id,
			Action: commit.ActionEvaluate, Data: []byte(`{}`), Version: 1}})
	}
	ctx := context.Background()

	b := newBatcher(next, 3, time.Hour)
	d1, d2 := b.add(ctx, rec("a", "1")), b.add(ctx, rec("b", "2"))
	assert.Empty(t, got, "not full, interval not over")
	d3 := b.add(ctx, rec("a", "3"))
	for _, d := range []<-chan error{d1, d2, d3} {
		require.NoError(t, <-d)
	}
	require.Len(t, got, 1)
	assert.Equal(t, 3, got[0].LogRecordCount())
	require.Equal(t, 2, got[0].ResourceLogs().Len(), "one resource per repo")
	cs, err := commit.CommitsFromLogs(got[0])
	require.NoError(t, err)
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.Repo+"/"+c.EntityID)
	}
	assert.ElementsMatch(t, []string{"a/1", "b/2", "a/3"}, ids)

	b = newBatcher(next, 100, 10*time.Millisecond)
	d1, d2 = b.add(ctx, rec("a", "4")), b.add(ctx, rec("a", "5"))
	require.NoError(t, <-d1)
	require.NoError(t, <-d2)
	mu.Lock()
	require.Len(t, got, 2, "both in one hand-off after the interval")
	assert.Equal(t, 2, got[1].LogRecordCount())
	fail = errors.New("store down")
	mu.Unlock()

	b = newBatcher(next, 2, time.Hour)
	d1, d2 = b.add(ctx, rec("a", "6")), b.add(ctx, rec("a", "7"))
	assert.ErrorContains(t, <-d1, "store down")
	assert.ErrorContains(t, <-d2, "store down")

	mu.Lock()
	fail = nil
	mu.Unlock()
	b = newBatcher(next, 100, time.Hour)
	d1 = b.add(ctx, rec("a", "8"))
	done, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, b.flush(done), context.Canceled)
	assert.Equal(t, 1, b.pending(), "kept for the shutdown's flush")
	require.NoError(t, b.flush(ctx))
	require.NoError(t, <-d1)
	mu.Lock()
	assert.Len(t, got, 4)
	mu.Unlock()
}

// verdictsHeldInBatch pushes the chat trace, lets e judge it with its batch
// held (no interval flush), and waits until the 3 verdicts sit in the
// batch; it returns the cancel of the run's context.
func (fx *fixture) verdictsHeldInBatch(e *engine) context.CancelFunc {
	fx.t.Helper()
	e.batch.every = time.Hour
	fx.push(chat)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(fx.t, e.step(ctx))
	fx.clock = fx.clock.Add(6 * time.Second)
	require.NoError(fx.t, e.step(ctx))
	require.Eventually(fx.t, func() bool { return e.batch.pending() == 3 }, 10*time.Second, time.Millisecond)
	return cancel
}
