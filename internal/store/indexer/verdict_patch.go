package indexer

import (
	"context"
	"fmt"
	"sync"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Rows of traces whose only change is new verdicts are patched, not
// re-assembled.
//
// The genai_eval receiver writes its verdicts as `evaluate` commits a few
// seconds after a trace ended, and the indexer assembled each such trace a
// second time for its row: with configs/evals.yaml under SDK load, 2.3
// assemblies per trace instead of 1.4. The row of a summarized trace is
// kept with what tree.SummaryBase needs to redo it from the changed nodes'
// commit sets alone; a pass patches a trace's row when the base can take
// all of the trace's changed nodes (every one a node of the tree that
// gained nothing but evaluate commits), and assembles it otherwise.
//
// Invariants:
//   - a base is the state of its trace's last row this indexer wrote: a
//     pass that assembles a trace replaces or drops its base, and a pass
//     that patches one moves it to the patched state;
//   - bases are only kept on an unsharded change log: in a fleet another
//     member may index the same trace (a takeover), and a base that missed
//     its change would patch a row from a stale tree;
//   - Delete (retention) outdates every base taken before it (epochs), so
//     no patch resurrects the row of a deleted trace from memory.

// maxSummaryBases bounds the bases held: about 3 KB each with a few
// generations and verdicts, so 24 MB at most. They are taken when a
// trace is summarized ended, and verdicts land seconds later, so the
// newest bases are the useful ones: the oldest is dropped first. At
// 700 traces/s (SDK load test) that covers the last 11 s.
const maxSummaryBases = 8192

// summaryBases holds a tree.SummaryBase per recently ended trace.
type summaryBases struct {
	mu    sync.Mutex
	m     map[commit.NodeRef]summaryBase
	ring  []commit.NodeRef // insertion order, for dropping the oldest
	next  int
	epoch uint64
}

type summaryBase struct {
	b     *tree.SummaryBase
	epoch uint64
}

// currentEpoch is taken at the start of a pass: bases it puts are valid
// until the next Delete.
func (s *summaryBases) currentEpoch() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.epoch
}

// outdate makes every base taken so far unusable (before a Delete).
func (s *summaryBases) outdate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch++
	clear(s.m)
	clear(s.ring)
	s.next = 0
}

// get returns the base of t if it was taken in epoch.
func (s *summaryBases) get(t commit.NodeRef, epoch uint64) *tree.SummaryBase {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[t]
	if !ok || e.epoch != epoch {
		return nil
	}
	return e.b
}

// put keeps b as t's base (nil drops it).
func (s *summaryBases) put(t commit.NodeRef, b *tree.SummaryBase, epoch uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b == nil {
		delete(s.m, t)
		return
	}
	if s.m == nil {
		s.m = make(map[commit.NodeRef]summaryBase)
		s.ring = make([]commit.NodeRef, maxSummaryBases)
	}
	if _, ok := s.m[t]; !ok {
		if old := s.ring[s.next]; old != (commit.NodeRef{}) {
			delete(s.m, old)
		}
		s.ring[s.next] = t
		s.next = (s.next + 1) % len(s.ring)
	}
	s.m[t] = summaryBase{b: b, epoch: epoch}
}

// keepBase puts or drops t's base after t was assembled into tr and row:
// a base for an ended trace whose nodes the pass prefetched, none
// otherwise (an older base must not outlive the row it was taken for,
// also while nothing observes: an observer may come back).
func (ix *Indexer) keepBase(t commit.NodeRef, tr *tree.Trace, row *store.TraceSummary, p *prefetched, epoch uint64) {
	var b *tree.SummaryBase
	if tr.Root.Ended && ix.patching() {
		b, _ = tree.NewSummaryBase(tr, row, p.own)
	}
	ix.bases.put(t, b, epoch)
}

// patching reports whether this indexer patches rows (see above): with
// the tree package's fold, on an unsharded change log, while a trace
// observer (an online evaluator, ObserveTraces) runs. Without one, verdicts
// after a trace ended are rare, and a base for every ended trace would
// cost memory and CPU for nothing.
func (ix *Indexer) patching() bool {
	_, fast := ix.sum.(TreeSummarizer)
	return fast && ix.fleet == nil && ix.obs.watched()
}

// patchedRow is a row a pass made by patching.
type patchedRow struct {
	ref         commit.NodeRef
	row         store.TraceSummary
	fingerprint uint64
}

// patch makes the rows of the traces whose changed nodes (pub) their
// bases can take, and returns them with the traces left to assemble.
func (ix *Indexer) patch(ctx context.Context, traces []commit.NodeRef, pub *publication, epoch uint64) ([]patchedRow, []commit.NodeRef, error) {
	type candidate struct {
		ref commit.NodeRef
		b   *tree.SummaryBase
	}
	var cands []candidate
	var reads []commit.NodeRef
	rest := traces[:0:0]
	for _, t := range traces {
		b := ix.bases.get(t, epoch)
		if b == nil || len(pub.byTrace[t]) == 0 {
			rest = append(rest, t)
			continue
		}
		cands = append(cands, candidate{t, b})
		reads = append(reads, pub.byTrace[t]...)
	}
	if len(cands) == 0 {
		return nil, traces, nil
	}
	own, err := ix.Backend.Commits(ctx, reads)
	if err != nil {
		return nil, nil, fmt.Errorf("read %d changed nodes: %w", len(reads), err)
	}
	var out []patchedRow
	for _, c := range cands {
		changed := make(map[commit.NodeRef][]commit.Commit, len(pub.byTrace[c.ref]))
		for _, r := range pub.byTrace[c.ref] {
			changed[r] = own[r]
		}
		before := c.b.Revision()
		row, ok := c.b.Patch(changed, ix.treeOpts...)
		if !ok {
			rest = append(rest, c.ref)
			continue
		}
		if agg, ok := ix.traces.get(c.ref); ok && agg.revision == before {
			ix.traces.put(c.ref, traceAgg{revision: row.Revision, member: agg.member.Patched(c.b)})
		}
		out = append(out, patchedRow{ref: c.ref, row: row, fingerprint: c.b.Fingerprint()})
	}
	return out, rest, nil
}

// writePatched writes and publishes the patched rows of a pass.
func (ix *Indexer) writePatched(ctx context.Context, rows []patchedRow, pub *publication) error {
	if len(rows) == 0 {
		return nil
	}
	trows := make([]store.TraceSummary, len(rows))
	refs := make([]commit.NodeRef, len(rows))
	fps := make(map[commit.NodeRef]uint64, len(rows))
	for i, r := range rows {
		trows[i], refs[i], fps[r.ref] = r.row, r.ref, r.fingerprint
	}
	if err := ix.Backend.PutTraceSummaries(ctx, trows); err != nil {
		return fmt.Errorf("write trace summaries: %w", err)
	}
	ix.tel.TracesIndexed.Add(ctx, int64(len(trows)), ix.tel.Attributes)
	ix.patchedRows.Add(int64(len(trows)))
	ix.publish(ctx, pub.nodesOf(refs), refs, nil, fps)
	return nil
}

// Delete outdates the summary bases before it deletes (see above).
func (ix *Indexer) Delete(ctx context.Context, refs []commit.NodeRef) error {
	ix.bases.outdate()
	return ix.Backend.Delete(ctx, refs)
}
