package indexer

import (
	"context"
	"fmt"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// rootSet is what one pass's changed nodes resolve to: the traces and
// sessions to re-summarize, and for each changed node the traces it belongs
// to, so the live feed can announce a node with the rows of its own trace.
type rootSet struct {
	traces, sessions []commit.NodeRef
	// parents holds the parent edges the walk read, per node it expanded.
	parents map[commit.NodeRef][]commit.NodeRef
	// tracesOf memoizes the trace roots of a node (see traceRoots).
	tracesOf map[commit.NodeRef][]commit.NodeRef
}

// resolve walks parents from each ref, level by level for all refs at once
// (a node reached twice is expanded once), to at most maxParentDepth levels.
func (ix *Indexer) resolve(ctx context.Context, refs []commit.NodeRef) (*rootSet, error) {
	rs := &rootSet{
		parents:  make(map[commit.NodeRef][]commit.NodeRef, len(refs)),
		tracesOf: make(map[commit.NodeRef][]commit.NodeRef, len(refs)),
	}
	seen := make(map[commit.NodeRef]bool, len(refs))
	frontier := make([]commit.NodeRef, 0, len(refs))
	for _, r := range refs {
		if !seen[r] {
			seen[r] = true
			frontier = append(frontier, r)
		}
	}
	for depth := 0; len(frontier) > 0 && depth < maxParentDepth; depth++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var next, expand []commit.NodeRef
		for _, r := range frontier {
			switch r.Kind {
			case commit.EntityTrace:
				rs.traces = append(rs.traces, r)
			case commit.EntitySession:
				rs.sessions = append(rs.sessions, r)
				continue // sessions are the top of the tree
			}
			expand = append(expand, r)
		}
		// One read per level for all nodes of the level.
		parents, err := ix.Backend.Parents(ctx, expand)
		if err != nil {
			return nil, fmt.Errorf("parents of %d nodes: %w", len(expand), err)
		}
		for _, r := range expand {
			ps := parents[r]
			rs.parents[r] = ps
			for _, p := range ps {
				if !seen[p] {
					seen[p] = true
					next = append(next, p)
				}
			}
		}
		frontier = next
	}
	return rs, nil
}

// traceRoots returns the traces ref belongs to through the parent edges
// the walk read: itself for a trace, none for a session or an orphan. It
// resolves iteratively with memoization, so a 100,000-deep chain neither
// recurses nor costs more than its length; a cycle a buggy client built
// contributes nothing through the edge that closes it.
func (rs *rootSet) traceRoots(ref commit.NodeRef) []commit.NodeRef {
	if v, ok := rs.tracesOf[ref]; ok {
		return v
	}
	onStack := map[commit.NodeRef]bool{ref: true}
	stack := []commit.NodeRef{ref}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		if _, done := rs.tracesOf[n]; done {
			stack = stack[:len(stack)-1]
			continue
		}
		switch n.Kind {
		case commit.EntityTrace:
			rs.tracesOf[n] = []commit.NodeRef{n}
			stack = stack[:len(stack)-1]
			continue
		case commit.EntitySession:
			rs.tracesOf[n] = nil
			stack = stack[:len(stack)-1]
			continue
		}
		pending := false
		for _, p := range rs.parents[n] {
			if _, done := rs.tracesOf[p]; !done && !onStack[p] {
				onStack[p] = true
				stack = append(stack, p)
				pending = true
			}
		}
		if pending {
			continue
		}
		var out []commit.NodeRef
		for _, p := range rs.parents[n] {
			for _, t := range rs.tracesOf[p] {
				if !containsRef(out, t) {
					out = append(out, t)
				}
			}
		}
		rs.tracesOf[n] = out
		stack = stack[:len(stack)-1]
	}
	return rs.tracesOf[ref]
}

func containsRef(refs []commit.NodeRef, r commit.NodeRef) bool {
	for _, x := range refs {
		if x == r {
			return true
		}
	}
	return false
}

// publication splits one pass's changed nodes over the groups the pass
// publishes: a node goes out with the first group holding one of its
// traces, and the nodes of no trace go out last, with the sessions.
type publication struct {
	byTrace map[commit.NodeRef][]commit.NodeRef
	sent    map[commit.NodeRef]bool
	refs    []commit.NodeRef
}

func newPublication(refs []commit.NodeRef, rs *rootSet) *publication {
	p := &publication{byTrace: map[commit.NodeRef][]commit.NodeRef{}, sent: make(map[commit.NodeRef]bool, len(refs)), refs: refs}
	for _, r := range refs {
		for _, t := range rs.traceRoots(r) {
			p.byTrace[t] = append(p.byTrace[t], r)
		}
	}
	return p
}

// nodesOf returns the not yet published nodes of traces.
func (p *publication) nodesOf(traces []commit.NodeRef) []commit.NodeRef {
	var out []commit.NodeRef
	for _, t := range traces {
		for _, r := range p.byTrace[t] {
			if !p.sent[r] {
				p.sent[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// rest returns the nodes no group published, in change-log order.
func (p *publication) rest() []commit.NodeRef {
	var out []commit.NodeRef
	for _, r := range p.refs {
		if !p.sent[r] {
			p.sent[r] = true
			out = append(out, r)
		}
	}
	return out
}
