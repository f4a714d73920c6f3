package indexer

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

func mkIn(repo string, e commit.Entity, id string, a commit.Action, data string, version int64) commit.Commit {
	c := commit.Commit{Repo: repo, Entity: e, EntityID: id, Action: a, Data: json.RawMessage(data), Version: version}
	c.Seal()
	return c
}

// wideTrace is one trace of repo with n child spans, as one push.
func wideTrace(repo, id string, n int) []commit.Commit {
	cs := []commit.Commit{mkIn(repo, commit.EntityTrace, id, commit.ActionCreate, `{"name":"wide"}`, 1)}
	for i := range n {
		cs = append(cs, mkIn(repo, commit.EntityTrace, id, commit.ActionAddSpan, fmt.Sprintf(`{"id":"%s-s%d"}`, id, i), int64(i+2)))
	}
	return cs
}

func openPebble(t *testing.T) *pebblestore.Store {
	t.Helper()
	pcfg := pebblestore.DefaultConfig()
	pcfg.Directory = t.TempDir()
	st, err := pebblestore.Open(pcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// A change of n nodes to one trace is summarized once, however many
// change-log batches it spans: the indexer's work grows with the change,
// not with (change / batch size) × trace size.
func TestLargeChangeSummarizedOnce(t *testing.T) {
	st := openPebble(t)
	cfg := testConfig()
	cfg.BatchSize = 10
	cfg.PollInterval, cfg.Debounce = time.Hour, time.Hour
	sum := &countingSummarizer{}
	ix := newIndexer(t, st, cfg, sum)
	cs := wideTrace("r", "wide", 500)
	apply(t, st, cs...)
	if err := ix.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	sum.mu.Lock()
	defer sum.mu.Unlock()
	if got := sum.calls["wide"]; got != 1 {
		t.Fatalf("a 501-node change in batches of 10 summarized the trace %d times, want 1", got)
	}
}

// One repository's huge trace does not hold back another's small one: in
// the pass that holds both, the small trace's row is written and published
// first, and every changed node is announced with its own trace.
func TestSmallTracesPublishedBeforeHugeOnes(t *testing.T) {
	st := openPebble(t)
	cfg := testConfig()
	cfg.PollInterval, cfg.Debounce = time.Hour, time.Hour
	ix := newIndexer(t, st, cfg, nil)
	ctx := context.Background()
	feed, cancel := ix.Subscribe(ctx, "")
	defer cancel()

	const children = groupNodes + 500 // the huge trace needs a group of its own
	apply(t, st, wideTrace("repo-a", "huge", children)...)
	apply(t, st,
		mkIn("repo-b", commit.EntityTrace, "small", commit.ActionCreate, `{"name":"small"}`, 1),
		mkIn("repo-b", commit.EntityTrace, "small", commit.ActionAddSpan, `{"id":"small-s"}`, 2),
		// An orphan: its parent edge has not arrived.
		mkIn("repo-b", commit.EntitySpan, "orphan", commit.ActionEnd, `{}`, 3),
	)
	if err := ix.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	var order []string
	nodesOf := map[string]int{}
	sawOrphan := false
	for c := range feed {
		for _, tr := range c.Traces {
			order = append(order, tr)
			nodesOf[tr] += len(c.Nodes)
		}
		for _, n := range c.Nodes {
			if n.ID == "orphan" {
				sawOrphan = true
				if len(c.Traces) != 0 {
					t.Errorf("the orphan was announced with traces %v", c.Traces)
				}
			}
		}
	}
	if len(order) != 2 || order[0] != "small" || order[1] != "huge" {
		t.Fatalf("traces published in order %v, want [small huge]", order)
	}
	// huge: the trace and its children; small: the trace and its span.
	if nodesOf["huge"] != children+1 || nodesOf["small"] != 2 {
		t.Errorf("nodes announced with their trace = %v, want huge:%d small:2", nodesOf, children+1)
	}
	if !sawOrphan {
		t.Error("the orphan node was never announced")
	}
	for _, id := range []string{"small", "huge"} {
		p, err := ix.SearchTraces(ctx, store.TraceQuery{Repo: map[string]string{"small": "repo-b", "huge": "repo-a"}[id]})
		if err != nil || len(p.Traces) != 1 || p.Traces[0].TraceID != id {
			t.Fatalf("search for %s = %+v, %v", id, p.Traces, err)
		}
	}
}

// stuckSummarizer never finishes a trace on its own: it returns when the
// pass's context ends, like an assembly cut short.
type stuckSummarizer struct{ countingSummarizer }

func (s *stuckSummarizer) SummarizeTrace(ctx context.Context, r store.Reader, ref commit.NodeRef) (store.TraceSummary, error) {
	<-ctx.Done()
	return store.TraceSummary{}, ctx.Err()
}

// Shutdown indexes what is left only within its budget: the change log and
// the checkpoint are durable, so what it leaves is caught up by the next
// Start, and a collector asked to stop after a bulk push exits.
func TestShutdownLeavesTheRestToTheNextStart(t *testing.T) {
	st := openPebble(t)
	cfg := testConfig()
	cfg.PollInterval, cfg.Debounce = time.Hour, time.Hour
	ix, err := New(st, cfg, Settings{Summarizer: &stuckSummarizer{}})
	if err != nil {
		t.Fatal(err)
	}
	ix.shutdownFlush = 50 * time.Millisecond
	ctx := context.Background()
	if err := ix.Start(ctx); err != nil {
		t.Fatal(err)
	}
	apply(t, st, mk(commit.EntityTrace, "left", commit.ActionCreate, `{"name":"left"}`, 1))
	// A caller without a deadline still gets Shutdown back, without error.
	if err := ix.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a pass cut by its budget = %v, want nil", err)
	}
	if pos, err := st.IndexCheckpoint(ctx); err != nil || pos != 0 {
		t.Fatalf("checkpoint after an unfinished pass = %d, %v; want it unmoved", pos, err)
	}
	// The next indexer over the same backend catches the trace up.
	next := newIndexer(t, st, cfg, &countingSummarizer{})
	if err := next.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := next.SearchTraces(ctx, store.TraceQuery{Repo: "r"})
	if err != nil || len(p.Traces) != 1 || p.Traces[0].TraceID != "left" {
		t.Fatalf("after restart: %+v, %v", p.Traces, err)
	}
}
