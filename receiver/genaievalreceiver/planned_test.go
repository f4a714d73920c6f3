package genaievalreceiver

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// plannedChat runs an engine that sees the indexer's trees over chat's
// trace until it is judged; with lazyIndex the verdicts are handed on but
// not yet indexed.
func plannedChat(t *testing.T, lazyIndex bool) (*fixture, *engine, *treeReads) {
	t.Helper()
	fx := newFixture(t, memstore.New())
	fx.lazyIndex = lazyIndex
	st := &treeReads{Indexer: fx.st, plans: true}
	e := fx.engine(st)
	fx.push(chat) // indexed: the engine plans it from the indexer's tree
	fx.step(e)    // hears of the trace
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	return fx, e, st
}

// TestEngineJudgesFromTheIndexersTree: a trace the indexer assembled
// once it ended is judged from that tree; the engine does not read it,
// neither to judge it nor when its own verdicts land, and keeps no plan
// once it is done.
func TestEngineJudgesFromTheIndexersTree(t *testing.T) {
	fx, e, st := plannedChat(t, false)
	require.Equal(t, int64(3), fx.records.Load(), "pii×2 + latency×1")
	assert.Zero(t, st.n.Load(), "judged without reading the tree")
	v := fx.verdicts("t-1")
	assert.False(t, *v["generation/g-1"]["pii"].Pass, "the answer leaks an e-mail address")
	assert.False(t, *v["trace/t-1"]["latency"].Pass, "3 s trace over a 2 s budget")

	quietStep(fx, e) // the verdicts' change
	assert.Zero(t, st.n.Load(), "its own verdicts were not read back")
	assert.Empty(t, e.fl.Pending)
	assert.Equal(t, int64(3), fx.records.Load())
	e.mu.Lock()
	assert.Zero(t, e.plans.len(), "the verdicts' assembly is not planned: the engine knows it")
	e.mu.Unlock()
}

// TestEngineReadsAfterAWriteByAnotherOnce: a write by someone else after
// the trace was judged is read (the run is done, so the indexer's tree of
// that change is not planned) and what is new is judged.
func TestEngineReadsAfterAWriteByAnotherOnce(t *testing.T) {
	fx, e, st := plannedChat(t, false)
	fx.push(secondGeneration)
	quietStep(fx, e)
	assert.Equal(t, int64(1), st.n.Load(), "read once, for the new write")
	v := fx.verdicts("t-1")
	require.Contains(t, v, "generation/g-2", "the new generation was judged")
	assert.Contains(t, v["generation/g-2"], "pii")
	assert.Equal(t, int64(4), fx.records.Load())
}

// TestEngineReadsWhenThePlanIsNotOfTheTreeItWasToldOf: a plan is taken
// only for the commit set the change names; when the trace changed
// without the engine seeing the indexer's tree of it (another fleet
// member indexed it, or the plan bound was reached), the tree is read.
func TestEngineReadsWhenThePlanIsNotOfTheTreeItWasToldOf(t *testing.T) {
	fx := newFixture(t, memstore.New())
	st := &treeReads{Indexer: fx.st, plans: true}
	e := fx.engine(st)
	fx.push(chat) // planned
	e.stopObserving()
	fx.push(secondGeneration) // not planned
	fx.step(e)
	e.mu.Lock()
	require.Equal(t, 1, e.plans.len(), "chat's tree was planned")
	e.mu.Unlock()
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	assert.Equal(t, int64(1), st.n.Load(), "the stale plan was not used")
	v := fx.verdicts("t-1")
	assert.Contains(t, v["generation/g-2"], "pii", "the generation the plan did not know was judged")
	assert.Equal(t, int64(4), fx.records.Load(), "pii×3 + latency×1")
	e.mu.Lock()
	assert.Zero(t, e.plans.len())
	e.mu.Unlock()
}

// TestOpenTracesAreNotPlanned: a trace that has not ended is judged once
// it has (its open entities are waited for), so its trees are not
// planned while it is open.
func TestOpenTracesAreNotPlanned(t *testing.T) {
	fx := newFixture(t, memstore.New())
	st := &treeReads{Indexer: fx.st, plans: true}
	e := fx.engine(st)
	fx.push(`trace{id=o-1,action=create,data={"name":"open","startTimestamp":"2026-11-22T08:00:00.000Z"}}`)
	require.NoError(t, fx.st.Flush(context.Background()))
	e.mu.Lock()
	defer e.mu.Unlock()
	assert.Zero(t, e.plans.len())
}

// TestSettledTracesAreNotPlanned: the verdicts' change is usually indexed
// after the engine finished the trace and forgot its run; the indexer's
// tree of it is not planned (nothing would take the plan).
func TestSettledTracesAreNotPlanned(t *testing.T) {
	fx, e, st := plannedChat(t, true)
	require.Equal(t, int64(3), fx.records.Load())
	require.Empty(t, e.fl.Pending, "done before its verdicts were indexed")
	require.NoError(t, fx.st.Flush(context.Background()))
	e.mu.Lock()
	assert.Zero(t, e.plans.len())
	e.mu.Unlock()
	quietStep(fx, e)
	assert.Zero(t, st.n.Load())
	assert.Empty(t, e.fl.Pending)
}

// TestTracesOfReposNotFollowedAreNotPlanned: with repos set, the indexer's
// trees of other repositories are not planned: the follower never brings
// them due, so nothing would take the plans.
func TestTracesOfReposNotFollowedAreNotPlanned(t *testing.T) {
	fx := newFixture(t, memstore.New())
	fx.cfg.Repos = []string{"another-repo"}
	st := &treeReads{Indexer: fx.st, plans: true}
	e := fx.engine(st)
	fx.push(chat) // repo-1, ended
	e.mu.Lock()
	defer e.mu.Unlock()
	assert.Zero(t, e.plans.len())
}

// TestPlansOutliveAFullGeneration: past maxPlans the plans waiting become
// the old generation and planning goes on. They can still be taken (plans
// are taken roughly in the order they were made, so these are due next),
// and a second full generation drops them, so plans no ref ever takes
// cannot stop planning.
func TestPlansOutliveAFullGeneration(t *testing.T) {
	fx := newFixture(t, memstore.New())
	st := &treeReads{Indexer: fx.st, plans: true}
	e := fx.engine(st)
	ref := func(gen string, i int) commit.NodeRef {
		return commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: fmt.Sprint(gen, "-", i)}
	}
	e.mu.Lock()
	for i := range maxPlans {
		e.plans.put(ref("first", i), plan{jobs: map[string]job{}})
	}
	e.mu.Unlock()
	fx.push(chat)
	t1 := commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: "t-1"}
	e.mu.Lock()
	require.Equal(t, maxPlans+1, e.plans.len(), "a full generation is kept beside the new one")
	assert.True(t, e.plans.has(t1))
	_, ok := e.plans.take(ref("first", 0))
	assert.True(t, ok, "a plan of the old generation is still taken")
	for i := range maxPlans - 1 {
		e.plans.put(ref("second", i), plan{jobs: map[string]job{}})
	}
	assert.True(t, e.plans.has(ref("first", 1)), "the old generation lives until the current one is full")
	e.plans.put(ref("third", 0), plan{jobs: map[string]job{}})
	assert.False(t, e.plans.has(ref("first", 1)), "a second full generation drops the first")
	assert.True(t, e.plans.has(t1))
	assert.Equal(t, maxPlans+1, e.plans.len())
	e.mu.Unlock()
}

// TestPlanSetReplacesAcrossGenerations: a ref planned again while its
// plan is in the old generation has one plan, the new one.
func TestPlanSetReplacesAcrossGenerations(t *testing.T) {
	s := newPlanSet(2)
	a := commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: "a"}
	b := commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: "b"}
	c := commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: "c"}
	s.put(a, plan{fp: 1})
	s.put(b, plan{fp: 2})
	s.put(c, plan{fp: 3}) // a and b are the old generation now
	s.put(a, plan{fp: 4})
	assert.Equal(t, 3, s.len())
	pl, ok := s.take(a)
	require.True(t, ok)
	assert.Equal(t, uint64(4), pl.fp)
	_, ok = s.take(a)
	assert.False(t, ok, "taken once")
	s.drop(b)
	assert.False(t, s.has(b))
	assert.Equal(t, 1, s.len())
}

// TestPlanSharesOneDigestPerNode: the evaluators judging one node get one
// subject and share its digest (computed once for all their verdict ids);
// another node has its own.
func TestPlanSharesOneDigestPerNode(t *testing.T) {
	fx := newFixture(t, memstore.New())
	e := fx.engine(fx.st)
	fx.push(chat)
	ref := commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: "t-1"}
	tr, err := tree.AssembleTrace(context.Background(), fx.st, ref)
	require.NoError(t, err)
	byNode := map[string][]job{}
	for _, j := range e.planTrace(ref, tr).jobs {
		byNode[j.subject.Kind+"/"+j.subject.EntityID] = append(byNode[j.subject.Kind+"/"+j.subject.EntityID], j)
	}
	traceJobs := byNode["trace/t-1"]
	require.Len(t, traceJobs, 2, "pii and latency judge the trace")
	require.NotNil(t, traceJobs[0].digest)
	assert.Same(t, traceJobs[0].digest, traceJobs[1].digest, "one digest for the node's evaluators")
	gen := byNode["generation/g-1"]
	require.NotEmpty(t, gen)
	assert.NotSame(t, traceJobs[0].digest, gen[0].digest, "another node, another digest")
	for _, j := range append(traceJobs, gen...) {
		assert.Equal(t, verdictID(j.subject, j.ev.name), verdictIDOf(j.subject, j.digest.of(j.subject), j.ev.name))
	}
}
