// Package tree is the one merge implementation of otelcol-genai: the fold
// from a node's commit set to its materialized state (FoldNode), the edges a
// single commit implies (EdgesOf), the assembly of trace and session trees
// from any store.Reader (AssembleTrace, AssembleSession) and the summary
// rows the search index keeps (SummarizeTrace, SummarizeSession).
//
// Everything here is a pure function of commit sets, so any arrival order,
// duplication or batch split of the same commits gives byte-identical JSON.
package tree

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// childKinds maps the add-* actions that create a child node to the kind of
// that child. add-event, add-feedback, add-attachment and evaluate are not
// here: those are sub-records of the node that receives them.
var childKinds = map[commit.Action]commit.Entity{
	commit.ActionAddSpan:       commit.EntitySpan,
	commit.ActionAddGeneration: commit.EntityGeneration,
	commit.ActionAddRetrieval:  commit.EntityRetrieval,
	commit.ActionAddToolCall:   commit.EntityToolCall,
	commit.ActionAddError:      commit.EntityError,
}

// childFields is the part of a commit's data that names related nodes.
// Decoding into a struct skips (without allocating) every other key.
type childFields struct {
	ID             json.RawMessage `json:"id"`
	Message        json.RawMessage `json:"message"`
	StartTimestamp json.RawMessage `json:"startTimestamp"`
	SessionID      json.RawMessage `json:"sessionId"`
	SpanID         json.RawMessage `json:"spanId"`
	TraceID        json.RawMessage `json:"traceId"`
}

// fieldsOf decodes childFields (ok false if the data is not an object).
func fieldsOf(c *commit.Commit) (childFields, bool) { return fieldsOfData(c.Data) }

// fieldsOfData is json.Unmarshal into childFields without reflection: keys
// match field names case-insensitively (bytes.EqualFold, as encoding/json
// matches struct fields) and a repeated key's last value wins. It walks
// the members in place: Admit runs it on every commit that reaches the
// store, most of them kilobytes of messages of which it needs one id.
func fieldsOfData(data []byte) (childFields, bool) {
	var f childFields
	if len(data) == 0 || data[0] != '{' || !jsonscan.Valid(data) {
		return f, false
	}
	doc := unsafe.String(unsafe.SliceData(data), len(data)) // read only
	jsonscan.EachMember(doc, func(k, v string) bool {
		f.set(k, unsafe.Slice(unsafe.StringData(v), len(v)))
		return true
	})
	return f, true
}

// childRefObject is ChildRef that also returns the commit's data as the
// fold's object (what parseObject gives), decoded once for both.
func (a *arena) childRefObject(c *commit.Commit) (commit.NodeRef, object, bool) {
	if _, ok := childKinds[c.Action]; !ok {
		return commit.NodeRef{}, object{}, false
	}
	if len(c.Data) == 0 || c.Data[0] != '{' || !jsonscan.Valid(c.Data) {
		return commit.NodeRef{}, object{}, false // ChildRef: not an object
	}
	ms := a.rawMembers(c.Data)
	f := childFieldsOf(ms) // document order: the last of a repeated key wins
	r, ok := childRefOf(c, true, f.ID, f.Message, f.StartTimestamp)
	return r, object{Members: jsonscan.SortMembers(ms), OK: true}, ok
}

// childFieldsOf picks childFields out of an object's members in document
// order.
func childFieldsOf(ms []member) childFields {
	var f childFields
	for _, m := range ms {
		f.set(m.Key, m.Val)
	}
	return f
}

// set keeps val (a read-only view: callers only read it) when key names a
// field of f.
func (f *childFields) set(key string, val json.RawMessage) {
	var dst *json.RawMessage
	switch {
	case fieldIs(key, "id"):
		dst = &f.ID
	case fieldIs(key, "message"):
		dst = &f.Message
	case fieldIs(key, "startTimestamp"):
		dst = &f.StartTimestamp
	case fieldIs(key, "sessionId"):
		dst = &f.SessionID
	case fieldIs(key, "spanId"):
		dst = &f.SpanID
	case fieldIs(key, "traceId"):
		dst = &f.TraceID
	default:
		return
	}
	*dst = val
}

func fieldIs(key, name string) bool { return key == name || strings.EqualFold(key, name) }

// ChildRef returns the node an add-{span,generation,retrieval,tool-call,error}
// commit creates, or false for any other commit. The child id is data.id
// (a non-string id is used as its JSON text); Python's add-error carries
// none, so it gets SynthErrorID — the one place that id is made, shared by
// the edge and the fold.
func ChildRef(c *commit.Commit) (commit.NodeRef, bool) {
	if _, ok := childKinds[c.Action]; !ok {
		return commit.NodeRef{}, false
	}
	m, ok := fieldsOf(c)
	return childRefOf(c, ok, m.ID, m.Message, m.StartTimestamp)
}

// childRefOf names the child of a child-creating commit from its decoded
// id, message and startTimestamp; the one place the Python add-error id is
// synthesized (ChildRef and the fold both call it).
func childRefOf(c *commit.Commit, isObject bool, id, message, start json.RawMessage) (commit.NodeRef, bool) {
	kind, ok := childKinds[c.Action]
	if !ok || !isObject {
		return commit.NodeRef{}, false
	}
	cid := str(id)
	if cid == "" {
		if c.Action != commit.ActionAddError {
			return commit.NodeRef{}, false
		}
		cid = SynthErrorID(c.EntityID, str(message), str(start))
	}
	return commit.NodeRef{Repo: c.Repo, Kind: kind, ID: cid}, true
}

// SynthErrorID is the deterministic id of an error record sent without one
// (Python add-error): a hash of the parent id, the message and the start
// timestamp, so a replayed batch names the same error node.
func SynthErrorID(parentID, message, startTimestamp string) string {
	h := sha256.New()
	for _, s := range []string{parentID, message, startTimestamp} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "err-" + hex.EncodeToString(h.Sum(nil)[:12])
}

// EdgesOf returns the parent→child edges one commit implies:
//   - add-{span,generation,retrieval,tool-call,error} on any node: that node →
//     the child named in data.id;
//   - trace create/update with data.sessionId: session → trace. The session
//     view keeps only traces whose folded sessionId is still the session, so
//     a moved trace leaves its old session even though the old edge stays;
//   - a create of any other entity (session, trace and storage aside)
//     carrying data.spanId (Go's tool_call create): span → the node; or,
//     without spanId, data.traceId: trace → the node. This also hangs
//     entities this code does not know into the tree when they name their
//     parent, so they are surfaced rather than stranded.
func EdgesOf(c *commit.Commit) []store.Edge {
	if child, ok := ChildRef(c); ok {
		return []store.Edge{{Parent: c.Node(), Child: child}}
	}
	switch {
	case c.Entity == commit.EntityTrace && (c.Action == commit.ActionCreate || c.Action == commit.ActionUpdate):
		if sid := str(fieldOf(c).SessionID); sid != "" {
			return []store.Edge{{
				Parent: commit.NodeRef{Repo: c.Repo, Kind: commit.EntitySession, ID: sid},
				Child:  c.Node(),
			}}
		}
	case c.Action == commit.ActionCreate && namesItsParent(c.Entity):
		f := fieldOf(c)
		if sid := str(f.SpanID); sid != "" && (sid != c.EntityID || c.Entity != commit.EntitySpan) {
			return []store.Edge{{
				Parent: commit.NodeRef{Repo: c.Repo, Kind: commit.EntitySpan, ID: sid},
				Child:  c.Node(),
			}}
		}
		if tid := str(f.TraceID); tid != "" {
			return []store.Edge{{
				Parent: commit.NodeRef{Repo: c.Repo, Kind: commit.EntityTrace, ID: tid},
				Child:  c.Node(),
			}}
		}
	}
	return nil
}

// IsChildHolder reports whether child, a child of parent, is parent's child
// holder: the `span` of the same id under a generation, tool call or
// retrieval. An OTLP span names its parent by span id only, so its add-*
// goes on the `span` of that id whatever the parent became
// (pkg/spancommit); a parent that became another kind links that span as
// its holder. The assembly shows the holder's children as the parent's own
// and never the holder, so the tree is the same whether a child came in the
// batch of its parent or not. The SDKs never add a span to a generation,
// tool call or retrieval (docs/protocol.md §3), so no SDK node is taken for
// a holder.
func IsChildHolder(parent, child commit.NodeRef) bool {
	if child.Kind != commit.EntitySpan || child.ID != parent.ID || child.Repo != parent.Repo {
		return false
	}
	switch parent.Kind {
	case commit.EntityGeneration, commit.EntityToolCall, commit.EntityRetrieval:
		return true
	}
	return false
}

// CheckIDs reports why c must not be stored: its own id, or the id of a
// node one of its edges (EdgesOf) names, is not an entity id
// (commit.CheckID: 1 to 512 bytes of UTF-8 without control characters). A
// node with such an id could be written but never read back: the query API
// refuses the id. Every ingest path checks with it (the mxin receiver, to
// report the line's reason; the tracetree exporter, for every commit that
// reaches the store by any path).
func CheckIDs(c *commit.Commit) error {
	if err := commit.CheckID(c.EntityID); err != nil {
		return err
	}
	return checkEdgeIDs(c, EdgesOf(c))
}

func checkEdgeIDs(c *commit.Commit, edges []store.Edge) error {
	self := c.Node()
	for _, e := range edges {
		for _, n := range [...]commit.NodeRef{e.Parent, e.Child} {
			if n == self {
				continue
			}
			if err := commit.CheckID(n.ID); err != nil {
				return fmt.Errorf("data names a %s: %w", n.Kind, err)
			}
		}
	}
	return nil
}

// Admit returns the commits that pass CheckIDs with their edges (computed
// once), and an error per commit that does not, naming its entity and
// action.
func Admit(commits []commit.Commit) ([]commit.Commit, []store.Edge, error) {
	var edges []store.Edge
	var errs []error
	var kept []commit.Commit // nil until a commit is dropped
	for i := range commits {
		c := &commits[i]
		es := EdgesOf(c)
		err := commit.CheckID(c.EntityID)
		if err == nil {
			err = checkEdgeIDs(c, es)
		}
		if err != nil {
			if kept == nil {
				kept = append(make([]commit.Commit, 0, len(commits)-1), commits[:i]...)
			}
			errs = append(errs, fmt.Errorf("%s %s: %w", c.Entity, c.Action, err))
			continue
		}
		if kept != nil {
			kept = append(kept, *c)
		}
		edges = append(edges, es...)
	}
	if errs == nil {
		return commits, edges, nil
	}
	return kept, edges, errors.Join(errs...)
}

// EdgesOfAll returns the edges of all commits, in commit order.
func EdgesOfAll(commits []commit.Commit) []store.Edge {
	var out []store.Edge
	for i := range commits {
		out = append(out, EdgesOf(&commits[i])...)
	}
	return out
}

func namesItsParent(k commit.Entity) bool {
	switch k {
	case commit.EntitySession, commit.EntityTrace, commit.EntityStorage:
		return false
	}
	return true
}

func fieldOf(c *commit.Commit) childFields {
	f, _ := fieldsOf(c)
	return f
}
