package genaimetricsconnector

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// pairSpans renders one model call recorded twice: the application's
// CLIENT span and an LLM gateway's SERVER span that continued its trace
// (through the HTTP client span between them), each in its own batch as
// two processes send them.
func pairSpans(c1 call) (app, gateway *batch) {
	tr := tid(9)
	app = newBatch("")
	root := app.span(tr, sid(1), pcommon.SpanID{}, spancommit.KindSpan)
	root.Attributes().PutStr(spancommit.AttrRepo, c1.repo)
	client := app.canonical(tr, sid(2), sid(1), c1)
	client.SetKind(ptrace.SpanKindClient)
	httpSpan := app.span(tr, sid(3), sid(2), "")
	httpSpan.SetKind(ptrace.SpanKindClient)

	gateway = newBatch("")
	server := gateway.canonical(tr, sid(4), sid(3), c1)
	server.SetKind(ptrace.SpanKindServer)
	return app, gateway
}

// TestClientServerPair: the pair is counted once, on the client half,
// whatever batch each half arrives in and in which order; a gateway that
// is the trace's entry point (no caller) counts.
func TestClientServerPair(t *testing.T) {
	c1 := call{repo: "repo-a", provider: "openai", reqModel: "gpt-4o", respModel: "gpt-4o-2024-08-06", in: 100, out: 10, dur: time.Second}
	inKey := MetricTokenUsage + "{" + strings.Replace(callAttrs, ",maxim.repo.id", ",gen_ai.token.type=input,maxim.repo.id", 1) + "}"

	deliveries := map[string]func(c *genaiMetrics) map[string]point{
		"app then gateway": func(c *genaiMetrics) map[string]point {
			app, gw := pairSpans(c1)
			consume(t, c, app)
			return consume(t, c, gw)
		},
		"gateway then app": func(c *genaiMetrics) map[string]point {
			app, gw := pairSpans(c1)
			consume(t, c, gw)
			return consume(t, c, app)
		},
		"one batch": func(c *genaiMetrics) map[string]point {
			app, gw := pairSpans(c1)
			gw.sps.MoveAndAppendTo(app.sps)
			return consume(t, c, app)
		},
	}
	var first map[string]point
	for name, deliver := range deliveries {
		t.Run(name, func(t *testing.T) {
			c, _ := newTestConnector(t, nil)
			got := deliver(c)
			assert.Equal(t, uint64(1), got[inKey].Count, "one model call")
			assert.Equal(t, float64(100), got[inKey].Sum)
			assert.Equal(t, uint64(1), got[MetricDuration+"{"+callAttrs+"}"].Count)
			assert.Equal(t, float64(1), got["genai.traces{maxim.repo.id=repo-a}"].Value)
			if first == nil {
				first = got
			}
			assert.Equal(t, first, got, "every delivery gives the same metrics")
		})
	}

	t.Run("gateway without caller counts", func(t *testing.T) {
		c, _ := newTestConnector(t, nil)
		b := newBatch("")
		sp := b.canonical(tid(7), sid(1), pcommon.SpanID{}, c1)
		sp.SetKind(ptrace.SpanKindServer)
		got := consume(t, c, b)
		require.Equal(t, uint64(1), got[inKey].Count)
		assert.Equal(t, float64(100), got[inKey].Sum)
	})
}
