package tree

import (
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Re-summarizing a trace whose only new commits are evaluations.
//
// Online evaluation writes its verdicts back as `evaluate` commits on the
// nodes it judged, a few seconds after the trace ended, and every one of
// them made the indexer assemble the whole trace again for its row: under
// SDK load with the evaluators of configs/evals.yaml that was a second
// assembly of almost every trace, about a tenth of the collector's CPU
// (issue 14). An evaluate commit changes nothing in the fold but its
// node's Evaluations (subrecords.go: it folds by its own key, from its own
// data), and implies no edge (EdgesOf), so the row changes only in what
// SummarizeTrace derives from evaluations and from the commit count and
// newest version.
//
// A SummaryBase is a summarized trace plus, for every node of its tree, a
// fingerprint of the node's commits without its evaluate commits ("core")
// and with them ("all"). Patch takes the current commit sets of the nodes
// that changed since; when every one of them is a node of the tree whose
// core is unchanged, it makes the row SummarizeTrace(AssembleTrace(...))
// would make — the same struct, Revision and EvalRows order included
// (TestPatchEqualsAssembly) — and otherwise reports false, and the caller
// assembles as before.
//
// Invariants:
//   - a node's commit set only grows between the base and the patch (the
//     store's set union; Delete is the exception, and whoever deletes must
//     drop its bases);
//   - the base's per-node sets are the sets the assembly folded (the
//     caller passes the reader the assembly read through);
//   - the trace's Start does not come from its newest version (a trace
//     with no start anywhere and no own commit), which evaluate commits
//     would move; NewSummaryBase refuses such a trace.

// SummaryBase is what Patch needs of a summarized trace. It holds no
// memory of the assembly: the row's strings are copied.
type SummaryBase struct {
	row         store.TraceSummary
	fingerprint uint64
	commits     int
	lastVersion int64
	// nodes are the tree's nodes in Walk order, the order of EvalRows;
	// byKey indexes them by nodeKey, sorted.
	nodes []baseNode
	byKey []int32
	// rowNode is the Walk position of the node of each row.EvalRows.
	rowNode []int32
}

type baseNode struct {
	key       uint64 // nodeKey(kind, id)
	core, all uint64 // XOR of CommitFingerprint: without / with evaluate commits
	commits   int32
}

// nodeKey names a node of one trace in a base. A collision could only pair
// a changed node with another node whose core fingerprint equals its
// own, which takes the same commits.
func nodeKey(kind commit.Entity, id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return h.Sum64()
}

// nodeSets returns a node's fingerprints and commit count.
func nodeSets(cs []commit.Commit) (core, all uint64, n int) {
	for i := range cs {
		fp := CommitFingerprint(cs[i].ID)
		all ^= fp
		if cs[i].Action != commit.ActionEvaluate {
			core ^= fp
		}
	}
	return core, all, len(cs)
}

// MaxBaseNodes bounds the trees NewSummaryBase takes: a patch looks each
// changed node up by key, and a huge tree's base would hold memory for a
// change that is rarely only evaluations.
const MaxBaseNodes = 4096

// NewSummaryBase makes the base of row, the SummarizeTrace of t. own
// returns the commit set the assembly folded for a node (false when it is
// not known, which refuses the base, as do a tree over MaxBaseNodes and a
// trace whose start would come from its newest version).
func NewSummaryBase(t *Trace, row *store.TraceSummary, own func(commit.NodeRef) ([]commit.Commit, bool)) (*SummaryBase, bool) {
	root := t.Root
	if root.start.IsZero() && root.FirstVersion == 0 && earliestStart(root).IsZero() {
		return nil, false
	}
	b := &SummaryBase{fingerprint: t.Fingerprint, commits: t.CommitCount, lastVersion: t.LastVersion}
	pos := map[*TreeNode]int32{}
	ok := true
	Walk(root, func(n *TreeNode) {
		if !ok {
			return
		}
		if len(b.nodes) == MaxBaseNodes {
			ok = false
			return
		}
		cs, known := own(commit.NodeRef{Repo: t.Repo, Kind: n.Kind, ID: n.ID})
		if !known {
			ok = false
			return
		}
		core, all, count := nodeSets(cs)
		pos[n] = int32(len(b.nodes))
		b.nodes = append(b.nodes, baseNode{key: nodeKey(n.Kind, n.ID), core: core, all: all, commits: int32(count)})
	})
	if !ok {
		return nil, false
	}
	b.index()
	// The rows were made in Walk order (evalRows): recover each one's node.
	Walk(root, func(n *TreeNode) {
		for i := range n.Evaluations {
			if n.Evaluations[i].With == EvaluationWithResult {
				b.rowNode = append(b.rowNode, pos[n])
			}
		}
	})
	if len(b.rowNode) != len(row.EvalRows) {
		return nil, false // not the row of t
	}
	b.row = detachRow(row)
	return b, true
}

func (b *SummaryBase) index() {
	b.byKey = make([]int32, len(b.nodes))
	for i := range b.byKey {
		b.byKey[i] = int32(i)
	}
	slices.SortFunc(b.byKey, func(x, y int32) int {
		kx, ky := b.nodes[x].key, b.nodes[y].key
		switch {
		case kx < ky:
			return -1
		case kx > ky:
			return 1
		}
		return 0
	})
}

// find returns the Walk position of the node with key k, or -1.
func (b *SummaryBase) find(k uint64) int32 {
	i, found := slices.BinarySearchFunc(b.byKey, k, func(x int32, k uint64) int {
		switch kx := b.nodes[x].key; {
		case kx < k:
			return -1
		case kx > k:
			return 1
		}
		return 0
	})
	if !found {
		return -1
	}
	return b.byKey[i]
}

// Fingerprint is the trace's Fingerprint at the base's state.
func (b *SummaryBase) Fingerprint() uint64 { return b.fingerprint }

// Revision is the Revision of the base's row.
func (b *SummaryBase) Revision() int64 { return b.row.Revision }

// Patch makes the trace's row from the current commit sets of the nodes
// changed since the base (every node of changed must be in the trace's
// tree) and moves the base to that state. It reports false, leaving the
// base as it was, when a changed node is not in the tree or gained
// anything but evaluate commits: then only an assembly makes the row.
// The row shares its unchanged slices and maps with the base; neither may
// be changed.
func (b *SummaryBase) Patch(changed map[commit.NodeRef][]commit.Commit, opts ...Option) (store.TraceSummary, bool) {
	nodes := slices.Clone(b.nodes)
	fp, commits, last := b.fingerprint, b.commits, b.lastVersion
	fresh := make(map[int32][]store.EvalRow, len(changed))
	positions := make([]int32, 0, len(changed))
	for ref, cs := range changed {
		pos := b.find(nodeKey(ref.Kind, ref.ID))
		if pos < 0 || ref.Repo != b.row.Repo {
			return store.TraceSummary{}, false
		}
		old := nodes[pos]
		core, all, n := nodeSets(cs)
		if core != old.core {
			return store.TraceSummary{}, false
		}
		fp ^= old.all ^ all
		commits += n - int(old.commits)
		nodes[pos] = baseNode{key: old.key, core: core, all: all, commits: int32(n)}
		var verdicts []commit.Commit
		for i := range cs {
			last = max(last, cs[i].Version)
			if cs[i].Action == commit.ActionEvaluate {
				verdicts = append(verdicts, cs[i])
			}
		}
		// The node's rows from its evaluate commits folded alone: the fold
		// keys evaluations by their own content, so the node's other
		// commits change nothing in them.
		folded := Fold(ref, verdicts, opts...)
		rows := nodeEvalRows(nil, &folded, b.row.Start)
		for i := range rows {
			rows[i].Evaluator, rows[i].NodeID = strings.Clone(rows[i].Evaluator), strings.Clone(rows[i].NodeID)
		}
		fresh[pos] = rows
		positions = append(positions, pos)
	}
	slices.Sort(positions)

	// The rows stay grouped by node in Walk order; a changed node's rows
	// are replaced by its fresh ones, in their place.
	old := b.row.EvalRows
	rows := make([]store.EvalRow, 0, len(old)+len(changed))
	rowNode := make([]int32, 0, cap(rows))
	i := 0
	for _, p := range positions {
		for ; i < len(old) && b.rowNode[i] < p; i++ {
			rows, rowNode = append(rows, old[i]), append(rowNode, b.rowNode[i])
		}
		for ; i < len(old) && b.rowNode[i] == p; i++ {
		}
		for _, r := range fresh[p] {
			rows, rowNode = append(rows, r), append(rowNode, p)
		}
	}
	for ; i < len(old); i++ {
		rows, rowNode = append(rows, old[i]), append(rowNode, b.rowNode[i])
	}

	if len(rows) == 0 {
		rows, rowNode = nil, nil // as evalRows leaves them
	}
	row := b.row
	row.LastActivity = time.Unix(0, last).UTC()
	row.Revision = last + int64(commits)
	row.EvalRows = rows
	row.Evaluations = store.Verdicts(rows) // the row's other fields are bounded already
	b.row, b.nodes, b.rowNode = row, nodes, rowNode
	b.fingerprint, b.commits, b.lastVersion = fp, commits, last
	return row, true
}

// Commits and LastVersion are the trace's CommitCount and LastVersion at
// the base's state.
func (b *SummaryBase) Commits() int       { return b.commits }
func (b *SummaryBase) LastVersion() int64 { return b.lastVersion }

// detachRow copies r so that it holds no string of the assembly (whose
// read chunks a held string would pin).
func detachRow(r *store.TraceSummary) store.TraceSummary {
	c := *r
	c.Repo, c.TraceID, c.Name, c.SessionID = strings.Clone(r.Repo), strings.Clone(r.TraceID), strings.Clone(r.Name), strings.Clone(r.SessionID)
	c.Counts = make(map[string]int, len(r.Counts))
	for k, v := range r.Counts {
		c.Counts[strings.Clone(k)] = v
	}
	if r.Tags != nil {
		c.Tags = make(map[string]string, len(r.Tags))
		for k, v := range r.Tags {
			c.Tags[strings.Clone(k)] = strings.Clone(v)
		}
	}
	c.Models = cloneStrings(r.Models)
	c.Evaluations = slices.Clone(r.Evaluations)
	for i := range c.Evaluations {
		e := &c.Evaluations[i]
		e.Evaluator = strings.Clone(e.Evaluator)
		if e.MinScore != nil {
			s := *e.MinScore
			e.MinScore = &s
		}
	}
	c.Generations = slices.Clone(r.Generations)
	for i := range c.Generations {
		g := &c.Generations[i]
		g.ID, g.Model = strings.Clone(g.ID), strings.Clone(g.Model)
	}
	c.EvalRows = slices.Clone(r.EvalRows)
	for i := range c.EvalRows {
		e := &c.EvalRows[i]
		e.Evaluator, e.NodeID = strings.Clone(e.Evaluator), strings.Clone(e.NodeID)
	}
	return c
}

func cloneStrings(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.Clone(s)
	}
	return out
}
