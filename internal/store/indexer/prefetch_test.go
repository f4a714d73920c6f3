package indexer

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// callCounter counts backend read calls.
type callCounter struct {
	store.Backend
	calls atomic.Int64
}

func (c *callCounter) Commits(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.Commit, error) {
	c.calls.Add(1)
	return c.Backend.Commits(ctx, refs)
}

func (c *callCounter) Children(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.NodeRef, error) {
	c.calls.Add(1)
	return c.Backend.Children(ctx, refs)
}

// TestPrefetchReadsLikeTheBackend checks the prefetching reader answers
// every node (prefetched or not, existing or not) exactly as the backend
// does, that the trees assembled over it equal those assembled over the
// backend, and that it reads a pass's trees with one call pair per level
// rather than per trace.
func TestPrefetchReadsLikeTheBackend(t *testing.T) {
	ctx := context.Background()
	_, commits, sessions := sharedSessionTraffic(5, 20, 3)
	b := &callCounter{Backend: memstore.New()}
	if err := b.Apply(ctx, commits, tree.EdgesOfAll(commits)); err != nil {
		t.Fatal(err)
	}
	var traces, all []commit.NodeRef
	seen := map[commit.NodeRef]bool{}
	for i := range commits {
		ref := commits[i].Node()
		if !seen[ref] {
			seen[ref] = true
			all = append(all, ref)
			if ref.Kind == commit.EntityTrace {
				traces = append(traces, ref)
			}
		}
	}
	all = append(all, commit.NodeRef{Repo: "repo-0", Kind: commit.EntitySpan, ID: "absent"})

	b.calls.Store(0)
	p, err := prefetch(ctx, b, traces, sessions)
	if err != nil {
		t.Fatal(err)
	}
	if calls := b.calls.Load(); calls > 2*(treeDepthBound+1) {
		t.Fatalf("prefetch of %d traces made %d backend calls", len(traces), calls)
	}
	for _, ref := range traces {
		want, err := tree.AssembleTrace(ctx, b, ref)
		if err != nil {
			t.Fatal(err)
		}
		before := b.calls.Load()
		got, err := tree.AssembleTrace(ctx, p, ref)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trace %s assembled over the prefetch differs", ref.ID)
		}
		if b.calls.Load() != before {
			t.Fatalf("assembling prefetched trace %s read the backend", ref.ID)
		}
	}
	for _, ref := range all {
		wc, err := b.Commits(ctx, []commit.NodeRef{ref})
		if err != nil {
			t.Fatal(err)
		}
		gc, err := p.Commits(ctx, []commit.NodeRef{ref})
		if err != nil {
			t.Fatal(err)
		}
		wk, err := b.Children(ctx, []commit.NodeRef{ref})
		if err != nil {
			t.Fatal(err)
		}
		gk, err := p.Children(ctx, []commit.NodeRef{ref})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gc, wc) || !reflect.DeepEqual(gk, wk) {
			t.Fatalf("node %s/%s: prefetch answers differ from the backend", ref.Kind, ref.ID)
		}
	}
}

// treeDepthBound is the deepest generated tree (trace, spans nested
// treegen.DefaultOptions.MaxDepth deep, their children, sub-records).
const treeDepthBound = 6
