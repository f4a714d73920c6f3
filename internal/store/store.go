// Package store defines what a trace-tree backend must do. Backends
// (memstore, pebblestore, pgstore) persist commit sets and the edges derived
// from them; everything a reader sees is computed from those sets by the one
// fold in internal/tree. The conformance suite in storetest holds every
// backend to the same behaviour.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// ErrNotFound is returned when a requested node, trace or session is unknown.
var ErrNotFound = errors.New("not found")

// Edge links a parent node to a child node. Edges are derived from a single
// commit (commit.Edges), so a backend records them on write without reading.
type Edge struct {
	Parent commit.NodeRef
	Child  commit.NodeRef
}

// Backend is the persistence contract. It knows nothing of the fold: it
// stores sets of commits keyed by node, plus edges, plus whatever index rows
// the shared indexer hands it.
type Backend interface {
	// Apply adds each commit to its node's commit set (set union by commit
	// id, keeping the lower version) and records the edges the commits
	// imply. When Apply returns nil the commits are durable. Applying a
	// commit the backend already holds is a no-op.
	Apply(ctx context.Context, commits []commit.Commit) error

	// Commits returns the commit sets of the given nodes, each sorted by
	// commit.Less. Nodes without commits are absent from the map.
	Commits(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.Commit, error)

	// Children returns, for each given node, the children recorded by edges.
	Children(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.NodeRef, error)

	// Parents returns the nodes that have an edge to ref.
	Parents(ctx context.Context, ref commit.NodeRef) ([]commit.NodeRef, error)

	// Close releases the backend's resources.
	Close() error
}

// Change tells subscribers that nodes changed; the live feed resolves them to
// traces and sessions.
type Change struct {
	Nodes []commit.NodeRef
	At    time.Time
}
