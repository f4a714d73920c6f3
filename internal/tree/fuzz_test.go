package tree_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// FuzzFold feeds arbitrary bodies through parse → memstore → assembly and
// checks that nothing panics, the result marshals, and that applying the
// same commits in reverse, one per batch, gives byte-identical JSON for
// every trace and session named in the body.
func FuzzFold(f *testing.F) {
	for _, name := range []string{"maxim-py-push-1.txt", "maxim-py-push-2.txt"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("trace{id=t,action=create,data={\"sessionId\":\"s\"}}\ntrace{id=t,action=add-span,data={\"id\":\"t\"}}\nspan{id=t,action=add-span,data={\"id\":\"x\"}}\nspan{id=x,action=add-span,data={\"id\":\"t\"}}"))
	f.Add([]byte("generation{id=g,action=result,data={\"result\":{\"usage\":{\"prompt_tokens\":\"7\"},\"choices\":[{\"message\":null},{\"text\":null}],\"cost\":5}}}\ntrace{id=t,action=add-generation,data={\"id\":\"g\",\"startTimestamp\":1735689600123}}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		cs, _ := commit.ParseBody("r", body, commit.NewVersioner())
		if len(cs) == 0 || len(cs) > 200 {
			return
		}
		ctx := context.Background()
		fwd, rev := memstore.New(), memstore.New()
		if err := fwd.Apply(ctx, cs, tree.EdgesOfAll(cs)); err != nil {
			t.Fatal(err)
		}
		for i := len(cs) - 1; i >= 0; i-- {
			one := cs[i : i+1]
			if err := rev.Apply(ctx, one, tree.EdgesOfAll(one)); err != nil {
				t.Fatal(err)
			}
		}
		roots := map[commit.NodeRef]bool{}
		for i := range cs {
			ref := cs[i].Node()
			if ref.Kind == commit.EntityTrace || ref.Kind == commit.EntitySession {
				roots[ref] = true
			}
			_ = tree.FoldNode(cs[i : i+1]) // any single commit folds
		}
		for ref := range roots {
			a, b := render(t, fwd, ref), render(t, rev, ref)
			if !bytes.Equal(a, b) {
				t.Fatalf("%v: order-dependent result\n fwd: %s\n rev: %s", ref, a, b)
			}
		}
	})
}

func render(t *testing.T, st *memstore.Store, ref commit.NodeRef) []byte {
	ctx := context.Background()
	var v any
	var err error
	if ref.Kind == commit.EntityTrace {
		var tr *tree.Trace
		tr, err = tree.AssembleTrace(ctx, st, ref)
		if err == nil {
			v = []any{tr, tree.SummarizeTrace(tr)}
		}
	} else {
		var s *tree.Session
		s, err = tree.AssembleSession(ctx, st, ref)
		if err == nil {
			v = []any{s, tree.SummarizeSession(s)}
		}
	}
	if err != nil {
		t.Fatalf("assemble %v: %v", ref, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %v: %v", ref, err)
	}
	return b
}
