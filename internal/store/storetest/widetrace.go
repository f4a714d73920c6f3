package storetest

import (
	"encoding/json"
	"fmt"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// WideTrace is the huge-agent-run dataset the tree read benchmarks share
// (pebblestore's BenchmarkAssembleTrace10k, the query API's handler
// benchmark): trace id under repo with spans spans of perSpan generations
// each, every node with its parent's add-* commit and a create or result
// commit of its own. 100 × 100 is a 10,101-node trace of 20,101 commits.
// Versions count up from 2 in the order returned.
func WideTrace(repo, id string, spans, perSpan int) []commit.Commit {
	v := int64(1)
	var cs []commit.Commit
	add := func(e commit.Entity, eid string, a commit.Action, data string) {
		v++
		c := commit.Commit{Repo: repo, Entity: e, EntityID: eid, Action: a, Data: json.RawMessage(data), Version: v}
		c.Seal()
		cs = append(cs, c)
	}
	add(commit.EntityTrace, id, commit.ActionCreate, `{"name":"big agent run","startTimestamp":"2026-11-22T12:00:00Z"}`)
	for i := range spans {
		sp := fmt.Sprintf("sp-%03d", i)
		add(commit.EntityTrace, id, commit.ActionAddSpan, fmt.Sprintf(`{"id":%q,"name":"step %d"}`, sp, i))
		for j := range perSpan {
			g := fmt.Sprintf("g-%03d-%03d", i, j)
			add(commit.EntitySpan, sp, commit.ActionAddGeneration, fmt.Sprintf(`{"id":%q,"model":"gpt-4o-mini","provider":"openai","messages":[{"role":"user","content":"hello number %d"}]}`, g, j))
			add(commit.EntityGeneration, g, commit.ActionResult, `{"result":{"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}}`)
		}
	}
	return cs
}
