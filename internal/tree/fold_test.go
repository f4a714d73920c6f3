package tree

import (
	"testing"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

func lines(t *testing.T, body string) []commit.Commit {
	t.Helper()
	cs, errs := commit.ParseBody("r", []byte(body), commit.NewVersioner())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return cs
}

// The fold's rules are pinned one file per rule in testdata/fold
// (TestFoldRules); the test here checks the fold against the edge index.

func TestFoldSynthErrorSameAsEdge(t *testing.T) {
	cs := lines(t, `span{id=s,action=add-error,data={"startTimestamp": "2026-11-22T08:35:08.941910+00:00", "message": "boom", "code": "E1", "errorType": "x"}}`)
	edges := EdgesOf(&cs[0])
	if len(edges) != 1 {
		t.Fatal("no edge")
	}
	n := Fold(edges[0].Child, cs)
	if n.Kind != "error" || n.Message != "boom" || n.Code != "E1" || n.ErrorType != "x" || n.CommitCount != 1 {
		t.Errorf("error node not folded from its synthesized id: %+v", n)
	}
	if m := FoldNode(cs); m.ID != edges[0].Child.ID {
		t.Errorf("FoldNode of a lone add-error names %s, edge names %s", m.ID, edges[0].Child.ID)
	}
}
