package spancommit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

func ids(cs []commit.Commit) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID.String()
	}
	sort.Strings(out)
	return out
}

// A span sent twice (a retried export) must give identical commit ids, so
// the store's union by id deduplicates it.
func TestReplayGivesIdenticalCommitIDs(t *testing.T) {
	td := normalize(t, otlpTraces())
	a, err := spancommit.FromTraces(td, commit.NewVersioner())
	if err != nil {
		t.Fatal(err)
	}
	b, err := spancommit.FromTraces(td, commit.NewVersioner())
	if err != nil {
		t.Fatal(err)
	}
	if len(a) == 0 || !reflect.DeepEqual(ids(a), ids(b)) {
		t.Fatalf("replay changed commit ids (%d vs %d commits)", len(a), len(b))
	}
	// And storing both gives exactly the tree of one.
	ctx := context.Background()
	once, twice := memstore.New(), memstore.New()
	storeCommits(t, once, a)
	storeCommits(t, twice, a)
	storeCommits(t, twice, b)
	ref := commit.NodeRef{Repo: "default", Kind: commit.EntityTrace, ID: otlpTrace.String()}
	t1, err := tree.AssembleTrace(ctx, once, ref)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := tree.AssembleTrace(ctx, twice, ref)
	if err != nil {
		t.Fatal(err)
	}
	j1, _ := json.Marshal(t1)
	j2, _ := json.Marshal(t2)
	if !bytes.Equal(j1, j2) {
		t.Fatalf("duplicated export changed the tree:\n%s\n%s", j1, j2)
	}
}

// Exporters flush children before their parent ends, so spans of one trace
// arrive in several batches, children first. The tree must not depend on it,
// children of a generation and of a tool call included.
func TestBatchSplitGivesTheSameTree(t *testing.T) {
	ctx := context.Background()
	td := otlpTraces()
	ss := td.ResourceSpans().At(0).ScopeSpans().At(0)
	// An HTTP client span under the generation "plan", a generation under
	// the tool call.
	appendSpan(ss, 7, 2, "POST", 11, 19, map[string]any{"http.request.method": "POST"})
	appendSpan(ss, 8, 3, "chat gpt-4o-mini", 31, 39, map[string]any{"gen_ai.operation.name": "chat",
		"gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 7, "gen_ai.usage.output_tokens": 2})
	whole := normalize(t, td)
	all, err := spancommit.FromTraces(whole, commit.NewVersioner())
	if err != nil {
		t.Fatal(err)
	}
	one := memstore.New()
	storeCommits(t, one, all)

	split := memstore.New()
	v := commit.NewVersioner()
	spans := whole.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := spans.Len() - 1; i >= 0; i-- { // one span per batch, last span first
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		spans.At(i).CopyTo(rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty())
		cs, err := spancommit.FromTraces(td, v)
		if err != nil {
			t.Fatal(err)
		}
		storeCommits(t, split, cs)
	}
	ref := commit.NodeRef{Repo: "default", Kind: commit.EntityTrace, ID: otlpTrace.String()}
	a, err := tree.AssembleTrace(ctx, one, ref)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tree.AssembleTrace(ctx, split, ref)
	if err != nil {
		t.Fatal(err)
	}
	parent := map[string]string{}
	tree.Walk(b.Root, func(n *tree.TreeNode) {
		for _, c := range n.Children {
			parent[c.ID] = n.ID
		}
	})
	if parent[sid(7).String()] != sid(2).String() || parent[sid(8).String()] != sid(3).String() {
		t.Errorf("children of a generation and a tool call not under them after a split: %v", parent)
	}
	if !reflect.DeepEqual(project(a.Root), project(b.Root)) {
		ja, _ := json.MarshalIndent(project(a.Root), "", " ")
		jb, _ := json.MarshalIndent(project(b.Root), "", " ")
		t.Fatalf("split batches give another tree:\n%s\n%s", ja, jb)
	}
}

// AI SDK legacy: the outer ai.generateText repeats the usage of its two
// doGenerate steps; the trace total must count the steps only.
func TestWrapperUsageNotCounted(t *testing.T) {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	ss.Scope().SetName("ai")
	add := func(id, parent byte, attrs map[string]any) {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(otlpTrace)
		sp.SetSpanID(sid(id))
		if parent != 0 {
			sp.SetParentSpanID(sid(parent))
		}
		sp.SetName(attrs["ai.operationId"].(string))
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(at(int(id))))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at(int(id) + 5)))
		_ = sp.Attributes().FromRaw(attrs)
	}
	add(1, 0, map[string]any{"ai.operationId": "ai.generateText", "ai.model.id": "m", "ai.usage.promptTokens": 30, "ai.usage.completionTokens": 12})
	add(2, 1, map[string]any{"ai.operationId": "ai.generateText.doGenerate", "ai.model.id": "m", "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 5})
	add(3, 1, map[string]any{"ai.operationId": "ai.generateText.doGenerate", "ai.model.id": "m", "gen_ai.usage.input_tokens": 20, "gen_ai.usage.output_tokens": 7})
	cs, err := spancommit.FromTraces(normalize(t, td), commit.NewVersioner())
	if err != nil {
		t.Fatal(err)
	}
	s := memstore.New()
	storeCommits(t, s, cs)
	tr, err := tree.AssembleTrace(context.Background(), s, commit.NodeRef{Repo: "default", Kind: commit.EntityTrace, ID: otlpTrace.String()})
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.Root.Totals; got.InputTokens != 30 || got.OutputTokens != 12 || got.Counts["generation"] != 2 || got.Counts["span"] != 1 {
		t.Fatalf("totals = %+v, want 30/12 from the two generations only", got)
	}
	wrapper := tr.Root.Children[0]
	if wrapper.Kind != commit.EntitySpan || wrapper.Usage != nil || len(wrapper.Metadata["maxim.usage.aggregate"]) == 0 {
		t.Fatalf("wrapper should keep its usage as metadata only: %+v", wrapper.Node)
	}
}

// A maxim.session.end span closes the session and creates nothing else.
func TestSessionEndOnly(t *testing.T) {
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID(otlpTrace)
	sp.SetSpanID(sid(9))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at(5)))
	sp.Attributes().PutStr("maxim.session.end", "s-1")
	cs, err := spancommit.FromTraces(normalize(t, td), commit.NewVersioner())
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Entity != commit.EntitySession || cs[0].Action != commit.ActionEnd || cs[0].EntityID != "s-1" {
		t.Fatalf("commits = %+v, want one session end", cs)
	}
}

// TestUnreadableSessionIDIsDropped: a session id the query API could not
// read back (over commit.MaxIDLen bytes, control characters) names no
// session; the span itself is kept, and every commit passes the store's id
// check (tree.CheckIDs), so none is dropped there.
func TestUnreadableSessionIDIsDropped(t *testing.T) {
	for _, bad := range []string{strings.Repeat("s", commit.MaxIDLen+1), "s\x00", "s\n1"} {
		td := ptrace.NewTraces()
		sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetTraceID(otlpTrace)
		sp.SetSpanID(sid(1))
		sp.SetName("chat")
		sp.Attributes().PutStr("session.id", bad)
		sp.Attributes().PutStr("gen_ai.operation.name", "chat")
		end := ptrace.NewTraces()
		ep := end.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		ep.SetTraceID(otlpTrace)
		ep.SetSpanID(sid(2))
		ep.Attributes().PutStr("maxim.session.end", bad)
		for _, in := range []ptrace.Traces{td, end} {
			cs, err := spancommit.FromTraces(normalize(t, in), commit.NewVersioner())
			if err != nil {
				t.Fatal(err)
			}
			for i := range cs {
				if cs[i].Entity == commit.EntitySession {
					t.Fatalf("%q: a session commit %s %s", bad, cs[i].Action, cs[i].EntityID)
				}
				if err := tree.CheckIDs(&cs[i]); err != nil {
					t.Fatalf("%q: %s %s: %v", bad, cs[i].Entity, cs[i].Action, err)
				}
			}
			if in == td && len(cs) == 0 {
				t.Fatalf("%q: the span was dropped", bad)
			}
		}
	}
}

// TestSpanWithoutIDsGivesNoCommits: an all-zero trace or span id (invalid
// in OTLP; FuzzProcessTraces found the empty entity ids they made) names no
// node, so such a span gives no commits; a session end needs neither.
func TestSpanWithoutIDsGivesNoCommits(t *testing.T) {
	for name, ids := range map[string][2]bool{"no trace id": {false, true}, "no span id": {true, false}, "neither": {false, false}} {
		td := ptrace.NewTraces()
		sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		if ids[0] {
			sp.SetTraceID(otlpTrace)
		}
		if ids[1] {
			sp.SetSpanID(sid(1))
		}
		sp.SetName("chat")
		sp.Attributes().PutStr("gen_ai.operation.name", "chat")
		sp.Attributes().PutStr("session.id", "s-1")
		cs, err := spancommit.FromTraces(normalize(t, td), commit.NewVersioner())
		if err != nil || len(cs) != 0 {
			t.Fatalf("%s: %d commits, err %v", name, len(cs), err)
		}
	}
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.Attributes().PutStr("maxim.session.end", "s-1")
	cs, err := spancommit.FromTraces(normalize(t, td), commit.NewVersioner())
	if err != nil || len(cs) != 1 || cs[0].Entity != commit.EntitySession || cs[0].Action != commit.ActionEnd {
		t.Fatalf("session end without ids: %+v, %v", cs, err)
	}
}

// Spans that did not go through the normalizer still become plain spans
// under their trace rather than being dropped.
func TestUnnormalizedSpanIsPlainSpan(t *testing.T) {
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID(otlpTrace)
	sp.SetSpanID(sid(1))
	sp.SetName("GET /checkout")
	sp.Attributes().PutStr("maxim.repo.id", "r1")
	cs, err := spancommit.FromTraces(td, commit.NewVersioner())
	if err != nil {
		t.Fatal(err)
	}
	var sawAdd bool
	for _, c := range cs {
		if c.Repo != "default" {
			t.Fatalf("un-normalized span must not trust a stray repo attribute: %+v", c)
		}
		if c.Action == commit.ActionAddSpan {
			sawAdd = true
		}
	}
	if !sawAdd {
		t.Fatalf("no add-span in %+v", cs)
	}
}

// The root span's name is only the default trace name: a maxim-trace-name
// sent on a child wins even when the root arrives last (exporters flush
// children first).
func TestExplicitTraceNameBeatsRootSpanName(t *testing.T) {
	mk := func(id, parent byte, attrs map[string]any) ptrace.Traces {
		td := ptrace.NewTraces()
		sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetTraceID(otlpTrace)
		sp.SetSpanID(sid(id))
		if parent != 0 {
			sp.SetParentSpanID(sid(parent))
		}
		sp.SetName("span-" + string('0'+rune(id)))
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(at(int(id))))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at(50)))
		_ = sp.Attributes().FromRaw(attrs)
		return td
	}
	s := memstore.New()
	v := commit.NewVersioner()
	for _, td := range []ptrace.Traces{
		mk(2, 1, map[string]any{"gen_ai.operation.name": "chat", "ai.telemetry.metadata.maxim-trace-name": "explicit"}),
		mk(1, 0, map[string]any{}),
	} {
		cs, err := spancommit.FromTraces(normalize(t, td), v)
		if err != nil {
			t.Fatal(err)
		}
		storeCommits(t, s, cs)
	}
	tr, err := tree.AssembleTrace(context.Background(), s, commit.NodeRef{Repo: "default", Kind: commit.EntityTrace, ID: otlpTrace.String()})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Root.Name != "explicit" {
		t.Fatalf("trace name = %q, want the explicit maxim-trace-name", tr.Root.Name)
	}
	// Without an explicit name the root span's name is used.
	s2 := memstore.New()
	cs, _ := spancommit.FromTraces(normalize(t, mk(1, 0, map[string]any{})), v)
	storeCommits(t, s2, cs)
	tr2, err := tree.AssembleTrace(context.Background(), s2, commit.NodeRef{Repo: "default", Kind: commit.EntityTrace, ID: otlpTrace.String()})
	if err != nil || tr2.Root.Name != "span-1" {
		t.Fatalf("default trace name = %q (%v), want span-1", tr2.Root.Name, err)
	}
}

// A span whose parent is in another service (remote parent flag) starts
// this service's part of the trace: it hangs under the trace entity, or the
// whole subtree would be unreachable when that service does not send here.
func TestRemoteParentIsLocalRoot(t *testing.T) {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	remote := ss.Spans().AppendEmpty()
	remote.SetTraceID(otlpTrace)
	remote.SetSpanID(sid(2))
	remote.SetParentSpanID(sid(99)) // lives in a service that does not export here
	remote.SetFlags(0x300)
	remote.SetName("handle request")
	remote.SetStartTimestamp(pcommon.NewTimestampFromTime(at(1)))
	ev := remote.Events().AppendEmpty()
	ev.SetName("cache-miss")
	ev.SetTimestamp(pcommon.NewTimestampFromTime(at(2)))
	ev.Attributes().PutStr("key", "paris")
	child := ss.Spans().AppendEmpty()
	child.SetTraceID(otlpTrace)
	child.SetSpanID(sid(3))
	child.SetParentSpanID(sid(2))
	child.SetFlags(0x100) // parent known to be local
	child.SetName("chat")
	child.Attributes().PutStr("gen_ai.operation.name", "chat")
	cs, err := spancommit.FromTraces(normalize(t, td), commit.NewVersioner())
	if err != nil {
		t.Fatal(err)
	}
	s := memstore.New()
	storeCommits(t, s, cs)
	tr, err := tree.AssembleTrace(context.Background(), s, commit.NodeRef{Repo: "default", Kind: commit.EntityTrace, ID: otlpTrace.String()})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Root.Name != "handle request" || len(tr.Root.Children) != 1 || len(tr.Root.Children[0].Children) != 1 ||
		tr.Root.Children[0].Children[0].Kind != commit.EntityGeneration {
		j, _ := json.MarshalIndent(tr.Root, "", " ")
		t.Fatalf("want trace → handle request → generation:\n%s", j)
	}
	// Span events that the normalizer does not consume become add-event records.
	evs := tr.Root.Children[0].Events
	if len(evs) != 1 || evs[0].Name != "cache-miss" || string(evs[0].Metadata["key"]) != `"paris"` {
		t.Fatalf("events = %+v", evs)
	}
}
