package genaimetricsconnector

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor"
)

var t0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

// call describes one logical model call, rendered in either input form.
type call struct {
	repo, provider, reqModel, respModel string
	in, out                             int64
	cost                                *float64 // sent by the client
	errType                             string
	dur                                 time.Duration
}

func (c call) start() time.Time { return t0 }

// feedCost is what the tracetree_feed writes for an SDK generation: the
// sent cost, else the tree fold's computed one (PriceCall), else nothing.
func (c call) feedCost() (float64, bool) {
	if c.cost != nil {
		return *c.cost, true
	}
	r, err := pricing.MustDefault().PriceCall(pricing.Call{
		Usage:        pricing.Usage{InputTokens: c.in, OutputTokens: c.out},
		RequestModel: c.reqModel, ResponseModel: c.respModel, Provider: c.provider, Start: c.start(),
	})
	if err != nil {
		return 0, false
	}
	return r.TotalCost, true
}

type batch struct {
	td  ptrace.Traces
	sps ptrace.SpanSlice
	res pcommon.Map
}

func newBatch(resRepo string) *batch {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	if resRepo != "" {
		rs.Resource().Attributes().PutStr(spancommit.AttrRepo, resRepo)
	}
	return &batch{td: td, sps: rs.ScopeSpans().AppendEmpty().Spans(), res: rs.Resource().Attributes()}
}

func tid(n byte) pcommon.TraceID {
	return pcommon.TraceID{n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
}
func sid(n byte) pcommon.SpanID { return pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, n} }

func (b *batch) span(trace pcommon.TraceID, id, parent pcommon.SpanID, kind string) ptrace.Span {
	sp := b.sps.AppendEmpty()
	sp.SetTraceID(trace)
	sp.SetSpanID(id)
	sp.SetParentSpanID(parent)
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Second)))
	if kind != "" {
		sp.Attributes().PutStr(spancommit.AttrKind, kind)
	}
	return sp
}

// canonical writes c as genai_normalize leaves an OTLP span: maxim.*
// attributes (the repo on the span), no computed cost.
func (b *batch) canonical(trace pcommon.TraceID, id, parent pcommon.SpanID, c call) ptrace.Span {
	sp := b.span(trace, id, parent, spancommit.KindGeneration)
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(c.dur)))
	a := sp.Attributes()
	a.PutBool(spancommit.AttrNormalized, true)
	a.PutStr(spancommit.AttrRepo, c.repo)
	a.PutStr(spancommit.AttrProvider, c.provider)
	model := c.respModel
	if model == "" {
		model = c.reqModel
	}
	a.PutStr(spancommit.AttrModel, model)
	if c.reqModel != model {
		a.PutStr(spancommit.AttrRequestModel, c.reqModel)
	}
	a.PutInt(spancommit.AttrUsageInput, c.in)
	a.PutInt(spancommit.AttrUsageOutput, c.out)
	a.PutInt(spancommit.AttrUsageTotal, c.in+c.out)
	if c.cost != nil {
		a.PutDouble(spancommit.AttrCostTotal, *c.cost)
	}
	if c.errType != "" {
		sp.Status().SetCode(ptrace.StatusCodeError)
		a.PutStr(spancommit.AttrErrorType, c.errType)
	}
	return sp
}

// feed writes c as receiver/tracetreefeedreceiver (spans.go) emits an SDK
// generation: gen_ai.* attributes, the repo on the resource, maxim.cost.*.
func (b *batch) feed(trace pcommon.TraceID, id, parent pcommon.SpanID, c call) ptrace.Span {
	sp := b.span(trace, id, parent, spancommit.KindGeneration)
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(c.dur)))
	a := sp.Attributes()
	a.PutStr("maxim.entity.id", fmt.Sprintf("gen-%x", id))
	a.PutStr("gen_ai.operation.name", "chat")
	a.PutStr("gen_ai.provider.name", c.provider)
	a.PutStr("gen_ai.system", c.provider)
	a.PutStr("gen_ai.request.model", c.reqModel)
	if c.respModel != "" {
		a.PutStr("gen_ai.response.model", c.respModel)
	}
	a.PutInt("gen_ai.usage.input_tokens", c.in)
	a.PutInt("gen_ai.usage.output_tokens", c.out)
	a.PutInt("gen_ai.usage.total_tokens", c.in+c.out)
	if cost, ok := c.feedCost(); ok {
		a.PutDouble("maxim.cost.total", cost)
		a.PutDouble("maxim.cost.input", 0) // split not needed here
		a.PutDouble("maxim.cost.output", cost)
	}
	if c.errType != "" {
		sp.Status().SetCode(ptrace.StatusCodeError)
		a.PutStr("error.type", c.errType)
	}
	return sp
}

func newTestConnector(t testing.TB, mutate func(*Config)) (*genaiMetrics, *consumertest.MetricsSink) {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	if mutate != nil {
		mutate(cfg)
	}
	require.NoError(t, cfg.Validate())
	sink := &consumertest.MetricsSink{}
	c, err := newConnector(componenttest.NewNopTelemetrySettings(), cfg, sink)
	require.NoError(t, err)
	c.now = func() time.Time { return t0.Add(time.Hour) }
	return c, sink
}

// point is a data point reduced to what the tests compare.
type point struct {
	Count      uint64
	Sum, Value float64
	Start      pcommon.Timestamp
}

// snapshot maps "metric{k=v,...}" to its point.
func snapshot(md pmetric.Metrics) map[string]point {
	out := map[string]point{}
	key := func(name string, attrs pcommon.Map) string {
		var kv []string
		attrs.Range(func(k string, v pcommon.Value) bool {
			kv = append(kv, k+"="+v.AsString())
			return true
		})
		sort.Strings(kv)
		return name + "{" + strings.Join(kv, ",") + "}"
	}
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				switch m.Type() {
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						out[key(m.Name(), dp.Attributes())] = point{Count: dp.Count(), Sum: dp.Sum(), Start: dp.StartTimestamp()}
					}
				case pmetric.MetricTypeSum:
					dps := m.Sum().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						v := dp.DoubleValue()
						if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
							v = float64(dp.IntValue())
						}
						out[key(m.Name(), dp.Attributes())] = point{Value: v, Start: dp.StartTimestamp()}
					}
				}
			}
		}
	}
	return out
}

func consume(t testing.TB, c *genaiMetrics, b *batch) map[string]point {
	t.Helper()
	require.NoError(t, c.ConsumeTraces(context.Background(), b.td))
	md, _ := c.build()
	return snapshot(md)
}

func ptr(f float64) *float64 { return &f }

const callAttrs = "gen_ai.operation.name=chat,gen_ai.provider.name=openai,gen_ai.request.model=gpt-4o,gen_ai.response.model=gpt-4o-2024-08-06,maxim.repo.id=repo-a"

// TestBothFormsSameMetrics: a normalized OTLP span and the feed's span for
// the same logical call give identical metrics.
func TestBothFormsSameMetrics(t *testing.T) {
	base := call{repo: "repo-a", provider: "openai", reqModel: "gpt-4o", respModel: "gpt-4o-2024-08-06", in: 1000, out: 200, dur: 1500 * time.Millisecond}
	sent := base
	sent.cost = ptr(0.5)
	failed := base
	failed.errType = "rate_limit_exceeded"
	unknown := base
	unknown.reqModel, unknown.respModel = "acme-llm-1", "acme-llm-1"
	noResp := base
	noResp.respModel = ""
	_, priced := base.feedCost()
	require.True(t, priced, "the test model must have a price")

	for name, calls := range map[string][]call{
		"computed cost": {base, base},
		"sent cost":     {sent},
		"error":         {failed, base},
		"unpriced":      {unknown},
		"mixed":         {base, sent, failed, unknown},
	} {
		t.Run(name, func(t *testing.T) {
			canon, feed := newBatch(""), newBatch("repo-a")
			for i, c := range calls {
				tr := tid(byte(i + 1))
				canon.span(tr, sid(1), pcommon.SpanID{}, spancommit.KindSpan).Attributes().PutStr(spancommit.AttrRepo, "repo-a")
				canon.canonical(tr, sid(2), sid(1), c)
				feed.span(tr, sid(1), pcommon.SpanID{}, "trace")
				feed.feed(tr, sid(2), sid(1), c)
			}
			cc, _ := newTestConnector(t, nil)
			fc, _ := newTestConnector(t, nil)
			got, want := consume(t, cc, canon), consume(t, fc, feed)
			require.Equal(t, want, got)

			// Sums per token type match the calls.
			var in, out int64
			var cost float64
			var unpriced int
			for _, c := range calls {
				in += c.in
				out += c.out
				if v, ok := c.feedCost(); ok {
					cost += v
				} else {
					unpriced++
				}
			}
			var gotIn, gotOut, gotCost, gotUnpriced float64
			for k, p := range got {
				switch {
				case strings.HasPrefix(k, MetricTokenUsage) && strings.Contains(k, "gen_ai.token.type=input"):
					gotIn += p.Sum
				case strings.HasPrefix(k, MetricTokenUsage) && strings.Contains(k, "gen_ai.token.type=output"):
					gotOut += p.Sum
				case strings.HasPrefix(k, MetricCost+"{"):
					gotCost += p.Value
				case strings.HasPrefix(k, MetricUnpriced):
					gotUnpriced += p.Value
				}
			}
			assert.Equal(t, float64(in), gotIn)
			assert.Equal(t, float64(out), gotOut)
			assert.InDelta(t, cost, gotCost, 1e-12)
			assert.Equal(t, float64(unpriced), gotUnpriced)
			assert.Equal(t, float64(len(calls)), got["genai.traces{maxim.repo.id=repo-a}"].Value)
		})
	}

	// The response model falls back to the requested one in the canonical
	// form only (as the tree does); same cost either way.
	t.Run("no response model", func(t *testing.T) {
		canon := newBatch("")
		canon.canonical(tid(1), sid(2), sid(1), noResp)
		c, _ := newTestConnector(t, nil)
		got := consume(t, c, canon)
		want, ok := noResp.feedCost()
		require.True(t, ok)
		assert.InDelta(t, want, got["genai.client.cost{gen_ai.operation.name=chat,gen_ai.provider.name=openai,gen_ai.request.model=gpt-4o,gen_ai.response.model=gpt-4o,maxim.repo.id=repo-a}"].Value, 1e-12)
	})
}

// TestNormalizerOutput runs a raw OTel GenAI span through the real
// genai_normalize processor and compares with the feed's span.
func TestNormalizerOutput(t *testing.T) {
	raw := newBatch("")
	sp := raw.span(tid(1), sid(2), sid(1), "")
	sp.SetName("chat gpt-4o")
	sp.SetKind(ptrace.SpanKindClient)
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(2 * time.Second)))
	a := sp.Attributes()
	a.PutStr("gen_ai.operation.name", "chat")
	a.PutStr("gen_ai.provider.name", "openai")
	a.PutStr("gen_ai.request.model", "gpt-4o")
	a.PutStr("gen_ai.response.model", "gpt-4o-2024-08-06")
	a.PutInt("gen_ai.usage.input_tokens", 300)
	a.PutInt("gen_ai.usage.output_tokens", 40)

	sink := &consumertest.TracesSink{}
	f := genainormalizeprocessor.NewFactory()
	p, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(f.Type()), f.CreateDefaultConfig(), sink)
	require.NoError(t, err)
	ctx := client.NewContext(context.Background(), client.Info{Metadata: client.NewMetadata(map[string][]string{"x-maxim-repo-id": {"repo-a"}})})
	require.NoError(t, p.ConsumeTraces(ctx, raw.td))
	require.Len(t, sink.AllTraces(), 1)
	normalized := sink.AllTraces()[0]
	na := normalized.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
	kind, _ := na.Get(spancommit.AttrKind)
	require.Equal(t, spancommit.KindGeneration, kind.AsString())

	feed := newBatch("repo-a")
	feed.feed(tid(1), sid(2), sid(1), call{repo: "repo-a", provider: "openai", reqModel: "gpt-4o", respModel: "gpt-4o-2024-08-06", in: 300, out: 40, dur: 2 * time.Second})

	cn, _ := newTestConnector(t, nil)
	require.NoError(t, cn.ConsumeTraces(context.Background(), normalized))
	md, _ := cn.build()
	fc, _ := newTestConnector(t, nil)
	assert.Equal(t, consume(t, fc, feed), snapshot(md))
}

func TestLeafRule(t *testing.T) {
	c1 := call{repo: "repo-a", provider: "openai", reqModel: "gpt-4o", respModel: "gpt-4o-2024-08-06", in: 100, out: 10, dur: time.Second}
	b := newBatch("")
	tr := tid(1)
	// trace: root span → agent generation (sum of its calls) → span → 2 calls
	b.span(tr, sid(1), pcommon.SpanID{}, spancommit.KindSpan).Attributes().PutStr(spancommit.AttrRepo, "repo-a")
	wrapper := c1
	wrapper.in, wrapper.out = 200, 20
	b.canonical(tr, sid(2), sid(1), wrapper)
	b.span(tr, sid(3), sid(2), spancommit.KindSpan)
	b.canonical(tr, sid(4), sid(3), c1)
	b.canonical(tr, sid(5), sid(3), c1)
	// a wrapper span whose usage the normalizer marked as aggregate
	agg := b.canonical(tid(2), sid(6), pcommon.SpanID{}, c1)
	agg.Attributes().PutStr(spancommit.AttrUsageAggregate, `{"input_tokens":100}`)
	// a generation above a generation without usage or cost is a leaf
	tr3 := tid(3)
	b.canonical(tr3, sid(7), pcommon.SpanID{}, c1)
	inner := b.span(tr3, sid(8), sid(7), spancommit.KindGeneration)
	inner.Attributes().PutStr(spancommit.AttrModel, "gpt-4o")
	inner.Attributes().PutStr(spancommit.AttrRepo, "repo-a")
	inner.Attributes().PutStr(spancommit.AttrProvider, "openai")

	c, _ := newTestConnector(t, nil)
	got := consume(t, c, b)
	in := got[MetricTokenUsage+"{"+strings.Replace(callAttrs, ",maxim.repo.id", ",gen_ai.token.type=input,maxim.repo.id", 1)+"}"]
	assert.Equal(t, uint64(3), in.Count, "two leaves of trace 1 + the leaf of trace 3")
	assert.Equal(t, float64(300), in.Sum)
	// durations: 3 counted calls of gpt-4o-2024-08-06 + the usage-less inner call
	assert.Equal(t, uint64(3), got[MetricDuration+"{"+callAttrs+"}"].Count)
	assert.Equal(t, uint64(1), got[MetricDuration+"{gen_ai.operation.name=chat,gen_ai.provider.name=openai,gen_ai.request.model=gpt-4o,gen_ai.response.model=gpt-4o,maxim.repo.id=repo-a}"].Count)
	assert.Equal(t, float64(3), got["genai.traces{maxim.repo.id=repo-a}"].Value)

	// A feed late-update span never counts again.
	upd := newBatch("repo-a")
	u := upd.feed(tr, sid(9), sid(4), c1)
	u.Attributes().PutBool("maxim.update", true)
	got2 := consume(t, c, upd)
	assert.Equal(t, got, got2)
}

func TestErrorType(t *testing.T) {
	b := newBatch("repo-a")
	ok := call{repo: "repo-a", provider: "openai", reqModel: "gpt-4o", respModel: "gpt-4o", in: 1, out: 1, dur: time.Second}
	bad := ok
	bad.errType = "timeout"
	b.canonical(tid(1), sid(1), pcommon.SpanID{}, bad)
	b.feed(tid(2), sid(1), pcommon.SpanID{}, bad)
	// status error without a type: _OTHER
	st := b.canonical(tid(3), sid(1), pcommon.SpanID{}, ok)
	st.Status().SetCode(ptrace.StatusCodeError)
	// tool calls, one failing
	tool := b.span(tid(4), sid(2), sid(1), spancommit.KindToolCall)
	tool.Attributes().PutStr("gen_ai.tool.name", "search")
	tool2 := b.span(tid(4), sid(3), sid(1), spancommit.KindToolCall)
	tool2.Attributes().PutStr(spancommit.AttrToolName, "search")
	tool2.Attributes().PutStr(spancommit.AttrErrorType, "ValueError")

	c, _ := newTestConnector(t, nil)
	got := consume(t, c, b)
	attrs := "gen_ai.operation.name=chat,gen_ai.provider.name=openai,gen_ai.request.model=gpt-4o,gen_ai.response.model=gpt-4o,maxim.repo.id=repo-a"
	assert.Equal(t, uint64(2), got[MetricDuration+"{error.type=timeout,"+attrs+"}"].Count)
	assert.Equal(t, uint64(1), got[MetricDuration+"{error.type=_OTHER,"+attrs+"}"].Count)
	assert.Equal(t, float64(2), got["genai.errors{error.type=timeout,maxim.entity.kind=generation,maxim.repo.id=repo-a}"].Value)
	assert.Equal(t, float64(1), got["genai.errors{error.type=_OTHER,maxim.entity.kind=generation,maxim.repo.id=repo-a}"].Value)
	assert.Equal(t, float64(1), got["genai.tool.calls{gen_ai.tool.name=search,maxim.repo.id=repo-a}"].Value)
	assert.Equal(t, float64(1), got["genai.tool.calls{error.type=ValueError,gen_ai.tool.name=search,maxim.repo.id=repo-a}"].Value)
	assert.Equal(t, float64(1), got["genai.errors{error.type=ValueError,maxim.entity.kind=tool_call,maxim.repo.id=repo-a}"].Value)
}

func TestCostSentVsComputed(t *testing.T) {
	b := newBatch("")
	c1 := call{repo: "repo-a", provider: "anthropic", reqModel: "claude-3-5-sonnet-20241022", respModel: "claude-3-5-sonnet-20241022", in: 5000, out: 700, dur: time.Second}
	sp := b.canonical(tid(1), sid(1), pcommon.SpanID{}, c1)
	sp.Attributes().PutInt(spancommit.AttrUsageCacheRead, 4000)
	sentCall := c1
	sentCall.cost = ptr(0.25)
	b.canonical(tid(2), sid(1), pcommon.SpanID{}, sentCall)

	c, _ := newTestConnector(t, func(cfg *Config) { cfg.Dimensions = []string{DimRepo} })
	got := consume(t, c, b)
	r, err := pricing.MustDefault().PriceCall(pricing.Call{
		Usage:        pricing.Usage{InputTokens: 5000, OutputTokens: 700, CacheReadTokens: 4000},
		RequestModel: c1.reqModel, ResponseModel: c1.respModel, Provider: "anthropic", Start: t0,
	})
	require.NoError(t, err)
	require.Greater(t, r.TotalCost, 0.0)
	assert.InDelta(t, r.TotalCost+0.25, got["genai.client.cost{maxim.repo.id=repo-a}"].Value, 1e-12)
	_, hasUnpriced := got["genai.client.unpriced_calls{maxim.repo.id=repo-a}"]
	assert.False(t, hasUnpriced)
}

func TestOverflow(t *testing.T) {
	b := newBatch("repo-a")
	for i := 0; i < 5; i++ {
		c := call{repo: "repo-a", provider: "openai", reqModel: fmt.Sprintf("model-%d", i), in: 10, out: 1, dur: time.Second}
		b.canonical(tid(byte(i+1)), sid(1), pcommon.SpanID{}, c)
	}
	c, _ := newTestConnector(t, func(cfg *Config) { cfg.MaxSeries = 2 })
	got := consume(t, c, b)
	var series, total int
	for k, p := range got {
		if strings.HasPrefix(k, MetricDuration) {
			series++
			total += int(p.Count)
		}
	}
	assert.Equal(t, 3, series, "2 series + the overflow series")
	assert.Equal(t, 5, total, "no call lost")
	assert.Equal(t, uint64(3), got[MetricDuration+"{otel.metric.overflow=true}"].Count)
	assert.Equal(t, float64(3), got[MetricUnpriced+"{otel.metric.overflow=true}"].Value)
}

func TestDimensions(t *testing.T) {
	b := newBatch("")
	for i, m := range []string{"gpt-4o", "gpt-4o-mini", "gpt-4o"} {
		c := call{repo: "repo-a", provider: "openai", reqModel: m, respModel: m, in: 10, out: 1, dur: time.Second, errType: []string{"", "x", ""}[i]}
		b.canonical(tid(byte(i+1)), sid(1), pcommon.SpanID{}, c)
	}
	c, _ := newTestConnector(t, func(cfg *Config) { cfg.Dimensions = []string{DimProvider} })
	got := consume(t, c, b)
	assert.Equal(t, uint64(3), got[MetricDuration+"{gen_ai.provider.name=openai}"].Count)
	assert.Equal(t, float64(3), got["genai.traces{}"].Value)
}

// TestNeverFails: odd and broken spans are read leniently, never an error.
func TestNeverFails(t *testing.T) {
	b := newBatch("")
	sp := b.span(tid(1), sid(1), sid(1), spancommit.KindGeneration) // its own parent
	sp.Attributes().PutStr(spancommit.AttrUsageInput, "many")
	sp.Attributes().PutDouble(spancommit.AttrUsageOutput, -3)
	sp.Attributes().PutStr(spancommit.AttrCostTotal, "NaN")
	sp.SetEndTimestamp(0)
	sp2 := b.span(tid(1), sid(2), sid(1), spancommit.KindGeneration)
	sp2.Attributes().PutInt(spancommit.AttrUsageInput, 1)
	sp2.Attributes().PutEmptySlice(spancommit.AttrModel)
	b.span(tid(2), sid(3), pcommon.SpanID{}, "")
	c, _ := newTestConnector(t, nil)
	require.NoError(t, c.ConsumeTraces(context.Background(), b.td))
	require.NoError(t, c.ConsumeTraces(context.Background(), ptrace.NewTraces()))
}

// TestCumulative: start time is stable per series, values only grow, and
// Shutdown flushes.
func TestCumulative(t *testing.T) {
	c, sink := newTestConnector(t, func(cfg *Config) { cfg.MetricsFlushInterval = time.Hour })
	require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
	mk := func() *batch {
		b := newBatch("")
		b.canonical(tid(1), sid(1), pcommon.SpanID{}, call{repo: "r", provider: "openai", reqModel: "gpt-4o", in: 10, out: 2, dur: time.Second})
		return b
	}
	first := consume(t, c, mk())
	c.now = func() time.Time { return t0.Add(2 * time.Hour) }
	second := consume(t, c, mk())
	for k, p := range first {
		q, ok := second[k]
		require.True(t, ok, k)
		assert.Equal(t, p.Start, q.Start, k)
		assert.GreaterOrEqual(t, q.Count+uint64(q.Value), p.Count+uint64(p.Value), k)
	}
	require.NoError(t, c.Shutdown(context.Background()))
	require.Len(t, sink.AllMetrics(), 1)
	md := sink.AllMetrics()[0]
	m := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0)
	assert.Equal(t, MetricTokenUsage, m.Name())
	assert.Equal(t, "{token}", m.Unit())
	assert.Equal(t, pmetric.AggregationTemporalityCumulative, m.Histogram().AggregationTemporality())
	assert.Equal(t, tokenBounds, m.Histogram().DataPoints().At(0).ExplicitBounds().AsRaw())
}

func TestStoreMissing(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Store = component.MustNewID("tracetree_store")
	f := NewFactory()
	conn, err := f.CreateTracesToMetrics(context.Background(), connectorSettings(), cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.ErrorContains(t, conn.Start(context.Background(), componenttest.NewNopHost()), "tracetree_store")
}
