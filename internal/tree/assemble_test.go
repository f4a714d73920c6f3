package tree_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

func load(t *testing.T, body string) *memstore.Store {
	t.Helper()
	cs, errs := commit.ParseBody("r", []byte(body), commit.NewVersioner())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	st := memstore.New()
	if err := st.Apply(context.Background(), cs, tree.EdgesOfAll(cs)); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestAssembleCyclesAndSharedChildren(t *testing.T) {
	st := load(t, strings.Join([]string{
		`trace{id=t,action=create,data={"startTimestamp":"2026-01-01T00:00:00Z"}}`,
		`trace{id=t,action=add-span,data={"id":"a","startTimestamp":"2026-01-01T00:00:02Z"}}`,
		`trace{id=t,action=add-span,data={"id":"b","startTimestamp":"2026-01-01T00:00:01Z"}}`,
		`span{id=a,action=add-span,data={"id":"b"}}`, // b has two parents
		`span{id=b,action=add-span,data={"id":"a"}}`, // and a cycle a <-> b
		`span{id=b,action=add-generation,data={"id":"g","model":"m"}}`,
		`generation{id=g,action=result,data={"result":{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}}}`,
		`span{id=a,action=add-span,data={"id":"z"}}`, // no start time: sorts last
		`span{id=a,action=add-tool-call,data={"id":"c","startTimestamp":"2026-01-01T00:00:03Z"}}`,
	}, "\n"))
	tr, err := tree.AssembleTrace(context.Background(), st, commit.NodeRef{Repo: "r", Kind: "trace", ID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	tree.Walk(tr.Root, func(n *tree.TreeNode) { seen[string(n.Kind)+"/"+n.ID]++ })
	for k, v := range seen {
		if v != 1 {
			t.Errorf("%s appears %d times", k, v)
		}
	}
	if len(seen) != 6 {
		t.Errorf("nodes: %v", seen)
	}
	root := tr.Root
	if len(root.Children) != 2 || root.Children[0].ID != "b" || root.Children[1].ID != "a" {
		t.Fatalf("children not sorted by start time: %v, %v", root.Children[0].ID, root.Children[1].ID)
	}
	a := root.Children[1]
	if len(a.Children) != 2 || a.Children[0].ID != "c" || a.Children[1].ID != "z" {
		t.Errorf("a's children: want c then z (no start time last)")
	}
	if root.Totals.TotalTokens != 3 || root.Totals.Counts["span"] != 3 || root.Totals.Counts["generation"] != 1 {
		t.Errorf("totals: %+v", root.Totals)
	}
	if tr.CommitCount != 9 {
		t.Errorf("commit count %d", tr.CommitCount)
	}
}

func TestSessionFollowsFoldedSessionID(t *testing.T) {
	st := load(t, strings.Join([]string{
		`session{id=S1,action=create,data={"name":"one"}}`,
		`trace{id=t1,action=create,data={"sessionId":"S1","startTimestamp":"2026-01-01T00:00:00Z"}}`,
		`trace{id=t2,action=create,data={"sessionId":"S1","startTimestamp":"2026-01-01T00:00:01Z"}}`,
		`trace{id=t2,action=update,data={"sessionId":"S2"}}`, // moved
		`trace{id=t1,action=add-generation,data={"id":"g"}}`,
		`generation{id=g,action=add-cost,data={"cost":{"input":1,"output":2,"total":3}}}`,
	}, "\n"))
	ctx := context.Background()
	s1, err := tree.AssembleSession(ctx, st, commit.NodeRef{Repo: "r", Kind: "session", ID: "S1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s1.Root.Children) != 1 || s1.Root.Children[0].ID != "t1" {
		t.Fatalf("S1 traces: %d", len(s1.Root.Children))
	}
	sum := tree.SummarizeSession(s1)
	if sum.TraceCount != 1 || sum.Cost != 3 || sum.Name != "one" || sum.Start.IsZero() {
		t.Errorf("S1 summary: %+v", sum)
	}
	// S2 has no commits of its own but a trace names it: it exists.
	s2, err := tree.AssembleSession(ctx, st, commit.NodeRef{Repo: "r", Kind: "session", ID: "S2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s2.Root.Children) != 1 || s2.Root.Children[0].ID != "t2" {
		t.Errorf("S2 traces: %d", len(s2.Root.Children))
	}
	if _, err := tree.AssembleSession(ctx, st, commit.NodeRef{Repo: "r", Kind: "session", ID: "S3"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown session: %v", err)
	}
	// The JSON a reader gets is stable across calls.
	a, _ := json.Marshal(s1)
	again, _ := tree.AssembleSession(ctx, st, commit.NodeRef{Repo: "r", Kind: "session", ID: "S1"})
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Error("session JSON not stable")
	}
}

func TestSummarizeTrace(t *testing.T) {
	st := load(t, strings.Join([]string{
		`trace{id=t,action=create,data={"name":"n","tags":{"env":"prod"},"startTimestamp":"2026-01-01T00:00:00Z","sessionId":"S"}}`,
		`trace{id=t,action=add-span,data={"id":"s"}}`,
		`span{id=s,action=add-generation,data={"id":"g1","model":"b-model"}}`,
		`span{id=s,action=add-generation,data={"id":"g2","model":"a-model"}}`,
		`generation{id=g1,action=result,data={"result":{"usage":{"prompt_tokens":10,"completion_tokens":5}}}}`,
		`generation{id=g2,action=result,data={"result":{"error":{"message":"x"}}}}`,
		`trace{id=t,action=end,data={"endTimestamp":"2026-01-01T00:00:02.5Z"}}`,
	}, "\n"))
	tr, err := tree.AssembleTrace(context.Background(), st, commit.NodeRef{Repo: "r", Kind: "trace", ID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	s := tree.SummarizeTrace(tr)
	if s.TraceID != "t" || s.Name != "n" || s.SessionID != "S" || s.Tags["env"] != "prod" || s.DurationMs != 2500 ||
		s.InputTokens != 10 || s.OutputTokens != 5 || s.TotalTokens != 15 || !s.Error ||
		strings.Join(s.Models, ",") != "a-model,b-model" || s.Counts["generation"] != 2 {
		t.Errorf("summary: %+v", s)
	}
	if s.LastActivity.UnixNano() != tr.LastVersion || s.Revision != tr.LastVersion+7 {
		t.Errorf("LastActivity/Revision: %v %d (last version %d)", s.LastActivity, s.Revision, tr.LastVersion)
	}
	// One more commit — even an old one — raises the revision.
	extra, _ := commit.ParseLine("r", []byte(`trace{id=t,action=update,data={"tags":{"x":"y"}}}`), 1)
	if err := st.Apply(context.Background(), []commit.Commit{extra}, nil); err != nil {
		t.Fatal(err)
	}
	tr2, _ := tree.AssembleTrace(context.Background(), st, commit.NodeRef{Repo: "r", Kind: "trace", ID: "t"})
	if s2 := tree.SummarizeTrace(tr2); s2.Revision <= s.Revision {
		t.Errorf("revision did not grow: %d -> %d", s.Revision, s2.Revision)
	}
}

func TestUnknownEntitySurfacesInTree(t *testing.T) {
	st := load(t, strings.Join([]string{
		`trace{id=t,action=create,data={}}`,
		`widget{id=w,action=create,data={"traceId":"t","name":"future thing"}}`,
		`widget{id=w,action=twiddle,data={"knob":3}}`,
	}, "\n"))
	tr, err := tree.AssembleTrace(context.Background(), st, commit.NodeRef{Repo: "r", Kind: "trace", ID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Root.Children) != 1 {
		t.Fatal("unknown entity not in the tree")
	}
	w := tr.Root.Children[0]
	if w.Kind != "widget" || w.Name != "future thing" || len(w.Unknown) != 1 || w.Unknown[0].Action != "twiddle" || tr.Root.Totals.Counts["widget"] != 1 {
		t.Errorf("unknown entity node: %+v", w.Node)
	}
}

// A summary carries every verdict of the trace's nodes (by evaluation
// time) and one verdict summary per evaluator; requests and errored
// verdicts are not verdicts.
func TestSummarizeTraceEvaluations(t *testing.T) {
	st := load(t, strings.Join([]string{
		`trace{id=t,action=create,data={"startTimestamp":"2026-01-01T00:00:00Z"}}`,
		`trace{id=t,action=add-generation,data={"id":"g1"}}`,
		`trace{id=t,action=add-generation,data={"id":"g2"}}`,
		`generation{id=g1,action=evaluate,data={"with":"result","evaluator":"pii","score":0,"pass":false,"reason":"email","timestamp":"2026-01-01T00:01:00Z"}}`,
		`generation{id=g2,action=evaluate,data={"with":"result","evaluator":"pii","score":1,"pass":true}}`,
		`generation{id=g2,action=evaluate,data={"with":"result","evaluator":"relevance","error":"judge down"}}`,
		`generation{id=g2,action=evaluate,data={"with":"evaluators","evaluators":["bias"]}}`,
	}, "\n"))
	tr, err := tree.AssembleTrace(context.Background(), st, commit.NodeRef{Repo: "r", Kind: "trace", ID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	s := tree.SummarizeTrace(tr)
	if len(s.EvalRows) != 3 {
		t.Fatalf("eval rows: %+v", s.EvalRows)
	}
	r0 := s.EvalRows[0]
	if r0.NodeID != "g1" || !r0.Failed() || !r0.HasScore || r0.Time.Format(time.RFC3339) != "2026-01-01T00:01:00Z" {
		t.Errorf("g1 row: %+v", r0)
	}
	if !s.EvalRows[1].Time.Equal(s.Start) {
		t.Errorf("a verdict without timestamp takes the trace start: %+v", s.EvalRows[1])
	}
	if len(s.Evaluations) != 1 || s.Evaluations[0].Evaluator != "pii" || s.Evaluations[0].Runs != 2 ||
		s.Evaluations[0].Failures != 1 || *s.Evaluations[0].MinScore != 0 {
		t.Errorf("verdicts: %+v", s.Evaluations)
	}
}

// A generation's or tool call's child holder (the `span` of its own id,
// under which OTLP children file themselves) is dissolved: its children are
// the parent's, the holder is not shown and is not counted as a span. A
// `span` of that id anywhere else (under a span or the trace) is a span.
func TestChildHolderIsDissolved(t *testing.T) {
	st := load(t, strings.Join([]string{
		`trace{id=t,action=create,data={"startTimestamp":"2026-01-01T00:00:00Z"}}`,
		`trace{id=t,action=add-generation,data={"id":"g","startTimestamp":"2026-01-01T00:00:01Z"}}`,
		`generation{id=g,action=add-span,data={"id":"g"}}`, // the holder link
		`span{id=g,action=add-span,data={"id":"http","name":"POST","startTimestamp":"2026-01-01T00:00:03Z"}}`,
		`span{id=g,action=add-tool-call,data={"id":"c","name":"lookup","startTimestamp":"2026-01-01T00:00:02Z"}}`,
		`tool_call{id=c,action=add-span,data={"id":"c"}}`,
		`span{id=c,action=add-generation,data={"id":"g2","startTimestamp":"2026-01-01T00:00:02.5Z"}}`,
		`generation{id=g2,action=result,data={"result":{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}}}`,
		`trace{id=t,action=add-span,data={"id":"s","startTimestamp":"2026-01-01T00:00:04Z"}}`,
		`span{id=s,action=add-span,data={"id":"s"}}`, // a span's own id under a span: not a holder
	}, "\n"))
	tr, err := tree.AssembleTrace(context.Background(), st, commit.NodeRef{Repo: "r", Kind: "trace", ID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var walk func(n *tree.TreeNode, depth int)
	walk = func(n *tree.TreeNode, depth int) {
		got = append(got, strings.Repeat(" ", depth)+string(n.Kind)+"/"+n.ID)
		for _, c := range n.Children {
			walk(c, depth+1)
		}
	}
	walk(tr.Root, 0)
	want := []string{"trace/t", " generation/g", "  tool_call/c", "   generation/g2", "  span/http", " span/s"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	c := tr.Root.Totals.Counts
	if c["span"] != 2 || c["generation"] != 2 || c["tool_call"] != 1 || tr.Root.Totals.TotalTokens != 3 {
		t.Errorf("totals: %+v", tr.Root.Totals)
	}
	if tr.CommitCount != 10 {
		t.Errorf("commit count %d: the holders' commits are the trace's too", tr.CommitCount)
	}
	if !tree.IsChildHolder(commit.NodeRef{Repo: "r", Kind: "retrieval", ID: "x"}, commit.NodeRef{Repo: "r", Kind: "span", ID: "x"}) ||
		tree.IsChildHolder(commit.NodeRef{Repo: "r", Kind: "generation", ID: "x"}, commit.NodeRef{Repo: "r", Kind: "span", ID: "y"}) ||
		tree.IsChildHolder(commit.NodeRef{Repo: "r", Kind: "generation", ID: "x"}, commit.NodeRef{Repo: "q", Kind: "span", ID: "x"}) {
		t.Error("IsChildHolder")
	}
}

// A summary is indexed once per tag and model, each entry carrying its
// filterable fields: a trace of 50,000 tags, 100 models and a 2 MB name
// made the pebble indexer ask for a 4 GB batch and crash (issue 16). The
// summary keeps the store's bounds; the tree keeps everything.
func TestSummarizeTraceIsBounded(t *testing.T) {
	var tags, lines []string
	for i := 50000; i > 0; i-- {
		tags = append(tags, fmt.Sprintf(`"k%06d":"v"`, i))
	}
	lines = append(lines, `trace{id=t,action=create,data={"name":"`+strings.Repeat("é", 1<<20)+`","tags":{`+strings.Join(tags, ",")+`}}}`)
	for i := 0; i < 100; i++ {
		lines = append(lines, fmt.Sprintf(`trace{id=t,action=add-generation,data={"id":"g%d","model":"model-%03d"}}`, i, i))
	}
	st := load(t, strings.Join(lines, "\n"))
	tr, err := tree.AssembleTrace(context.Background(), st, commit.NodeRef{Repo: "r", Kind: "trace", ID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Root.Tags) != 50000 {
		t.Fatalf("the tree lost tags: %d", len(tr.Root.Tags))
	}
	s := tree.SummarizeTrace(tr)
	if len(s.Tags) != store.MaxSummaryTags || s.Tags["k000001"] != "v" || s.Tags["k000064"] != "v" {
		t.Errorf("summary tags: %d, want the first %d by key", len(s.Tags), store.MaxSummaryTags)
	}
	if len(s.Models) != store.MaxSummaryModels || s.Models[0] != "model-000" {
		t.Errorf("summary models: %v", s.Models)
	}
	if len(s.Name) > store.MaxSummaryFieldBytes || !utf8.ValidString(s.Name) || len(s.Name) < store.MaxSummaryFieldBytes-1 {
		t.Errorf("summary name: %d bytes, valid UTF-8 %v", len(s.Name), utf8.ValidString(s.Name))
	}
}
