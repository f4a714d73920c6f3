package spancommit_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor"
)

// One logical agent turn: a session, an agent span, a generation that asks
// for a tool, the tool call, a retrieval and a second generation that
// answers. Sent once as Maxim SDK commit lines (what maxim-js puts on the
// wire) and once as OTLP GenAI spans.
var t0 = time.Date(2026, 11, 22, 8, 33, 49, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
func iso(ms int) string   { return at(ms).Format("2006-01-02T15:04:05.000Z") }

func sdkBody() string {
	lines := []string{
		`session{id=sess-eq,action=create,data={"name":"support","tags":{},"startTimestamp":"` + iso(0) + `"}}`,
		`trace{id=trace-eq,action=create,data={"name":"turn-1","tags":{},"startTimestamp":"` + iso(0) + `","sessionId":"sess-eq"}}`,
		`trace{id=trace-eq,action=update,data={"input":"What's the weather in Paris?"}}`,
		`trace{id=trace-eq,action=add-span,data={"id":"span-agent","name":"agent","tags":{},"startTimestamp":"` + iso(0) + `"}}`,
		`span{id=span-agent,action=add-generation,data={"id":"gen-1","messages":[{"role":"system","content":"You are helpful."},{"role":"user","content":"What's the weather in Paris?"}],"name":"plan","tags":{},"startTimestamp":"` + iso(10) + `","provider":"openai","model":"gpt-4o-mini","modelParameters":{"temperature":0.2,"max_tokens":256}}}`,
		`generation{id=gen-1,action=result,data={"result":{"id":"chatcmpl-1","object":"chat.completion","created":1795336429,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":42,"completion_tokens":17,"total_tokens":59,"prompt_tokens_details":{"cached_tokens":32}}}}}`,
		`generation{id=gen-1,action=end,data={"endTimestamp":"` + iso(20) + `"}}`,
		`span{id=span-agent,action=add-tool-call,data={"id":"call_1","name":"get_weather","description":"Get current weather for a city","args":"{\"city\":\"Paris\"}","tags":{},"startTimestamp":"` + iso(30) + `"}}`,
		`tool_call{id=call_1,action=result,data={"result":"{\"tempC\":18}"}}`,
		`tool_call{id=call_1,action=end,data={"endTimestamp":"` + iso(40) + `"}}`,
		`span{id=span-agent,action=add-retrieval,data={"id":"ret-1","name":"news-search","tags":{},"startTimestamp":"` + iso(50) + `"}}`,
		`retrieval{id=ret-1,action=update,data={"input":"Paris news"}}`,
		`retrieval{id=ret-1,action=end,data={"docs":["doc A: marathon","doc B: Louvre"],"endTimestamp":"` + iso(60) + `"}}`,
		`span{id=span-agent,action=add-generation,data={"id":"gen-2","messages":[{"role":"system","content":"You are helpful."},{"role":"user","content":"What's the weather in Paris?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","content":"{\"tempC\":18}","tool_call_id":"call_1"}],"name":"answer","tags":{},"startTimestamp":"` + iso(70) + `","provider":"openai","model":"gpt-4o-mini","modelParameters":{"temperature":0.2}}}`,
		`generation{id=gen-2,action=result,data={"result":{"id":"chatcmpl-2","object":"chat.completion","created":1795336429,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"It's 18C in Paris."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":80,"completion_tokens":12,"total_tokens":92}}}}`,
		`generation{id=gen-2,action=end,data={"endTimestamp":"` + iso(80) + `"}}`,
		`span{id=span-agent,action=end,data={"endTimestamp":"` + iso(90) + `"}}`,
		`trace{id=trace-eq,action=update,data={"output":"It's 18C in Paris."}}`,
		`trace{id=trace-eq,action=end,data={"endTimestamp":"` + iso(90) + `"}}`,
		`session{id=sess-eq,action=end,data={"endTimestamp":"` + iso(100) + `"}}`,
	}
	return strings.Join(lines, "\n") + "\n"
}

var (
	otlpTrace = pcommon.TraceID{0x5f, 0x8c, 0x7f, 0x9a, 0x3e, 0xf1, 0x4f, 0x67, 0xaf, 0x71, 0x6e, 0xf4, 0xcf, 0x4a, 0x9d, 0x23}
	sid       = func(b byte) pcommon.SpanID { return pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, b} }
)

// appendSpan adds span id (child of parent, 0 for a root) of otlpTrace to
// ss, its times in milliseconds after t0.
func appendSpan(ss ptrace.ScopeSpans, id, parent byte, name string, startMs, endMs int, attrs map[string]any) {
	sp := ss.Spans().AppendEmpty()
	sp.SetTraceID(otlpTrace)
	sp.SetSpanID(sid(id))
	if parent != 0 {
		sp.SetParentSpanID(sid(parent))
	}
	sp.SetName(name)
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(at(startMs)))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at(endMs)))
	if err := sp.Attributes().FromRaw(attrs); err != nil {
		panic(err)
	}
}

// otlpTraces is the same turn as GenAI spans, the way an OTel-instrumented
// app sends it: messages in the GenAI parts format, Maxim keys in
// maxim.metadata, the session closed by a maxim.session.end span.
func otlpTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	ss.Scope().SetName("@opentelemetry/instrumentation-genai")
	add := func(id, parent byte, name string, startMs, endMs int, attrs map[string]any) {
		appendSpan(ss, id, parent, name, startMs, endMs, attrs)
	}
	sys := `{"role":"system","parts":[{"type":"text","content":"You are helpful."}]}`
	user := `{"role":"user","parts":[{"type":"text","content":"What's the weather in Paris?"}]}`
	call := `{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}]}`
	add(1, 0, "agent", 0, 90, map[string]any{
		"maxim.metadata": `{"maxim-trace-name":"turn-1","maxim-session-id":"sess-eq","maxim-session-name":"support"}`,
		"input.value":    "What's the weather in Paris?",
		"output.value":   "It's 18C in Paris.",
	})
	add(2, 1, "plan", 10, 20, map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
		"gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
		"gen_ai.request.temperature": 0.2, "gen_ai.request.max_tokens": 256,
		"gen_ai.response.id": "chatcmpl-1", "gen_ai.response.finish_reasons": []any{"tool_calls"},
		"gen_ai.usage.input_tokens": 42, "gen_ai.usage.output_tokens": 17, "gen_ai.usage.cache_read.input_tokens": 32,
		"gen_ai.input.messages":  "[" + sys + "," + user + "]",
		"gen_ai.output.messages": "[" + strings.TrimSuffix(call, "}") + `,"finish_reason":"tool_call"}]`,
	})
	add(3, 1, "execute_tool get_weather", 30, 40, map[string]any{
		"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "call_1",
		"gen_ai.tool.description":    "Get current weather for a city",
		"gen_ai.tool.call.arguments": `{"city": "Paris"}`, "gen_ai.tool.call.result": `{"tempC":18}`,
	})
	add(4, 1, "news-search", 50, 60, map[string]any{
		"gen_ai.operation.name": "retrieval", "gen_ai.retrieval.query.text": "Paris news",
		"gen_ai.retrieval.documents": `[{"id":"a","score":0.9,"content":"doc A: marathon"},{"id":"b","score":0.7,"content":"doc B: Louvre"}]`,
	})
	add(5, 1, "answer", 70, 80, map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
		"gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
		"gen_ai.request.temperature": 0.2, "gen_ai.response.id": "chatcmpl-2",
		"gen_ai.response.finish_reasons": []any{"stop"},
		"gen_ai.usage.input_tokens":      80, "gen_ai.usage.output_tokens": 12,
		"gen_ai.input.messages": "[" + sys + "," + user + "," + call +
			`,{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":{"tempC":18}}]}]`,
		"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"It's 18C in Paris."}],"finish_reason":"stop"}]`,
	})
	add(6, 0, "session end", 100, 100, map[string]any{"maxim.session.end": "sess-eq"})
	return td
}

func normalize(t *testing.T, td ptrace.Traces) ptrace.Traces {
	t.Helper()
	f := genainormalizeprocessor.NewFactory()
	sink := new(consumertest.TracesSink)
	p, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(f.Type()), f.CreateDefaultConfig(), sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	return sink.AllTraces()[0]
}

func storeCommits(t *testing.T, s store.Backend, commits []commit.Commit) {
	t.Helper()
	if err := s.Apply(context.Background(), commits, tree.EdgesOfAll(commits)); err != nil {
		t.Fatal(err)
	}
}

// view projects a tree onto what a user sees, without ids, versions,
// commit counts and the normalizer's own `maxim.*` debug metadata.
type view struct {
	Kind, Name, Model, Provider, SessionID string
	Start, End                             string
	Ended                                  bool
	Input, Output, Args, Description       any
	ModelParameters                        map[string]any
	Messages                               []any
	Completion                             any
	Usage                                  *tree.Usage
	Cost                                   *tree.Cost
	Tags                                   map[string]string
	Metadata                               map[string]any
	Metrics                                map[string]float64
	Errors                                 int
	Extra                                  map[string]any
	Unknown                                int
	Totals                                 tree.Totals
	Children                               []view
}

func decode(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	return v
}

func project(n *tree.TreeNode) view {
	v := view{Kind: string(n.Kind), Name: n.Name, Model: n.Model, Provider: n.Provider, SessionID: n.SessionID,
		Start: n.StartTimestamp, End: n.EndTimestamp, Ended: n.Ended,
		Input: decode(n.Input), Output: decode(n.Output), Args: decode(n.Args), Description: n.Description,
		ModelParameters: n.ModelParameters, Usage: n.Usage, Cost: n.Cost, Tags: n.Tags, Metrics: n.Metrics,
		Errors: len(n.Errors), Unknown: len(n.Unknown), Totals: n.Totals}
	for k, raw := range n.Extra {
		if v.Extra == nil {
			v.Extra = map[string]any{}
		}
		v.Extra[k] = decode(raw)
	}
	for _, m := range n.Messages {
		v.Messages = append(v.Messages, decode(m))
	}
	if n.Completion != nil {
		c := *n.Completion
		var calls []any
		for _, tc := range c.ToolCalls {
			calls = append(calls, decode(tc))
		}
		c.ToolCalls = nil
		v.Completion = map[string]any{"c": c, "toolCalls": calls}
	}
	for k, raw := range n.Metadata {
		if strings.HasPrefix(k, "maxim.") {
			continue
		}
		if v.Metadata == nil {
			v.Metadata = map[string]any{}
		}
		v.Metadata[k] = decode(raw)
	}
	for _, c := range n.Children {
		v.Children = append(v.Children, project(c))
	}
	return v
}

func TestSDKAndOTLPGiveTheSameTree(t *testing.T) {
	ctx := context.Background()
	const repo = "default"

	sdkStore := memstore.New()
	commits, lineErrs := commit.ParseBody(repo, []byte(sdkBody()), commit.NewVersioner())
	if len(lineErrs) > 0 {
		t.Fatalf("SDK body: %v", lineErrs)
	}
	storeCommits(t, sdkStore, commits)

	otlpStore := memstore.New()
	otlpCommits, err := spancommit.FromTraces(normalize(t, otlpTraces()), commit.NewVersioner())
	if err != nil {
		t.Fatal(err)
	}
	storeCommits(t, otlpStore, otlpCommits)

	sdkTrace, err := tree.AssembleTrace(ctx, sdkStore, commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: "trace-eq"})
	if err != nil {
		t.Fatal(err)
	}
	otlpTrace, err := tree.AssembleTrace(ctx, otlpStore, commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: otlpTrace.String()})
	if err != nil {
		t.Fatal(err)
	}
	want, got := project(sdkTrace.Root), project(otlpTrace.Root)
	if !reflect.DeepEqual(want, got) {
		wj, _ := json.MarshalIndent(want, "", " ")
		gj, _ := json.MarshalIndent(got, "", " ")
		t.Fatalf("trees differ\nSDK:\n%s\nOTLP:\n%s", wj, gj)
	}
	if testing.Verbose() {
		gj, _ := json.MarshalIndent(got, "", " ")
		t.Logf("OTLP tree (projection):\n%s", gj)
	}
	// Guard against a vacuous pass: the projection must hold the scenario.
	if got.Totals.TotalTokens != 59+92 || got.Totals.Counts["generation"] != 2 || got.Totals.Counts["tool_call"] != 1 ||
		got.Totals.Counts["retrieval"] != 1 || len(got.Children) != 1 || len(got.Children[0].Children) != 4 {
		t.Fatalf("unexpected tree shape: %+v", got.Totals)
	}
	// Both generations are priced from their usage (the same computed cost
	// on both sides, checked by the comparison above), cache reads at their
	// own rate, and the trace total is their sum.
	var sum float64
	for _, g := range []view{got.Children[0].Children[0], got.Children[0].Children[3]} {
		if g.Kind != "generation" || g.Cost == nil || g.Cost.Source != tree.CostComputed || g.Cost.Total <= 0 || g.Cost.Price == nil {
			t.Fatalf("generation %s: cost %+v, want a computed cost", g.Name, g.Cost)
		}
		sum += g.Cost.Total
	}
	if plan := got.Children[0].Children[0]; plan.Usage.CacheReadTokens != 32 || plan.Cost.Price.Prices["cache_read_mtok"] <= 0 {
		t.Fatalf("cache reads not carried or not priced: %+v %+v", plan.Usage, plan.Cost)
	}
	if got.Totals.Cost != sum || got.Totals.UnpricedGenerations != 0 {
		t.Fatalf("trace cost total = %v (unpriced %d), want %v", got.Totals.Cost, got.Totals.UnpricedGenerations, sum)
	}

	sdkSess, err := tree.AssembleSession(ctx, sdkStore, commit.NodeRef{Repo: repo, Kind: commit.EntitySession, ID: "sess-eq"})
	if err != nil {
		t.Fatal(err)
	}
	otlpSess, err := tree.AssembleSession(ctx, otlpStore, commit.NodeRef{Repo: repo, Kind: commit.EntitySession, ID: "sess-eq"})
	if err != nil {
		t.Fatal(err)
	}
	ws, gs := project(sdkSess.Root), project(otlpSess.Root)
	// The SDK creates its session with a start time; OTLP has no session
	// span to take one from.
	ws.Start = ""
	if !reflect.DeepEqual(ws, gs) {
		wj, _ := json.MarshalIndent(ws, "", " ")
		gj, _ := json.MarshalIndent(gs, "", " ")
		t.Fatalf("sessions differ\nSDK:\n%s\nOTLP:\n%s", wj, gj)
	}
	if !gs.Ended || gs.Name != "support" || len(gs.Children) != 1 {
		t.Fatalf("session not ended/named/linked: %+v", gs)
	}
}
