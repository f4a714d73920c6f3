package indexer

import (
	"context"
	"errors"
	"fmt"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Session summaries without re-assembling sessions.
//
// tree.SummarizeSession(tree.AssembleSession(...)) folds every trace of the
// session on every pass that touches it, so a long-lived session makes each
// new trace cost O(session). A session summary only needs a handful of
// numbers per trace, though, and the indexer computes exactly those when it
// assembles a trace for its own row. So the indexer keeps them (traceAgg),
// keyed by trace and stamped with the trace row's Revision, and builds the
// session row from: the session node's own fold, its session → trace edges
// (the candidates, as in AssembleSession), and the already-written trace
// rows whose SessionID is the session (membership: the folded sessionId of
// the trace decides, so a moved trace leaves its old session). A trace row
// whose Revision does not match the cached aggregate (another process
// indexed it, or the cache evicted it) is re-assembled once, which is
// exactly what the old path did for every trace.
//
// The row itself is tree.SummarizeSessionMembers: the same ordering and
// arithmetic as tree.SummarizeSession, so the rows are equal, not just
// close; TestSessionSummaryEqualsAssembly checks that on generated traffic.

// traceAgg is what a session summary needs of one assembled trace, stamped
// with the trace row's revision it was computed at.
type traceAgg struct {
	revision int64
	member   tree.SessionMember
}

// maxCachedTraces bounds the aggregate cache (~250 bytes an entry with
// its key, so ~30 MiB at most). A
// miss costs one trace assembly, never a wrong row.
const maxCachedTraces = 1 << 17

// traceCache holds traceAgg by trace. Only indexing passes use it and they
// are serialized by passMu, so it needs no lock of its own.
type traceCache struct {
	m map[commit.NodeRef]traceAgg
}

func (c *traceCache) get(ref commit.NodeRef) (traceAgg, bool) {
	a, ok := c.m[ref]
	return a, ok
}

func (c *traceCache) put(ref commit.NodeRef, a traceAgg) {
	if c.m == nil {
		c.m = make(map[commit.NodeRef]traceAgg)
	}
	if _, ok := c.m[ref]; !ok && len(c.m) >= maxCachedTraces {
		// Drop an arbitrary eighth: map order is random, and a dropped
		// entry only costs a re-assembly if its session changes again.
		n := maxCachedTraces / 8
		for k := range c.m {
			delete(c.m, k)
			if n--; n == 0 {
				break
			}
		}
	}
	c.m[ref] = a
}

// aggOf extracts the session-relevant numbers of an assembled trace.
func aggOf(t *tree.Trace, revision int64) traceAgg {
	return traceAgg{revision: revision, member: tree.MemberOf(t)}
}

// summarizeTraceAgg assembles a trace and returns its row, its aggregate
// and the tree.
func summarizeTraceAgg(ctx context.Context, r store.Reader, ref commit.NodeRef, opts ...tree.Option) (store.TraceSummary, traceAgg, *tree.Trace, error) {
	t, err := tree.AssembleTrace(ctx, r, ref, opts...)
	if err != nil {
		return store.TraceSummary{}, traceAgg{}, nil, err
	}
	row := tree.SummarizeTrace(t)
	return row, aggOf(t, row.Revision), t, nil
}

// sessionTracePage is the page size for reading a session's trace rows.
const sessionTracePage = 1000

// summarizeSession computes the session row from the session's own fold
// and its traces' aggregates. The trace rows of the current pass must
// already be written.
func (ix *Indexer) summarizeSession(ctx context.Context, r store.Reader, ref commit.NodeRef) (store.SessionSummary, error) {
	own, err := r.Commits(ctx, []commit.NodeRef{ref})
	if err != nil {
		return store.SessionSummary{}, fmt.Errorf("read commits: %w", err)
	}
	kids, err := r.Children(ctx, []commit.NodeRef{ref})
	if err != nil {
		return store.SessionSummary{}, fmt.Errorf("read children: %w", err)
	}
	candidates := make(map[string]bool, len(kids[ref]))
	for _, k := range kids[ref] {
		if k.Kind == commit.EntityTrace {
			candidates[k.ID] = true
		}
	}
	if len(own[ref]) == 0 && len(candidates) == 0 {
		return store.SessionSummary{}, fmt.Errorf("session %s/%s: %w", ref.Repo, ref.ID, store.ErrNotFound)
	}

	var members []tree.SessionMember
	if len(candidates) > 0 {
		q := store.TraceQuery{Repo: ref.Repo, SessionID: ref.ID, Limit: sessionTracePage}
		seen := make(map[string]bool, len(candidates))
		for {
			page, err := ix.Backend.SearchTraces(ctx, q)
			if err != nil {
				return store.SessionSummary{}, fmt.Errorf("read trace rows: %w", err)
			}
			for _, row := range page.Traces {
				if !candidates[row.TraceID] || seen[row.TraceID] || row.SessionID != ref.ID {
					continue
				}
				seen[row.TraceID] = true
				tref := commit.NodeRef{Repo: ref.Repo, Kind: commit.EntityTrace, ID: row.TraceID}
				agg, ok := ix.traces.get(tref)
				if !ok || agg.revision != row.Revision {
					// Not assembled by this process at this revision:
					// assemble it now, as AssembleSession would.
					var err error
					_, agg, _, err = summarizeTraceAgg(ctx, r, tref, ix.treeOpts...)
					if err != nil {
						if isNotFound(err) {
							continue
						}
						return store.SessionSummary{}, fmt.Errorf("trace %s: %w", row.TraceID, err)
					}
					ix.traces.put(tref, agg)
				}
				if agg.member.SessionID != ref.ID {
					continue
				}
				members = append(members, agg.member)
			}
			if page.NextCursor == "" || len(page.Traces) == 0 {
				break
			}
			q.Cursor = page.NextCursor
		}
	}

	sn := tree.Fold(ref, own[ref], ix.treeOpts...)
	return tree.SummarizeSessionMembers(ref.Repo, sn, members), nil
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
