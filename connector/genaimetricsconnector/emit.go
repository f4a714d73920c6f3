package genaimetricsconnector

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-genai/otelcol-genai/connector/genaimetricsconnector/internal/metadata"
)

// The metrics the connector emits. The first two are the OTel GenAI
// semantic conventions' client metrics; the genai.* ones are this
// distribution's (README, "Metrics").
const (
	MetricTokenUsage = "gen_ai.client.token.usage"
	MetricDuration   = "gen_ai.client.operation.duration"
	MetricCost       = "genai.client.cost"
	MetricUnpriced   = "genai.client.unpriced_calls"
	MetricToolCalls  = "genai.tool.calls"
	MetricErrors     = "genai.errors"
	MetricTraces     = "genai.traces"
)

// build renders the cumulative state; n is the number of data points.
func (c *genaiMetrics) build() (pmetric.Metrics, int) {
	md := pmetric.NewMetrics()
	sm := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(metadata.ScopeName)
	ms := sm.Metrics()

	c.mu.Lock()
	defer c.mu.Unlock()
	now := pcommon.NewTimestampFromTime(c.now())
	n := 0

	tokens := newHistogram(ms, MetricTokenUsage, "Number of input and output tokens used.", "{token}")
	duration := newHistogram(ms, MetricDuration, "GenAI operation duration.", "s")
	cost := newSum(ms, MetricCost, "Cost of the model calls in USD: the client's when sent, else computed from usage with the price table. Calls without a known price are not included (see genai.client.unpriced_calls).", "USD")
	unpriced := newSum(ms, MetricUnpriced, "Model calls with token usage but no known price (their cost is missing from genai.client.cost, not zero).", "{call}")
	addCall := func(k *callKey, s *callSeries) {
		put := func(attrs pcommon.Map) {
			if k == nil {
				attrs.PutBool(attrOverflow, true)
				return
			}
			putStr(attrs, DimOperation, k.op)
			putStr(attrs, DimProvider, k.provider)
			putStr(attrs, DimRequestModel, k.reqModel)
			putStr(attrs, DimResponseModel, k.respModel)
			putStr(attrs, DimErrorType, k.errType)
			putStr(attrs, DimRepo, k.repo)
		}
		for _, tt := range [...]struct {
			h   *hist
			typ string
		}{{&s.input, "input"}, {&s.output, "output"}} {
			if tt.h.count == 0 {
				continue
			}
			dp := tokens.DataPoints().AppendEmpty()
			fillHist(dp, tt.h, tokenBounds, s.start, now)
			put(dp.Attributes())
			dp.Attributes().PutStr(attrTokenType, tt.typ)
			n++
		}
		if s.duration.count > 0 {
			dp := duration.DataPoints().AppendEmpty()
			fillHist(dp, &s.duration, durationBounds, s.start, now)
			put(dp.Attributes())
			n++
		}
		if s.priced > 0 {
			dp := cost.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(s.start)
			dp.SetTimestamp(now)
			dp.SetDoubleValue(s.cost)
			put(dp.Attributes())
			n++
		}
		if s.unpriced > 0 {
			dp := unpriced.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(s.start)
			dp.SetTimestamp(now)
			dp.SetIntValue(s.unpriced)
			put(dp.Attributes())
			n++
		}
	}
	for k, s := range c.calls {
		addCall(&k, s)
	}
	if c.ovCalls != nil {
		addCall(nil, c.ovCalls)
	}

	tools := newSum(ms, MetricToolCalls, "Tool calls, by tool name and error.type.", "{call}")
	for k, s := range c.tools {
		dp := addCount(tools, s, now)
		putStr(dp.Attributes(), DimToolName, k.tool)
		putStr(dp.Attributes(), DimErrorType, k.errType)
		putStr(dp.Attributes(), DimRepo, k.repo)
		n++
	}
	if c.ovTools != nil {
		addCount(tools, c.ovTools, now).Attributes().PutBool(attrOverflow, true)
		n++
	}

	errs := newSum(ms, MetricErrors, "Spans that failed, by entity kind and error.type.", "{error}")
	for k, s := range c.errs {
		dp := addCount(errs, s, now)
		putStr(dp.Attributes(), attrKindLabel, k.kind)
		putStr(dp.Attributes(), DimErrorType, k.errType)
		putStr(dp.Attributes(), DimRepo, k.repo)
		n++
	}
	if c.ovErrs != nil {
		addCount(errs, c.ovErrs, now).Attributes().PutBool(attrOverflow, true)
		n++
	}

	traces := newSum(ms, MetricTraces, "Traces seen (root spans), by repository.", "{trace}")
	for repo, s := range c.traces {
		putStr(addCount(traces, s, now).Attributes(), DimRepo, repo)
		n++
	}
	if c.ovTraces != nil {
		addCount(traces, c.ovTraces, now).Attributes().PutBool(attrOverflow, true)
		n++
	}

	n += c.buildEvals(ms, now)

	// Leave out metrics without data points: an empty metric is invalid
	// for some exporters.
	ms.RemoveIf(func(m pmetric.Metric) bool {
		switch m.Type() {
		case pmetric.MetricTypeHistogram:
			return m.Histogram().DataPoints().Len() == 0
		case pmetric.MetricTypeSum:
			return m.Sum().DataPoints().Len() == 0
		}
		return false
	})
	return md, n
}

func newHistogram(ms pmetric.MetricSlice, name, desc, unit string) pmetric.Histogram {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetDescription(desc)
	m.SetUnit(unit)
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	return h
}

func newSum(ms pmetric.MetricSlice, name, desc, unit string) pmetric.Sum {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetDescription(desc)
	m.SetUnit(unit)
	s := m.SetEmptySum()
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	s.SetIsMonotonic(true)
	return s
}

func fillHist(dp pmetric.HistogramDataPoint, h *hist, bounds []float64, start, now pcommon.Timestamp) {
	dp.SetStartTimestamp(start)
	dp.SetTimestamp(now)
	dp.SetCount(h.count)
	dp.SetSum(h.sum)
	dp.SetMin(h.min)
	dp.SetMax(h.max)
	dp.ExplicitBounds().FromRaw(bounds)
	dp.BucketCounts().FromRaw(h.counts)
}

func addCount(s pmetric.Sum, cs *countSeries, now pcommon.Timestamp) pmetric.NumberDataPoint {
	dp := s.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(cs.start)
	dp.SetTimestamp(now)
	dp.SetIntValue(cs.n)
	return dp
}

func putStr(attrs pcommon.Map, k, v string) {
	if v != "" {
		attrs.PutStr(k, v)
	}
}
