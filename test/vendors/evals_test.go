package vendors

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// evalOverlays adds online evaluations to configs/vendors.yaml the way
// configs/evals.yaml has them: the genai_eval receiver's pii evaluator on
// generations and traces, its verdicts into the store.
var evalOverlays = []string{
	"yaml:receivers::genai_eval: {store: tracetree_store, quiet_period: 300ms, poll_interval: 100ms, " +
		"evaluators: [{name: pii, type: pii, field: output, filter: {kinds: [generation, trace]}}]}",
	"yaml:service::pipelines::logs/evals: {receivers: [genai_eval], exporters: [tracetree]}",
}

// evaluationEvents returns, per maxim.entity.id of the span that carries
// it, the gen_ai.evaluation.result events of evaluator name among spans.
func evaluationEvents(spans []ptrace.Span, name string) map[string][]ptrace.SpanEvent {
	out := map[string][]ptrace.SpanEvent{}
	for _, sp := range spans {
		for i := 0; i < sp.Events().Len(); i++ {
			ev := sp.Events().At(i)
			if ev.Name() != "gen_ai.evaluation.result" {
				continue
			}
			if n, _ := ev.Attributes().Get("gen_ai.evaluation.name"); n.AsString() != name {
				continue
			}
			id := attr(sp, "maxim.entity.id")
			out[id] = append(out[id], ev)
		}
	}
	return out
}

// TestSDKVerdictsReachDatadogAndNewRelic: the collector's own verdicts on
// an SDK trace (genai_eval, written back into the store) reach both
// vendors through the feed as OTel GenAI gen_ai.evaluation.result events,
// once per judged entity, on the judged entity's span or its
// "update <name>" child (whichever the verdict's timing gives).
//
// Verdicts on traces that came in over OTLP reach the vendors as log
// records instead (TestOTLPVerdictsReachDatadogAndNewRelicAsLogEvents).
func TestSDKVerdictsReachDatadogAndNewRelic(t *testing.T) {
	h := startCollector(t, evalOverlays...)
	h.postSDK(t, sdkBody)
	const (
		traceID = "0b7e5a52-1f1c-4c43-9a57-4a1d2c3e4f50"
		genID   = "7d4c2b1a-0000-4000-8000-00000000b001"
	)
	sdkSpans := func(all []ptrace.Span) []ptrace.Span {
		var out []ptrace.Span
		for _, s := range all {
			if s.TraceID().String() == sdkTraceHex {
				out = append(out, s)
			}
		}
		return out
	}
	for vendor, spans := range map[string]func() []ptrace.Span{"New Relic": h.nr.Spans, "Datadog": h.dd.Spans} {
		require.Eventually(t, func() bool {
			got := evaluationEvents(sdkSpans(spans()), "pii")
			return len(got[traceID]) > 0 && len(got[genID]) > 0
		}, 60*time.Second, 100*time.Millisecond, "%s: pii verdicts of the trace and the generation", vendor)
	}
	// Nothing pending in the feed: a second copy would be here by now.
	require.Eventually(t, func() bool { return h.feedPending(t) == 0 }, 30*time.Second, 50*time.Millisecond)
	for vendor, spans := range map[string]func() []ptrace.Span{"New Relic": h.nr.Spans, "Datadog": h.dd.Spans} {
		got := evaluationEvents(sdkSpans(spans()), "pii")
		assert.ElementsMatch(t, []string{traceID, genID}, names(got), vendor)
		for id, evs := range got {
			require.Len(t, evs, 1, "%s: %s judged once", vendor, id)
			a := evs[0].Attributes().AsRaw()
			assert.Equal(t, "pass", a["gen_ai.evaluation.score.label"], "%s %s", vendor, id)
			assert.Equal(t, 1.0, a["gen_ai.evaluation.score.value"], "%s %s", vendor, id)
			assert.Equal(t, "no PII found in output", a["gen_ai.evaluation.explanation"], fmt.Sprintf("%s %s", vendor, id))
		}
	}
}

// evalVendorOverlays are evalOverlays with the verdict logs also routed to
// both vendors, as receiver/genaievalreceiver's README documents: a verdict
// on an entity that came in over OTLP is a gen_ai.evaluation.result log
// record on the judged span.
var evalVendorOverlays = []string{
	evalOverlays[0],
	"yaml:service::pipelines::logs/evals: {receivers: [genai_eval], " +
		"exporters: [tracetree, otlp_http/datadog, otlp_http/newrelic]}",
}

// TestOTLPVerdictsReachDatadogAndNewRelicAsLogEvents: the pii verdict on a
// generation that came in over OTLP (its spans went to the vendors long
// before) reaches both intakes once, as an OTel GenAI
// gen_ai.evaluation.result log record with the chat span's trace and span
// ids, the semconv attributes and the completion's gen_ai.response.id.
func TestOTLPVerdictsReachDatadogAndNewRelicAsLogEvents(t *testing.T) {
	h := startCollector(t, evalVendorOverlays...)
	td, tid := otlpTrace()
	chatSpan := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(1)
	require.Equal(t, "chat gpt-4o", chatSpan.Name())
	chatSpan.Attributes().PutStr("gen_ai.response.id", "chatcmpl-otlp-1")
	chatSpan.Attributes().PutStr("gen_ai.output.messages",
		`[{"role":"assistant","parts":[{"type":"text","content":"Mail jane.doe@example.com for the forecast."}],"finish_reason":"stop"}]`)
	chatID := chatSpan.SpanID()
	h.postOTLP(t, td)

	// Records of the OTLP trace's verdicts, by span id.
	events := func(recs []plog.LogRecord) map[string][]plog.LogRecord {
		out := map[string][]plog.LogRecord{}
		for _, lr := range recs {
			if lr.EventName() == "gen_ai.evaluation.result" && lr.TraceID() == tid {
				out[lr.SpanID().String()] = append(out[lr.SpanID().String()], lr)
			}
		}
		return out
	}
	intakes := map[string]func() []plog.LogRecord{"New Relic": h.nr.LogRecords, "Datadog": h.dd.LogRecords}
	for vendor, recs := range intakes {
		require.Eventually(t, func() bool { return len(events(recs())[chatID.String()]) > 0 },
			60*time.Second, 100*time.Millisecond, "%s: the chat span's pii verdict", vendor)
	}
	// Every evaluation handed on is at both intakes and nothing is left to
	// judge: a second copy would have been sent by now.
	var judged float64
	require.Eventually(t, func() bool {
		judged = h.metricSum(t, "otelcol_genai_eval_evaluations", `outcome="failed"`) +
			h.metricSum(t, "otelcol_genai_eval_evaluations", `outcome="passed"`)
		if h.metricSum(t, "otelcol_genai_eval_pending", "") != 0 || judged < 1 {
			return false
		}
		for _, recs := range intakes {
			n := 0
			for _, lrs := range events(recs()) {
				n += len(lrs)
			}
			if float64(n) != judged {
				return false
			}
		}
		return true
	}, 60*time.Second, 100*time.Millisecond, "each verdict of the OTLP trace at both intakes")
	t.Logf("%v verdicts on the OTLP trace", judged)

	spanIDs := map[string]bool{}
	for i := 0; i < td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().Len(); i++ {
		spanIDs[td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(i).SpanID().String()] = true
	}
	for vendor, recs := range intakes {
		got := events(recs())
		for id, lrs := range got {
			assert.True(t, spanIDs[id], "%s: verdict on span %s, not one of the trace's", vendor, id)
			require.Len(t, lrs, 1, "%s: span %s judged once by pii", vendor, id)
		}
		lr := got[chatID.String()][0]
		a := lr.Attributes().AsRaw()
		assert.Equal(t, "pii", a["gen_ai.evaluation.name"], vendor)
		assert.Equal(t, "fail", a["gen_ai.evaluation.score.label"], vendor)
		assert.Equal(t, 0.0, a["gen_ai.evaluation.score.value"], vendor)
		assert.Contains(t, a["gen_ai.evaluation.explanation"], "email", vendor)
		assert.Equal(t, "chatcmpl-otlp-1", a["gen_ai.response.id"], vendor)
		assert.NotZero(t, lr.Timestamp(), vendor)
	}
	errs, bad := h.dd.Errors()
	assert.Empty(t, errs)
	assert.Zero(t, bad)
	errs, bad = h.nr.Errors()
	assert.Empty(t, errs)
	assert.Zero(t, bad)
}
