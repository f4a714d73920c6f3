package tree

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TreeNode is a folded node with its children and the totals of its
// subtree (computed at read time, never stored or incremented).
type TreeNode struct {
	Node
	// PairedWith is set on the server half of a CLIENT/SERVER pair of one
	// model call (a gateway's SERVER span under the application's CLIENT
	// span): the id of the caller's node that recorded the same call. Its
	// usage and cost are shown but counted there (totals.go).
	PairedWith string      `json:"pairedWith,omitempty"`
	Totals     Totals      `json:"totals"`
	Children   []*TreeNode `json:"children,omitempty"`
	// Flattened marks a node at the depth bound whose children are its
	// whole subtree, depth first (LimitDepth).
	Flattened bool `json:"flattened,omitempty"`
}

// Totals aggregate a subtree, the node itself included. Tokens and cost
// sum the subtree's leaf model calls only (see totals): a generation whose
// subtree holds other model calls is an aggregate of them, shown with its
// own usage but never counted twice.
type Totals struct {
	InputTokens  int64   `json:"inputTokens"`
	OutputTokens int64   `json:"outputTokens"`
	TotalTokens  int64   `json:"totalTokens"`
	Cost         float64 `json:"cost"`
	// UnpricedGenerations counts the leaf model calls with usage but no
	// cost (no price known for their model), so a partial Cost is never
	// shown as a complete one.
	UnpricedGenerations int `json:"unpricedGenerations"`
	// modelCalls counts the leaf model calls summed into the totals.
	modelCalls int
	// Counts is the number of nodes by kind. Read-only: the leaves of one
	// kind in a tree share one map (sumTotals).
	Counts map[string]int `json:"counts"`
	// Errors counts error nodes plus error records on nodes.
	Errors int  `json:"errors"`
	Error  bool `json:"error"`
}

// Trace is a materialized trace tree: what the query API returns for
// GET trace. Its JSON is byte-stable for a given set of commits.
type Trace struct {
	Repo string    `json:"repo"`
	Root *TreeNode `json:"trace"`
	// CommitCount and LastVersion cover every commit of every node in the
	// tree; they make the summary's Revision and LastActivity.
	CommitCount int   `json:"commitCount"`
	LastVersion int64 `json:"lastVersion"`
	// Fingerprint identifies the tree's commit set: the XOR of the first
	// 8 bytes of every commit id, so it does not depend on read order, and
	// a reader that knows which commits it added can tell "only mine
	// changed" from any other change (the genai_eval engine).
	Fingerprint uint64 `json:"-"`
}

// Session is a materialized session: the session node and, as its
// children, the full trees of the traces whose folded sessionId is this
// session (a trace moved to another session leaves this one).
type Session struct {
	Repo        string    `json:"repo"`
	Root        *TreeNode `json:"session"`
	CommitCount int       `json:"commitCount"`
	LastVersion int64     `json:"lastVersion"`
}

// MaxNodes bounds an assembled tree so a hostile or runaway commit stream
// cannot make one read unbounded.
const MaxNodes = 1_000_000

// AssembleTrace reads and folds the tree under a trace, level by level: for
// each level one Commits and one Children call for all of its nodes. Nodes
// already placed are not visited again, so cycles and nodes added by two
// parents are safe (the first parent in (level, kind, id) order keeps it).
// It returns store.ErrNotFound when the trace has neither commits nor
// children.
func AssembleTrace(ctx context.Context, r store.Reader, ref commit.NodeRef, opts ...Option) (*Trace, error) {
	roots, stats, err := assemble(ctx, r, []commit.NodeRef{ref}, newOptions(opts))
	if err != nil {
		return nil, err
	}
	root := roots[ref]
	if root == nil {
		return nil, fmt.Errorf("trace %s/%s: %w", ref.Repo, ref.ID, store.ErrNotFound)
	}
	return &Trace{Repo: ref.Repo, Root: root, CommitCount: stats.commits, LastVersion: stats.lastVersion, Fingerprint: stats.fingerprint}, nil
}

// AssembleSession folds a session and the traces that belong to it.
// Candidate traces come from the session's edges (every trace that ever
// named it); only those whose folded sessionId is still this session stay.
func AssembleSession(ctx context.Context, r store.Reader, ref commit.NodeRef, opts ...Option) (*Session, error) {
	o := newOptions(opts)
	own, err := r.Commits(ctx, []commit.NodeRef{ref})
	if err != nil {
		return nil, fmt.Errorf("session %s: read commits: %w", ref.ID, err)
	}
	kids, err := r.Children(ctx, []commit.NodeRef{ref})
	if err != nil {
		return nil, fmt.Errorf("session %s: read children: %w", ref.ID, err)
	}
	var traceRefs []commit.NodeRef
	for _, k := range kids[ref] {
		if k.Kind == commit.EntityTrace {
			traceRefs = append(traceRefs, k)
		}
	}
	if len(own[ref]) == 0 && len(traceRefs) == 0 {
		return nil, fmt.Errorf("session %s/%s: %w", ref.Repo, ref.ID, store.ErrNotFound)
	}
	sn := &TreeNode{Node: Fold(ref, own[ref])}
	s := &Session{Repo: ref.Repo, Root: sn, CommitCount: sn.CommitCount, LastVersion: sn.LastVersion}
	if len(traceRefs) > 0 {
		roots, stats, err := assembleEach(ctx, r, traceRefs, o)
		if err != nil {
			return nil, err
		}
		for _, tr := range traceRefs {
			t := roots[tr]
			if t == nil || t.SessionID != ref.ID {
				continue
			}
			sn.Children = append(sn.Children, t)
			st := stats[tr]
			s.CommitCount += st.commits
			s.LastVersion = max(s.LastVersion, st.lastVersion)
		}
	}
	sortChildren(sn.Children)
	sn.Totals = totals(sn)
	return s, nil
}

type treeStats struct {
	commits     int
	lastVersion int64
	fingerprint uint64 // see Trace.Fingerprint
}

// rootState is what assembly learns about one root's tree while placing
// its nodes: each node points at its root's, so counting a node is a
// pointer write, not a lookup by ref.
type rootState struct {
	ref    commit.NodeRef
	stats  treeStats
	exists bool
}

// CommitFingerprint is one commit's share of Trace.Fingerprint.
func CommitFingerprint(id commit.ID) uint64 { return binary.LittleEndian.Uint64(id[:8]) }

// assemble builds the trees under roots, sharing the level-by-level reads.
func assemble(ctx context.Context, r store.Reader, roots []commit.NodeRef, o options) (map[commit.NodeRef]*TreeNode, treeStats, error) {
	out, stats, err := assembleEach(ctx, r, roots, o)
	var all treeStats
	for _, s := range stats {
		all.commits += s.commits
		all.lastVersion = max(all.lastVersion, s.lastVersion)
		all.fingerprint ^= s.fingerprint
	}
	return out, all, err
}

func assembleEach(ctx context.Context, r store.Reader, roots []commit.NodeRef, o options) (map[commit.NodeRef]*TreeNode, map[commit.NodeRef]treeStats, error) {
	type pending struct {
		node *TreeNode
		// into is the node that receives this node's children: node
		// itself, or for a child holder (IsChildHolder) the holder's
		// parent, the holder being folded only for its children's seeds
		// and never shown.
		into  *TreeNode
		ref   commit.NodeRef
		root  *rootState
		seeds []commit.Commit
	}
	placed := map[commit.NodeRef]*pending{}
	// placedRoom is how many entries placed was last sized for: a large
	// level that would outgrow it remakes the map at its final size once,
	// not by doubling through every size up to ten thousand nodes (small
	// levels grow it as usual).
	placedRoom := 0
	var level []*pending
	var rootStates []*rootState
	for _, ref := range roots {
		if _, dup := placed[ref]; dup {
			continue
		}
		rs := &rootState{ref: ref}
		rootStates = append(rootStates, rs)
		p := &pending{node: &TreeNode{}, ref: ref, root: rs}
		p.into = p.node
		placed[ref] = p
		level = append(level, p)
	}
	for len(level) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		refs := make([]commit.NodeRef, len(level))
		for i, p := range level {
			refs[i] = p.ref
		}
		// Folding is pure and per node, so a level's nodes fold while the
		// rest of the level is still being read; placement below stays
		// sequential in level order, which keeps the tree identical to a
		// sequential fold.
		lf := newLevelFolder(len(level))
		// A large level's children are read while its commits are read
		// and folded: the reads are independent, and on a 10,000-node
		// level each is milliseconds (issue 18).
		kidsOf := readChildren(ctx, r, refs, !lf.sync)
		// Node i's commits are taken out of its read's map once, into
		// own[i]: the split, the fold and the placement below all need
		// them, and a lookup by ref hashes three strings.
		own := make([][]commit.Commit, len(level))
		for start := 0; start < len(level); start += readChunk {
			end := min(start+readChunk, len(level))
			cs, err := r.Commits(ctx, refs[start:end])
			if err != nil {
				lf.wait()
				_, _ = kidsOf()
				return nil, nil, fmt.Errorf("assemble: read commits of %d nodes: %w", end-start, err)
			}
			for i := start; i < end; i++ {
				own[i] = cs[level[i].ref]
			}
			work := func(i int) int { return len(level[i].seeds) + len(own[i]) }
			lf.fold(start, end, work, func(ar *arena, refs *priceRefs, i int) map[commit.NodeRef][]commit.Commit {
				p := level[i]
				seeds := foldInto(ar, &p.node.Node, p.ref, true, p.seeds, own[i])
				// Priced here, on the fold's goroutine: a node's price
				// depends on the node alone, and pricing ten thousand
				// generations after assembly was a sequential tail.
				priceNode(&p.node.Node, o.prices, refs)
				return seeds
			})
		}
		kids, err := kidsOf()
		seedsOf := lf.wait()
		if err != nil {
			return nil, nil, fmt.Errorf("assemble: read children of %d nodes: %w", len(refs), err)
		}
		// The next level's nodes come from one slab (bounded, so a hostile
		// child list cannot make it huge) instead of one allocation each.
		// kidsAt[i] is node i's children, looked up once.
		kidsAt := make([][]commit.NodeRef, len(level))
		bound := 0
		for i, p := range level {
			kidsAt[i] = kids[p.ref]
			bound += len(kidsAt[i])
		}
		bound = min(bound, MaxNodes-len(placed)+1)
		if bound >= parallelMin && len(placed)+bound > 2*placedRoom {
			placedRoom = len(placed) + bound
			grown := make(map[commit.NodeRef]*pending, placedRoom)
			maps.Copy(grown, placed)
			placed = grown
		}
		nodeSlab, pendSlab := make([]TreeNode, bound), make([]pending, bound)
		var next []*pending
		for i, p := range level {
			cs := own[i]
			st := &p.root.stats
			st.commits += len(cs)
			for i := range cs {
				st.lastVersion = max(st.lastVersion, cs[i].Version)
				st.fingerprint ^= CommitFingerprint(cs[i].ID)
			}
			if len(cs) > 0 || len(kidsAt[i]) > 0 || len(p.seeds) > 0 {
				p.root.exists = true
			}
			for _, k := range kidsAt[i] {
				if k.Kind == commit.EntitySession {
					continue // sessions are parents of traces, never children
				}
				if _, seen := placed[k]; seen {
					continue
				}
				if len(placed) >= MaxNodes {
					return nil, nil, fmt.Errorf("assemble: tree under %s exceeds %d nodes", p.root.ref.ID, MaxNodes)
				}
				var c *pending
				if len(pendSlab) > 0 {
					c = &pendSlab[0]
					*c = pending{node: &nodeSlab[0], ref: k, root: p.root, seeds: seedsOf[i][k]}
					pendSlab, nodeSlab = pendSlab[1:], nodeSlab[1:]
				} else {
					c = &pending{node: &TreeNode{}, ref: k, root: p.root, seeds: seedsOf[i][k]}
				}
				placed[k] = c
				if IsChildHolder(p.ref, k) {
					c.into = p.into
				} else {
					c.into = c.node
					p.into.Children = append(p.into.Children, c.node)
				}
				next = append(next, c)
			}
		}
		level = next
	}
	out := make(map[commit.NodeRef]*TreeNode, len(roots))
	stats := make(map[commit.NodeRef]treeStats, len(rootStates))
	for _, rs := range rootStates {
		stats[rs.ref] = rs.stats
	}
	for _, ref := range roots {
		p := placed[ref]
		if p == nil || !p.root.exists {
			continue
		}
		finishTree(p.node)
		if ref.Kind == commit.EntityTrace {
			attachSpanEvents(p.node)
		}
		out[ref] = p.node
	}
	return out, stats, nil
}

// readChildren reads the children of refs, on its own goroutine when
// concurrent; the returned function waits for the answer.
func readChildren(ctx context.Context, r store.Reader, refs []commit.NodeRef, concurrent bool) func() (map[commit.NodeRef][]commit.NodeRef, error) {
	if !concurrent {
		return func() (map[commit.NodeRef][]commit.NodeRef, error) { return r.Children(ctx, refs) }
	}
	var kids map[commit.NodeRef][]commit.NodeRef
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		kids, err = r.Children(ctx, refs)
	}()
	return func() (map[commit.NodeRef][]commit.NodeRef, error) {
		<-done
		return kids, err
	}
}

// readChunk is how many nodes' commits one read asks for when a level is
// large: the fold of one chunk overlaps the read of the next.
const readChunk = 512

// parallelMin is the level size from which folds may run on goroutines,
// and parallelMinWork the number of commits a goroutine must have to fold:
// below either the goroutines cost more than they save. Work is counted in
// commits, not nodes, because a level of a hundred spans that each create
// a hundred generations folds ten thousand seeds (issue 18).
const (
	parallelMin     = 64
	parallelMinWork = 256
)

// levelFolder folds ranges of a level, on up to GOMAXPROCS goroutines
// for large levels. Results are indexed by position, so they do not
// depend on timing.
type levelFolder struct {
	out  []map[commit.NodeRef][]commit.Commit
	sync bool
	sem  chan struct{}
	wg   sync.WaitGroup
	// The synchronous path's scratch (pooled: the indexer and the feed
	// assemble thousands of small trees a second, and a new arena per
	// level regrew its buffers every time) and shared prices. Each
	// goroutine has its own, so a tree may hold a few equal PriceRefs.
	ar   *arena
	refs priceRefs
}

func newLevelFolder(n int) *levelFolder {
	lf := &levelFolder{out: make([]map[commit.NodeRef][]commit.Commit, n)}
	if n < parallelMin || runtime.GOMAXPROCS(0) == 1 {
		lf.sync, lf.ar = true, arenas.Get().(*arena)
	} else {
		lf.sem = make(chan struct{}, runtime.GOMAXPROCS(0))
	}
	return lf
}

// fold runs fn for start..end-1 (now, or on goroutines). work(i) is node
// i's number of commits: the range is split into parts of equal work, so
// one read's worth of nodes uses every core however the commits are spread.
func (lf *levelFolder) fold(start, end int, work func(i int) int, fn func(ar *arena, refs *priceRefs, i int) map[commit.NodeRef][]commit.Commit) {
	if lf.sync {
		for i := start; i < end; i++ {
			lf.out[i] = fn(lf.ar, &lf.refs, i)
		}
		return
	}
	total := 0
	for i := start; i < end; i++ {
		total += work(i) + 1 // +1: a node without commits still costs a fold
	}
	parts := max(1, min(cap(lf.sem), total/parallelMinWork))
	share := (total + parts - 1) / parts
	for s := start; s < end; {
		e, w := s, 0
		for e < end && (w < share || e == s) {
			w += work(e) + 1
			e++
		}
		lf.wg.Add(1)
		go func(s, e int) {
			defer lf.wg.Done()
			// Acquired inside, so the reader never waits for a fold.
			lf.sem <- struct{}{}
			defer func() { <-lf.sem }()
			ar := arenas.Get().(*arena)
			var refs priceRefs
			for i := s; i < e; i++ {
				lf.out[i] = fn(ar, &refs, i)
			}
			ar.reset()
			arenas.Put(ar)
		}(s, e)
		s = e
	}
}

// wait returns the child seeds of every node once all folds are done.
// The synchronous path's arena goes back to the pool.
func (lf *levelFolder) wait() []map[commit.NodeRef][]commit.Commit {
	lf.wg.Wait()
	if lf.ar != nil {
		lf.ar.reset()
		arenas.Put(lf.ar)
		lf.ar = nil
	}
	return lf.out
}

// attachSpanEvents moves the trace's events that name a span (data.spanId:
// OTLP log records linked to a span, pkg/spancommit.FromLogEvents) onto the
// node of that span id, whatever its kind; an event whose span is not in
// the tree (not arrived yet, or lost) stays on the trace. The log record
// knows only the trace and span ids, not the kind of node the span became,
// so the trace holds the commit and the assembled tree places it.
func attachSpanEvents(root *TreeNode) {
	if len(root.Events) == 0 {
		return
	}
	var byID map[string]*TreeNode
	moved := map[*TreeNode]bool{}
	keep := root.Events[:0:0]
	for _, ev := range root.Events {
		sid := str(ev.Extra["spanId"])
		if sid == "" {
			keep = append(keep, ev)
			continue
		}
		if byID == nil {
			byID = map[string]*TreeNode{}
			for _, c := range root.Children {
				Walk(c, func(n *TreeNode) {
					if _, seen := byID[n.ID]; !seen {
						byID[n.ID] = n // the first in tree order
					}
				})
			}
		}
		n := byID[sid]
		if n == nil {
			keep = append(keep, ev)
			continue
		}
		n.Events = append(n.Events, ev)
		moved[n] = true
	}
	root.Events = keep
	for n := range moved {
		sortEvents(n.Events)
	}
}

// sortChildren orders children by (start time, kind, id); children without
// a parsable start time go last.
func sortChildren(cs []*TreeNode) {
	if len(cs) < 2 {
		return
	}
	slices.SortFunc(cs, func(a, b *TreeNode) int {
		az, bz := a.start.IsZero(), b.start.IsZero()
		if az != bz {
			if bz {
				return -1
			}
			return 1
		}
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		if a.Kind != b.Kind {
			return strings.Compare(string(a.Kind), string(b.Kind))
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// Walk calls fn for n and every descendant, depth first, parents first.
func Walk(n *TreeNode, fn func(*TreeNode)) {
	fn(n)
	for _, c := range n.Children {
		Walk(c, fn)
	}
}

// SummarizeTrace makes the search-index row of a trace.
func SummarizeTrace(t *Trace) store.TraceSummary {
	root := t.Root
	s := store.TraceSummary{
		Repo:                t.Repo,
		TraceID:             root.ID,
		Name:                root.Name,
		SessionID:           root.SessionID,
		InputTokens:         root.Totals.InputTokens,
		OutputTokens:        root.Totals.OutputTokens,
		TotalTokens:         root.Totals.TotalTokens,
		Cost:                root.Totals.Cost,
		UnpricedGenerations: root.Totals.UnpricedGenerations,
		Counts:              copyCounts(root.Totals.Counts),
		Error:               root.Totals.Error,
		Tags:                copyTags(root.Tags),
		LastActivity:        time.Unix(0, t.LastVersion).UTC(),
		Revision:            t.LastVersion + int64(t.CommitCount),
	}
	s.Start, s.End = span(root, t.LastVersion)
	if !s.End.IsZero() && !s.Start.IsZero() {
		s.DurationMs = float64(s.End.Sub(s.Start)) / float64(time.Millisecond)
	}
	models := map[string]bool{}
	Walk(root, func(n *TreeNode) {
		if n.Model != "" {
			models[n.Model] = true
		}
	})
	for m := range models {
		s.Models = append(s.Models, m)
	}
	sort.Strings(s.Models)
	s.Generations = generationRows(root, s.Start)
	s.EvalRows = evalRows(root, s.Start)
	s.Evaluations = store.Verdicts(s.EvalRows)
	s.Bound()
	return s
}

// evalRows lists the verdicts (evaluations with "result") on every node of
// the trace, in tree order. A verdict without a timestamp takes the trace's
// start as its evaluation time.
func evalRows(root *TreeNode, traceStart time.Time) []store.EvalRow {
	var out []store.EvalRow
	Walk(root, func(n *TreeNode) {
		for i := range n.Evaluations {
			ev := &n.Evaluations[i]
			if ev.With != EvaluationWithResult {
				continue
			}
			r := store.EvalRow{Evaluator: ev.Evaluator, NodeID: n.ID, Time: ev.ts}
			if r.Time.IsZero() {
				r.Time = traceStart
			}
			if ev.Score != nil {
				r.Score, r.HasScore = *ev.Score, true
			}
			if ev.Pass != nil {
				r.Pass, r.HasPass = *ev.Pass, true
			}
			out = append(out, r)
		}
	})
	return out
}

// generationRows lists the trace's model calls for the stats: every
// generation, and every leaf model call (the nodes totals() sums), in
// tree order. A call without a start of its own takes the trace's.
func generationRows(root *TreeNode, traceStart time.Time) []store.GenerationRow {
	var out []store.GenerationRow
	Walk(root, func(n *TreeNode) {
		gen := n.Kind == commit.EntityGeneration
		// A leaf model call is a node whose own numbers totals() counts:
		// it has usage or cost and no model call below it.
		leaf := countsOwn(n)
		if !gen && !leaf {
			return
		}
		r := store.GenerationRow{ID: n.ID, Start: n.start, Model: n.Model, Generation: gen, Leaf: leaf,
			DurationMs: -1, Error: n.Totals.Error}
		if r.Start.IsZero() {
			r.Start = traceStart
		}
		if n.Completion != nil && n.Completion.Model != "" {
			r.Model = n.Completion.Model
		}
		if n.DurationMs != nil && *n.DurationMs >= 0 {
			r.DurationMs = *n.DurationMs
		}
		if leaf {
			if n.Usage != nil {
				r.InputTokens, r.OutputTokens = n.Usage.InputTokens, n.Usage.OutputTokens
			}
			if n.Cost != nil {
				r.Cost = n.Cost.Total
			}
			r.Unpriced = unpriced(&n.Node)
		}
		out = append(out, r)
	})
	return out
}

// span returns a root's start (its own, else the earliest start below it,
// else the newest commit time so the row still sorts) and its end (its own
// end timestamp, only once it has ended).
func span(root *TreeNode, lastVersion int64) (start, end time.Time) {
	return spanWith(root, earliestStart(root), lastVersion)
}

// earliestStart is the earliest start of n or any node below it (zero if
// none has one).
func earliestStart(n *TreeNode) time.Time {
	var start time.Time
	Walk(n, func(n *TreeNode) {
		if !n.start.IsZero() && (start.IsZero() || n.start.Before(start)) {
			start = n.start
		}
	})
	return start
}

// spanWith is span with the earliest start below root already known.
func spanWith(root *TreeNode, earliest time.Time, lastVersion int64) (start, end time.Time) {
	start = root.start
	if start.IsZero() {
		start = earliest
	}
	if start.IsZero() {
		start = time.Unix(0, root.FirstVersion).UTC()
		if root.FirstVersion == 0 {
			start = time.Unix(0, lastVersion).UTC()
		}
	}
	if root.Ended || !root.end.IsZero() {
		end = root.end
	}
	return start, end
}

func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
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
