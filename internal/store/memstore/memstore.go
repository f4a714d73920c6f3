// Package memstore is the in-memory reference implementation of
// store.Backend. It defines by example what the conformance suite
// (storetest) expects of every backend, backs unit tests, and is small
// enough to read in one sitting. Nothing survives Close.
package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Store is a concurrency-safe in-memory store.Backend.
type Store struct {
	mu       sync.RWMutex
	nodes    map[commit.NodeRef]map[commit.ID]commit.Commit
	children map[commit.NodeRef]map[commit.NodeRef]struct{}
	parents  map[commit.NodeRef]map[commit.NodeRef]struct{}
	traces   map[summaryKey]store.TraceSummary
	sessions map[summaryKey]store.SessionSummary
	blobs    map[summaryKey]store.Blob
	claims   map[summaryKey]claim
	// changes is the change log; position p (1-based) is changes[p-1].
	changes    []commit.NodeRef
	checkpoint uint64
	closed     bool
}

// summaryKey is a row's (repo, id): store.SummaryKey for summaries, and
// the blob address.
type summaryKey store.SummaryKey

var _ store.Backend = (*Store)(nil)

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("memstore: closed")

// read and write take the store's lock for a method after checking ctx and
// that the store is open; the method defers the unlock they return.
func (s *Store) read(ctx context.Context) (unlock func(), err error) {
	return s.lock(ctx, s.mu.RLock, s.mu.RUnlock)
}

func (s *Store) write(ctx context.Context) (unlock func(), err error) {
	return s.lock(ctx, s.mu.Lock, s.mu.Unlock)
}

func (s *Store) lock(ctx context.Context, lock, unlock func()) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lock()
	if s.closed {
		unlock()
		return nil, ErrClosed
	}
	return unlock, nil
}

// New returns an empty store.
func New() *Store {
	return &Store{
		nodes:    map[commit.NodeRef]map[commit.ID]commit.Commit{},
		children: map[commit.NodeRef]map[commit.NodeRef]struct{}{},
		parents:  map[commit.NodeRef]map[commit.NodeRef]struct{}{},
		traces:   map[summaryKey]store.TraceSummary{},
		sessions: map[summaryKey]store.SessionSummary{},
		blobs:    map[summaryKey]store.Blob{},
	}
}

// Apply unions commits into their nodes' sets (keeping the lower version of
// a commit id seen twice) and records edges. Nodes whose commit set or edges
// changed are appended to the change log, once per Apply call.
func (s *Store) Apply(ctx context.Context, commits []commit.Commit, edges []store.Edge) error {
	unlock, err := s.write(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	touched := map[commit.NodeRef]struct{}{}
	var order []commit.NodeRef
	touch := func(r commit.NodeRef) {
		if _, ok := touched[r]; !ok {
			touched[r] = struct{}{}
			order = append(order, r)
		}
	}
	for i := range commits {
		c := commits[i]
		if c.ID.IsZero() {
			c.Seal()
		}
		ref := c.Node()
		set := s.nodes[ref]
		if set == nil {
			set = map[commit.ID]commit.Commit{}
			s.nodes[ref] = set
		}
		old, ok := set[c.ID]
		if ok && old.Version <= c.Version {
			continue
		}
		c.Data = slices.Clone(c.Data)
		set[c.ID] = c
		touch(ref)
	}
	for _, e := range edges {
		if addLink(s.children, e.Parent, e.Child) {
			addLink(s.parents, e.Child, e.Parent)
			touch(e.Parent)
			touch(e.Child)
		}
	}
	s.changes = append(s.changes, order...)
	return nil
}

func addLink(m map[commit.NodeRef]map[commit.NodeRef]struct{}, from, to commit.NodeRef) bool {
	set := m[from]
	if set == nil {
		set = map[commit.NodeRef]struct{}{}
		m[from] = set
	}
	if _, ok := set[to]; ok {
		return false
	}
	set[to] = struct{}{}
	return true
}

// Commits returns copies of the commit sets, each sorted by commit.Less.
func (s *Store) Commits(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.Commit, error) {
	unlock, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := make(map[commit.NodeRef][]commit.Commit, len(refs))
	for _, r := range refs {
		set := s.nodes[r]
		if len(set) == 0 {
			continue
		}
		list := make([]commit.Commit, 0, len(set))
		for _, c := range set {
			list = append(list, c)
		}
		sort.Slice(list, func(i, j int) bool { return commit.Less(&list[i], &list[j]) })
		out[r] = list
	}
	return out, nil
}

// Children returns the recorded children of each ref, sorted by (kind, id).
func (s *Store) Children(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.NodeRef, error) {
	return s.edges(ctx, refs, s.children)
}

// Parents returns, per node, the nodes with an edge to it, sorted by (kind, id).
func (s *Store) Parents(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.NodeRef, error) {
	return s.edges(ctx, refs, s.parents)
}

// edges reads one direction of the edge index for each ref.
func (s *Store) edges(ctx context.Context, refs []commit.NodeRef, index map[commit.NodeRef]map[commit.NodeRef]struct{}) (map[commit.NodeRef][]commit.NodeRef, error) {
	unlock, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := make(map[commit.NodeRef][]commit.NodeRef, len(refs))
	for _, r := range refs {
		if set := index[r]; len(set) > 0 {
			out[r] = sortedRefs(set)
		}
	}
	return out, nil
}

func sortedRefs(set map[commit.NodeRef]struct{}) []commit.NodeRef {
	if len(set) == 0 {
		return nil
	}
	out := make([]commit.NodeRef, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	store.SortNodes(out)
	return out
}

// PutTraceSummaries upserts rows by store.Supersedes.
func (s *Store) PutTraceSummaries(ctx context.Context, rows []store.TraceSummary) error {
	return putSummaries(ctx, s, s.traces, rows, cloneTrace)
}

// PutSessionSummaries upserts session rows by store.Supersedes.
func (s *Store) PutSessionSummaries(ctx context.Context, rows []store.SessionSummary) error {
	return putSummaries(ctx, s, s.sessions, rows, cloneSession)
}

// putSummaries is the one upsert of both summary tables: a stored row is
// replaced only by a row that supersedes it.
func putSummaries[R store.SummaryRow](ctx context.Context, s *Store, table map[summaryKey]R, rows []R, clone func(R) R) error {
	unlock, err := s.write(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	for i := range rows {
		k, rev := store.KeyOf(&rows[i])
		if old, ok := table[summaryKey(k)]; ok {
			if _, oldRev := store.KeyOf(&old); !store.Supersedes(rev, oldRev) {
				continue
			}
		}
		table[summaryKey(k)] = clone(rows[i])
	}
	return nil
}

// MatchTrace reports whether a summary row satisfies every set field of q
// (except Limit and Cursor). Backends can use it to check their own filters.
func MatchTrace(r *store.TraceSummary, q *store.TraceQuery) bool {
	if q.Repo != "" && r.Repo != q.Repo {
		return false
	}
	if !store.InRange(r.Start, q.From, q.To) {
		return false
	}
	if q.SessionID != "" && r.SessionID != q.SessionID {
		return false
	}
	if q.Name != "" && r.Name != q.Name {
		return false
	}
	for k, v := range q.Tags {
		if got, ok := r.Tags[k]; !ok || got != v {
			return false
		}
	}
	if q.Model != "" && !slices.Contains(r.Models, q.Model) {
		return false
	}
	if q.ErrorOnly && !r.Error {
		return false
	}
	if q.MinDuration > 0 && r.DurationMs < float64(q.MinDuration)/float64(time.Millisecond) {
		return false
	}
	if q.MinCost > 0 && !(r.Cost >= q.MinCost) {
		return false
	}
	if !q.MatchEval(store.FindVerdict(r.Evaluations, q.Eval)) {
		return false
	}
	if !q.InactiveBefore.IsZero() && !r.LastActivity.Before(q.InactiveBefore) {
		return false
	}
	return true
}

// SearchTraces returns matching rows newest start first (ties by id, also
// descending), or most expensive first (store.SortCost), one page at a
// time.
func (s *Store) SearchTraces(ctx context.Context, q store.TraceQuery) (store.TracePage, error) {
	if err := store.CheckSort(&q); err != nil {
		return store.TracePage{}, fmt.Errorf("memstore: %w", err)
	}
	rows, next, err := search(ctx, s, s.traces, q.Cursor, q.Limit, q.Sort,
		func(r *store.TraceSummary) bool { return MatchTrace(r, &q) },
		func(r *store.TraceSummary) rowOrder { return traceOrder(r, q.Sort) })
	for i := range rows {
		rows[i] = cloneTrace(rows[i])
		rows[i].Generations, rows[i].EvalRows = nil, nil // stored beside the row, not part of it
	}
	return store.TracePage{Traces: rows, NextCursor: next}, err
}

// SearchSessions returns matching sessions newest start first.
func (s *Store) SearchSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error) {
	rows, next, err := search(ctx, s, s.sessions, q.Cursor, q.Limit, store.SortStart,
		func(r *store.SessionSummary) bool {
			return (q.Repo == "" || r.Repo == q.Repo) && store.InRange(r.Start, q.From, q.To)
		},
		func(r *store.SessionSummary) rowOrder { return rowOrder{start: r.Start, id: r.SessionID} })
	for i := range rows {
		rows[i] = cloneSession(rows[i])
	}
	return store.SessionPage{Sessions: rows, NextCursor: next}, err
}

// search is the one page walk of both summary tables: the rows of table
// that match, in the page order (order), strictly after the cursor, at most
// store.PageLimit(limit) of them, and the cursor of the next page when
// there is one. The rows are the stored values: callers clone them.
func search[R store.SummaryRow](ctx context.Context, s *Store, table map[summaryKey]R, cursor string, limit int, sort store.TraceSort,
	match func(*R) bool, order func(*R) rowOrder) ([]R, string, error) {
	var after rowOrder
	if cursor != "" {
		var err error
		if after, err = decodeOrderCursor(cursor, sort); err != nil {
			return nil, "", err
		}
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return nil, "", err
	}
	defer unlock()
	var rows []R
	for _, r := range table {
		if match(&r) && (cursor == "" || after.before(order(&r))) {
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(a, b R) int { return order(&a).compare(order(&b)) })
	limit = store.PageLimit(limit)
	if len(rows) <= limit {
		return rows, "", nil
	}
	rows = rows[:limit]
	return rows, order(&rows[limit-1]).cursor(), nil
}

// Claim takes a claim (see store.Backend).
func (s *Store) Claim(ctx context.Context, repo, key, owner string, now, until time.Time) (bool, error) {
	unlock, err := s.write(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	k := summaryKey{repo, key}
	if c, ok := s.claims[k]; ok && c.owner != owner && c.until.After(now) {
		return false, nil
	}
	if s.claims == nil {
		s.claims = map[summaryKey]claim{}
	}
	s.claims[k] = claim{owner: owner, until: until}
	return true, nil
}

type claim struct {
	owner string
	until time.Time
}

// PutBlob stores a copy of b.
func (s *Store) PutBlob(ctx context.Context, repo, key string, b store.Blob) error {
	unlock, err := s.write(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	s.blobs[summaryKey{Repo: repo, ID: key}] = store.Blob{ContentType: b.ContentType, Data: slices.Clone(b.Data)}
	return nil
}

// GetBlob returns a copy of the blob or store.ErrNotFound.
func (s *Store) GetBlob(ctx context.Context, repo, key string) (store.Blob, error) {
	unlock, err := s.read(ctx)
	if err != nil {
		return store.Blob{}, err
	}
	defer unlock()
	b, ok := s.blobs[summaryKey{Repo: repo, ID: key}]
	if !ok {
		return store.Blob{}, fmt.Errorf("blob %s/%s: %w", repo, key, store.ErrNotFound)
	}
	return store.Blob{ContentType: b.ContentType, Data: slices.Clone(b.Data)}, nil
}

// ChangedSince returns change-log entries after position after.
func (s *Store) ChangedSince(ctx context.Context, after uint64, limit int) ([]commit.NodeRef, uint64, error) {
	unlock, err := s.read(ctx)
	if err != nil {
		return nil, after, err
	}
	defer unlock()
	limit = store.ChangeBatchLimit(limit)
	if after >= uint64(len(s.changes)) {
		return nil, after, nil
	}
	end := min(uint64(len(s.changes)), after+uint64(limit))
	return slices.Clone(s.changes[after:end]), end, nil
}

// IndexCheckpoint returns the stored checkpoint (0 initially).
func (s *Store) IndexCheckpoint(ctx context.Context) (uint64, error) {
	unlock, err := s.read(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	return s.checkpoint, nil
}

// SetIndexCheckpoint stores the checkpoint.
func (s *Store) SetIndexCheckpoint(ctx context.Context, pos uint64) error {
	unlock, err := s.write(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	s.checkpoint = pos
	return nil
}

// Delete removes nodes, their edges in both directions, the blobs they own
// (store.OwnedBy, with linked large logs) and the summary rows of traces and
// sessions among them.
func (s *Store) Delete(ctx context.Context, refs []commit.NodeRef) error {
	unlock, err := s.write(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	for _, r := range refs {
		delete(s.nodes, r)
		for c := range s.children[r] {
			delete(s.parents[c], r)
			if len(s.parents[c]) == 0 {
				delete(s.parents, c)
			}
		}
		delete(s.children, r)
		for p := range s.parents[r] {
			delete(s.children[p], r)
			if len(s.children[p]) == 0 {
				delete(s.children, p)
			}
		}
		delete(s.parents, r)
		for k := range s.blobs {
			if store.OwnedBy(r, k.Repo, k.ID) {
				if ll, ok := store.LinkedLargeLog(r, k.ID); ok {
					delete(s.blobs, summaryKey{Repo: ll.Repo, ID: ll.Name})
				}
				delete(s.blobs, k)
			}
		}
		switch r.Kind {
		case commit.EntityTrace:
			delete(s.traces, summaryKey{Repo: r.Repo, ID: r.ID})
		case commit.EntitySession:
			delete(s.sessions, summaryKey{Repo: r.Repo, ID: r.ID})
		}
	}
	return nil
}

// Close releases the maps; later calls return ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.nodes, s.children, s.parents = nil, nil, nil
	return nil
}

// Len returns the number of nodes and commits held (for benchmarks/tests).
func (s *Store) Len() (nodes, commits int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, set := range s.nodes {
		commits += len(set)
	}
	return len(s.nodes), commits
}

func cloneTrace(r store.TraceSummary) store.TraceSummary {
	r.Tags = cloneMap(r.Tags)
	if r.Counts != nil {
		c := make(map[string]int, len(r.Counts))
		for k, v := range r.Counts {
			c[k] = v
		}
		r.Counts = c
	}
	r.Models = slices.Clone(r.Models)
	r.Generations = slices.Clone(r.Generations)
	r.EvalRows = slices.Clone(r.EvalRows)
	r.Evaluations = slices.Clone(r.Evaluations)
	return r
}

func cloneSession(r store.SessionSummary) store.SessionSummary {
	r.Tags = cloneMap(r.Tags)
	return r
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// QueryStats is the reference answer: it scans the stored rows with
// generations (no rollups). Like the other backends' row scan, a query that
// rollups could not answer (filtered, or a sub-hour step) counts only
// traces that started at most store.StatsLookback before the range; an
// unfiltered hourly query counts every stored row, as a rollup does.
func (s *Store) QueryStats(ctx context.Context, q store.StatsQuery) (store.Stats, error) {
	plan, err := q.Plan()
	if err != nil {
		return store.Stats{}, err
	}
	tq := q.TraceQuery
	tq.InactiveBefore = time.Time{}
	tq.From, tq.To = time.Time{}, time.Time{}
	if !q.UsesRollups() {
		tq.From, tq.To = plan.ScanRange()
	}
	unlock, err := s.read(ctx)
	if err != nil {
		return store.Stats{}, err
	}
	defer unlock()
	sc := store.NewStatsScanner(&q, plan)
	for _, r := range s.traces {
		if MatchTrace(&r, &tq) {
			sc.Add(&r)
		}
	}
	return sc.Result(), nil
}
