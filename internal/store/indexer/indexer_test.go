package indexer

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// countingSummarizer summarizes a trace as the number of nodes below it and
// the name of its last create/update commit: enough to see that indexing
// follows the stored state, independent of the real fold.
type countingSummarizer struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingSummarizer) SummarizeTrace(ctx context.Context, r store.Reader, ref commit.NodeRef) (store.TraceSummary, error) {
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[ref.ID]++
	c.mu.Unlock()
	cs, err := r.Commits(ctx, []commit.NodeRef{ref})
	if err != nil {
		return store.TraceSummary{}, err
	}
	own := cs[ref]
	if len(own) == 0 {
		return store.TraceSummary{}, store.ErrNotFound
	}
	row := store.TraceSummary{Repo: ref.Repo, TraceID: ref.ID, Counts: map[string]int{}}
	for _, c := range own {
		var d struct {
			Name      string `json:"name"`
			SessionID string `json:"sessionId"`
		}
		_ = json.Unmarshal(c.Data, &d)
		if d.Name != "" {
			row.Name = d.Name
		}
		if d.SessionID != "" {
			row.SessionID = d.SessionID
		}
		at := time.Unix(0, c.Version)
		if row.Start.IsZero() || at.Before(row.Start) {
			row.Start = at
		}
		if at.After(row.LastActivity) {
			row.LastActivity = at
		}
	}
	frontier := []commit.NodeRef{ref}
	for len(frontier) > 0 {
		kids, err := r.Children(ctx, frontier)
		if err != nil {
			return row, err
		}
		var next []commit.NodeRef
		for _, p := range frontier {
			next = append(next, kids[p]...)
		}
		if len(next) > 0 {
			got, err := r.Commits(ctx, next)
			if err != nil {
				return row, err
			}
			row.Counts["nodes"] += len(got)
		}
		frontier = next
	}
	return row, nil
}

func (c *countingSummarizer) SummarizeSession(ctx context.Context, r store.Reader, ref commit.NodeRef) (store.SessionSummary, error) {
	kids, err := r.Children(ctx, []commit.NodeRef{ref})
	if err != nil {
		return store.SessionSummary{}, err
	}
	cs, err := r.Commits(ctx, []commit.NodeRef{ref})
	if err != nil {
		return store.SessionSummary{}, err
	}
	if len(cs[ref]) == 0 && len(kids[ref]) == 0 {
		return store.SessionSummary{}, store.ErrNotFound
	}
	row := store.SessionSummary{Repo: ref.Repo, SessionID: ref.ID, TraceCount: len(kids[ref])}
	for _, c := range cs[ref] {
		row.Start = time.Unix(0, c.Version)
		row.LastActivity = row.Start
	}
	return row, nil
}

// testConfig is DefaultConfig without retention: test commits carry
// versions near the epoch, which the default TTL would expire at once.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Retention.TTL = 0
	return cfg
}

func mk(e commit.Entity, id string, a commit.Action, data string, version int64) commit.Commit {
	c := commit.Commit{Repo: "r", Entity: e, EntityID: id, Action: a, Data: json.RawMessage(data), Version: version}
	c.Seal()
	return c
}

// edgesOf is the test's stand-in for tree.EdgesOf (add-span → child, trace
// sessionId → session edge).
func edgesOf(cs []commit.Commit) []store.Edge {
	var out []store.Edge
	for _, c := range cs {
		var d struct {
			ID        string `json:"id"`
			SessionID string `json:"sessionId"`
		}
		_ = json.Unmarshal(c.Data, &d)
		switch {
		case c.Action == commit.ActionAddSpan:
			out = append(out, store.Edge{Parent: c.Node(), Child: commit.NodeRef{Repo: c.Repo, Kind: commit.EntitySpan, ID: d.ID}})
		case c.Action == commit.ActionAddGeneration:
			out = append(out, store.Edge{Parent: c.Node(), Child: commit.NodeRef{Repo: c.Repo, Kind: commit.EntityGeneration, ID: d.ID}})
		case c.Entity == commit.EntityTrace && d.SessionID != "":
			out = append(out, store.Edge{Parent: commit.NodeRef{Repo: c.Repo, Kind: commit.EntitySession, ID: d.SessionID}, Child: c.Node()})
		}
	}
	return out
}

func apply(t *testing.T, s store.Backend, cs ...commit.Commit) {
	t.Helper()
	if err := s.Apply(context.Background(), cs, edgesOf(cs)); err != nil {
		t.Fatal(err)
	}
}

func newIndexer(t *testing.T, b store.Backend, cfg Config, sum Summarizer) *Indexer {
	t.Helper()
	ix, err := New(b, cfg, Settings{Summarizer: sum})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Shutdown(context.Background()) })
	return ix
}

func traceRow(t *testing.T, s store.Backend, id string) (store.TraceSummary, bool) {
	t.Helper()
	p, err := s.SearchTraces(context.Background(), store.TraceQuery{Repo: "r", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Traces {
		if r.TraceID == id {
			return r, true
		}
	}
	return store.TraceSummary{}, false
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSummaryAppearsAfterApply(t *testing.T) {
	cfg := testConfig()
	cfg.Debounce = time.Millisecond
	ix := newIndexer(t, memstore.New(), cfg, &countingSummarizer{})
	apply(t, ix, mk(commit.EntityTrace, "t1", commit.ActionCreate, `{"name":"first"}`, 10))
	// The background loop indexes without an explicit Flush.
	eventually(t, "summary of t1", func() bool {
		r, ok := traceRow(t, ix, "t1")
		return ok && r.Name == "first"
	})
	apply(t, ix, mk(commit.EntityTrace, "t1", commit.ActionUpdate, `{"name":"second"}`, 20))
	eventually(t, "updated summary of t1", func() bool {
		r, ok := traceRow(t, ix, "t1")
		return ok && r.Name == "second"
	})
}

func TestChildBeforeParent(t *testing.T) {
	cfg := testConfig()
	cfg.PollInterval = time.Hour // only explicit Flush indexes
	cfg.Debounce = time.Hour
	ix := newIndexer(t, memstore.New(), cfg, &countingSummarizer{})
	ctx := context.Background()
	// A generation and its span arrive before the trace knows the span.
	apply(t, ix, mk(commit.EntityGeneration, "g1", commit.ActionCreate, `{}`, 1))
	apply(t, ix, mk(commit.EntitySpan, "s1", commit.ActionAddGeneration, `{"id":"g1"}`, 2))
	if err := ix.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := traceRow(t, ix, "t1"); ok {
		t.Fatal("summary for a trace that has no commits yet")
	}
	apply(t, ix, mk(commit.EntityTrace, "t1", commit.ActionCreate, `{"name":"late parent","sessionId":"sess"}`, 3))
	if err := ix.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r, ok := traceRow(t, ix, "t1")
	if !ok || r.Counts["nodes"] != 0 {
		t.Fatalf("before the edge: %+v %v", r, ok)
	}
	// The edge trace → span attaches the orphans; the summary follows.
	apply(t, ix, mk(commit.EntityTrace, "t1", commit.ActionAddSpan, `{"id":"s1"}`, 4))
	if err := ix.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r, _ = traceRow(t, ix, "t1")
	if r.Counts["nodes"] != 2 {
		t.Fatalf("after the edge: nodes = %d, want 2", r.Counts["nodes"])
	}
	// A change deep in the tree re-indexes the trace and its session.
	apply(t, ix, mk(commit.EntityGeneration, "g1", commit.ActionResult, `{}`, 5))
	traces, sessions, err := ix.Roots(ctx, []commit.NodeRef{{Repo: "r", Kind: commit.EntityGeneration, ID: "g1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(traces) != 1 || traces[0].ID != "t1" || len(sessions) != 1 || sessions[0].ID != "sess" {
		t.Fatalf("roots of g1 = %v %v", traces, sessions)
	}
	p, err := ix.SearchSessions(ctx, store.SessionQuery{Repo: "r"})
	if err != nil || len(p.Sessions) != 1 || p.Sessions[0].TraceCount != 1 {
		t.Fatalf("session summary = %+v, %v", p.Sessions, err)
	}
}

func TestRestartCatchUp(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	pcfg := pebblestore.DefaultConfig()
	pcfg.Directory = dir
	b, err := pebblestore.Open(pcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.PollInterval = time.Hour
	cfg.Debounce = time.Hour
	ix, err := New(b, cfg, Settings{Summarizer: &countingSummarizer{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Start(ctx); err != nil {
		t.Fatal(err)
	}
	apply(t, ix, mk(commit.EntityTrace, "indexed", commit.ActionCreate, `{"name":"a"}`, 1))
	if err := ix.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Simulate kill -9 after a durable Apply but before indexing: the
	// commits go straight to the backend and the indexer never runs again.
	for i := range 30 {
		apply(t, b, mk(commit.EntityTrace, fmt.Sprintf("lost%d", i), commit.ActionCreate, `{"name":"b"}`, int64(2+i)))
	}
	ix.cancel() // stop the loop without the final flush Shutdown would do
	ix.wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b, err = pebblestore.Open(pcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() }) // runs after the indexer's cleanup
	cpBefore, _ := b.IndexCheckpoint(ctx)
	if refs, _, _ := b.ChangedSince(ctx, cpBefore, 1000); len(refs) != 30 {
		t.Fatalf("%d unindexed changes before restart, want 30", len(refs))
	}
	sum := &countingSummarizer{}
	cfg.BatchSize = 7 // several passes
	ix2 := newIndexer(t, b, cfg, sum)
	// Start does not wait for the catch-up; Flush waits for the pass in
	// progress and runs what is left.
	if err := ix2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if _, ok := traceRow(t, ix2, fmt.Sprintf("lost%d", i)); !ok {
			t.Fatalf("lost%d has no summary after catch-up", i)
		}
	}
	if sum.calls["indexed"] != 0 {
		t.Fatal("catch-up re-indexed a trace from before the checkpoint")
	}
	cp, _ := b.IndexCheckpoint(ctx)
	if refs, _, _ := b.ChangedSince(ctx, cp, 1000); cp <= cpBefore || len(refs) != 0 {
		t.Fatalf("checkpoint after catch-up = %d (before %d), %d changes left", cp, cpBefore, len(refs))
	}
}

func TestSubscribers(t *testing.T) {
	cfg := testConfig()
	cfg.PollInterval = time.Hour
	cfg.Debounce = time.Hour
	cfg.SubscriberBuffer = 2
	ix := newIndexer(t, memstore.New(), cfg, &countingSummarizer{})
	ctx := context.Background()
	fast, cancelFast := ix.Subscribe(ctx, "r")
	defer cancelFast()
	slow, cancelSlow := ix.Subscribe(ctx, "r")
	other, cancelOther := ix.Subscribe(ctx, "other-repo")
	defer cancelOther()

	var got []store.Change
	for i := range 5 {
		apply(t, ix, mk(commit.EntityTrace, fmt.Sprintf("t%d", i), commit.ActionCreate, `{}`, int64(i+1)))
		if err := ix.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got = append(got, <-fast)
	}
	for i, c := range got {
		if c.Repo != "r" || len(c.Traces) != 1 || c.Traces[0] != fmt.Sprintf("t%d", i) || len(c.Nodes) != 1 {
			t.Fatalf("change %d = %+v", i, c)
		}
	}
	// The slow subscriber's buffer (2) overflowed: it holds the first two
	// changes; the next delivery starts with a resync marker.
	if c := <-slow; c.Traces[0] != "t0" {
		t.Fatalf("slow[0] = %+v", c)
	}
	if c := <-slow; c.Traces[0] != "t1" {
		t.Fatalf("slow[1] = %+v", c)
	}
	apply(t, ix, mk(commit.EntityTrace, "t9", commit.ActionCreate, `{}`, 99))
	if err := ix.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if c := <-slow; len(c.Nodes) != 0 || len(c.Traces) != 0 {
		t.Fatalf("expected resync marker, got %+v", c)
	}
	if c := <-slow; len(c.Traces) != 1 || c.Traces[0] != "t9" {
		t.Fatalf("after resync = %+v", c)
	}
	select {
	case c := <-other:
		t.Fatalf("other repo's subscriber got %+v", c)
	default:
	}
	cancelSlow()
	if _, open := <-slow; open {
		t.Fatal("channel open after cancel")
	}
	// Ending the context also unsubscribes.
	cctx, cancel := context.WithCancel(ctx)
	ch, _ := ix.Subscribe(cctx, "")
	cancel()
	eventually(t, "channel close on context end", func() bool {
		select {
		case _, open := <-ch:
			return !open
		default:
			return false
		}
	})
}

func TestRetention(t *testing.T) {
	t.Run("memstore", func(t *testing.T) { testRetention(t, memstore.New()) })
	t.Run("pebble", func(t *testing.T) {
		// Pebble lists idle traces from its activity index (IdleTraces).
		pcfg := pebblestore.DefaultConfig()
		pcfg.Directory = t.TempDir()
		b, err := pebblestore.Open(pcfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		var _ idleLister = b
		testRetention(t, b)
	})
}

func testRetention(t *testing.T, b store.Backend) {
	ctx := context.Background()
	now := time.Unix(0, 0).Add(1000 * time.Hour)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	cfg := testConfig()
	cfg.PollInterval = time.Hour
	cfg.Debounce = time.Hour
	cfg.Retention = RetentionConfig{TTL: 10 * time.Hour, Interval: time.Hour}
	ix, err := New(b, cfg, Settings{Summarizer: &countingSummarizer{}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	hour := int64(time.Hour)
	// old: last activity at 980h (idle 20h); fresh: at 995h.
	apply(t, ix,
		mk(commit.EntityTrace, "old", commit.ActionCreate, `{"sessionId":"s-old"}`, 980*hour),
		mk(commit.EntityTrace, "old", commit.ActionAddSpan, `{"id":"sp-old"}`, 980*hour+1),
		mk(commit.EntitySpan, "sp-old", commit.ActionAddGeneration, `{"id":"g-old"}`, 980*hour+2),
		mk(commit.EntityGeneration, "g-old", commit.ActionCreate, `{}`, 980*hour+3),
		mk(commit.EntitySession, "s-old", commit.ActionCreate, `{}`, 970*hour),
		mk(commit.EntityTrace, "fresh", commit.ActionCreate, `{}`, 995*hour),
		mk(commit.EntityTrace, "fresh", commit.ActionAddSpan, `{"id":"sp-fresh"}`, 995*hour+1),
		mk(commit.EntitySpan, "sp-fresh", commit.ActionCreate, `{}`, 995*hour+2),
	)
	if err := ix.Start(ctx); err != nil { // the catch-up pass runs, then retention once
		t.Fatal(err)
	}
	defer ix.Shutdown(ctx)
	eventually(t, "retention", func() bool {
		_, ok := traceRow(t, ix, "old")
		return !ok
	})
	for _, id := range []string{"old", "sp-old", "g-old", "s-old"} {
		kind := map[string]commit.Entity{"old": commit.EntityTrace, "sp-old": commit.EntitySpan, "g-old": commit.EntityGeneration, "s-old": commit.EntitySession}[id]
		ref := commit.NodeRef{Repo: "r", Kind: kind, ID: id}
		eventually(t, "deletion of "+id, func() bool {
			cs, err := b.Commits(ctx, []commit.NodeRef{ref})
			return err == nil && len(cs[ref]) == 0
		})
	}
	if _, ok := traceRow(t, ix, "fresh"); !ok {
		t.Fatal("fresh trace deleted")
	}
	ref := commit.NodeRef{Repo: "r", Kind: commit.EntitySpan, ID: "sp-fresh"}
	if cs, _ := b.Commits(ctx, []commit.NodeRef{ref}); len(cs[ref]) != 1 {
		t.Fatal("fresh span deleted")
	}
	p, _ := ix.SearchSessions(ctx, store.SessionQuery{})
	if len(p.Sessions) != 0 {
		t.Fatalf("idle session kept: %+v", p.Sessions)
	}
	// Time passes: the fresh trace expires on the next run.
	mu.Lock()
	now = now.Add(20 * time.Hour)
	mu.Unlock()
	n, err := ix.RunRetention(ctx)
	if err != nil || n != 2 {
		t.Fatalf("second run deleted %d nodes, %v; want 2", n, err)
	}
}

// blockingSummarizer holds every trace summary until release is closed.
type blockingSummarizer struct {
	countingSummarizer
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingSummarizer) SummarizeTrace(ctx context.Context, r store.Reader, ref commit.NodeRef) (store.TraceSummary, error) {
	b.once.Do(func() { close(b.entered) })
	select {
	case <-b.release:
	case <-ctx.Done():
		return store.TraceSummary{}, ctx.Err()
	}
	return b.countingSummarizer.SummarizeTrace(ctx, r, ref)
}

// TestStartDoesNotWaitForCatchUp: after a crash the change log may hold a
// lot of unindexed work; Start must return at once (the collector then
// accepts data and serves trees) while the catch-up runs in the background,
// with IndexLag saying the search rows lag until it is done.
func TestStartDoesNotWaitForCatchUp(t *testing.T) {
	ctx := context.Background()
	b := memstore.New()
	for i := range 5 {
		apply(t, b, mk(commit.EntityTrace, fmt.Sprintf("backlog%d", i), commit.ActionCreate, `{"name":"b"}`, int64(1+i)))
	}
	cfg := testConfig()
	cfg.PollInterval = time.Hour
	sum := &blockingSummarizer{entered: make(chan struct{}), release: make(chan struct{})}
	ix, err := New(b, cfg, Settings{Summarizer: sum, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Start(ctx); err != nil { // would block forever if it caught up itself
		t.Fatal(err)
	}
	released := false
	t.Cleanup(func() {
		if !released {
			close(sum.release)
		}
		_ = ix.Shutdown(ctx)
	})
	<-sum.entered // the catch-up is running, and stuck
	if ix.IndexLag() <= 0 {
		t.Fatal("IndexLag is 0 while the catch-up is still running")
	}
	// Ingest works meanwhile.
	apply(t, ix, mk(commit.EntityTrace, "new", commit.ActionCreate, `{"name":"n"}`, 100))
	close(sum.release)
	released = true
	if err := ix.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"backlog0", "backlog4", "new"} {
		if _, ok := traceRow(t, ix, id); !ok {
			t.Fatalf("%s has no summary after the catch-up", id)
		}
	}
	if lag := ix.IndexLag(); lag != 0 {
		t.Fatalf("IndexLag = %v after the catch-up", lag)
	}
}
