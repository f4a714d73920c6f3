package genaievalreceiver

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/internal/evaluate"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

var (
	otlpTraceID = pcommon.TraceID{0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18, 0x29, 0x3a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f, 0x90}
	otlpRoot    = pcommon.SpanID{0, 0, 0, 0, 0, 0, 0x10, 1}
	otlpChat    = pcommon.SpanID{0, 0, 0, 0, 0, 0, 0x10, 2}
)

// pushOTLP stores an OTLP trace the way the tracetree exporter does: an
// agent span with a chat span whose answer leaks an e-mail address.
func (fx *fixture) pushOTLP() {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	start := fx.clock.Add(-3 * time.Second)
	mk := func(id, parent pcommon.SpanID, name string, off, dur time.Duration) ptrace.Span {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(otlpTraceID)
		sp.SetSpanID(id)
		sp.SetParentSpanID(parent)
		sp.SetName(name)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start.Add(off)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(off + dur)))
		sp.Attributes().PutStr(spancommit.AttrRepo, repo)
		sp.Attributes().PutBool(spancommit.AttrNormalized, true)
		sp.Attributes().PutStr(spancommit.AttrKind, spancommit.KindSpan)
		return sp
	}
	agent := mk(otlpRoot, pcommon.SpanID{}, "invoke_agent support", 0, time.Second)
	agent.Attributes().PutStr(spancommit.AttrOutput, "all good")
	chat := mk(otlpChat, otlpRoot, "chat gpt-4o", 100*time.Millisecond, 500*time.Millisecond)
	chat.Attributes().PutStr(spancommit.AttrKind, "generation")
	chat.Attributes().PutStr(spancommit.AttrModel, "gpt-4o")
	chat.Attributes().PutStr(spancommit.AttrResponseID, "chatcmpl-otlp-1")
	chat.Attributes().PutStr(spancommit.AttrInputMessages, `[{"role":"user","content":"How do I reach support?"}]`)
	chat.Attributes().PutStr(spancommit.AttrOutputMessages, `[{"role":"assistant","content":"Write to jane.doe@example.com"}]`)
	cs, err := spancommit.FromTraces(td, fx.v)
	require.NoError(fx.t, err)
	require.NoError(fx.t, fx.st.Apply(context.Background(), cs, tree.EdgesOfAll(cs)))
	require.NoError(fx.t, fx.st.Flush(context.Background()))
}

// records returns the verdict log records handed on, by "kind/id/evaluator".
func (fx *fixture) verdictRecords() map[string][]plog.LogRecord {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	out := map[string][]plog.LogRecord{}
	for _, ld := range fx.logs {
		rls := ld.ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			sls := rls.At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				for k := 0; k < sls.At(j).LogRecords().Len(); k++ {
					lr := sls.At(j).LogRecords().At(k)
					a := lr.Attributes()
					kind, _ := a.Get(commit.AttrEntity)
					id, _ := a.Get(commit.AttrEntityID)
					var ev tree.Evaluation
					require.NoError(fx.t, json.Unmarshal([]byte(lr.Body().Str()), &ev))
					key := kind.Str() + "/" + id.Str() + "/" + ev.Evaluator
					out[key] = append(out[key], lr)
				}
			}
		}
	}
	return out
}

// TestVerdictOnOTLPSpanIsSemconvEvent: a verdict on an entity written from
// OTLP is one log record that is both the evaluate commit (stored as
// before) and the gen_ai.evaluation.result event on the judged span: its
// trace and span ids, the semconv attributes, gen_ai.response.id of the
// judged completion. A trace verdict names the root span.
func TestVerdictOnOTLPSpanIsSemconvEvent(t *testing.T) {
	fx := newFixture(t, memstore.New())
	e := fx.engine(nil)
	fx.pushOTLP()
	fx.step(e)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)

	recs := fx.verdictRecords()
	traceHex := otlpTraceID.String()
	gen := recs["generation/"+otlpChat.String()+"/pii"]
	require.Len(t, gen, 1, "one record per verdict: %v", keys(recs))
	lr := gen[0]
	assert.Equal(t, "gen_ai.evaluation.result", lr.EventName())
	assert.Equal(t, otlpTraceID, lr.TraceID())
	assert.Equal(t, otlpChat, lr.SpanID())
	assert.Equal(t, pcommon.NewTimestampFromTime(fx.clock), lr.Timestamp())
	a := lr.Attributes().AsRaw()
	assert.Equal(t, "pii", a["gen_ai.evaluation.name"])
	assert.Equal(t, "fail", a["gen_ai.evaluation.score.label"])
	assert.Equal(t, 0.0, a["gen_ai.evaluation.score.value"])
	assert.Contains(t, a["gen_ai.evaluation.explanation"], "email")
	assert.Equal(t, "chatcmpl-otlp-1", a["gen_ai.response.id"])

	// The trace's verdicts are events on its root span.
	for _, name := range []string{"pii", "latency"} {
		tr := recs["trace/"+traceHex+"/"+name]
		require.Len(t, tr, 1, name)
		assert.Equal(t, "gen_ai.evaluation.result", tr[0].EventName(), name)
		assert.Equal(t, otlpTraceID, tr[0].TraceID(), name)
		assert.Equal(t, otlpRoot, tr[0].SpanID(), name)
		n, _ := tr[0].Attributes().Get("gen_ai.evaluation.name")
		assert.Equal(t, name, n.Str())
		_, has := tr[0].Attributes().Get("gen_ai.response.id")
		assert.False(t, has, "a trace has no completion")
	}
	assert.Len(t, recs, 3, "%v", keys(recs))

	// The same records were stored as verdicts, as for SDK traffic.
	v := fx.verdicts(traceHex)
	require.Contains(t, v, "generation/"+otlpChat.String())
	assert.False(t, *v["generation/"+otlpChat.String()]["pii"].Pass)
	assert.Len(t, v["trace/"+traceHex], 2)
}

// TestVerdictOnSDKEntityIsOnlyACommit: SDK entities have no OTel ids (their
// verdicts reach vendors through tracetree_feed), so their records stay
// plain commits.
func TestVerdictOnSDKEntityIsOnlyACommit(t *testing.T) {
	fx := newFixture(t, memstore.New())
	e := fx.engine(nil)
	fx.push(chat)
	fx.step(e)
	fx.clock = fx.clock.Add(6 * time.Second)
	fx.step(e)
	recs := fx.verdictRecords()
	require.Len(t, recs, 3)
	for k, rs := range recs {
		require.Len(t, rs, 1, k)
		assert.Empty(t, rs[0].EventName(), k)
		assert.True(t, rs[0].TraceID().IsEmpty(), k)
		_, has := rs[0].Attributes().Get("gen_ai.evaluation.name")
		assert.False(t, has, k)
	}
}

// TestVerdictLogsRecordedError: a recorded judge error is the event
// without a score, with error.type, and the store still reads the commit.
func TestVerdictLogsRecordedError(t *testing.T) {
	s := evaluate.Subject{Repo: repo, Kind: "generation", EntityID: otlpChat.String(), TraceID: otlpTraceID.String()}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	c, err := verdictCommit(s, "relevance", evaluate.Result{Judge: &evaluate.JudgeUsage{Model: "judge-1", Attempts: 3}},
		assert.AnError, now, 7)
	require.NoError(t, err)
	link := &spanLink{traceID: otlpTraceID, spanID: otlpChat}
	ld, err := verdictLogs(c, link, now)
	require.NoError(t, err)
	require.Equal(t, 1, ld.LogRecordCount())
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	a := lr.Attributes().AsRaw()
	assert.Equal(t, "relevance", a["gen_ai.evaluation.name"])
	assert.Equal(t, "evaluation_error", a["error.type"])
	assert.Equal(t, assert.AnError.Error(), a["maxim.evaluation.error"])
	assert.Equal(t, "judge-1", a["maxim.evaluation.judge.model"])
	assert.NotContains(t, a, "gen_ai.evaluation.score.value")
	assert.NotContains(t, a, "gen_ai.evaluation.score.label")
	cs, err := commit.CommitsFromLogs(ld)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	assert.Equal(t, c.ID, cs[0].ID)
	assert.Equal(t, c.Version, cs[0].Version)
	assert.JSONEq(t, string(c.Data), string(cs[0].Data))
}

// TestLinkOf: ids that are not OTLP ids give no link; a trace with no
// single local root names the trace only.
func TestLinkOf(t *testing.T) {
	root := &tree.TreeNode{Node: tree.Node{Kind: commit.EntityTrace, ID: otlpTraceID.String()}}
	a := &tree.TreeNode{Node: tree.Node{Kind: commit.EntitySpan, ID: otlpRoot.String()}}
	b := &tree.TreeNode{Node: tree.Node{Kind: commit.EntitySpan, ID: otlpChat.String(), ParentSpanID: "00000000000000ff"}}
	root.Children = []*tree.TreeNode{a, b}
	l := linkOf(root.ID, root, root)
	require.NotNil(t, l)
	assert.Equal(t, otlpRoot, l.spanID, "the span without a parent")
	c := &tree.TreeNode{Node: tree.Node{Kind: commit.EntitySpan, ID: "0000000000000003"}}
	root.Children = append(root.Children, c)
	l = linkOf(root.ID, root, root)
	require.NotNil(t, l)
	assert.True(t, l.spanID.IsEmpty(), "two local roots: the trace only")
	assert.Equal(t, otlpTraceID, l.traceID)
	assert.Nil(t, linkOf("t-1", root, a), "not an OTLP trace id")
	assert.Nil(t, linkOf(root.ID, root, &tree.TreeNode{Node: tree.Node{ID: "g-1"}}), "not a span id")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// BenchmarkVerdictLogs: the record of one verdict, a plain commit (SDK
// entity) and the commit that is also the semconv event (OTLP span).
func BenchmarkVerdictLogs(b *testing.B) {
	s := evaluate.Subject{Repo: repo, Kind: "generation", EntityID: otlpChat.String(), TraceID: otlpTraceID.String()}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	c, err := verdictCommit(s, "pii", evaluate.Result{Score: 0, Pass: false, Reason: "email found in output"}, nil, now, 7)
	require.NoError(b, err)
	for name, link := range map[string]*spanLink{"sdk": nil, "otlp": {traceID: otlpTraceID, spanID: otlpChat, responseID: "chatcmpl-1"}} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := verdictLogs(c, link, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
