package tree

import "github.com/otelcol-genai/otelcol-genai/internal/jsonscan"

// arena is the per-goroutine scratch of the fold: the jsonscan.Arena its
// decoders (parseUsage, parseCost, modelParams, …, its methods) take their
// member slices from, and the list of a fold's commits. A fold's scratch is
// dead when the next fold on the arena starts (the node keeps clones), so
// assembling a level allocates these once per goroutine, not per node. The
// nil arena stays usable: it allocates per object.
type arena struct {
	js    jsonscan.Arena
	items []foldItem
	// choices is the buffer of a result's decoded choices (fastChoices),
	// seeds of a fold's child-creating commits (foldInto).
	choices []choice
	seeds   []childSeed
	// strs interns the values of fields that repeat from node to node
	// (model, provider, span kind, finish reason: see word), keyed by
	// their JSON text. It outlives folds, bounded by internMax entries;
	// strings are immutable, so nodes may share them.
	strs map[string]string
}

// internMax bounds an arena's interned strings (and internLen their JSON
// text): enough for the models and providers of any trace.
const (
	internMax = 512
	internLen = 66
)

// word is str(v) for a field whose values repeat across a tree's nodes:
// after the first time, the string is the arena's, not a new allocation
// per node.
func (a *arena) word(v []byte) string {
	if a == nil || len(v) < 2 || len(v) > internLen || v[0] != '"' {
		return str(v)
	}
	if s, ok := a.strs[string(v)]; ok {
		return s
	}
	s := str(v)
	if len(a.strs) < internMax {
		if a.strs == nil {
			a.strs = make(map[string]string)
		}
		a.strs[string(v)] = s
	}
	return s
}

type (
	object = jsonscan.Object
	member = jsonscan.Member
)

func (a *arena) scan() *jsonscan.Arena {
	if a == nil {
		return nil
	}
	return &a.js
}

func (a *arena) reset() {
	if a != nil {
		a.js.Reset()
		clear(a.items) // drop references to the previous fold's commits
		a.items = a.items[:0]
		// To its capacity: a fast decode that gave up midway wrote past
		// the buffer's length.
		clear(a.choices[:cap(a.choices)])
		a.choices = a.choices[:0]
		clear(a.seeds)
		a.seeds = a.seeds[:0]
	}
}

func (a *arena) parseObject(data []byte) object { return a.scan().ParseObject(data) }

func (a *arena) subObject(v []byte) object { return a.scan().SubObject(v) }

func (a *arena) rawMembers(v []byte) []member { return a.scan().RawMembers(v) }
