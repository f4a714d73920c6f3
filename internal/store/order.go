package store

import (
	"cmp"
	"slices"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// CompareNodes is the one order of node refs in the contract: Children and
// Parents return refs sorted by it, on every backend. It orders by kind,
// then id (the Reader contract's "(kind, id)"), then repository: edges
// cross repositories only in theory, but a total order must still say
// where they go.
//
// Strings compare as Go strings (bytes), never by a database collation, so
// the order does not depend on where a backend runs.
//
// Backends may use any order internally (key order, lock order); they use
// this one as well for those when they need one, so there is a single
// comparator to read.
func CompareNodes(a, b commit.NodeRef) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Repo, b.Repo))
}

// SortNodes sorts refs by CompareNodes.
func SortNodes(refs []commit.NodeRef) { slices.SortFunc(refs, CompareNodes) }

// CompareEdges orders edges by parent, then child, each by CompareNodes.
func CompareEdges(a, b Edge) int {
	return cmp.Or(CompareNodes(a.Parent, b.Parent), CompareNodes(a.Child, b.Child))
}
