// Package commit is the public commit model of otelcol-genai.
//
// A commit is one idempotent mutation of one entity (session, trace, span,
// generation, …) keyed only by the entity id, exactly as Maxim's SDKs put it on
// the wire: `entity{id=…,action=…,data=…}`. Commits arrive in any order,
// duplicated, split across batches and processes; the server rebuilds the
// trace tree from the set of commits it holds (see internal/tree).
//
// Every commit carries two server-side fields assigned once, when it first
// enters the system, and never changed afterwards:
//
//   - Version: receive time in nanoseconds plus the line index, monotonic per
//     receiver. It orders commits for the last-writer-wins fold.
//   - ID: a hash of (repo, entity, entity id, action, data). A replayed batch
//     yields the same ids, so storing a commit twice is a no-op.
package commit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"
)

// OriginOTLP is the `origin` a trace carries when it was written from OTLP
// spans (pkg/spancommit): its spans already went down the OTLP pipeline, so
// the tracetree_feed receiver does not emit it again. SDK traces carry no
// origin.
const OriginOTLP = "otlp"

// Entity is the kind of node a commit mutates.
type Entity string

// Entities that appear on the wire (docs/protocol.md §2.2).
const (
	EntitySession    Entity = "session"
	EntityTrace      Entity = "trace"
	EntitySpan       Entity = "span"
	EntityGeneration Entity = "generation"
	EntityRetrieval  Entity = "retrieval"
	EntityToolCall   Entity = "tool_call"
	EntityError      Entity = "error"
	EntityStorage    Entity = "storage"
)

// Action is what a commit does to its entity.
type Action string

// Actions that appear on the wire (docs/protocol.md §5: 16 strings).
const (
	ActionCreate          Action = "create"
	ActionUpdate          Action = "update"
	ActionEnd             Action = "end"
	ActionAddSpan         Action = "add-span"
	ActionAddGeneration   Action = "add-generation"
	ActionAddRetrieval    Action = "add-retrieval"
	ActionAddToolCall     Action = "add-tool-call"
	ActionAddError        Action = "add-error"
	ActionAddEvent        Action = "add-event"
	ActionAddFeedback     Action = "add-feedback"
	ActionAddAttachment   Action = "add-attachment"
	ActionEvaluate        Action = "evaluate"
	ActionResult          Action = "result"
	ActionError           Action = "error"
	ActionAddCost         Action = "add-cost"
	ActionProcessLargeLog Action = "process-large-log"
)

// NodeRef names one node of the store: an entity kind and an entity id
// within a repository.
type NodeRef struct {
	Repo string `json:"repo"`
	Kind Entity `json:"kind"`
	ID   string `json:"id"`
}

// Commit is one mutation of one entity.
type Commit struct {
	// Repo is the log repository the commit belongs to (the `id` query
	// parameter of the SDK push, or the repo an API key is scoped to).
	Repo     string `json:"repo"`
	Entity   Entity `json:"entity"`
	EntityID string `json:"entityId"`
	Action   Action `json:"action"`
	// Data is the commit's JSON object as received, made valid JSON (Python
	// NaN/Infinity sanitized) but otherwise byte-for-byte what the SDK sent.
	Data json.RawMessage `json:"data"`
	// Version orders commits for the fold; assigned once on first entry.
	Version int64 `json:"version"`
	// ID is the content hash of the commit; see ComputeID.
	ID ID `json:"commitId"`
}

// Node returns the node this commit mutates.
func (c *Commit) Node() NodeRef {
	return NodeRef{Repo: c.Repo, Kind: c.Entity, ID: c.EntityID}
}

// ID is a commit id: the first 16 bytes of a SHA-256 over the commit's
// identifying content.
type ID [16]byte

// String returns the id as 32 lowercase hex characters.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether the id has not been computed.
func (id ID) IsZero() bool { return id == ID{} }

// MarshalText encodes the id as hex.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText decodes a hex id.
func (id *ID) UnmarshalText(b []byte) error {
	var out ID
	if _, err := hex.Decode(out[:], b); err != nil || hex.DecodedLen(len(b)) != len(out) {
		if err == nil {
			err = hex.ErrLength
		}
		return err
	}
	*id = out
	return nil
}

// ComputeID hashes (repo, entity, entity id, action, data). Each field is
// length-prefixed so that no two different tuples can share an encoding.
func ComputeID(repo string, entity Entity, entityID string, action Action, data []byte) ID {
	h := sha256.New()
	var n [8]byte
	for _, part := range [][]byte{[]byte(repo), []byte(entity), []byte(entityID), []byte(action), data} {
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	var id ID
	copy(id[:], h.Sum(nil))
	return id
}

// Seal computes the commit id from the commit's content.
func (c *Commit) Seal() {
	c.ID = ComputeID(c.Repo, c.Entity, c.EntityID, c.Action, c.Data)
}

// Less orders commits for the fold: by version, then by commit id, so the
// order is total and independent of arrival order.
func Less(a, b *Commit) bool {
	if a.Version != b.Version {
		return a.Version < b.Version
	}
	return string(a.ID[:]) < string(b.ID[:])
}

// Versioner assigns versions: receive time in nanoseconds, made strictly
// increasing per Versioner so that lines of one body keep their order and two
// bodies received in the same nanosecond never interleave.
type Versioner struct {
	mu   sync.Mutex
	last int64
	now  func() time.Time
}

// NewVersioner returns a Versioner reading the wall clock.
func NewVersioner() *Versioner { return &Versioner{now: time.Now} }

// NewVersionerClock returns a Versioner reading the given clock (tests,
// replays of captured traffic with a fixed time base).
func NewVersionerClock(now func() time.Time) *Versioner { return &Versioner{now: now} }

// Reserve returns the first of n consecutive versions; the caller gives line i
// the version first+i.
func (v *Versioner) Reserve(n int) int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now().UnixNano()
	if now <= v.last {
		now = v.last + 1
	}
	v.last = now + int64(n) - 1
	return now
}
