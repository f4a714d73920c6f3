// Package store defines what a trace-tree backend must do. Backends
// (memstore, pebblestore, pgstore) persist commit sets, the edges derived
// from them, blobs, and the summary rows the shared indexer hands them;
// everything a reader sees of a node is computed from its commit set by the
// one fold in internal/tree. The conformance suite in storetest holds every
// backend to the same behaviour.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// ErrNotFound is returned when a requested node, trace, session or blob is unknown.
var ErrNotFound = errors.New("not found")

// Edge links a parent node to a child node. Edges are derived from a single
// commit (see internal/tree), so a backend records them on write without
// reading anything first.
type Edge struct {
	Parent commit.NodeRef
	Child  commit.NodeRef
}

// Reader is the read side the tree assembly needs.
type Reader interface {
	// Commits returns the commit sets of the given nodes, each sorted by
	// commit.Less. Nodes without commits are absent from the map.
	Commits(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.Commit, error)

	// Children returns, for each given node, the children recorded by edges,
	// sorted by (kind, id) — CompareNodes in order.go.
	Children(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.NodeRef, error)

	// Parents returns, for each given node, the nodes that have an edge to
	// it, sorted by (kind, id) — CompareNodes. Like Children it takes many
	// nodes at once: the indexer resolves every changed node of a pass to
	// its roots, and one read per node (a PostgreSQL round trip each) was
	// most of its cost.
	Parents(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.NodeRef, error)
}

// Backend is the persistence contract. It knows nothing of the fold.
type Backend interface {
	Reader

	// Apply adds each commit to its node's commit set (set union by commit
	// id, keeping the lower version) and records the given edges. When Apply
	// returns nil, commits and edges are durable. Applying a commit or edge
	// the backend already holds is a no-op.
	Apply(ctx context.Context, commits []commit.Commit, edges []Edge) error

	// PutTraceSummaries upserts summary rows (keyed by repo and trace id).
	// A row replaces an older row only if its Revision is higher
	// (Supersedes in revision.go), so
	// concurrent indexers can never move a summary backwards. A row's
	// Generations are stored with it and replace the previous row's in
	// the stats (QueryStats), in the same write: a trace re-indexed is
	// never counted twice, and Delete removes it from the stats.
	PutTraceSummaries(ctx context.Context, rows []TraceSummary) error
	// SearchTraces returns summaries matching q, newest start first.
	SearchTraces(ctx context.Context, q TraceQuery) (TracePage, error)

	// QueryStats answers a time-bucketed aggregate query (stats.go) from
	// the generation rows and rollups PutTraceSummaries maintains. It
	// returns an error wrapping ErrBadStatsQuery for an invalid query.
	QueryStats(ctx context.Context, q StatsQuery) (Stats, error)

	// PutSessionSummaries and SearchSessions do the same for sessions.
	PutSessionSummaries(ctx context.Context, rows []SessionSummary) error
	SearchSessions(ctx context.Context, q SessionQuery) (SessionPage, error)

	// PutBlob stores bytes (attachments, offloaded large commit lines)
	// durably under (repo, key); GetBlob returns them or ErrNotFound.
	// Which user owns which keys is defined in blobs.go (BlobKey).
	PutBlob(ctx context.Context, repo, key string, b Blob) error
	GetBlob(ctx context.Context, repo, key string) (Blob, error)

	// ChangedSince returns the nodes touched by Apply calls after the given
	// position of the backend's own change log (a local, monotonically
	// increasing apply sequence, not a commit version: commits replayed from
	// Kafka carry old versions), in apply order, at most limit of them, and
	// the position to resume from. The indexer uses it to catch up after a
	// restart, so a kill -9 between Apply and indexing loses no summary.
	ChangedSince(ctx context.Context, after uint64, limit int) (refs []commit.NodeRef, next uint64, err error)
	// IndexCheckpoint and SetIndexCheckpoint persist how far the indexer
	// has got in the change log.
	IndexCheckpoint(ctx context.Context) (uint64, error)
	SetIndexCheckpoint(ctx context.Context, pos uint64) error

	// Claim takes the claim key in repo for owner until the time until, so
	// that one member of a fleet sharing the store does a piece of work
	// (the genai_eval receiver claims each entity and evaluator). It
	// reports true when nobody held key, when owner held it, or when the
	// claim held had expired (its until is not after now); the claim then
	// belongs to owner until until. Otherwise it reports false and changes
	// nothing. Taking a claim is atomic: of two owners racing for a free
	// key exactly one wins. Claims are durable and outlive Delete.
	Claim(ctx context.Context, repo, key, owner string, now, until time.Time) (bool, error)

	// Delete removes nodes: their commits, the edges out of and into them,
	// the blobs they own (OwnedBy in blobs.go: attachments, and large logs
	// linked to them), and the summary rows of any trace or session among
	// them. Retention uses it; deleting an unknown node is a no-op.
	Delete(ctx context.Context, refs []commit.NodeRef) error

	// Close releases the backend's resources.
	Close() error
}

// Blob is stored bytes with their media type.
type Blob struct {
	ContentType string
	Data        []byte
}

// TraceSummary is one row of the trace search index: everything the trace
// list shows, computed from the assembled tree at index time.
type TraceSummary struct {
	Repo      string    `json:"repo"`
	TraceID   string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	SessionID string    `json:"sessionId,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end,omitzero"`
	// DurationMs is End-Start in milliseconds, 0 while the trace is open.
	DurationMs   float64 `json:"durationMs"`
	InputTokens  int64   `json:"inputTokens"`
	OutputTokens int64   `json:"outputTokens"`
	TotalTokens  int64   `json:"totalTokens"`
	Cost         float64 `json:"cost"`
	// UnpricedGenerations counts model calls with usage but no known
	// price: Cost is partial when it is not 0.
	UnpricedGenerations int               `json:"unpricedGenerations"`
	Counts              map[string]int    `json:"counts"`
	Error               bool              `json:"error"`
	Tags                map[string]string `json:"tags,omitempty"`
	Models              []string          `json:"models,omitempty"`
	// LastActivity is the newest commit version seen, as a time; retention
	// deletes by it.
	LastActivity time.Time `json:"lastActivity"`
	// Revision orders summary rows of one trace; higher wins.
	Revision int64 `json:"-"`
	// Evaluations are the trace's evaluation verdicts, one per evaluator
	// (Verdicts of EvalRows, evals.go).
	Evaluations []EvalVerdict `json:"evaluations,omitempty"`
	// Generations are the trace's model calls for the stats (stats.go);
	// stored beside the row, never part of its JSON.
	Generations []GenerationRow `json:"-"`
	// EvalRows are the verdicts one by one, stored beside the row like
	// Generations (in its stats record).
	EvalRows []EvalRow `json:"-"`
}

// TraceQuery filters the trace search. Zero values do not filter.
type TraceQuery struct {
	Repo        string
	From, To    time.Time // on Start; To exclusive
	SessionID   string
	Name        string            // exact match
	Tags        map[string]string // all must match
	Model       string
	ErrorOnly   bool
	MinDuration time.Duration
	// MinCost keeps traces whose total cost (USD) is at least MinCost.
	MinCost float64
	// Eval keeps traces the named evaluator failed on (any node), or with
	// EvalScoreBelow, whose lowest score of that evaluator is below it
	// (TraceQuery.MatchEval is the rule).
	Eval           string
	EvalScoreBelow *float64
	// Sort orders the page: SortStart (newest start first, the default)
	// or SortCost (most expensive first; needs Repo).
	Sort TraceSort
	// InactiveBefore keeps only traces whose LastActivity is before it
	// (retention).
	InactiveBefore time.Time
	Limit          int    // page size; PageLimit (limits.go) says what every backend returns
	Cursor         string // opaque, from TracePage.NextCursor
}

// InRange reports whether a row that started at start is in a search's
// [from, to) (TraceQuery and SessionQuery From and To); a zero bound does
// not bound.
func InRange(start, from, to time.Time) bool {
	return (from.IsZero() || !start.Before(from)) && (to.IsZero() || start.Before(to))
}

// TraceSort is the order of a trace search.
type TraceSort string

// Trace search orders. Ties break by newest start, then trace id.
const (
	SortStart TraceSort = ""
	SortCost  TraceSort = "cost"
)

// ErrSortNeedsRepo is returned for a cost-ordered search across all
// repositories: the cost order is kept per repository.
var ErrSortNeedsRepo = errors.New("sort by cost needs a repository")

// CheckSort is every backend's rule for q.Sort: a known order, and a
// repository for the cost order.
func CheckSort(q *TraceQuery) error {
	switch q.Sort {
	case SortStart:
		return nil
	case SortCost:
		if q.Repo == "" {
			return ErrSortNeedsRepo
		}
		return nil
	}
	return fmt.Errorf("unknown sort %q", q.Sort)
}

// SortableCost is the cost a row orders by under SortCost: costs without an
// order (negative, which a client may send, or NaN) order as 0.
func SortableCost(c float64) float64 {
	if !(c > 0) {
		return 0
	}
	return c
}

// TracePage is one page of search results.
type TracePage struct {
	Traces     []TraceSummary `json:"traces"`
	NextCursor string         `json:"nextCursor,omitempty"`
	// IndexLagMs, set by the query API, says the rows may miss changes
	// this many milliseconds old (the indexer is catching up).
	IndexLagMs float64 `json:"indexLagMs,omitempty"`
}

// SessionSummary is one row of the session index.
type SessionSummary struct {
	Repo        string    `json:"repo"`
	SessionID   string    `json:"id"`
	Name        string    `json:"name,omitempty"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end,omitzero"`
	TraceCount  int       `json:"traceCount"`
	TotalTokens int64     `json:"totalTokens"`
	Cost        float64   `json:"cost"`
	// UnpricedGenerations: as in TraceSummary.
	UnpricedGenerations int               `json:"unpricedGenerations"`
	Error               bool              `json:"error"`
	Tags                map[string]string `json:"tags,omitempty"`
	LastActivity        time.Time         `json:"lastActivity"`
	Revision            int64             `json:"-"`
}

// SessionQuery filters the session search.
type SessionQuery struct {
	Repo     string
	From, To time.Time
	Limit    int
	Cursor   string
}

// SessionPage is one page of sessions.
type SessionPage struct {
	Sessions   []SessionSummary `json:"sessions"`
	NextCursor string           `json:"nextCursor,omitempty"`
	// IndexLagMs: as in TracePage.
	IndexLagMs float64 `json:"indexLagMs,omitempty"`
}

// Change tells live-feed subscribers which nodes changed.
type Change struct {
	Repo  string
	Nodes []commit.NodeRef
	// Traces and Sessions are the roots the changed nodes belong to, as far
	// as the edges known at the time resolve them. One indexing pass may
	// announce its work in several changes (small traces first, sessions
	// last); a node is named in the change that carries its trace.
	Traces   []string
	Sessions []string
	// Fingerprints holds, for traces of Traces, the fingerprint of the
	// commit set this change's pass summarized (tree.Trace.Fingerprint);
	// a trace without one is unknown (another summarizer, another fleet
	// member). A follower that knows which commits it added itself can
	// tell from it that nothing else changed (the genai_eval engine).
	Fingerprints map[string]uint64
	At           time.Time
}

// Store is what components use: a Backend wrapped with the shared summary
// indexer and the live change feed (see the tracetree_store extension).
type Store interface {
	Backend
	// Subscribe delivers changes for repo until ctx ends or cancel is
	// called. A slow subscriber loses changes (the channel never blocks the
	// write path) and sees a Change with no nodes as a "resync" marker.
	Subscribe(ctx context.Context, repo string) (changes <-chan Change, cancel func())
	// Prices is the price table the store's summary rows were computed
	// with; readers that assemble trees pass it on (tree.WithPrices) so a
	// tree and its search row show the same cost.
	Prices() *pricing.Table
}
