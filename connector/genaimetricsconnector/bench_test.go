package genaimetricsconnector

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// benchBatch is what genai_normalize hands on for a typical agent request:
// per trace a root span, an agent span, 3 model calls (with the canonical
// payload attributes, which the connector never reads) and 2 tool calls.
func benchBatch(traces int) (ptrace.Traces, int) {
	b := newBatch("")
	msgs := `[{"role":"system","content":"` + strings.Repeat("You are helpful. ", 40) + `"},{"role":"user","content":"What is the weather?"}]`
	models := []string{"gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet-20241022"}
	providers := []string{"openai", "openai", "anthropic"}
	for i := 0; i < traces; i++ {
		tr := pcommon.TraceID{byte(i), byte(i >> 8), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
		repo := fmt.Sprintf("repo-%d", i%4)
		root := b.span(tr, sid(1), pcommon.SpanID{}, spancommit.KindSpan)
		root.Attributes().PutStr(spancommit.AttrRepo, repo)
		root.Attributes().PutStr(spancommit.AttrInput, "What is the weather?")
		agent := b.span(tr, sid(2), sid(1), spancommit.KindSpan)
		agent.Attributes().PutStr(spancommit.AttrRepo, repo)
		agent.Attributes().PutStr(spancommit.AttrSubtype, "agent")
		for j := 0; j < 3; j++ {
			c := call{repo: repo, provider: providers[j], reqModel: models[j], respModel: models[j], in: int64(500 + 100*j + i%50), out: int64(50 + j), dur: time.Duration(800+j*100) * time.Millisecond}
			if i%20 == 0 && j == 2 {
				c.errType = "rate_limit_exceeded"
			}
			sp := b.canonical(tr, sid(byte(10+j)), sid(2), c)
			a := sp.Attributes()
			a.PutStr("gen_ai.operation.name", "chat")
			a.PutStr(spancommit.AttrInputMessages, msgs)
			a.PutStr(spancommit.AttrOutputMessages, `[{"role":"assistant","content":"Sunny."}]`)
			a.PutStr(spancommit.AttrModelParameters, `{"temperature":0.2,"max_tokens":512}`)
			a.PutStr(spancommit.AttrFinishReason, "stop")
			a.PutStr(spancommit.AttrResponseID, "chatcmpl-123")
		}
		for j := 0; j < 2; j++ {
			tool := b.span(tr, sid(byte(20+j)), sid(2), spancommit.KindToolCall)
			tool.Attributes().PutStr(spancommit.AttrRepo, repo)
			tool.Attributes().PutStr(spancommit.AttrToolName, []string{"get_weather", "search"}[j])
			tool.Attributes().PutStr(spancommit.AttrToolArguments, `{"city":"Paris"}`)
		}
	}
	return b.td, b.td.SpanCount()
}

// BenchmarkConsumeTraces reports the cost per span of folding realistic
// normalized batches (100 traces × 7 spans) into the state.
func BenchmarkConsumeTraces(b *testing.B) {
	td, n := benchBatch(100)
	c, _ := newTestConnector(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = c.ConsumeTraces(ctx, td)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/span")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkBuild is the flush: rendering the cumulative state.
func BenchmarkBuild(b *testing.B) {
	td, _ := benchBatch(100)
	c, _ := newTestConnector(b, nil)
	_ = c.ConsumeTraces(context.Background(), td)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.build()
	}
}
