package spancommit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// pairSpan is one span of a generated pair case.
type pairSpan struct {
	id, parent pcommon.SpanID
	kind       ptrace.SpanKind
	remote     bool // the parent is in another process (OTLP span flags)
	attrs      map[string]any
}

// pairCase generates an application trace whose model calls go through an
// LLM gateway in some of the ways the same call ends up recorded twice,
// and the number of tokens a correct total holds (each call once).
func pairCase(rng *rand.Rand) (spans []pairSpan, wantIn, wantOut int64) {
	next := byte(1)
	newID := func() pcommon.SpanID { next++; return sid(next) }
	root := pairSpan{id: sid(1), kind: ptrace.SpanKindInternal, attrs: map[string]any{"_name": "agent"}}
	spans = append(spans, root)
	chat := func(in, out int64, usage bool) map[string]any {
		a := map[string]any{"_name": "chat gpt-4o", "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": "gpt-4o"}
		if usage {
			a["gen_ai.usage.input_tokens"] = in
			a["gen_ai.usage.output_tokens"] = out
		}
		return a
	}
	for calls := 1 + rng.IntN(4); calls > 0; calls-- {
		in, out := int64(1+rng.IntN(500)), int64(1+rng.IntN(50))
		wantIn += in
		wantOut += out
		client := pairSpan{id: newID(), parent: root.id, kind: ptrace.SpanKindClient, attrs: chat(in, out, true)}
		// The gateway is another process: its SERVER span's parent is
		// remote (OTLP span flags), so it hangs under the trace.
		server := pairSpan{id: newID(), kind: ptrace.SpanKindServer, remote: true, attrs: chat(in, out, true)}
		httpSpan := pairSpan{id: newID(), kind: ptrace.SpanKindClient, attrs: map[string]any{"_name": "POST", "http.request.method": "POST"}}
		switch rng.IntN(7) {
		case 0: // the application only
			spans = append(spans, client)
		case 1: // gateway span directly under the client span
			server.parent = client.id
			spans = append(spans, client, server)
		case 2: // the gateway's span is exported before the client's
			server.parent = client.id
			spans = append(spans, server, client)
		case 3: // streamed without usage: the gateway has the only usage
			client.attrs = chat(0, 0, false)
			server.parent = client.id
			spans = append(spans, client, server)
		case 4: // the application traces its HTTP client only
			httpSpan.parent, server.parent = root.id, httpSpan.id
			spans = append(spans, httpSpan, server)
		case 5: // the HTTP client span below the client generation, and
			// a gateway whose SDK does not say its parent is remote: both
			// hang under their OTLP parents, in whichever batch those came
			httpSpan.parent, server.parent, server.remote = client.id, httpSpan.id, false
			spans = append(spans, client, httpSpan, server)
		case 6: // an in-process gateway: the SERVER span under the client's
			server.parent, server.remote = client.id, false
			spans = append(spans, server, client)
		}
	}
	return spans, wantIn, wantOut
}

// deliverPairs converts the spans in the given order and batch split (each
// batch one FromTraces call, as separate exports from two processes) into
// a fresh store and assembles the trace.
func deliverPairs(t *testing.T, spans []pairSpan, batches [][]int) *tree.Trace {
	t.Helper()
	s := memstore.New()
	v := commit.NewVersioner()
	for _, b := range batches {
		td := ptrace.NewTraces()
		ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
		for _, i := range b {
			p := spans[i]
			sp := ss.Spans().AppendEmpty()
			sp.SetTraceID(otlpTrace)
			sp.SetSpanID(p.id)
			sp.SetParentSpanID(p.parent)
			sp.SetKind(p.kind)
			if p.remote {
				sp.SetFlags(0x300)
			}
			attrs := map[string]any{}
			for k, v := range p.attrs {
				attrs[k] = v
			}
			sp.SetName(attrs["_name"].(string))
			delete(attrs, "_name")
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(at(i * 10)))
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at(i*10 + 5)))
			if err := sp.Attributes().FromRaw(attrs); err != nil {
				t.Fatal(err)
			}
		}
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
	return tr
}

// TestPairTotalsProperty: whatever order and batch split the spans of the
// application and of the gateway arrive in, the trace totals, its search
// row and the pairing are the same, and every call is counted exactly once
// (docs/tree-json.md, "totals").
func TestPairTotalsProperty(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	const cases = 150
	t.Logf("seed %d", seed)
	paired := 0
	for c := 0; c < cases; c++ {
		rng := rand.New(rand.NewPCG(seed+uint64(c), 7))
		spans, wantIn, wantOut := pairCase(rng)
		var first string
		for d := 0; d < 3; d++ {
			order := rng.Perm(len(spans))
			var batches [][]int
			for len(order) > 0 {
				n := 1 + rng.IntN(len(order))
				batches = append(batches, order[:n])
				order = order[n:]
			}
			tr := deliverPairs(t, spans, batches)
			tot := tr.Root.Totals
			sum := tree.SummarizeTrace(tr)
			// The trace is named by its root span, never by a gateway's
			// span continuing it (a local root under a remote parent),
			// whichever arrives first.
			if tr.Root.Name != "agent" || sum.Name != "agent" {
				t.Fatalf("seed %d delivery %v: trace named %q (row %q), want the root span's name", seed+uint64(c), batches, tr.Root.Name, sum.Name)
			}
			// Every span is in the tree, under its OTLP parent when that
			// is local (a child never orphaned by arriving in another
			// batch than its parent).
			placed := map[string]string{}
			var under func(n *tree.TreeNode)
			under = func(n *tree.TreeNode) {
				for _, c := range n.Children {
					placed[c.ID] = n.ID
					under(c)
				}
			}
			under(tr.Root)
			for _, sp := range spans {
				want := otlpTrace.String()
				if !sp.parent.IsEmpty() && !sp.remote {
					want = sp.parent.String()
				}
				if got, ok := placed[sp.id.String()]; !ok || got != want {
					b, _ := json.MarshalIndent(tr.Root, "", " ")
					t.Fatalf("seed %d delivery %v: span %s under %q, want under %s\n%s", seed+uint64(c), batches, sp.id, got, want, b)
				}
			}
			if tot.InputTokens != wantIn || tot.OutputTokens != wantOut || sum.InputTokens != wantIn || sum.OutputTokens != wantOut {
				b, _ := json.MarshalIndent(tr.Root, "", " ")
				t.Fatalf("seed %d delivery %v: totals %d/%d, row %d/%d, want %d/%d\n%s", seed+uint64(c), batches,
					tot.InputTokens, tot.OutputTokens, sum.InputTokens, sum.OutputTokens, wantIn, wantOut, b)
			}
			pairs := map[string]string{}
			tree.Walk(tr.Root, func(n *tree.TreeNode) {
				if n.PairedWith != "" {
					pairs[n.ID] = n.PairedWith
				}
			})
			got := fmt.Sprint(pairs, tot.Counts, tot.UnpricedGenerations, tot.Cost)
			if d == 0 {
				first = got
				paired += len(pairs)
			} else if got != first {
				t.Fatalf("seed %d: delivery %v gives %s, the first gave %s", seed+uint64(c), batches, got, first)
			}
		}
	}
	if paired == 0 {
		t.Fatal("no case produced a CLIENT/SERVER pair: the generator does not exercise the rule")
	}
}

// TestSpanIdentityInTree: a span's kind, parent span id and links land on
// its node, and its trace records the OTLP origin, in the tree JSON.
func TestSpanIdentityInTree(t *testing.T) {
	other := pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	root := ss.Spans().AppendEmpty()
	root.SetTraceID(otlpTrace)
	root.SetSpanID(sid(1))
	root.SetName("triage-agent")
	root.SetStartTimestamp(pcommon.NewTimestampFromTime(at(0)))
	root.SetEndTimestamp(pcommon.NewTimestampFromTime(at(50)))
	gen := ss.Spans().AppendEmpty()
	gen.SetTraceID(otlpTrace)
	gen.SetSpanID(sid(2))
	gen.SetParentSpanID(sid(1))
	gen.SetKind(ptrace.SpanKindServer)
	gen.SetName("chat gpt-4o")
	gen.SetStartTimestamp(pcommon.NewTimestampFromTime(at(10)))
	gen.SetEndTimestamp(pcommon.NewTimestampFromTime(at(20)))
	_ = gen.Attributes().FromRaw(map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"})
	l := gen.Links().AppendEmpty()
	l.SetTraceID(other)
	l.SetSpanID(sid(9))
	l.Attributes().PutStr("handoff", "billing-agent")
	gen.Links().AppendEmpty() // an empty link (no trace id) is dropped

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
	if tr.Root.Origin != commit.OriginOTLP {
		t.Errorf("trace origin %q", tr.Root.Origin)
	}
	var g *tree.TreeNode
	tree.Walk(tr.Root, func(n *tree.TreeNode) {
		if n.ID == sid(2).String() {
			g = n
		}
	})
	if g == nil {
		t.Fatal("generation missing")
	}
	b, err := json.Marshal(g.Node)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		SpanKind     string            `json:"spanKind"`
		ParentSpanID string            `json:"parentSpanId"`
		Links        []json.RawMessage `json:"links"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := `{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"0000000000000009","attributes":{"handoff":"billing-agent"}}`
	if got.SpanKind != "server" || got.ParentSpanID != sid(1).String() || len(got.Links) != 1 || string(got.Links[0]) != want {
		t.Errorf("identity JSON: %s", b)
	}
}
