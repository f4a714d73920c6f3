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

// bigTrace stores a trace of 1 + spans*(1+perSpan) nodes: spans under the
// trace, each with generations (result with usage) and tool calls.
func bigTrace(b testing.TB, spans, perSpan int) (*memstore.Store, commit.NodeRef, int) {
	var sb strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&sb, format, a...); sb.WriteByte('\n') }
	w(`trace{id=big,action=create,data={"name":"big","startTimestamp":"2026-11-22T08:00:00Z"}}`)
	for s := 0; s < spans; s++ {
		w(`trace{id=big,action=add-span,data={"id":"s%d","name":"step","startTimestamp":"2026-11-22T08:00:%02d.%03dZ"}}`, s, s%60, s%1000)
		for k := 0; k < perSpan; k++ {
			if k%2 == 0 {
				w(`span{id=s%d,action=add-generation,data={"id":"g%d-%d","model":"gpt-4o-mini","provider":"openai","messages":[{"role":"user","content":"q"}],"modelParameters":{"temperature":0.2},"startTimestamp":"2026-11-22T08:01:00Z"}}`, s, s, k)
				w(`generation{id=g%d-%d,action=result,data={"result":{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}}}`, s, k)
				w(`generation{id=g%d-%d,action=end,data={"endTimestamp":"2026-11-22T08:01:01Z"}}`, s, k)
			} else {
				w(`span{id=s%d,action=add-tool-call,data={"id":"c%d-%d","name":"t","args":"{}","startTimestamp":"2026-11-22T08:01:00Z"}}`, s, s, k)
				w(`tool_call{id=c%d-%d,action=result,data={"result":"ok"}}`, s, k)
				w(`tool_call{id=c%d-%d,action=end,data={"endTimestamp":"2026-11-22T08:01:01Z"}}`, s, k)
			}
		}
		w(`span{id=s%d,action=end,data={"endTimestamp":"2026-11-22T08:02:00Z"}}`, s)
	}
	w(`trace{id=big,action=end,data={"endTimestamp":"2026-11-22T08:03:00Z"}}`)
	cs, errs := commit.ParseBody("r", []byte(sb.String()), commit.NewVersioner())
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
	st := memstore.New()
	if err := st.Apply(context.Background(), cs, tree.EdgesOfAll(cs)); err != nil {
		b.Fatal(err)
	}
	return st, commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "big"}, len(cs)
}

// BenchmarkAssemble10kNodes folds and assembles a 10,000-node trace from
// memstore and marshals it, as a GET of the trace does.
func BenchmarkAssemble10kNodes(b *testing.B) {
	st, ref, ncommits := bigTrace(b, 99, 100) // 1 + 99*101 = 10,000 nodes
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var size int
	for i := 0; i < b.N; i++ {
		tr, err := tree.AssembleTrace(ctx, st, ref)
		if err != nil {
			b.Fatal(err)
		}
		if n := tr.Root.Totals.Counts; n["generation"]+n["tool_call"]+n["span"]+n["trace"] != 10000 {
			b.Fatalf("tree has %v nodes", n)
		}
		out, err := json.Marshal(tr)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "nodes/s")
	b.ReportMetric(float64(ncommits)*float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	b.ReportMetric(float64(size), "json-bytes")
}

// BenchmarkAssembleTrace10k is the assembly of GET /traces/{id} alone for
// a 10,000-node trace from memstore (no Pebble, no JSON): reads, folds,
// pricing, sorting and totals. Without Pebble's background work it also
// counts repeatably under callgrind (GOGC=off).
func BenchmarkAssembleTrace10k(b *testing.B) {
	st, ref, _ := bigTrace(b, 99, 100)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		tr, err := tree.AssembleTrace(ctx, st, ref)
		if err != nil {
			b.Fatal(err)
		}
		if tr.Root.Totals.Counts["generation"] != 99*50 {
			b.Fatalf("tree has %v", tr.Root.Totals.Counts)
		}
	}
}

// BenchmarkWriteJSON10k streams a 10,000-node trace (half of it priced
// generations of one model) as the query API writes GET /traces/{id}: the
// tree is assembled once, outside the loop.
func BenchmarkWriteJSON10k(b *testing.B) {
	st, ref, _ := bigTrace(b, 99, 100)
	tr, err := tree.AssembleTrace(context.Background(), st, ref)
	if err != nil {
		b.Fatal(err)
	}
	var out countingWriter
	b.ReportAllocs()
	for b.Loop() {
		out = 0
		if err := tr.WriteJSON(&out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(out), "json-bytes")
}

// countingWriter counts what is written and keeps nothing.
type countingWriter int

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

// BenchmarkFoldNode folds one generation (seed + result + end + updates).
func BenchmarkFoldNode(b *testing.B) {
	cs, _ := commit.ParseBody("r", []byte(strings.Join([]string{
		`span{id=s,action=add-generation,data={"id":"g","model":"gpt-4o-mini","provider":"openai","messages":[{"role":"user","content":"q"}],"modelParameters":{"temperature":0.2},"startTimestamp":"2026-11-22T08:01:00Z"}}`,
		`generation{id=g,action=update,data={"metrics":{"ttft":12}}}`,
		`generation{id=g,action=result,data={"result":{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}}}`,
		`generation{id=g,action=end,data={"endTimestamp":"2026-11-22T08:01:01Z"}}`,
	}, "\n")), commit.NewVersioner())
	ref := commit.NodeRef{Repo: "r", Kind: commit.EntityGeneration, ID: "g"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := tree.Fold(ref, cs)
		if n.Usage == nil {
			b.Fatal("no usage")
		}
	}
	b.ReportMetric(float64(len(cs))*float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

// BenchmarkFoldWideObject folds one accepted SDK line whose data object has
// 20,000 keys in reverse order: the object member sort runs on every fold,
// so a quadratic sort made every read of such a trace take seconds.
func BenchmarkFoldWideObject(b *testing.B) {
	const keys = 20000
	var sb strings.Builder
	sb.WriteString(`trace{id=wide,action=create,data={`)
	for k := keys - 1; k >= 0; k-- {
		fmt.Fprintf(&sb, `"k%05d":%d`, k, k)
		if k > 0 {
			sb.WriteByte(',')
		}
	}
	sb.WriteString(`}}`)
	cs, errs := commit.ParseBody("r", []byte(sb.String()), commit.NewVersioner())
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
	ref := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "wide"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n := tree.Fold(ref, cs); n.Name != "" {
			b.Fatal("the wide object has no name")
		}
	}
}

// BenchmarkVerdictOf folds one verdict as the genai_eval receiver writes
// it: the metrics connector does this for every verdict that passes, and
// the indexer for every verdict on a patched node.
func BenchmarkVerdictOf(b *testing.B) {
	c := commit.Commit{Repo: "r", Entity: commit.EntityGeneration, EntityID: "g-1", Action: commit.ActionEvaluate, Version: 1,
		Data: []byte(`{"with":"result","evaluator":"pii","timestamp":"2026-12-07T15:00:00.123456789Z","score":1,"pass":true,"reason":"no personal data found"}`)}
	c.Seal()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tree.VerdictOf(&c); !ok {
			b.Fatal("not a verdict")
		}
	}
}
