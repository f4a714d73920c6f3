package vendors

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
// Verdicts on traces that came in over OTLP do not reach the vendors (the
// feed does not re-emit OTLP traces; see receiver/genaievalreceiver's
// README): they are in the store and the API only.
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
