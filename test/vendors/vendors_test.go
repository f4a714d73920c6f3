package vendors

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/otelcol-genai/otelcol-genai/internal/components"
	e2e "github.com/otelcol-genai/otelcol-genai/test/e2e/harness"
)

const (
	ddKey    = "0123456789abcdef0123456789abcdef"
	ddSource = "llmobs"
	nrKey    = "eu01xx-test-license-key-NRAL"
	genaiKey = "vendors-test-key"
	repoID   = "repo-vendors"
)

// sdkBody is one chat turn as the Maxim JS SDK pushes it: session, trace,
// a span holding a generation and a tool call, then the ends.
const sdkBody = `session{id=sess-v1,action=create,data={"name":"support-chat","startTimestamp":"2026-11-22T08:00:00.000Z"}}
trace{id=0b7e5a52-1f1c-4c43-9a57-4a1d2c3e4f50,action=create,data={"name":"turn-1","tags":{"userId":"u-42"},"startTimestamp":"2026-11-22T08:00:00.000Z","sessionId":"sess-v1"}}
trace{id=0b7e5a52-1f1c-4c43-9a57-4a1d2c3e4f50,action=update,data={"input":"weather in Paris?"}}
trace{id=0b7e5a52-1f1c-4c43-9a57-4a1d2c3e4f50,action=add-span,data={"id":"7d4c2b1a-0000-4000-8000-00000000a001","name":"agent","startTimestamp":"2026-11-22T08:00:00.100Z"}}
span{id=7d4c2b1a-0000-4000-8000-00000000a001,action=add-generation,data={"id":"7d4c2b1a-0000-4000-8000-00000000b001","name":"plan","provider":"openai","model":"gpt-4o-mini","modelParameters":{"temperature":0.2},"messages":[{"role":"user","content":"weather in Paris?"}],"startTimestamp":"2026-11-22T08:00:00.200Z"}}
generation{id=7d4c2b1a-0000-4000-8000-00000000b001,action=result,data={"result":{"id":"chatcmpl-v1","object":"chat.completion","created":1,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Let me check."},"finish_reason":"stop"}],"usage":{"prompt_tokens":42,"completion_tokens":17,"total_tokens":59}}}}
generation{id=7d4c2b1a-0000-4000-8000-00000000b001,action=end,data={"endTimestamp":"2026-11-22T08:00:01.200Z"}}
span{id=7d4c2b1a-0000-4000-8000-00000000a001,action=add-tool-call,data={"id":"call_v1","name":"get_weather","description":"weather lookup","args":"{\"city\":\"Paris\"}","startTimestamp":"2026-11-22T08:00:01.300Z"}}
tool_call{id=call_v1,action=result,data={"result":"18C, cloudy"}}
span{id=7d4c2b1a-0000-4000-8000-00000000a001,action=end,data={"endTimestamp":"2026-11-22T08:00:02.000Z"}}
trace{id=0b7e5a52-1f1c-4c43-9a57-4a1d2c3e4f50,action=update,data={"output":"It is 18C."}}
trace{id=0b7e5a52-1f1c-4c43-9a57-4a1d2c3e4f50,action=end,data={"endTimestamp":"2026-11-22T08:00:02.500Z"}}`

const sdkTraceHex = "0b7e5a521f1c4c439a574a1d2c3e4f50"

type harness struct {
	metricsURL string
	dd         *DatadogIntake
	nr         *NewRelicOTLP
	mxinAddr   string
	otlpAddr   string
	collector  *otelcol.Collector
}

// startCollector runs configs/vendors.yaml in-process, with the vendor
// endpoints pointed at the local fakes the way a user points them at a
// proxy: the same env vars plus --config overrides (overlays adds more).
func startCollector(t *testing.T, overlays ...string) *harness {
	h := &harness{dd: NewDatadogIntake(ddKey, ddSource), nr: NewNewRelicOTLP(nrKey)}
	t.Cleanup(h.dd.Close)
	t.Cleanup(h.nr.Close)
	h.mxinAddr, h.otlpAddr = e2e.FreeAddr(t), e2e.FreeAddr(t)
	t.Setenv("GENAI_DATA_DIR", t.TempDir())
	t.Setenv("GENAI_API_KEY", genaiKey)
	t.Setenv("GENAI_MXIN_ENDPOINT", h.mxinAddr)
	t.Setenv("GENAI_OTLP_HTTP_ENDPOINT", h.otlpAddr)
	t.Setenv("GENAI_OTLP_GRPC_ENDPOINT", e2e.FreeAddr(t))
	t.Setenv("GENAI_HEALTH_ENDPOINT", e2e.FreeAddr(t))
	t.Setenv("GENAI_PROMETHEUS_ENDPOINT", e2e.FreeAddr(t))
	// The collector's own metrics on a free port (another collector on this
	// machine may hold :8888); the test reads the feed's pending gauge there.
	_, metricsPort, _ := net.SplitHostPort(e2e.FreeAddr(t))
	t.Setenv("GENAI_METRICS_PORT", metricsPort)
	h.metricsURL = "http://localhost:" + metricsPort + "/metrics"
	t.Setenv("DD_API_KEY", ddKey)
	t.Setenv("DD_SITE", "datadoghq.eu")
	// The Agent route's switch, pointed at the fake intake's paths.
	t.Setenv("DD_OTLP_TRACES_ENDPOINT", h.dd.URL+DatadogTracesPath)
	t.Setenv("DD_OTLP_METRICS_ENDPOINT", h.dd.URL+DatadogMetricsPath)
	t.Setenv("DD_OTLP_LOGS_ENDPOINT", h.dd.URL+DatadogLogsPath)
	t.Setenv("NEW_RELIC_LICENSE_KEY", nrKey)
	t.Setenv("NEW_RELIC_OTLP_ENDPOINT", h.nr.URL)

	set := components.Settings("vendors-test", append([]string{
		"file:" + filepath.Join("..", "..", "configs", "vendors.yaml"),
		"yaml:connectors::genai_metrics::metrics_flush_interval: 200ms",
		"yaml:receivers::tracetree_feed::quiet_period: 300ms",
		"yaml:processors::batch::timeout: 100ms",
	}, overlays...)...)
	col, err := otelcol.NewCollector(set)
	require.NoError(t, err)
	h.collector = col
	var runErr error
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		runErr = col.Run(context.Background())
	}()
	t.Cleanup(func() {
		col.Shutdown()
		select {
		case <-exited:
			assert.NoError(t, runErr)
		case <-time.After(30 * time.Second):
			t.Error("collector did not stop")
		}
	})
	require.Eventually(t, func() bool {
		select {
		case <-exited:
			return true
		default:
		}
		return col.GetState() == otelcol.StateRunning
	}, 60*time.Second, 50*time.Millisecond)
	select {
	case <-exited:
		t.Fatalf("collector exited: %v", runErr)
	default:
	}
	return h
}

func (h *harness) postSDK(t *testing.T, body string) {
	req, err := http.NewRequest(http.MethodPost, "http://"+h.mxinAddr+"/api/sdk/v3/log?id="+repoID, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("x-maxim-api-key", genaiKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// otlpTrace is an OTel GenAI trace as an instrumented agent sends it.
func otlpTrace() (ptrace.Traces, pcommon.TraceID) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "weather-agent")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("test.genai")
	tid := pcommon.TraceID{0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18, 0x29, 0x3a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f, 0x90}
	start := time.Now().Add(-2 * time.Second)
	mk := func(id byte, parent byte, name string, kind ptrace.SpanKind, off, dur time.Duration) ptrace.Span {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(tid)
		sp.SetSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0x10, id})
		if parent != 0 {
			sp.SetParentSpanID(pcommon.SpanID{0, 0, 0, 0, 0, 0, 0x10, parent})
		}
		sp.SetName(name)
		sp.SetKind(kind)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start.Add(off)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(off + dur)))
		return sp
	}
	agent := mk(1, 0, "invoke_agent weather-agent", ptrace.SpanKindInternal, 0, time.Second)
	agent.Attributes().PutStr("gen_ai.operation.name", "invoke_agent")
	agent.Attributes().PutStr("gen_ai.agent.name", "weather-agent")
	agent.Attributes().PutStr("gen_ai.conversation.id", "conv-otlp-1")
	chat := mk(2, 1, "chat gpt-4o", ptrace.SpanKindClient, 100*time.Millisecond, 500*time.Millisecond)
	chat.Attributes().PutStr("gen_ai.operation.name", "chat")
	chat.Attributes().PutStr("gen_ai.provider.name", "openai")
	chat.Attributes().PutStr("gen_ai.request.model", "gpt-4o")
	chat.Attributes().PutStr("gen_ai.response.model", "gpt-4o-2024-08-06")
	chat.Attributes().PutInt("gen_ai.usage.input_tokens", 31)
	chat.Attributes().PutInt("gen_ai.usage.output_tokens", 9)
	chat.Attributes().PutStr("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"weather in Oslo?"}]}]`)
	tool := mk(3, 1, "execute_tool get_weather", ptrace.SpanKindInternal, 700*time.Millisecond, 200*time.Millisecond)
	tool.Attributes().PutStr("gen_ai.operation.name", "execute_tool")
	tool.Attributes().PutStr("gen_ai.tool.name", "get_weather")
	tool.Attributes().PutStr("gen_ai.tool.call.id", "call_otlp_1")
	return td, tid
}

func (h *harness) postOTLP(t *testing.T, td ptrace.Traces) {
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, "http://"+h.otlpAddr+"/v1/traces", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("x-maxim-api-key", genaiKey)
	req.Header.Set("x-maxim-repo-id", repoID)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func byName(spans []ptrace.Span) map[string][]ptrace.Span {
	out := map[string][]ptrace.Span{}
	for _, s := range spans {
		out[s.Name()] = append(out[s.Name()], s)
	}
	return out
}

// serviceOf maps each received span id to its resource's service.name,
// the service Datadog files it under.
func serviceOf(tds []ptrace.Traces) map[pcommon.SpanID]string {
	out := map[pcommon.SpanID]string{}
	for _, td := range tds {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			svc, _ := rs.Resource().Attributes().Get("service.name")
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				spans := rs.ScopeSpans().At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					out[spans.At(k).SpanID()] = svc.AsString()
				}
			}
		}
	}
	return out
}

func names[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func attr(sp ptrace.Span, k string) string {
	v, ok := sp.Attributes().Get(k)
	if !ok {
		return ""
	}
	return v.AsString()
}

// TestSDKAndOTLPReachDatadogAndNewRelic is the write-through acceptance
// test: a Maxim SDK session and an OTLP GenAI trace, each sent once, arrive
// at both vendors with their span names, parentage and GenAI attributes,
// and the OTLP trace arrives exactly once (the store does not forward it
// again).
func TestSDKAndOTLPReachDatadogAndNewRelic(t *testing.T) {
	h := startCollector(t)
	h.postSDK(t, sdkBody)
	td, otlpTID := otlpTrace()
	h.postOTLP(t, td)

	sdkNames := []string{"turn-1", "agent", "chat gpt-4o-mini", "execute_tool get_weather"}
	otlpNames := []string{"invoke_agent weather-agent", "chat gpt-4o", "execute_tool get_weather"}

	// New Relic: every span, decoded from OTLP protobuf sent with api-key.
	require.Eventually(t, func() bool {
		got := 0
		for _, s := range h.nr.Spans() {
			if s.TraceID().String() == sdkTraceHex || s.TraceID() == otlpTID {
				got++
			}
		}
		return got >= len(sdkNames)+len(otlpNames)
	}, 60*time.Second, 100*time.Millisecond, "New Relic got %v", names(byName(h.nr.Spans())))

	// Wait until the feed has nothing pending: no trace is waiting for its
	// quiet period, so nothing more can be sent, and a second copy would
	// already be here.
	require.Eventually(t, func() bool { return h.feedPending(t) == 0 }, 30*time.Second, 50*time.Millisecond, "the feed still has pending traces")
	var sdk, otlp []ptrace.Span
	for _, s := range h.nr.Spans() {
		switch {
		case s.TraceID().String() == sdkTraceHex:
			sdk = append(sdk, s)
		case s.TraceID() == otlpTID:
			otlp = append(otlp, s)
		}
	}
	sdkBy, otlpBy := byName(sdk), byName(otlp)
	assert.ElementsMatch(t, sdkNames, names(sdkBy))
	assert.ElementsMatch(t, otlpNames, names(otlpBy))
	for n, ss := range sdkBy {
		assert.Len(t, ss, 1, "SDK span %q forwarded once", n)
	}
	for n, ss := range otlpBy {
		assert.Len(t, ss, 1, "OTLP span %q forwarded once (not again from the store)", n)
	}
	if t.Failed() {
		return
	}
	root, agent, gen, tool := sdkBy["turn-1"][0], sdkBy["agent"][0], sdkBy["chat gpt-4o-mini"][0], sdkBy["execute_tool get_weather"][0]
	assert.True(t, root.ParentSpanID().IsEmpty())
	assert.Equal(t, root.SpanID(), agent.ParentSpanID())
	assert.Equal(t, agent.SpanID(), gen.ParentSpanID())
	assert.Equal(t, agent.SpanID(), tool.ParentSpanID())
	assert.Equal(t, "openai", attr(gen, "gen_ai.provider.name"))
	assert.Equal(t, "gpt-4o-mini", attr(gen, "gen_ai.request.model"))
	assert.Equal(t, "gpt-4o-mini-2024-07-18", attr(gen, "gen_ai.response.model"))
	assert.Equal(t, "42", attr(gen, "gen_ai.usage.input_tokens"))
	assert.Equal(t, "17", attr(gen, "gen_ai.usage.output_tokens"))
	assert.Equal(t, "sess-v1", attr(gen, "gen_ai.conversation.id"))
	assert.Equal(t, "get_weather", attr(tool, "gen_ai.tool.name"))
	assert.Equal(t, "18C, cloudy", attr(tool, "gen_ai.tool.call.result"))

	oAgent, oChat, oTool := otlpBy["invoke_agent weather-agent"][0], otlpBy["chat gpt-4o"][0], otlpBy["execute_tool get_weather"][0]
	assert.Equal(t, oAgent.SpanID(), oChat.ParentSpanID())
	assert.Equal(t, oAgent.SpanID(), oTool.ParentSpanID())
	assert.Equal(t, "gpt-4o", attr(oChat, "gen_ai.request.model"))
	assert.Equal(t, "31", attr(oChat, "gen_ai.usage.input_tokens"))
	assert.Equal(t, "get_weather", attr(oTool, "gen_ai.tool.name"))
	assert.Equal(t, "generation", attr(oChat, "maxim.entity.kind"), "normalized before forwarding")

	// Datadog: the same spans, decoded from OTLP protobuf that carried the
	// key and the LLM Observability source (the fake refuses anything else),
	// with the gen_ai.* attributes LLM Observability reads.
	require.Eventually(t, func() bool {
		return hasAll(byName(h.dd.Spans()), sdkNames, otlpNames)
	}, 60*time.Second, 100*time.Millisecond, "Datadog got %v", names(byName(h.dd.Spans())))
	sdkTID := mustTraceID(t, sdkTraceHex)
	var ddSDKSpans, ddOTLPSpans []ptrace.Span
	for _, s := range h.dd.Spans() {
		switch s.TraceID() {
		case sdkTID:
			ddSDKSpans = append(ddSDKSpans, s)
		case otlpTID:
			ddOTLPSpans = append(ddOTLPSpans, s)
		}
	}
	ddSDK, ddOTLP := byName(ddSDKSpans), byName(ddOTLPSpans)
	assert.ElementsMatch(t, sdkNames, names(ddSDK))
	assert.ElementsMatch(t, otlpNames, names(ddOTLP))
	for n, ss := range ddOTLP {
		assert.Len(t, ss, 1, "OTLP span %q forwarded to Datadog once", n)
	}
	for n, ss := range ddSDK {
		assert.Len(t, ss, 1, "SDK span %q forwarded to Datadog once", n)
	}
	if t.Failed() {
		return
	}
	svc := serviceOf(h.dd.Traces())
	dRoot, dAgent, dGen, dTool := ddSDK["turn-1"][0], ddSDK["agent"][0], ddSDK["chat gpt-4o-mini"][0], ddSDK["execute_tool get_weather"][0]
	assert.Equal(t, root.SpanID(), dRoot.SpanID())
	assert.True(t, dRoot.ParentSpanID().IsEmpty())
	assert.Equal(t, dRoot.SpanID(), dAgent.ParentSpanID())
	assert.Equal(t, dAgent.SpanID(), dGen.ParentSpanID())
	assert.Equal(t, "genai-sdk", svc[dGen.SpanID()])
	assert.Equal(t, "gpt-4o-mini", attr(dGen, "gen_ai.request.model"))
	assert.Equal(t, "openai", attr(dGen, "gen_ai.provider.name"))
	assert.Equal(t, "42", attr(dGen, "gen_ai.usage.input_tokens"))
	assert.Equal(t, "17", attr(dGen, "gen_ai.usage.output_tokens"))
	assert.Equal(t, "sess-v1", attr(dGen, "gen_ai.conversation.id"))
	assert.Equal(t, "get_weather", attr(dTool, "gen_ai.tool.name"))
	dAgentO, dChatO := ddOTLP["invoke_agent weather-agent"][0], ddOTLP["chat gpt-4o"][0]
	assert.Equal(t, dAgentO.SpanID(), dChatO.ParentSpanID())
	assert.Equal(t, "weather-agent", svc[dChatO.SpanID()])
	assert.Equal(t, "chat", attr(dChatO, "gen_ai.operation.name"))
	assert.Equal(t, "gpt-4o", attr(dChatO, "gen_ai.request.model"))
	assert.Equal(t, "31", attr(dChatO, "gen_ai.usage.input_tokens"))
	assert.Equal(t, "invoke_agent", attr(dAgentO, "gen_ai.operation.name"))

	// GenAI metrics reach Datadog's metrics intake as deltas, the only
	// temporality it accepts.
	require.Eventually(t, func() bool {
		return hasMetric(h.dd.Metrics(), "gen_ai.client.token.usage")
	}, 30*time.Second, 100*time.Millisecond, "Datadog metrics intake got %d payloads", len(h.dd.Metrics()))
	assertDelta(t, h.dd.Metrics())

	// Late feedback on the forwarded SDK trace: an "update turn-1" child of
	// the trace span, carrying only the new feedback, at both vendors.
	h.postSDK(t, `trace{id=0b7e5a52-1f1c-4c43-9a57-4a1d2c3e4f50,action=add-feedback,data={"score":5,"comment":"spot on"}}`)
	var upd ptrace.Span
	require.Eventually(t, func() bool {
		for _, s := range h.nr.Spans() {
			if s.Name() == "update turn-1" {
				upd = s
				return true
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond)
	assert.Equal(t, root.SpanID(), upd.ParentSpanID())
	assert.Equal(t, root.TraceID(), upd.TraceID())
	assert.Equal(t, "true", attr(upd, "maxim.update"))
	require.Equal(t, 1, upd.Events().Len())
	assert.Equal(t, "maxim.feedback", upd.Events().At(0).Name())
	comment, _ := upd.Events().At(0).Attributes().Get("maxim.feedback.comment")
	assert.Equal(t, "spot on", comment.AsString())
	var dUpd ptrace.Span
	require.Eventually(t, func() bool {
		if s := byName(h.dd.Spans())["update turn-1"]; len(s) > 0 {
			dUpd = s[0]
			return true
		}
		return false
	}, 30*time.Second, 100*time.Millisecond)
	assert.Equal(t, dRoot.SpanID(), dUpd.ParentSpanID())
	assert.Equal(t, dRoot.TraceID(), dUpd.TraceID())
	assert.Equal(t, "true", attr(dUpd, "maxim.update"))

	assert.Positive(t, h.dd.Hits(DatadogTracesPath))
	assert.Positive(t, h.dd.Hits(DatadogMetricsPath))
	errs, bad := h.dd.Errors()
	assert.Empty(t, errs)
	assert.Zero(t, bad, "every Datadog request carried dd-api-key, protobuf and the llmobs source")
	errs, bad = h.nr.Errors()
	assert.Empty(t, errs)
	assert.Zero(t, bad, "every New Relic request carried api-key")
}

func hasMetric(mds []pmetric.Metrics, name string) bool {
	found := false
	eachMetric(mds, func(m pmetric.Metric) { found = found || m.Name() == name })
	return found
}

// assertDelta fails on any cumulative sum or histogram.
func assertDelta(t *testing.T, mds []pmetric.Metrics) {
	t.Helper()
	eachMetric(mds, func(m pmetric.Metric) {
		switch m.Type() {
		case pmetric.MetricTypeSum:
			assert.Equal(t, pmetric.AggregationTemporalityDelta, m.Sum().AggregationTemporality(), m.Name())
		case pmetric.MetricTypeHistogram:
			assert.Equal(t, pmetric.AggregationTemporalityDelta, m.Histogram().AggregationTemporality(), m.Name())
		}
	})
}

func eachMetric(mds []pmetric.Metrics, f func(pmetric.Metric)) {
	for _, md := range mds {
		for i := 0; i < md.ResourceMetrics().Len(); i++ {
			sms := md.ResourceMetrics().At(i).ScopeMetrics()
			for j := 0; j < sms.Len(); j++ {
				ms := sms.At(j).Metrics()
				for k := 0; k < ms.Len(); k++ {
					f(ms.At(k))
				}
			}
		}
	}
}

func hasAll(m map[string][]ptrace.Span, lists ...[]string) bool {
	for _, l := range lists {
		for _, n := range l {
			if len(m[n]) == 0 {
				return false
			}
		}
	}
	return true
}

func mustTraceID(t *testing.T, h string) pcommon.TraceID {
	b, err := hex.DecodeString(h)
	require.NoError(t, err)
	var id pcommon.TraceID
	copy(id[:], b)
	return id
}

// feedPending sums the feed's pending-traces gauge on the collector's own
// metrics endpoint (-1 while it cannot be read).
func (h *harness) feedPending(t *testing.T) float64 {
	return h.metricSum(t, "otelcol_tracetree_feed_pending_traces", "")
}

// metricSum sums the series of metric name (a counter's _total included)
// whose labels contain label, on the collector's own metrics endpoint (-1
// while it cannot be read or has no such series).
func (h *harness) metricSum(t *testing.T, name, label string) float64 {
	t.Helper()
	resp, err := http.Get(h.metricsURL)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1
	}
	total, seen := 0.0, false
	for _, line := range strings.Split(string(raw), "\n") {
		series, rest, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(series, "#") {
			continue
		}
		metric, labels, _ := strings.Cut(series, "{")
		if metric != name && metric != name+"_total" || !strings.Contains(labels, label) {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			continue
		}
		total, seen = total+v, true
	}
	if !seen {
		return -1
	}
	return total
}
