package indexer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

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
// The arithmetic mirrors tree.AssembleSession + tree.SummarizeSession,
// including the order in which children are summed (float costs), so the
// rows are equal, not just close; TestSessionSummaryEqualsAssembly checks
// that on generated traffic.

// traceAgg is what a session summary needs of one assembled trace.
type traceAgg struct {
	revision  int64
	sessionID string
	// sortStart is the trace node's own start (zero if it has none): the
	// session tree orders its children by it, and the order of a float sum
	// matters.
	sortStart time.Time
	// minStart is the earliest start of any node of the trace (zero if
	// none): the session's start when the session node has none.
	minStart    time.Time
	commits     int
	lastVersion int64
	totalTokens int64
	cost        float64
	unpriced    int
	errors      int
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
	root := t.Root
	a := traceAgg{
		revision:    revision,
		sessionID:   root.SessionID,
		sortStart:   root.Start(),
		commits:     t.CommitCount,
		lastVersion: t.LastVersion,
		totalTokens: root.Totals.TotalTokens,
		cost:        root.Totals.Cost,
		unpriced:    root.Totals.UnpricedGenerations,
		errors:      root.Totals.Errors,
	}
	tree.Walk(root, func(n *tree.TreeNode) {
		if s := n.Start(); !s.IsZero() && (a.minStart.IsZero() || s.Before(a.minStart)) {
			a.minStart = s
		}
	})
	return a
}

// summarizeTraceAgg assembles a trace and returns its row and aggregate.
func summarizeTraceAgg(ctx context.Context, r store.Reader, ref commit.NodeRef, opts ...tree.Option) (store.TraceSummary, traceAgg, error) {
	t, err := tree.AssembleTrace(ctx, r, ref, opts...)
	if err != nil {
		return store.TraceSummary{}, traceAgg{}, err
	}
	row := tree.SummarizeTrace(t)
	return row, aggOf(t, row.Revision), nil
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

	type member struct {
		id  string
		agg traceAgg
	}
	var members []member
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
					_, agg, err = summarizeTraceAgg(ctx, r, tref, ix.treeOpts...)
					if err != nil {
						if isNotFound(err) {
							continue
						}
						return store.SessionSummary{}, fmt.Errorf("trace %s: %w", row.TraceID, err)
					}
					ix.traces.put(tref, agg)
				}
				if agg.sessionID != ref.ID {
					continue
				}
				members = append(members, member{id: row.TraceID, agg: agg})
			}
			if page.NextCursor == "" || len(page.Traces) == 0 {
				break
			}
			q.Cursor = page.NextCursor
		}
	}

	sn := tree.Fold(ref, own[ref], ix.treeOpts...)
	// The session tree's child order (tree's sortChildren): own start,
	// startless last, then kind (all traces) and id.
	slices.SortFunc(members, func(a, b member) int {
		az, bz := a.agg.sortStart.IsZero(), b.agg.sortStart.IsZero()
		switch {
		case az != bz:
			if bz {
				return -1
			}
			return 1
		case !a.agg.sortStart.Equal(b.agg.sortStart):
			if a.agg.sortStart.Before(b.agg.sortStart) {
				return -1
			}
			return 1
		}
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})

	// Totals as tree's totals(): the node's own numbers, then each child's.
	var tokens int64
	var cost float64
	var unpriced int
	if sn.Usage != nil {
		tokens = sn.Usage.TotalTokens
	}
	if sn.Cost != nil {
		cost = sn.Cost.Total
	}
	errs := len(sn.Errors)
	if sn.Kind == commit.EntityError {
		errs++
	}
	commits, last := sn.CommitCount, sn.LastVersion
	start := sn.Start()
	var minStart time.Time
	for _, m := range members {
		tokens += m.agg.totalTokens
		cost += m.agg.cost
		unpriced += m.agg.unpriced
		errs += m.agg.errors
		commits += m.agg.commits
		last = max(last, m.agg.lastVersion)
		if s := m.agg.minStart; !s.IsZero() && (minStart.IsZero() || s.Before(minStart)) {
			minStart = s
		}
	}
	// Start as tree's span(): own start, else the earliest start below,
	// else the first commit time, else the newest.
	if start.IsZero() {
		start = minStart
	}
	if start.IsZero() {
		start = time.Unix(0, sn.FirstVersion).UTC()
		if sn.FirstVersion == 0 {
			start = time.Unix(0, last).UTC()
		}
	}
	row := store.SessionSummary{
		Repo:                ref.Repo,
		SessionID:           sn.ID,
		Name:                sn.Name,
		Start:               start,
		TraceCount:          len(members),
		TotalTokens:         tokens,
		Cost:                cost,
		UnpricedGenerations: unpriced,
		Error:               errs > 0,
		Tags:                copyTags(sn.Tags),
		LastActivity:        time.Unix(0, last).UTC(),
		Revision:            last + int64(commits),
	}
	if sn.Ended || !sn.End().IsZero() {
		row.End = sn.End()
	}
	return row, nil
}

func copyTags(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
