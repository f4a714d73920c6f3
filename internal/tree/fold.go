package tree

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// FoldNode folds a commit set into one node. The node is the one the
// ordinary (non add-*) commits name; if every commit is a child-creating
// add-*, it is the child they name. Use Fold when the node is known: a set
// holding only a node's own add-* commits is otherwise ambiguous.
func FoldNode(commits []commit.Commit, opts ...Option) Node {
	var ref commit.NodeRef
	found := false
	for i := range commits {
		if _, isAdd := childKinds[commits[i].Action]; !isAdd {
			ref, found = commits[i].Node(), true
			break
		}
	}
	if !found {
		for i := range commits {
			if r, ok := ChildRef(&commits[i]); ok {
				ref, found = r, true
				break
			}
		}
	}
	if !found && len(commits) > 0 {
		ref = commits[0].Node()
	}
	return Fold(ref, commits, opts...)
}

// Fold is the one fold: it materializes node ref from commits, which may
// hold the node's own commits and the add-* commits of its parents that
// create it (the "seeds": an add-generation carries the generation's model,
// messages and parameters). Commits naming other nodes are ignored. The
// input need not be sorted or deduplicated: commits are reduced to a set by
// commit id (lower version kept) and applied in commit.Less order.
//
// Scalars are last-writer-wins; tags, metadata and metrics merge per key;
// generation messages append in version order, the seeds' messages first;
// events, feedback, evaluations, attachments and errors are sets keyed by id
// or content hash.
func Fold(ref commit.NodeRef, commits []commit.Commit, opts ...Option) Node {
	ar := arenas.Get().(*arena)
	var n Node
	foldInto(ar, &n, ref, false, commits)
	priceNode(&n, newOptions(opts).prices, nil)
	ar.reset() // drop references to the commits before pooling
	arenas.Put(ar)
	return n
}

// arenas recycles the member buffers of Fold calls made outside assembly
// (which keeps one arena per goroutine itself): a pool, not shared state —
// an arena holds nothing between folds.
var arenas = sync.Pool{New: func() any { return &arena{} }}

// fold is Fold over several slices (no concatenation needed). With collect
// it also returns, per child, the node's own child-creating add-* commits
// (the children's seeds), read from the data it decodes anyway.
// It folds into *dst (a zero Node) so assembly can fold straight into the
// tree's nodes without copying a Node.
func foldInto(ar *arena, dst *Node, ref commit.NodeRef, collect bool, parts ...[]commit.Commit) map[commit.NodeRef][]commit.Commit {
	// Only the identity: *dst is zero, and assigning a whole Node (with
	// write barriers for all its pointer fields) cost more than the rest
	// of a small fold.
	dst.Kind, dst.ID = ref.Kind, ref.ID
	n := dst
	ar.reset() // the previous fold's scratch is dead (nodes keep clones)
	var list []foldItem
	if ar != nil {
		list = ar.items[:0]
	}
	for _, commits := range parts {
		for i := range commits {
			c := &commits[i]
			own := c.Node() == ref
			var seedObj object
			if !own {
				// ChildRef(c) == ref, decoding the data once for both the
				// test and the seed's fields.
				r, obj, ok := ar.childRefObject(c)
				if !ok || r != ref {
					continue
				}
				seedObj = obj
			}
			id := c.ID
			if id.IsZero() {
				id = commit.ComputeID(c.Repo, c.Entity, c.EntityID, c.Action, c.Data)
			}
			list = append(list, foldItem{c: c, id: id, seed: !own, obj: seedObj})
		}
	}
	// Apply order is commit.Less (version, then id). Sorting first makes
	// the first of equal ids the lowest version, the copy a set keeps.
	slices.SortFunc(list, func(a, b foldItem) int {
		if a.c.Version != b.c.Version {
			return cmp.Compare(a.c.Version, b.c.Version)
		}
		return bytes.Compare(a.id[:], b.id[:])
	})
	list = dedupeItems(list)
	if ar != nil {
		ar.items = list // the grown buffer, for the next fold
	}

	// The sub-record sets are made on first use: most nodes have none.
	f := folder{ar: ar, n: n}
	if collect {
		f.collect = true
		if ar != nil {
			f.seeds = ar.seeds[:0]
		}
	}
	// One pass in commit.Less order (last writer wins), but messages are
	// collected in two lists: the seeds' (the add-generation that creates a
	// generation holds its opening messages) come first whatever their
	// version, then update messages in version order.
	for _, it := range list {
		f.seeding = it.seed
		f.apply(it.c, it.id, it.seed, it.obj)
	}
	n.Messages = append(f.seedMsgs, f.updMsgs...)
	for _, it := range list {
		c := it.c
		n.CommitCount++
		if n.FirstVersion == 0 || c.Version < n.FirstVersion {
			n.FirstVersion = c.Version
		}
		if c.Version > n.LastVersion {
			n.LastVersion = c.Version
		}
	}
	f.finish()
	if len(f.seeds) > 0 {
		f.children = groupSeeds(f.seeds)
	}
	if ar != nil && f.seeds != nil {
		ar.seeds = f.seeds // the grown buffer, for the next fold
	}
	return f.children
}

// childSeed is one own child-creating commit of a fold and its child.
type childSeed struct {
	ref commit.NodeRef
	c   *commit.Commit
}

// groupSeeds groups seeds by child, in apply order. Most children have
// one seed, so every child's first seed comes from one slab: a span that
// creates a hundred generations made a hundred slices before.
func groupSeeds(seeds []childSeed) map[commit.NodeRef][]commit.Commit {
	out := make(map[commit.NodeRef][]commit.Commit, len(seeds))
	slab := make([]commit.Commit, len(seeds))
	k := 0
	for _, s := range seeds {
		if cs, ok := out[s.ref]; ok {
			out[s.ref] = append(cs, *s.c) // a second seed: rare
			continue
		}
		slab[k] = *s.c
		out[s.ref] = slab[k : k+1 : k+1]
		k++
	}
	return out
}

// dedupeItems keeps the first of each commit id in a sorted list: a
// quadratic scan for the few commits most nodes have, a set beyond that.
func dedupeItems(list []foldItem) []foldItem {
	out := list[:0]
	if len(list) <= 16 {
	next:
		for _, it := range list {
			for j := range out {
				if out[j].id == it.id {
					continue next
				}
			}
			out = append(out, it)
		}
		return out
	}
	seen := make(map[commit.ID]struct{}, len(list))
	for _, it := range list {
		if _, dup := seen[it.id]; dup {
			continue
		}
		seen[it.id] = struct{}{}
		out = append(out, it)
	}
	return out
}

// foldItem is one distinct commit of a fold with its id and whether it is
// a seed (a parent's add-* creating the node) rather than an own commit.
type foldItem struct {
	c    *commit.Commit
	id   commit.ID
	seed bool
	obj  object // a seed's decoded data
}

type folder struct {
	ar       *arena
	n        *Node
	events   map[string]*Event
	feedback map[string]*Feedback
	evals    map[string]*Evaluation
	attach   map[string]*Attachment
	errs     map[string]*ErrorRecord
	genai    map[string]*genaiEvent
	// children collects own child-creating commits by child when collect
	// is set (assembly), from seeds (those commits in apply order) once
	// they are all known; leaves have none.
	collect  bool
	children map[commit.NodeRef][]commit.Commit
	seeds    []childSeed
	// seeding is set while a seed is applied; its messages go to
	// seedMsgs, an own commit's to updMsgs.
	seeding           bool
	seedMsgs, updMsgs []RawJSON
}

func (f *folder) apply(c *commit.Commit, id commit.ID, isSeed bool, seedObj object) {
	if isSeed {
		// A seed's data was decoded when it was matched to the node.
		f.fields(seedObj, c.Version)
		return
	}
	var obj object
	if len(c.Data) > 0 && c.Data[0] == '{' {
		obj = f.ar.parseObject(c.Data)
	}
	switch c.Action {
	case commit.ActionCreate, commit.ActionUpdate, commit.ActionProcessLargeLog:
		f.fields(obj, c.Version)
	case commit.ActionEnd:
		f.n.Ended = true
		f.fields(obj, c.Version)
	case commit.ActionResult:
		f.result(obj.Get("result"), obj.Has("result"), c.Version)
	case commit.ActionError:
		f.errorFrom(obj.Get("error"), string(c.Action), c.Version)
	case commit.ActionAddEvent:
		f.event(obj, c)
	case commit.ActionAddFeedback:
		f.addFeedback(obj, c)
	case commit.ActionEvaluate:
		f.evaluate(obj, c)
	case commit.ActionAddAttachment:
		f.attachment(obj, c)
	case commit.ActionAddCost:
		if cost := f.ar.parseCost(obj.Get("cost")); cost != nil {
			f.setCost(cost, c.Version)
		} else {
			f.unknown(c, id, "add-cost without a cost object")
		}
	default:
		if _, isAdd := childKinds[c.Action]; isAdd {
			// An edge to a child, which folds this commit as its seed.
			if r, ok := childRefOf(c, obj.OK, obj.Get("id"), obj.Get("message"), obj.Get("startTimestamp")); ok {
				if f.collect {
					f.seeds = append(f.seeds, childSeed{ref: r, c: c})
				}
				return
			}
			f.unknown(c, id, "add without a child id")
			return
		}
		f.unknown(c, id, "unknown action")
	}
	if !obj.OK && !bytes.Equal(bytes.TrimSpace(c.Data), []byte("null")) && c.Action != commit.ActionEnd {
		switch c.Action {
		case commit.ActionCreate, commit.ActionUpdate, commit.ActionResult, commit.ActionError:
			f.unknown(c, id, "data is not a JSON object")
		}
	}
}

func (f *folder) addMessage(m RawJSON) {
	if f.seeding {
		f.seedMsgs = append(f.seedMsgs, m)
	} else {
		f.updMsgs = append(f.updMsgs, m)
	}
}

func (f *folder) unknown(c *commit.Commit, id commit.ID, reason string) {
	f.n.Unknown = append(f.n.Unknown, UnknownCommit{Action: c.Action, CommitID: id, Version: c.Version, Data: c.Data, Reason: reason})
}

// finish turns the keyed sets into ordered slices and derives durations.
func (f *folder) finish() {
	n := f.n
	if !n.start.IsZero() && !n.end.IsZero() {
		d := float64(n.end.Sub(n.start)) / float64(time.Millisecond)
		n.DurationMs = &d
	}
	for _, e := range f.errs {
		n.Errors = append(n.Errors, *e)
	}
	slices.SortFunc(n.Errors, func(a, b ErrorRecord) int {
		if a.version != b.version {
			return cmp.Compare(a.version, b.version)
		}
		return strings.Compare(a.Key, b.Key)
	})
	for _, e := range f.events {
		n.Events = append(n.Events, *e)
	}
	sortEvents(n.Events)
	for _, fb := range f.feedback {
		n.Feedback = append(n.Feedback, *fb)
	}
	slices.SortFunc(n.Feedback, func(a, b Feedback) int {
		if a.version != b.version {
			return cmp.Compare(a.version, b.version)
		}
		return strings.Compare(a.Key, b.Key)
	})
	for _, ev := range f.evals {
		n.Evaluations = append(n.Evaluations, *ev)
	}
	slices.SortFunc(n.Evaluations, func(a, b Evaluation) int {
		if c := a.ts.Compare(b.ts); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	for _, a := range f.attach {
		n.Attachments = append(n.Attachments, *a)
	}
	slices.SortFunc(n.Attachments, func(a, b Attachment) int { return strings.Compare(a.ID, b.ID) })
	f.combineGenAI()
}

// sortEvents orders events by (timestamp, id).
func sortEvents(evs []Event) {
	slices.SortFunc(evs, func(a, b Event) int {
		if c := a.ts.Compare(b.ts); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
