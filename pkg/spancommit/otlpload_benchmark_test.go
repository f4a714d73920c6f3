package spancommit_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor"
)

// BenchmarkOTLPIngest measures the in-process part of the OTLP ingest path
// that is ours: genai_normalize (default configuration) followed by
// spancommit.FromTraces, on batches shaped like current OTel GenAI agent
// traffic (the OTLP mode of the shared load generator): an invoke_agent
// root, one to three chat spans whose gen_ai.input.messages /
// gen_ai.output.messages are 0.5–2 KB of v1.37 parts JSON, and one
// execute_tool span with JSON arguments and result. One op is one batch of
// about 512 spans (the BatchSpanProcessor's size); ns/span, B/span and
// allocs/span are the numbers to compare. The batch copy each iteration
// needs (normalization works in place) is outside the timing and the
// allocation counts. cpu-ns/span is the process's CPU time (all threads,
// GC included), steadier than ns/span on a machine shared with other work.
func BenchmarkOTLPIngest(b *testing.B) {
	batch := genaiLoadBatch(rand.New(rand.NewSource(7)), 512)
	f := genainormalizeprocessor.NewFactory()
	sink := new(consumertest.TracesSink)
	p, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(f.Type()), f.CreateDefaultConfig(), sink)
	if err != nil {
		b.Fatal(err)
	}
	v := commit.NewVersioner()
	spans := batch.SpanCount()
	var ms0, ms1 runtime.MemStats
	var bytes, allocs uint64
	var elapsed, cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		td := ptrace.NewTraces()
		batch.CopyTo(td)
		sink.Reset()
		runtime.ReadMemStats(&ms0)
		b.StartTimer()
		t0, c0 := time.Now(), processCPU()
		if err := p.ConsumeTraces(context.Background(), td); err != nil {
			b.Fatal(err)
		}
		cs, err := spancommit.FromTraces(sink.AllTraces()[0], v)
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(t0)
		cpu += processCPU() - c0
		b.StopTimer()
		runtime.ReadMemStats(&ms1)
		bytes += ms1.TotalAlloc - ms0.TotalAlloc
		allocs += ms1.Mallocs - ms0.Mallocs
		if len(cs) < spans {
			b.Fatalf("%d commits for %d spans", len(cs), spans)
		}
		b.StartTimer()
	}
	n := float64(spans * b.N)
	b.ReportMetric(float64(elapsed.Nanoseconds())/n, "ns/span")
	b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/span")
	b.ReportMetric(float64(bytes)/n, "B/span")
	b.ReportMetric(float64(allocs)/n, "allocs/span")
}

// genaiLoadBatch builds about n spans of agent traces, one resource per
// simulated service and two scopes (agent framework, GenAI client), spans
// in end order as a BatchSpanProcessor exports them.
func genaiLoadBatch(r *rand.Rand, n int) ptrace.Traces {
	return genaiLoadBatchAt(r, n, time.Now().Add(-time.Hour))
}

// genaiLoadBatchAt is genaiLoadBatch with trace idx starting idx seconds
// after base.
func genaiLoadBatchAt(r *rand.Rand, n int, base time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	type service struct{ name, agent string }
	services := []service{{"trip-desk", "TripAgent"}, {"support-bot", "HelpdeskAgent"}, {"repo-helper", "ReviewAgent"}}
	var agentSpans, chatSpans []ptrace.SpanSlice
	for i, s := range services {
		rs := td.ResourceSpans().AppendEmpty()
		rs.SetSchemaUrl("https://opentelemetry.io/schemas/1.40.0")
		ra := rs.Resource().Attributes()
		ra.PutStr("service.name", s.name)
		ra.PutStr("service.version", "2.3."+strconv.Itoa(i))
		ra.PutStr("service.instance.id", "bench-"+strconv.Itoa(i))
		ra.PutStr("deployment.environment.name", "bench")
		ra.PutStr("telemetry.sdk.name", "opentelemetry")
		ra.PutStr("telemetry.sdk.language", "python")
		ra.PutStr("telemetry.sdk.version", "1.38.0")
		ra.PutStr("host.name", "node-"+strconv.Itoa(i))
		as := rs.ScopeSpans().AppendEmpty()
		as.Scope().SetName("opentelemetry.instrumentation.openai_agents")
		as.Scope().SetVersion("0.1.0")
		cs := rs.ScopeSpans().AppendEmpty()
		cs.Scope().SetName("opentelemetry.instrumentation.genai")
		cs.Scope().SetVersion("2.2b0")
		agentSpans = append(agentSpans, as.Spans())
		chatSpans = append(chatSpans, cs.Spans())
	}
	g := &loadGen{r: r, base: base}
	for idx := 0; td.SpanCount() < n; idx++ {
		si := idx % len(services)
		g.trace(agentSpans[si], chatSpans[si], services[si].agent, idx)
	}
	return td
}

type loadGen struct {
	r       *rand.Rand
	base    time.Time
	session string
	left    int
	sessN   int
}

var (
	benchModels = []struct{ provider, req, resp, stop, toolStop string }{
		{"openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", "stop", "tool_calls"},
		{"anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "end_turn", "tool_use"},
		{"gcp.gemini", "gemini-2.5-flash", "gemini-2.5-flash", "STOP", "STOP"},
		{"azure.ai.openai", "gpt-4o", "gpt-4o-2024-11-20", "stop", "tool_calls"},
	}
	benchWords = strings.Fields(`the a request order refund invoice flight hotel cache query latency
		policy review user account payment exporter retry window seat station forecast rain
		report region sample team plan seats VAT cursor timestamp duplicates "quoted" tab\tsep
		état naïve über 東京 línea — …`)
)

// text returns about n bytes of words.
func (g *loadGen) text(n int) string {
	var sb strings.Builder
	for sb.Len() < n {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(benchWords[g.r.Intn(len(benchWords))])
		if g.r.Intn(12) == 0 {
			sb.WriteString(".\n")
		}
	}
	return sb.String()
}

func jsonStr(s string) string { return strconv.Quote(s) } // valid JSON for the texts above

func (g *loadGen) id(dst []byte) {
	for {
		binary.BigEndian.PutUint64(dst, g.r.Uint64())
		if dst[0] != 0 {
			return
		}
	}
}

func (g *loadGen) trace(agentSpans, chatSpans ptrace.SpanSlice, agent string, idx int) {
	r := g.r
	var tid pcommon.TraceID
	g.id(tid[:8])
	g.id(tid[8:])
	var root pcommon.SpanID
	g.id(root[:])
	m := benchModels[r.Intn(len(benchModels))]
	if g.left <= 0 {
		g.sessN++
		g.session = "bench-sess-" + strconv.Itoa(g.sessN)
		g.left = 1 + r.Intn(5)
	}
	g.left--
	tool := []string{"search_flights", "lookup_invoice", "run_sql", "get_weather"}[r.Intn(4)]
	callID := "call_" + strconv.FormatUint(r.Uint64(), 36)
	args := fmt.Sprintf(`{"query":%s,"limit":%d,"filters":{"region":"eu","active":true}}`, jsonStr(g.text(40)), 5+r.Intn(20))
	var res strings.Builder
	res.WriteString(`{"rows":[`)
	for i, k := 0, 1+r.Intn(8); i < k; i++ {
		if i > 0 {
			res.WriteByte(',')
		}
		fmt.Fprintf(&res, `{"id":%d,"label":%s,"score":%d.%d,"ok":%t}`, r.Intn(100000), jsonStr(g.text(20)), r.Intn(10), r.Intn(100), r.Intn(2) == 0)
	}
	res.WriteString(`],"truncated":false}`)
	result := res.String()
	failed := r.Intn(50) == 0
	system := g.text(300)
	prompt := g.text(80)

	base := g.base.UnixNano() + int64(idx)*int64(time.Second)
	t := base + int64(2+r.Intn(20))*1e6
	nChat := 1 + r.Intn(3)
	type step struct {
		tool, callsTool, afterTool bool
	}
	var steps []step
	if nChat == 1 {
		steps = []step{{tool: true}, {afterTool: true}}
	} else {
		steps = []step{{callsTool: true}, {tool: true}}
		for k := 1; k < nChat; k++ {
			steps = append(steps, step{afterTool: true})
		}
	}
	head := func(ss ptrace.SpanSlice, name string, kind ptrace.SpanKind, parent pcommon.SpanID, start, end int64) ptrace.Span {
		sp := ss.AppendEmpty()
		sp.SetTraceID(tid)
		var id pcommon.SpanID
		if parent.IsEmpty() {
			id = root
		} else {
			g.id(id[:])
			sp.SetParentSpanID(parent)
		}
		sp.SetSpanID(id)
		sp.SetName(name)
		sp.SetKind(kind)
		sp.SetStartTimestamp(pcommon.Timestamp(start))
		sp.SetEndTimestamp(pcommon.Timestamp(end))
		sp.SetFlags(0x101)
		return sp
	}
	for _, s := range steps {
		if s.tool {
			d := int64(20+r.Intn(600)) * 1e6
			sp := head(agentSpans, "execute_tool "+tool, ptrace.SpanKindInternal, root, t, t+d)
			a := sp.Attributes()
			a.PutStr("gen_ai.operation.name", "execute_tool")
			a.PutStr("gen_ai.tool.name", tool)
			a.PutStr("gen_ai.tool.call.id", callID)
			a.PutStr("gen_ai.tool.type", "function")
			a.PutStr("gen_ai.tool.description", "Looks things up for the agent")
			a.PutStr("gen_ai.tool.call.arguments", args)
			if failed {
				a.PutStr("error.type", "TimeoutError")
				ev := sp.Events().AppendEmpty()
				ev.SetName("exception")
				ev.SetTimestamp(pcommon.Timestamp(t + d))
				ev.Attributes().PutStr("exception.type", "TimeoutError")
				ev.Attributes().PutStr("exception.message", tool+" timed out")
				sp.Status().SetCode(ptrace.StatusCodeError)
				sp.Status().SetMessage("TimeoutError: " + tool + " timed out")
			} else {
				a.PutStr("gen_ai.tool.call.result", result)
			}
			t += d + int64(1+r.Intn(15))*1e6
			continue
		}
		d := int64(300+r.Intn(3700)) * 1e6
		var in strings.Builder
		in.WriteString(`[{"role":"system","parts":[{"type":"text","content":` + jsonStr(system) + `}]},`)
		in.WriteString(`{"role":"user","parts":[{"type":"text","content":` + jsonStr(prompt+"\n\nContext: "+g.text(100+r.Intn(1200))) + `}]}`)
		if s.afterTool {
			in.WriteString(`,{"role":"assistant","parts":[{"type":"tool_call","id":` + jsonStr(callID) + `,"name":` + jsonStr(tool) + `,"arguments":` + args + `}]}`)
			resp := result
			if failed {
				resp = `"error: TimeoutError"`
			}
			in.WriteString(`,{"role":"tool","parts":[{"type":"tool_call_response","id":` + jsonStr(callID) + `,"response":` + resp + `}]}`)
		}
		in.WriteString(`]`)
		var out strings.Builder
		finish, raw := "stop", m.stop
		if s.callsTool {
			out.WriteString(`[{"role":"assistant","parts":[{"type":"text","content":` + jsonStr(g.text(300+r.Intn(400))) + `},`)
			out.WriteString(`{"type":"tool_call","id":` + jsonStr(callID) + `,"name":` + jsonStr(tool) + `,"arguments":` + args + `}]`)
			finish, raw = "tool_call", m.toolStop
		} else {
			out.WriteString(`[{"role":"assistant","parts":[{"type":"text","content":` + jsonStr(g.text(450+r.Intn(1500))) + `}]`)
		}
		out.WriteString(`,"finish_reason":"` + finish + `"}]`)
		sp := head(chatSpans, "chat "+m.req, ptrace.SpanKindClient, root, t, t+d)
		a := sp.Attributes()
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("gen_ai.provider.name", m.provider)
		a.PutStr("gen_ai.request.model", m.req)
		a.PutDouble("gen_ai.request.temperature", float64(r.Intn(11))/10)
		a.PutInt("gen_ai.request.max_tokens", int64(256<<r.Intn(5)))
		a.PutStr("gen_ai.response.model", m.resp)
		a.PutStr("gen_ai.response.id", "resp_"+strconv.FormatUint(r.Uint64(), 36))
		a.PutEmptySlice("gen_ai.response.finish_reasons").AppendEmpty().SetStr(raw)
		a.PutInt("gen_ai.usage.input_tokens", int64(in.Len()/4+r.Intn(60)))
		a.PutInt("gen_ai.usage.output_tokens", int64(out.Len()/4+r.Intn(20)))
		a.PutStr("server.address", "api.example.com")
		a.PutInt("server.port", 443)
		a.PutStr("gen_ai.input.messages", in.String())
		a.PutStr("gen_ai.output.messages", out.String())
		t += d + int64(1+r.Intn(15))*1e6
	}
	sp := head(agentSpans, "invoke_agent "+agent, ptrace.SpanKindInternal, pcommon.SpanID{}, base, t+int64(1+r.Intn(10))*1e6)
	a := sp.Attributes()
	a.PutStr("gen_ai.operation.name", "invoke_agent")
	a.PutStr("gen_ai.provider.name", m.provider)
	a.PutStr("gen_ai.agent.name", agent)
	a.PutStr("gen_ai.agent.id", "agent_"+strings.ToLower(agent))
	a.PutStr("gen_ai.request.model", m.req)
	a.PutStr("gen_ai.conversation.id", g.session)
	if r.Intn(2) == 0 {
		a.PutStr("maxim.metadata", fmt.Sprintf(`{"maxim-session-id":%s,"maxim-trace-name":%s,"maxim-trace-tags":{"env":"bench","tenant":"t%d"},"maxim-trace-metrics":{"csat":%d}}`,
			jsonStr(g.session), jsonStr(agent+" run"), idx%13, 1+r.Intn(5)))
	}
}
