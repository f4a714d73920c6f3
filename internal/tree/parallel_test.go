package tree_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestParallelFoldIsDeterministic assembles a trace whose levels are large
// enough to be folded on several goroutines and checks the JSON is
// byte-identical to the sequential fold (GOMAXPROCS=1), and stays so over
// repeated runs. The work is uneven (one span creates 400 generations, the
// others 3), so the level is split by commits, not nodes, and a third of
// the generations are priced on the fold goroutines.
func TestParallelFoldIsDeterministic(t *testing.T) {
	var sb strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&sb, format, a...); sb.WriteByte('\n') }
	w(`trace{id=p,action=create,data={"name":"p","startTimestamp":"2026-11-22T08:00:00Z"}}`)
	for s := 0; s < 300; s++ {
		// Equal start times for some siblings: order falls to (kind, id).
		w(`trace{id=p,action=add-span,data={"id":"s%d","name":"n%d","startTimestamp":"2026-11-22T08:00:%02dZ"}}`, s, s, s%7)
		gens := 3
		if s == 17 {
			gens = 400
		}
		for k := 0; k < gens; k++ {
			model := fmt.Sprintf("m%d", k%3) // unknown: unpriced
			if k%3 == 0 {
				model = "gpt-4o-mini"
			}
			w(`span{id=s%d,action=add-generation,data={"id":"g%d-%d","model":%q,"provider":"openai","messages":[{"role":"user","content":"q %d"}]}}`, s, s, k, model, s)
			w(`generation{id=g%d-%d,action=result,data={"result":{"object":"chat.completion","choices":[{"message":{"content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":1}}}}`, s, k, s)
		}
		// A child shared by two parents: the first placed parent keeps it.
		w(`span{id=s%d,action=add-tool-call,data={"id":"shared%d","name":"t"}}`, s, s/2)
	}
	cs, errs := commit.ParseBody("r", []byte(sb.String()), commit.NewVersioner())
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	st := memstore.New()
	if err := st.Apply(context.Background(), cs, tree.EdgesOfAll(cs)); err != nil {
		t.Fatal(err)
	}
	ref := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "p"}
	assemble := func() []byte {
		tr, err := tree.AssembleTrace(context.Background(), st, ref)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	prev := runtime.GOMAXPROCS(1)
	seq := assemble()
	runtime.GOMAXPROCS(4)
	defer runtime.GOMAXPROCS(prev)
	for i := 0; i < 5; i++ {
		if par := assemble(); !bytes.Equal(par, seq) {
			t.Fatalf("run %d: parallel fold differs from sequential (%d vs %d bytes)", i, len(par), len(seq))
		}
	}
	var tr tree.Trace
	if err := json.Unmarshal(seq, &tr); err != nil {
		t.Fatal(err)
	}
	if got := len(tr.Root.Children); got != 300 {
		t.Fatalf("%d spans under the trace, want 300", got)
	}
	if got := tr.Root.Totals.Counts["tool_call"]; got != 150 {
		t.Fatalf("%d shared tool calls placed, want 150 (each once)", got)
	}
	const gens = 299*3 + 400
	if got := tr.Root.Totals.Counts["generation"]; got != gens {
		t.Fatalf("%d generations, want %d", got, gens)
	}
	// Every third generation is gpt-4o-mini, the others unknown models.
	if got, want := tr.Root.Totals.UnpricedGenerations, 299*2+266; got != want || tr.Root.Totals.Cost <= 0 {
		t.Fatalf("cost %v with %d unpriced generations, want a cost and %d unpriced", tr.Root.Totals.Cost, got, want)
	}
}
