package indexer

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// maxPrefetchNodes bounds what one pass holds in memory ahead of assembly;
// nodes past it are read by the assembly itself, as before.
const maxPrefetchNodes = 200_000

// prefetched is a store.Reader over the nodes of one pass's roots, read
// level by level for all roots at once: one Commits and one Children call
// per tree level for the whole pass, instead of per level per trace. Each
// backend call has a fixed cost (a Pebble iterator, a PostgreSQL round
// trip) that dominated assembling many small traces one by one. Nodes the
// prefetch did not reach are read from the backend on demand, so assembly
// over it reads exactly what it would read over the backend.
type prefetched struct {
	store.Reader
	commits  map[commit.NodeRef][]commit.Commit
	children map[commit.NodeRef][]commit.NodeRef
	// known holds the nodes whose commits and children were both read.
	known map[commit.NodeRef]bool
	// size counts the prefetched nodes under each trace root (the root
	// included): what assembling it costs, for ordering a pass's traces.
	size map[commit.NodeRef]int
}

// prefetch reads the trees under traces (as tree.AssembleTrace walks them:
// every child except sessions) and the session nodes with their edges.
func prefetch(ctx context.Context, r store.Reader, traces, sessions []commit.NodeRef) (*prefetched, error) {
	p := &prefetched{
		Reader:   r,
		commits:  map[commit.NodeRef][]commit.Commit{},
		children: map[commit.NodeRef][]commit.NodeRef{},
		known:    map[commit.NodeRef]bool{},
		size:     map[commit.NodeRef]int{},
	}
	// owner is the trace root a node was reached from.
	owner := make(map[commit.NodeRef]commit.NodeRef, len(traces))
	for _, t := range traces {
		owner[t] = t
	}
	level := make([]commit.NodeRef, 0, len(traces)+len(sessions))
	seen := make(map[commit.NodeRef]bool, len(traces)+len(sessions))
	for _, roots := range [][]commit.NodeRef{traces, sessions} {
		for _, ref := range roots {
			if !seen[ref] {
				seen[ref] = true
				level = append(level, ref)
			}
		}
	}
	for len(level) > 0 && len(p.known)+len(level) <= maxPrefetchNodes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		own, err := r.Commits(ctx, level)
		if err != nil {
			return nil, fmt.Errorf("prefetch commits of %d nodes: %w", len(level), err)
		}
		kids, err := r.Children(ctx, level)
		if err != nil {
			return nil, fmt.Errorf("prefetch children of %d nodes: %w", len(level), err)
		}
		var next []commit.NodeRef
		for _, ref := range level {
			p.known[ref] = true
			root, owned := owner[ref]
			if owned {
				p.size[root]++
			}
			if cs, ok := own[ref]; ok {
				p.commits[ref] = cs
			}
			ks, ok := kids[ref]
			if !ok {
				continue
			}
			p.children[ref] = ks
			if ref.Kind == commit.EntitySession {
				// A session's children are candidate traces: the
				// session summary does not assemble them.
				continue
			}
			for _, k := range ks {
				if k.Kind != commit.EntitySession && !seen[k] {
					seen[k] = true
					next = append(next, k)
					if owned {
						owner[k] = root
					}
				}
			}
		}
		level = next
	}
	return p, nil
}

// smallestFirst orders traces by the nodes prefetched under them, smallest
// first (ties keep their order), so a pass assembles and publishes small
// traces before a huge one.
func (p *prefetched) smallestFirst(traces []commit.NodeRef) []commit.NodeRef {
	out := slices.Clone(traces)
	slices.SortStableFunc(out, func(a, b commit.NodeRef) int { return cmp.Compare(p.size[a], p.size[b]) })
	return out
}

// Commits serves prefetched nodes and reads the others.
func (p *prefetched) Commits(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.Commit, error) {
	out := make(map[commit.NodeRef][]commit.Commit, len(refs))
	var miss []commit.NodeRef
	for _, ref := range refs {
		if !p.known[ref] {
			miss = append(miss, ref)
		} else if cs, ok := p.commits[ref]; ok {
			out[ref] = cs
		}
	}
	if len(miss) > 0 {
		m, err := p.Reader.Commits(ctx, miss)
		if err != nil {
			return nil, err
		}
		for ref, cs := range m {
			out[ref] = cs
		}
	}
	return out, nil
}

// Children serves prefetched nodes and reads the others.
func (p *prefetched) Children(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.NodeRef, error) {
	out := make(map[commit.NodeRef][]commit.NodeRef, len(refs))
	var miss []commit.NodeRef
	for _, ref := range refs {
		if !p.known[ref] {
			miss = append(miss, ref)
		} else if ks, ok := p.children[ref]; ok {
			out[ref] = ks
		}
	}
	if len(miss) > 0 {
		m, err := p.Reader.Children(ctx, miss)
		if err != nil {
			return nil, err
		}
		for ref, ks := range m {
			out[ref] = ks
		}
	}
	return out, nil
}
