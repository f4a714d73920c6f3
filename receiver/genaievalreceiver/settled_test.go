package genaievalreceiver

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// treeReads is the store as the engine sees it, counting the reads of
// trace t-1's own node (one per tree assembly).
type treeReads struct {
	*indexer.Indexer
	n atomic.Int64
	// plans lets the engine see the indexer's trees (observe); without
	// it every look at the trace is a read.
	plans bool
}

func (s *treeReads) ObserveTraces(fn indexer.TraceObserver) func() {
	if s.plans {
		return s.Indexer.ObserveTraces(fn)
	}
	return func() {}
}

func (s *treeReads) Commits(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.Commit, error) {
	for _, r := range refs {
		if r.Kind == commit.EntityTrace && r.ID == "t-1" {
			s.n.Add(1)
		}
	}
	return s.Indexer.Commits(ctx, refs)
}

// judgeChat runs an engine over chat's trace until it is judged (one tree
// read, three verdicts) and returns the engine and its store's read count;
// with lazyIndex the verdicts are handed on but not yet indexed.
func judgeChat(t *testing.T, lazyIndex bool) (*fixture, *engine, *treeReads) {
	t.Helper()
	fx := newFixture(t, memstore.New())
	fx.lazyIndex = lazyIndex
	st := &treeReads{Indexer: fx.st}
	e := fx.engine(st)
	fx.push(chat)
	fx.step(e) // hears of the trace
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	require.Equal(t, int64(3), fx.records.Load(), "pii×2 + latency×1")
	require.Equal(t, int64(1), st.n.Load(), "one read to judge it")
	if lazyIndex {
		require.Empty(t, e.fl.Pending, "done before its verdicts were indexed")
	}
	return fx, e, st
}

// quietStep lets the engine hear what changed and steps it again once the
// quiet period has passed.
func quietStep(fx *fixture, e *engine) {
	fx.step(e)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
}

// TestOwnVerdictsAreNotReadAgain: the change the engine's own verdicts
// cause carries the fingerprint the engine expects (what it read, plus its
// verdicts), so the trace is done without reading its tree again.
func TestOwnVerdictsAreNotReadAgain(t *testing.T) {
	fx, e, st := judgeChat(t, false)
	quietStep(fx, e) // the verdicts' change
	assert.Equal(t, int64(1), st.n.Load(), "its own verdicts were not read back")
	assert.Empty(t, e.fl.Pending)
	assert.Equal(t, int64(3), fx.records.Load())
}

// TestAnotherWriteAfterTheVerdictsIsRead: a write by anyone else after
// the verdicts gives the trace another fingerprint, so the engine reads it
// and judges what is new.
func TestAnotherWriteAfterTheVerdictsIsRead(t *testing.T) {
	fx, e, st := judgeChat(t, false)
	// A second generation, written before the engine hears of its
	// verdicts.
	fx.push(secondGeneration)
	quietStep(fx, e)
	assert.Equal(t, int64(2), st.n.Load(), "read again")
	v := fx.verdicts("t-1")
	require.Contains(t, v, "generation/g-2", "the new generation was judged")
	assert.Contains(t, v["generation/g-2"], "pii")
	assert.Equal(t, int64(4), fx.records.Load())
}

// TestOwnVerdictsIndexedAfterTheRunAreNotReadAgain: in the collector the
// indexer publishes the verdicts' change on its own time, usually after
// the engine finished the trace and forgot its run; the fingerprint the
// run left behind (engine.settled) still spares the read.
func TestOwnVerdictsIndexedAfterTheRunAreNotReadAgain(t *testing.T) {
	fx, e, st := judgeChat(t, true)
	require.NoError(t, fx.st.Flush(context.Background()))
	fx.step(e) // hears of the verdict commits
	require.Len(t, e.fl.Pending, 1)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	assert.Equal(t, int64(1), st.n.Load(), "its own verdicts were not read back")
	assert.Empty(t, e.fl.Pending)
	assert.Equal(t, int64(3), fx.records.Load())
}

// TestAnotherWriteAfterTheRunIsRead: the same with a write by someone else
// landing with the verdicts after the run ended: the fingerprint differs
// from the one the run left behind, so the trace is read and the new
// generation judged.
func TestAnotherWriteAfterTheRunIsRead(t *testing.T) {
	fx, e, st := judgeChat(t, true)
	fx.push(secondGeneration) // indexes the verdicts with it
	quietStep(fx, e)
	assert.Equal(t, int64(2), st.n.Load(), "read again")
	require.NoError(t, fx.st.Flush(context.Background()))
	v := fx.verdicts("t-1")
	require.Contains(t, v, "generation/g-2", "the new generation was judged")
	assert.Contains(t, v["generation/g-2"], "pii")
}

// TestVerdictsLandingOneByOneAreNotRead: the store may receive a run's
// verdicts over several hand-offs, with an indexing pass between them, so
// the trace's fingerprint goes through each prefix of the verdicts before
// the last. None of those changes is read; a write by anyone else after
// them is.
func TestVerdictsLandingOneByOneAreNotRead(t *testing.T) {
	fx := newFixture(t, memstore.New())
	fx.holdVerdicts = true
	st := &treeReads{Indexer: fx.st}
	e := fx.engine(st)
	fx.push(chat)
	quietStep(fx, e)
	require.Equal(t, int64(1), st.n.Load(), "one read to judge it")
	require.Len(t, fx.held, 3, "pii×2 + latency×1")
	for i, c := range fx.held {
		require.NoError(t, fx.st.Apply(context.Background(), []commit.Commit{c}, nil))
		require.NoError(t, fx.st.Flush(context.Background()))
		quietStep(fx, e)
		assert.Equal(t, int64(1), st.n.Load(), "verdict %d landing alone was read back", i+1)
		assert.Empty(t, e.fl.Pending)
	}
	fx.holdVerdicts = false
	fx.push(secondGeneration)
	quietStep(fx, e)
	assert.Equal(t, int64(2), st.n.Load(), "another write is read")
	assert.Contains(t, fx.verdicts("t-1"), "generation/g-2", "and judged")
}

// TestOwnLandings: the fingerprints a run's verdicts can give its trace
// are the read's XOR each prefix of them, in mint order; nothing else is.
func TestOwnLandings(t *testing.T) {
	ids := make([]commit.ID, 4)
	for i := range ids {
		ids[i] = commit.ComputeID(repo, commit.EntityTrace, "t", commit.ActionEvaluate, []byte{byte(i)})
	}
	fp := func(base uint64, of ...int) uint64 {
		for _, i := range of {
			base ^= tree.CommitFingerprint(ids[i])
		}
		return base
	}
	const read = 0x5eed
	var o ownLandings
	o.reset(read)
	for _, id := range ids[:3] {
		o.add(id)
	}
	for _, prefix := range [][]int{{}, {0}, {0, 1}, {0, 1, 2}} {
		assert.True(t, o.has(fp(read, prefix...)), "prefix %v", prefix)
	}
	assert.True(t, o.final(fp(read, 0, 1, 2)))
	assert.False(t, o.final(fp(read, 0, 1)))
	for _, other := range [][]int{{1}, {0, 2}, {0, 1, 2, 3}, {3}} {
		assert.False(t, o.has(fp(read, other...)), "not a prefix: %v", other)
	}
	assert.False(t, o.has(0))
	var unknown ownLandings
	unknown.reset(0) // a session, or a fingerprint the read did not get
	unknown.add(ids[0])
	assert.False(t, unknown.has(tree.CommitFingerprint(ids[0])))
	assert.False(t, unknown.final(0))
}

// secondGeneration adds a generation to chat's trace.
const secondGeneration = `trace{id=t-1,action=add-generation,data={"id":"g-2","name":"follow-up","provider":"openai","model":"gpt-4o-mini","messages":[{"role":"user","content":"thanks"}],"startTimestamp":"2026-11-22T08:00:02.000Z"}}
generation{id=g-2,action=result,data={"result":{"id":"c2","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Call +1 415 555 0100"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":7,"total_tokens":10}}}}
generation{id=g-2,action=end,data={"endTimestamp":"2026-11-22T08:00:02.500Z"}}`
