package indexer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestObserveTraces: an observer sees each trace a pass assembled, as the
// tree the summary row came from, before the pass publishes it with the
// same fingerprint; after stop it sees nothing.
func TestObserveTraces(t *testing.T) {
	cfg := testConfig()
	cfg.PollInterval, cfg.Debounce = time.Hour, time.Hour
	ix := newIndexer(t, memstore.New(), cfg, nil)
	ctx := context.Background()
	changes, cancel := ix.Subscribe(ctx, "r")
	defer cancel()

	var mu sync.Mutex
	seen := map[string]*tree.Trace{}
	var published bool
	stop := ix.ObserveTraces(func(ref commit.NodeRef, tr *tree.Trace) {
		mu.Lock()
		defer mu.Unlock()
		published = len(changes) > 0
		seen[ref.ID] = tr
	})
	apply(t, ix,
		mk(commit.EntityTrace, "t1", commit.ActionCreate, `{"name":"agent"}`, 1),
		mk(commit.EntityTrace, "t1", commit.ActionAddSpan, `{"id":"s1","name":"plan"}`, 2),
		mk(commit.EntitySpan, "s1", commit.ActionEnd, `{"endTimestamp":"2026-11-22T12:00:01Z"}`, 3))
	if err := ix.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	c := <-changes
	mu.Lock()
	tr := seen["t1"]
	wasPublished := published
	mu.Unlock()
	if tr == nil {
		t.Fatalf("observer saw %v, not t1", seen)
	}
	if wasPublished {
		t.Error("the change was published before the observer saw its tree")
	}
	if tr.Root.Name != "agent" || len(tr.Root.Children) != 1 || tr.Root.Children[0].ID != "s1" {
		t.Errorf("observed tree = %+v", tr.Root)
	}
	if fp := c.Fingerprints["t1"]; fp == 0 || fp != tr.Fingerprint {
		t.Errorf("published fingerprint %x, observed tree's %x", fp, tr.Fingerprint)
	}

	stop()
	apply(t, ix, mk(commit.EntityTrace, "t2", commit.ActionCreate, `{"name":"other"}`, 4))
	if err := ix.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	<-changes
	mu.Lock()
	defer mu.Unlock()
	if _, ok := seen["t2"]; ok {
		t.Error("a stopped observer still sees traces")
	}
}
