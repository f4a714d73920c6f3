package genainormalizeprocessor

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor/internal/metadata"
)

var logCasesFlag = flag.Int("logs.cases", 100, "cases of TestLogEventsOrderIndependence")

// TestLogEventsOrderIndependence generates traces of GenAI spans whose
// content travels in OTLP log records (per-message events, operation
// details events, span attributes that must win over events, span events),
// with children under a generation and under a tool call, and delivers
// spans and records in random order, split into random requests of either
// signal (a child often before its parent, in another request), with whole
// requests resent: every delivery,
// run through this processor, FromTraces and the commit codec into a store,
// must assemble the same tree as sending everything at once. Version fields
// (receive times of span commits, by design) are left out of the
// comparison; everything else is byte-compared.
//
// One constraint is the SDKs': the records one span emits in one instant
// (every input message of a call carries the same millisecond) are emitted
// in one synchronous loop and so leave in one request, in order; that
// order is the only thing that orders them (docs/tree-json.md).
//
// A failure prints the seed; LOGS_SEED=<seed> replays that case.
func TestLogEventsOrderIndependence(t *testing.T) {
	seed, n := uint64(time.Now().UnixNano()), *logCasesFlag
	if s := os.Getenv("LOGS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seed, n = v, 1
	}
	t.Logf("%d cases from seed %d", n, seed)
	var cov struct{ eventMsgs, detailsMsgs, spanWins, spanEvents, movedLogs, strandedLogs, childFirst int }
	for i := 0; i < n; i++ {
		s := seed + uint64(i)
		c := genLogCase(s)
		var spans, logs []unit
		for _, u := range c.units {
			if u.recs == nil {
				spans = append(spans, u)
			} else {
				logs = append(logs, u)
			}
		}
		ref := assembleDelivery(t, c, [][]unit{spans, logs}) // all spans at once, then all records
		for _, d := range c.deliveries() {
			if firstRequest(d, c.guard) < firstRequest(d, c.gens[0].id) {
				cov.childFirst++
			}
			got := assembleDelivery(t, c, d)
			if !bytes.Equal(ref, got) {
				t.Fatalf("delivery changed the tree\nwant %s\ngot  %s\nreplay: LOGS_SEED=%d go test ./processor/genainormalizeprocessor -run TestLogEventsOrderIndependence", ref, got, s)
			}
		}
		c.check(t, ref, s, &cov.eventMsgs, &cov.detailsMsgs, &cov.spanWins, &cov.spanEvents, &cov.movedLogs, &cov.strandedLogs)
	}
	t.Logf("coverage: %+v", cov)
	if n >= 50 && (cov.eventMsgs == 0 || cov.detailsMsgs == 0 || cov.spanWins == 0 || cov.spanEvents == 0 || cov.movedLogs == 0 || cov.strandedLogs == 0 || cov.childFirst == 0) {
		t.Fatalf("generator did not exercise every source: %+v", cov)
	}
}

// firstRequest is the index of the first request of d that carries span id.
func firstRequest(d [][]unit, id pcommon.SpanID) int {
	for i, req := range d {
		for _, u := range req {
			if u.recs == nil && u.span.SpanID() == id {
				return i
			}
		}
	}
	return len(d)
}

// unit is what must travel together: one span, or the log records one span
// emitted in one instant.
type unit struct {
	span ptrace.Span
	recs []plog.LogRecord
}

type genMode int

const (
	modeEvents genMode = iota
	modeDetails
	modeSpanWins
	modeSpanEvents
)

type genSpec struct {
	id    pcommon.SpanID
	mode  genMode
	user  string
	reply string
}

type logCase struct {
	seed  uint64
	trace pcommon.TraceID
	root  pcommon.SpanID
	tool  pcommon.SpanID
	// guard is a plain span under the first generation and sub a
	// generation under the tool call (an agent used as a tool): children
	// of a generation and of a tool call, which a split delivery sends in
	// another request than their parent.
	guard pcommon.SpanID
	sub   pcommon.SpanID
	gens  []genSpec
	units []unit
}

func genLogCase(seed uint64) *logCase {
	rng := rand.New(rand.NewPCG(seed, 0x106e7e))
	c := &logCase{seed: seed}
	binaryPut := func(b []byte) {
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		b[0] |= 1 // never all zero
	}
	binaryPut(c.trace[:])
	binaryPut(c.root[:])
	binaryPut(c.tool[:])
	binaryPut(c.guard[:])
	binaryPut(c.sub[:])
	base := pcommon.Timestamp(1_790_000_000_000_000_000)
	ms := func(n int) pcommon.Timestamp { return base + pcommon.Timestamp(n)*pcommon.Timestamp(time.Millisecond) }
	newSpan := func(id, parent pcommon.SpanID, name string, start, end int, attrs map[string]any) ptrace.Span {
		sp := ptrace.NewSpan()
		sp.SetTraceID(c.trace)
		sp.SetSpanID(id)
		sp.SetParentSpanID(parent)
		sp.SetName(name)
		sp.SetStartTimestamp(ms(start))
		sp.SetEndTimestamp(ms(end))
		_ = sp.Attributes().FromRaw(attrs)
		return sp
	}
	newRec := func(span pcommon.SpanID, name string, at int, body map[string]any, attrs map[string]any) plog.LogRecord {
		lr := plog.NewLogRecord()
		lr.SetTraceID(c.trace)
		lr.SetSpanID(span)
		lr.SetTimestamp(ms(at))
		_ = lr.Attributes().FromRaw(attrs)
		if name != "" {
			if rng.IntN(2) == 0 {
				lr.Attributes().PutStr("event.name", name)
			} else {
				lr.SetEventName(name)
			}
		}
		if body != nil {
			_ = lr.Body().SetEmptyMap().FromRaw(body)
		}
		return lr
	}
	c.units = append(c.units, unit{span: newSpan(c.root, pcommon.SpanID{}, "agent run", 0, 1000, map[string]any{"app": "x"})})
	t := 10
	for g := 0; g < 1+rng.IntN(3); g++ {
		spec := genSpec{mode: genMode(rng.IntN(4)), user: fmt.Sprintf("question %d-%d", seed%97, g), reply: fmt.Sprintf("answer %d", g)}
		binaryPut(spec.id[:])
		c.gens = append(c.gens, spec)
		start, end := t, t+50
		t += 100
		attrs := map[string]any{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.system": "openai",
			"gen_ai.usage.input_tokens": 10 + g, "gen_ai.usage.output_tokens": 3 + g, "gen_ai.response.finish_reasons": []any{"stop"}}
		sp := newSpan(spec.id, c.root, "chat gpt-4o-mini", start, end, attrs)
		sys := map[string]any{"gen_ai.system": "openai"}
		var groups [][]plog.LogRecord
		switch spec.mode {
		case modeEvents, modeSpanWins:
			// instrumentation-openai: every input message at one instant.
			in := []plog.LogRecord{
				newRec(spec.id, "gen_ai.system.message", start, map[string]any{"content": "Be brief."}, sys),
				newRec(spec.id, "gen_ai.user.message", start, map[string]any{"content": spec.user}, sys),
			}
			if rng.IntN(2) == 0 { // a tool round in the history
				in = append(in,
					newRec(spec.id, "gen_ai.assistant.message", start, map[string]any{"tool_calls": []any{map[string]any{"id": "call_" + strconv.Itoa(g),
						"type": "function", "function": map[string]any{"name": "lookup", "arguments": `{"q":1}`}}}}, sys),
					newRec(spec.id, "gen_ai.tool.message", start, map[string]any{"id": "call_" + strconv.Itoa(g), "content": "found"}, sys),
					newRec(spec.id, "gen_ai.user.message", start, map[string]any{"content": "and then?"}, sys))
			}
			groups = append(groups, in, []plog.LogRecord{newRec(spec.id, "gen_ai.choice", end,
				map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"content": spec.reply}}, sys)})
			if spec.mode == modeSpanWins {
				sp.Attributes().PutStr("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"span says hi"}]}]`)
				sp.Attributes().PutStr("gen_ai.output.messages", `[{"role":"assistant","parts":[{"type":"text","content":"span answer"}]}]`)
			}
		case modeDetails:
			d := "gen_ai.client.inference.operation.details"
			groups = append(groups,
				[]plog.LogRecord{newRec(spec.id, d, start, nil, map[string]any{"gen_ai.input.messages": []any{
					map[string]any{"role": "system", "parts": []any{map[string]any{"type": "text", "content": "Be brief."}}},
					map[string]any{"role": "user", "parts": []any{map[string]any{"type": "text", "content": spec.user}}}}})},
				[]plog.LogRecord{newRec(spec.id, d, end-1, nil, map[string]any{"gen_ai.output.messages": []any{
					map[string]any{"role": "assistant", "finish_reason": "tool_call", "parts": []any{
						map[string]any{"type": "tool_call", "id": "fc_" + strconv.Itoa(g), "name": "lookup", "arguments": map[string]any{"q": 2}}}}}})},
				[]plog.LogRecord{newRec(spec.id, d, end, nil, map[string]any{"gen_ai.output.messages": []any{
					map[string]any{"role": "assistant", "finish_reason": "stop", "parts": []any{map[string]any{"type": "text", "content": spec.reply}}}}})})
		case modeSpanEvents:
			e := sp.Events().AppendEmpty()
			e.SetName("gen_ai.user.message")
			e.SetTimestamp(ms(start))
			e.Attributes().PutStr("content", spec.user)
			e = sp.Events().AppendEmpty()
			e.SetName("gen_ai.choice")
			e.SetTimestamp(ms(end))
			e.Attributes().PutStr("message", `{"content":"`+spec.reply+`"}`)
			e.Attributes().PutStr("finish_reason", "stop")
		}
		c.units = append(c.units, unit{span: sp})
		for _, g := range groups {
			c.units = append(c.units, unit{recs: g})
		}
	}
	c.units = append(c.units, unit{span: newSpan(c.tool, c.root, "execute_tool lookup", t, t+5,
		map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"})})
	g0 := c.gens[0].id
	c.units = append(c.units,
		unit{span: newSpan(c.guard, g0, "moderation", 12, 14, map[string]any{"check": "pii"})},
		unit{span: newSpan(c.sub, c.tool, "chat gpt-4o-mini", t+1, t+4, map[string]any{"gen_ai.operation.name": "chat",
			"gen_ai.request.model": "gpt-4o-mini", "gen_ai.system": "openai", "gen_ai.usage.input_tokens": 7, "gen_ai.usage.output_tokens": 1})})
	plain := func(span pcommon.SpanID, at int, msg string) unit {
		lr := newRec(span, "", at, nil, map[string]any{"n": at})
		lr.Body().SetStr(msg)
		return unit{recs: []plog.LogRecord{lr}}
	}
	lost := pcommon.SpanID{0xde, 0xad}
	c.units = append(c.units, plain(c.tool, t+1, "tool log"), plain(c.guard, 13, "guard log"), plain(c.root, 1, "root log"), plain(lost, 2, "span never sent"),
		plain(pcommon.SpanID{}, 3, "no span: dropped"))
	// Two identical lines in one instant are two events.
	twice := plain(c.root, 4, "same line")
	twice.recs = append(twice.recs, twice.recs[0])
	c.units = append(c.units, twice)
	return c
}

// deliveries returns random orders of the units, split into requests of one
// signal each, with some requests resent later.
func (c *logCase) deliveries() [][][]unit {
	rng := rand.New(rand.NewPCG(c.seed, 0xde11))
	var out [][][]unit
	for k := 0; k < 4; k++ {
		us := append([]unit(nil), c.units...)
		switch k {
		case 0: // logs before any span
			var logs, spans []unit
			for _, u := range us {
				if u.recs != nil {
					logs = append(logs, u)
				} else {
					spans = append(spans, u)
				}
			}
			us = append(logs, spans...)
		case 1: // reversed
			for i, j := 0, len(us)-1; i < j; i, j = i+1, j-1 {
				us[i], us[j] = us[j], us[i]
			}
		default:
			rng.Shuffle(len(us), func(i, j int) { us[i], us[j] = us[j], us[i] })
		}
		var reqs [][]unit
		var cur []unit
		for _, u := range us {
			if len(cur) > 0 && ((cur[0].recs == nil) != (u.recs == nil) || rng.IntN(3) == 0) {
				reqs = append(reqs, cur)
				cur = nil
			}
			cur = append(cur, u)
		}
		reqs = append(reqs, cur)
		for i := range reqs {
			if rng.IntN(3) == 0 { // resent (a retry), later on
				at := i + 1 + rng.IntN(len(reqs)-i)
				reqs = append(reqs[:at], append([][]unit{reqs[i]}, reqs[at:]...)...)
			}
		}
		out = append(out, reqs)
	}
	return out
}

// assembleDelivery sends the requests through the processor (traces and
// logs), turns them into commits the way the tracetree exporter does, and
// returns the assembled tree's JSON without version fields.
func assembleDelivery(t *testing.T, c *logCase, reqs [][]unit) []byte {
	t.Helper()
	ctx := context.Background()
	set := processortest.NewNopSettings(metadata.Type)
	ts, ls := new(consumertest.TracesSink), new(consumertest.LogsSink)
	tp, err := NewFactory().CreateTraces(ctx, set, createDefaultConfig(), ts)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := NewFactory().CreateLogs(ctx, set, createDefaultConfig(), ls)
	if err != nil {
		t.Fatal(err)
	}
	st := memstore.New()
	clock := time.Unix(1_800_000_000, 0)
	v := commit.NewVersionerClock(func() time.Time { clock = clock.Add(time.Millisecond); return clock })
	for _, req := range reqs {
		var cs []commit.Commit
		if req[0].recs == nil {
			cs = sendSpans(t, tp, ts, req, v)
		} else {
			cs = sendLogs(t, lp, ls, req)
		}
		if err := st.Apply(ctx, cs, tree.EdgesOfAll(cs)); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := tree.AssembleTrace(ctx, st, commit.NodeRef{Repo: "default", Kind: commit.EntityTrace, ID: c.trace.String()})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(tr)
	var doc any
	_ = json.Unmarshal(raw, &doc)
	return mustJSON(withoutVersions(doc))
}

func sendSpans(t *testing.T, p processor.Traces, sink *consumertest.TracesSink, req []unit, v *commit.Versioner) []commit.Commit {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for _, u := range req {
		u.span.CopyTo(spans.AppendEmpty())
	}
	sink.Reset()
	if err := p.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	cs, err := spancommit.FromTraces(sink.AllTraces()[0], v)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func sendLogs(t *testing.T, p processor.Logs, sink *consumertest.LogsSink, req []unit) []commit.Commit {
	ld := plog.NewLogs()
	recs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, u := range req {
		for _, r := range u.recs {
			r.CopyTo(recs.AppendEmpty())
		}
	}
	sink.Reset()
	if err := p.ConsumeLogs(context.Background(), ld); err != nil {
		t.Fatal(err)
	}
	var out []commit.Commit
	for _, l := range sink.AllLogs() {
		cs, err := commit.CommitsFromLogs(l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cs...)
	}
	return out
}

func withoutVersions(x any) any {
	switch t := x.(type) {
	case map[string]any:
		delete(t, "firstVersion")
		delete(t, "lastVersion")
		for k, v := range t {
			t[k] = withoutVersions(v)
		}
	case []any:
		for i := range t {
			t[i] = withoutVersions(t[i])
		}
	}
	return x
}

func mustJSON(x any) []byte {
	b, _ := json.Marshal(x)
	return b
}

// check asserts what the reference tree must hold, so the comparison
// cannot pass on trees that lost the events.
func (c *logCase) check(t *testing.T, raw []byte, seed uint64, eventMsgs, detailsMsgs, spanWins, spanEvents, moved, stranded *int) {
	t.Helper()
	type node struct {
		Kind       string            `json:"kind"`
		ID         string            `json:"id"`
		Messages   []json.RawMessage `json:"messages"`
		Completion struct {
			Text          string            `json:"text"`
			ToolCalls     []json.RawMessage `json:"toolCalls"`
			FinishReasons []string          `json:"finishReasons"`
		} `json:"completion"`
		Events []struct {
			Name  string         `json:"name"`
			Extra map[string]any `json:"extra"`
		} `json:"events"`
		Totals struct {
			InputTokens int64 `json:"inputTokens"`
		} `json:"totals"`
		Children []*node `json:"children"`
	}
	var tr struct{ Trace *node }
	if err := json.Unmarshal(raw, &tr); err != nil || tr.Trace == nil {
		t.Fatalf("seed %d: tree: %v", seed, err)
	}
	byID := map[string]*node{}
	var walk func(n *node)
	walk = func(n *node) {
		byID[n.ID] = n
		for _, k := range n.Children {
			walk(k)
		}
	}
	parentOf := map[string]string{}
	var up func(n *node)
	up = func(n *node) {
		for _, k := range n.Children {
			parentOf[k.ID] = n.ID
			up(k)
		}
	}
	walk(tr.Trace)
	up(tr.Trace)
	fail := func(f string, a ...any) { t.Fatalf("seed %d: "+f+"\n%s", append([]any{seed}, append(a, raw)...)...) }
	var wantIn int64
	for i, g := range c.gens {
		n := byID[g.id.String()]
		if n == nil || n.Kind != "generation" {
			fail("generation %d missing", i)
		}
		wantIn += int64(10 + i)
		var parts []string
		for _, m := range n.Messages {
			parts = append(parts, string(m))
		}
		msgs := strings.Join(parts, ",")
		switch g.mode {
		case modeEvents:
			*eventMsgs++
			if !strings.HasPrefix(msgs, canon(`{"role":"system","content":"Be brief."}`)+","+canon(`{"role":"user","content":"`+g.user+`"}`)) || n.Completion.Text != g.reply {
				fail("generation %d (events): messages %s, answer %q", i, msgs, n.Completion.Text)
			}
			if len(n.Messages) == 5 && !strings.Contains(msgs, `"tool_call_id":"call_`) {
				fail("generation %d: tool round lost: %s", i, msgs)
			}
		case modeDetails:
			*detailsMsgs++
			if msgs != canon(`{"role":"system","content":"Be brief."}`)+","+canon(`{"role":"user","content":"`+g.user+`"}`) || n.Completion.Text != g.reply ||
				len(n.Completion.ToolCalls) != 1 {
				fail("generation %d (details): messages %s, completion %+v", i, msgs, n.Completion)
			}
		case modeSpanWins:
			*spanWins++
			if msgs != canon(`{"role":"user","content":"span says hi"}`) || n.Completion.Text != "span answer" {
				fail("generation %d (span wins): messages %s, answer %q", i, msgs, n.Completion.Text)
			}
		case modeSpanEvents:
			*spanEvents++
			if msgs != canon(`{"role":"user","content":"`+g.user+`"}`) || n.Completion.Text != g.reply {
				fail("generation %d (span events): messages %s, answer %q", i, msgs, n.Completion.Text)
			}
		}
		if len(n.Events) != 0 {
			fail("generation %d lists its GenAI content as events", i)
		}
	}
	if g := byID[c.guard.String()]; g == nil || g.Kind != "span" || parentOf[g.ID] != c.gens[0].id.String() || len(g.Events) != 1 {
		fail("the span under the first generation is not its child, with its log record")
	}
	if sub := byID[c.sub.String()]; sub == nil || sub.Kind != "generation" || parentOf[sub.ID] != c.tool.String() {
		fail("the generation under the tool call is not its child")
	}
	wantIn += 7 // the generation under the tool call
	if tr.Trace.Totals.InputTokens != wantIn {
		fail("input tokens %d, want %d", tr.Trace.Totals.InputTokens, wantIn)
	}
	if tool := byID[c.tool.String()]; tool == nil || len(tool.Events) != 1 || tool.Events[0].Name != "log" {
		fail("the tool span's log record is not on its node")
	}
	if root := byID[c.root.String()]; root == nil || len(root.Events) != 3 {
		fail("the root span's log records (one, and one line twice) are not on its node")
	}
	*moved++
	if len(tr.Trace.Events) != 1 || tr.Trace.Events[0].Extra["spanId"] != "dead000000000000" {
		fail("a record of a span never sent must stay on the trace, naming its span")
	}
	*stranded++
}

// canon is s re-marshalled with sorted keys, as the compared trees are.
func canon(s string) string {
	var x any
	_ = json.Unmarshal([]byte(s), &x)
	return string(mustJSON(x))
}
