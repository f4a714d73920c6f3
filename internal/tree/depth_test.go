package tree_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// chain is a trace whose spans nest n deep below it.
func chain(n int) string {
	lines := []string{`trace{id=t,action=create,data={}}`, `trace{id=t,action=add-span,data={"id":"s0"}}`}
	for i := 1; i < n; i++ {
		lines = append(lines, fmt.Sprintf(`span{id=s%d,action=add-span,data={"id":"s%d"}}`, i-1, i))
	}
	return strings.Join(lines, "\n")
}

func ids(ns []*tree.TreeNode) string {
	var out []string
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return strings.Join(out, ",")
}

func TestLimitDepthFlattensBelowTheBound(t *testing.T) {
	st := load(t, chain(8)+"\n"+strings.Join([]string{
		`span{id=s3,action=add-span,data={"id":"b1","startTimestamp":"2026-01-01T00:00:09Z"}}`,
		`span{id=b1,action=add-span,data={"id":"b2"}}`,
	}, "\n"))
	tr := assembleT(t, st)
	if !tree.LimitDepth(tr.Root, 4) {
		t.Fatal("a tree 9 levels deep was not limited to 4")
	}
	n := tr.Root
	for level := 2; level <= 4; level++ {
		if len(n.Children) == 0 {
			t.Fatalf("level %d missing", level)
		}
		if level < 4 && len(n.Children) != 1 {
			t.Fatalf("level %d has %d children", level, len(n.Children))
		}
		n = n.Children[0]
	}
	// s2 is at level 4: its subtree, depth first, each node childless.
	if n.ID != "s2" || !n.Flattened {
		t.Fatalf("level 4 is %s (flattened %v)", n.ID, n.Flattened)
	}
	if got := ids(n.Children); got != "s3,b1,b2,s4,s5,s6,s7" { // b1 has a start time: before s4
		t.Errorf("flattened children %s", got)
	}
	for _, c := range n.Children {
		if len(c.Children) != 0 || c.Flattened {
			t.Errorf("%s keeps children or a mark", c.ID)
		}
	}
	if tr.Root.Totals.Counts["span"] != 10 {
		t.Errorf("totals changed: %v", tr.Root.Totals.Counts)
	}
	if tree.LimitDepth(tr.Root, 4) {
		t.Error("a limited tree changed again")
	}
}

// A chain of 6,000 spans is 12,000 JSON levels: encoding/json refuses it
// (the query API answered 500). Limited, it encodes.
func TestLimitDepthMakesDeepTreesEncodable(t *testing.T) {
	tr := assembleT(t, load(t, chain(6000)))
	if _, err := json.Marshal(tr); err == nil {
		t.Fatal("encoding/json encoded 12,000 levels: the bound may be moot")
	}
	tree.LimitDepth(tr.Root, tree.MaxNodeDepth)
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatalf("limited tree: %v", err)
	}
	if !strings.Contains(string(b), `"id":"s5999"`) || !strings.Contains(string(b), `"flattened":true`) {
		t.Error("the limited tree lost nodes or its mark")
	}
}

func assembleT(t *testing.T, st *memstore.Store) *tree.Trace {
	t.Helper()
	tr, err := tree.AssembleTrace(context.Background(), st, commit.NodeRef{Repo: "r", Kind: "trace", ID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
