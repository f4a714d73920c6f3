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
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// treeReads is the store as the engine sees it, counting the reads of
// trace t-1's own node (one per tree assembly).
type treeReads struct {
	*indexer.Indexer
	n atomic.Int64
}

func (s *treeReads) Commits(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.Commit, error) {
	for _, r := range refs {
		if r.Kind == commit.EntityTrace && r.ID == "t-1" {
			s.n.Add(1)
		}
	}
	return s.Indexer.Commits(ctx, refs)
}

// TestOwnVerdictsAreNotReadAgain: the change the engine's own verdicts
// cause carries the fingerprint the engine expects (what it read, plus its
// verdicts), so the trace is done without reading its tree again.
func TestOwnVerdictsAreNotReadAgain(t *testing.T) {
	fx := newFixture(t, memstore.New())
	st := &treeReads{Indexer: fx.st}
	e := fx.engine(st)
	fx.push(chat)
	fx.step(e) // hears of the trace
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	require.Equal(t, int64(3), fx.records.Load(), "pii×2 + latency×1")
	require.Equal(t, int64(1), st.n.Load(), "one read to judge it")

	fx.step(e) // hears of the verdict commits
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	assert.Equal(t, int64(1), st.n.Load(), "its own verdicts were not read back")
	assert.Empty(t, e.fl.Pending)
	assert.Equal(t, int64(3), fx.records.Load())
}

// TestAnotherWriteAfterTheVerdictsIsRead: a write by anyone else after
// the verdicts gives the trace another fingerprint, so the engine reads it
// and judges what is new.
func TestAnotherWriteAfterTheVerdictsIsRead(t *testing.T) {
	fx := newFixture(t, memstore.New())
	st := &treeReads{Indexer: fx.st}
	e := fx.engine(st)
	fx.push(chat)
	fx.step(e) // hears of the trace
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	require.Equal(t, int64(3), fx.records.Load())

	// A second generation, written before the engine hears of its
	// verdicts.
	fx.push(secondGeneration)
	fx.step(e)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
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
	fx := newFixture(t, memstore.New())
	fx.lazyIndex = true
	st := &treeReads{Indexer: fx.st}
	e := fx.engine(st)
	fx.push(chat)
	fx.step(e)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	require.Equal(t, int64(3), fx.records.Load())
	require.Empty(t, e.fl.Pending, "done before its verdicts were indexed")
	require.Equal(t, int64(1), st.n.Load())

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
	fx := newFixture(t, memstore.New())
	fx.lazyIndex = true
	st := &treeReads{Indexer: fx.st}
	e := fx.engine(st)
	fx.push(chat)
	fx.step(e)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	require.Equal(t, int64(3), fx.records.Load())
	require.Empty(t, e.fl.Pending, "done before its verdicts were indexed")

	fx.push(secondGeneration) // indexes the verdicts with it
	fx.step(e)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	assert.Equal(t, int64(2), st.n.Load(), "read again")
	require.NoError(t, fx.st.Flush(context.Background()))
	v := fx.verdicts("t-1")
	require.Contains(t, v, "generation/g-2", "the new generation was judged")
	assert.Contains(t, v["generation/g-2"], "pii")
}

// secondGeneration adds a generation to chat's trace.
const secondGeneration = `trace{id=t-1,action=add-generation,data={"id":"g-2","name":"follow-up","provider":"openai","model":"gpt-4o-mini","messages":[{"role":"user","content":"thanks"}],"startTimestamp":"2026-11-22T08:00:02.000Z"}}
generation{id=g-2,action=result,data={"result":{"id":"c2","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Call +1 415 555 0100"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":7,"total_tokens":10}}}}
generation{id=g-2,action=end,data={"endTimestamp":"2026-11-22T08:00:02.500Z"}}`
