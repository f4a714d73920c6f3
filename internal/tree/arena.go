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
	}
}

func (a *arena) parseObject(data []byte) object { return a.scan().ParseObject(data) }

func (a *arena) subObject(v []byte) object { return a.scan().SubObject(v) }

func (a *arena) rawMembers(v []byte) []member { return a.scan().RawMembers(v) }
