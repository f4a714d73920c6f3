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

// childFields decodes the top-level keys of a commit's data (nil if the
// data is not an object).
func childFields(c *commit.Commit) map[string]json.RawMessage {
	if len(c.Data) == 0 || c.Data[0] != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(c.Data, &m) != nil {
		return nil
	}
	return m
}

// ChildRef returns the node an add-{span,generation,retrieval,tool-call,error}
// commit creates, or false for any other commit. The child id is data.id
// (a non-string id is used as its JSON text); Python's add-error carries
// none, so it gets SynthErrorID — the one place that id is made, shared by
// the edge and the fold.
func ChildRef(c *commit.Commit) (commit.NodeRef, bool) {
	kind, ok := childKinds[c.Action]
	if !ok {
		return commit.NodeRef{}, false
	}
	m := childFields(c)
	if m == nil {
		return commit.NodeRef{}, false
	}
	id := str(m["id"])
	if id == "" {
		if c.Action != commit.ActionAddError {
			return commit.NodeRef{}, false
		}
		id = SynthErrorID(c.EntityID, str(m["message"]), str(m["startTimestamp"]))
	}
	return commit.NodeRef{Repo: c.Repo, Kind: kind, ID: id}, true
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
//   - a create of a span/generation/retrieval/tool call carrying data.spanId
//     (Go's tool_call create): span → the node.
func EdgesOf(c *commit.Commit) []store.Edge {
	if child, ok := ChildRef(c); ok {
		return []store.Edge{{Parent: c.Node(), Child: child}}
	}
	switch {
	case c.Entity == commit.EntityTrace && (c.Action == commit.ActionCreate || c.Action == commit.ActionUpdate):
		if sid := str(childFields(c)["sessionId"]); sid != "" {
			return []store.Edge{{
				Parent: commit.NodeRef{Repo: c.Repo, Kind: commit.EntitySession, ID: sid},
				Child:  c.Node(),
			}}
		}
	case c.Action == commit.ActionCreate && isSpanChildKind(c.Entity):
		if sid := str(childFields(c)["spanId"]); sid != "" && sid != c.EntityID {
			return []store.Edge{{
				Parent: commit.NodeRef{Repo: c.Repo, Kind: commit.EntitySpan, ID: sid},
				Child:  c.Node(),
			}}
		}
	}
	return nil
}

// EdgesOfAll returns the edges of all commits, in commit order.
func EdgesOfAll(commits []commit.Commit) []store.Edge {
	var out []store.Edge
	for i := range commits {
		out = append(out, EdgesOf(&commits[i])...)
	}
	return out
}

func isSpanChildKind(k commit.Entity) bool {
	switch k {
	case commit.EntitySpan, commit.EntityGeneration, commit.EntityRetrieval, commit.EntityToolCall:
		return true
	}
	return false
}
