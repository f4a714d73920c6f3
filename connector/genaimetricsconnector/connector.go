package genaimetricsconnector

import (
	"context"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/connector/genaimetricsconnector/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
	"github.com/otelcol-genai/otelcol-genai/pkg/spancommit"
)

// Attributes read besides the canonical maxim.* ones (spancommit.Attr*):
// OTel GenAI semantic conventions, as the tracetree_feed receiver writes
// them for SDK traffic, and the feed's own markers.
const (
	attrGenAIOperation    = "gen_ai.operation.name"
	attrGenAIProvider     = "gen_ai.provider.name"
	attrGenAISystem       = "gen_ai.system" // deprecated provider key
	attrGenAIRequestModel = "gen_ai.request.model"
	attrGenAIRespModel    = "gen_ai.response.model"
	attrGenAIInputTokens  = "gen_ai.usage.input_tokens"
	attrGenAIOutputTokens = "gen_ai.usage.output_tokens"
	attrGenAIPromptTokens = "gen_ai.usage.prompt_tokens"     // pre-1.27 name
	attrGenAICompTokens   = "gen_ai.usage.completion_tokens" // pre-1.27 name
	attrGenAICacheRead    = "gen_ai.usage.cache_read.input_tokens"
	attrGenAICacheWrite   = "gen_ai.usage.cache_creation.input_tokens"
	attrGenAIToolName     = "gen_ai.tool.name"
	attrErrorType         = "error.type"
	attrFeedUpdate        = "maxim.update" // tracetree_feed: a late-update span

	attrTokenType = "gen_ai.token.type"
	attrOverflow  = "otel.metric.overflow"
	attrKindLabel = "maxim.entity.kind"

	kindTrace = "trace"

	// errOther is error.type's fallback when a failed call names no type.
	errOther = "_OTHER"
)

// callKey identifies the series of a model call. Dimensions that are not
// configured are left empty.
type callKey struct {
	op, provider, reqModel, respModel, errType, repo string
}

// toolKey identifies a tool-call series.
type toolKey struct{ tool, errType, repo string }

// errKey identifies an error series.
type errKey struct{ kind, errType, repo string }

// callSeries is the cumulative state of one model-call attribute set.
type callSeries struct {
	start            pcommon.Timestamp
	input, output    hist
	duration         hist
	cost             float64
	priced, unpriced int64
}

// countSeries is the cumulative state of a counter series.
type countSeries struct {
	start pcommon.Timestamp
	n     int64
}

// hist is a cumulative explicit-bucket histogram.
type hist struct {
	counts        []uint64 // len(bounds)+1, allocated on first record
	count         uint64
	sum, min, max float64
}

func (h *hist) record(bounds []float64, v float64) {
	if h.counts == nil {
		h.counts = make([]uint64, len(bounds)+1)
	}
	// Bucket i holds (bounds[i-1], bounds[i]]; the last one (bounds[n-1], +Inf).
	i := 0
	for i < len(bounds) && v > bounds[i] {
		i++
	}
	h.counts[i]++
	if h.count == 0 || v < h.min {
		h.min = v
	}
	if h.count == 0 || v > h.max {
		h.max = v
	}
	h.count++
	h.sum += v
}

// Bucket boundaries of the OTel GenAI semantic conventions.
var (
	tokenBounds    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
	durationBounds = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
)

// Span outcomes counted in otelcol_genai_metrics_spans.
const (
	outModelCall = iota
	outToolCall
	outAggregate
	outAncestor
	outPaired
	outUpdate
	outOther
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"model_call", "tool_call", "aggregate", "ancestor", "paired", "update", "other"}

// spanKey identifies a span within a batch.
type spanKey struct {
	trace pcommon.TraceID
	span  pcommon.SpanID
}

// genRef is a generation span waiting for the leaf rule.
type genRef struct {
	span     ptrace.Span
	resRepo  string
	hasUsage bool
}

type genaiMetrics struct {
	cfg    *Config
	logger *zap.Logger
	tb     *metadata.TelemetryBuilder
	next   consumer.Metrics
	mask   dimMask

	// getPrices returns the current price table (the store's, or the
	// embedded data); openStore, when set, is how Start finds the store.
	getPrices func() *pricing.Table
	openStore func(component.Host) (func() *pricing.Table, error)
	now       func() time.Time

	outcomeOpts [numOutcomes]metric.AddOption

	mu       sync.Mutex
	calls    map[callKey]*callSeries
	tools    map[toolKey]*countSeries
	errs     map[errKey]*countSeries
	traces   map[string]*countSeries
	evals    map[evalKey]*countSeries
	scores   map[scoreKey]*scoreSeries
	ovCalls  *callSeries
	ovTools  *countSeries
	ovErrs   *countSeries
	ovTraces *countSeries
	// scratch, reused across batches (under mu)
	gens     []genRef
	parents  map[spanKey]pcommon.SpanID
	ancestor map[spanKey]struct{}

	stop chan struct{}
	done chan struct{}
}

func newConnector(set component.TelemetrySettings, cfg *Config, next consumer.Metrics) (*genaiMetrics, error) {
	tb, err := metadata.NewTelemetryBuilder(set)
	if err != nil {
		return nil, err
	}
	c := &genaiMetrics{
		cfg:      cfg,
		logger:   set.Logger,
		tb:       tb,
		next:     next,
		mask:     cfg.mask(),
		now:      time.Now,
		calls:    map[callKey]*callSeries{},
		tools:    map[toolKey]*countSeries{},
		errs:     map[errKey]*countSeries{},
		traces:   map[string]*countSeries{},
		evals:    map[evalKey]*countSeries{},
		scores:   map[scoreKey]*scoreSeries{},
		parents:  map[spanKey]pcommon.SpanID{},
		ancestor: map[spanKey]struct{}{},
	}
	def := pricing.MustDefault()
	c.getPrices = func() *pricing.Table { return def }
	for i, n := range outcomeNames {
		c.outcomeOpts[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", n)))
	}
	return c, nil
}

// Capabilities: the connector only reads the spans, so a fan-out hands it
// the same batch as the store's exporter, without a copy.
func (c *genaiMetrics) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// Start finds the store's price table (when configured) and starts the
// flush loop.
func (c *genaiMetrics) Start(_ context.Context, host component.Host) error {
	if c.openStore != nil {
		prices, err := c.openStore(host)
		if err != nil {
			return err
		}
		c.getPrices = prices
	}
	c.stop = make(chan struct{})
	c.done = make(chan struct{})
	go c.loop()
	return nil
}

func (c *genaiMetrics) loop() {
	defer close(c.done)
	t := time.NewTicker(c.cfg.MetricsFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.flush(context.Background())
		}
	}
}

// Shutdown stops the flush loop and sends the state one last time.
func (c *genaiMetrics) Shutdown(ctx context.Context) error {
	if c.stop == nil {
		return nil
	}
	close(c.stop)
	<-c.done
	c.stop = nil
	c.flush(ctx)
	return nil
}

func (c *genaiMetrics) flush(ctx context.Context) {
	md, n := c.build()
	if n == 0 {
		return
	}
	if err := c.next.ConsumeMetrics(ctx, md); err != nil {
		// The state is cumulative: the next flush carries it again.
		c.tb.GenaiMetricsExportErrors.Add(ctx, 1)
		c.logger.Warn("genai_metrics: metrics pipeline refused a flush", zap.Error(err), zap.Int("data_points", n))
	}
}

// ConsumeTraces folds a batch into the cumulative state. It never returns
// an error: it runs in the traces pipeline's fan-out beside the store's
// exporter, where any error would fail (and make the client resend) a batch
// the store already has. A span it cannot read is counted as "other".
func (c *genaiMetrics) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	var outcomes [numOutcomes]int64
	var overflow int64
	var newSeries int64

	c.mu.Lock()
	now := pcommon.NewTimestampFromTime(c.now())
	prices := c.getPrices()
	c.gens = c.gens[:0]
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		resRepo := strAttr(rs.Resource().Attributes(), spancommit.AttrRepo)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			spans := rs.ScopeSpans().At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				a := sp.Attributes()
				if v, ok := a.Get(attrFeedUpdate); ok && v.Type() == pcommon.ValueTypeBool && v.Bool() {
					// A feed late-update span repeats a node already
					// emitted: counting it again would double it.
					outcomes[outUpdate]++
					continue
				}
				kind := kindOf(a)
				repo := first(a, spancommit.AttrRepo)
				if repo == "" {
					repo = resRepo
				}
				if sp.ParentSpanID().IsEmpty() && kind != spancommit.KindSessionEnd {
					o, created := c.traceSeries(c.dim(DimRepo, repo), now)
					o.n++
					overflow += b2i(o == c.ovTraces)
					newSeries += b2i(created)
				}
				errType := errorType(sp)
				if errType != "" {
					o, created := c.errSeries(errKey{kind: kind, errType: c.dim(DimErrorType, errType), repo: c.dim(DimRepo, repo)}, now)
					o.n++
					overflow += b2i(o == c.ovErrs)
					newSeries += b2i(created)
				}
				switch kind {
				case spancommit.KindGeneration:
					if _, ok := a.Get(spancommit.AttrUsageAggregate); ok {
						outcomes[outAggregate]++
						continue
					}
					if serverHalf(sp) {
						outcomes[outPaired]++
						continue
					}
					c.gens = append(c.gens, genRef{span: sp, resRepo: resRepo, hasUsage: hasUsageOrCost(a)})
				case spancommit.KindToolCall:
					tool := first(a, spancommit.AttrToolName, attrGenAIToolName)
					o, created := c.toolSeries(toolKey{tool: c.dim(DimToolName, tool), errType: c.dim(DimErrorType, errType), repo: c.dim(DimRepo, repo)}, now)
					o.n++
					overflow += b2i(o == c.ovTools)
					newSeries += b2i(created)
					outcomes[outToolCall]++
				default:
					outcomes[outOther]++
				}
			}
		}
	}
	if len(c.gens) > 1 {
		c.markAncestors(td)
	}
	for _, g := range c.gens {
		if len(c.ancestor) > 0 {
			if _, ok := c.ancestor[spanKey{g.span.TraceID(), g.span.SpanID()}]; ok {
				outcomes[outAncestor]++
				continue
			}
		}
		ov, created := c.recordCall(g, prices, now)
		overflow += b2i(ov)
		newSeries += b2i(created)
		outcomes[outModelCall]++
	}
	clear(c.ancestor)
	c.gens = c.gens[:0]
	c.mu.Unlock()

	for i, n := range outcomes {
		if n > 0 {
			c.tb.GenaiMetricsSpans.Add(ctx, n, c.outcomeOpts[i])
		}
	}
	if newSeries > 0 {
		c.tb.GenaiMetricsSeries.Add(ctx, newSeries)
	}
	if overflow > 0 {
		c.tb.GenaiMetricsOverflow.Add(ctx, overflow)
	}
	return nil
}

// serverHalf reports whether a model-call span is the server half of a
// CLIENT/SERVER pair: a SERVER span (an LLM gateway, proxy or inference
// server) that continued a caller's trace. Its caller's CLIENT span records
// the same call, so the client metrics count that one only. The decision
// reads the span alone, so it is the same whatever batch either half
// arrives in (README, "Which spans count"; the tree's rule in
// internal/tree/totals.go).
func serverHalf(sp ptrace.Span) bool {
	return sp.Kind() == ptrace.SpanKindServer && !sp.ParentSpanID().IsEmpty()
}

// markAncestors applies the tree's leaf rule within the batch: a
// generation with a generation below it that has usage or cost is an
// aggregate of its calls, and is not counted (docs/tree-json.md, Totals).
func (c *genaiMetrics) markAncestors(td ptrace.Traces) {
	clear(c.parents)
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			spans := rs.ScopeSpans().At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				if p := sp.ParentSpanID(); !p.IsEmpty() {
					c.parents[spanKey{sp.TraceID(), sp.SpanID()}] = p
				}
			}
		}
	}
	for _, g := range c.gens {
		if !g.hasUsage {
			continue
		}
		tid := g.span.TraceID()
		p, ok := c.parents[spanKey{tid, g.span.SpanID()}]
		// Bounded by the batch size, so a parent cycle cannot loop.
		for steps := 0; ok && steps <= len(c.parents); steps++ {
			key := spanKey{tid, p}
			if _, done := c.ancestor[key]; done {
				break // the chain above was marked by another leaf
			}
			c.ancestor[key] = struct{}{}
			p, ok = c.parents[key]
		}
	}
	clear(c.parents)
}

// recordCall adds one leaf model call. It reports whether the call went to
// the overflow series and whether a series was created.
func (c *genaiMetrics) recordCall(g genRef, prices *pricing.Table, now pcommon.Timestamp) (overflow, created bool) {
	sp := g.span
	a := sp.Attributes()
	repo := first(a, spancommit.AttrRepo)
	if repo == "" {
		repo = g.resRepo
	}
	op := first(a, attrGenAIOperation)
	if op == "" {
		op = "chat"
	}
	provider := first(a, spancommit.AttrProvider, attrGenAIProvider, attrGenAISystem)
	// maxim.model is the response model, else the requested one;
	// maxim.request.model is only set when the two differ. That is also how
	// the tree reads an OTLP generation (its result's model = maxim.model).
	respModel := first(a, spancommit.AttrModel, attrGenAIRespModel)
	reqModel := first(a, spancommit.AttrRequestModel, spancommit.AttrModel, attrGenAIRequestModel)
	errType := errorType(sp)

	s, created := c.callSeries(callKey{
		op:        c.dim(DimOperation, op),
		provider:  c.dim(DimProvider, provider),
		reqModel:  c.dim(DimRequestModel, reqModel),
		respModel: c.dim(DimResponseModel, respModel),
		errType:   c.dim(DimErrorType, errType),
		repo:      c.dim(DimRepo, repo),
	}, now)

	in, inOK := firstInt(a, spancommit.AttrUsageInput, attrGenAIInputTokens, attrGenAIPromptTokens)
	out, outOK := firstInt(a, spancommit.AttrUsageOutput, attrGenAIOutputTokens, attrGenAICompTokens)
	if inOK {
		s.input.record(tokenBounds, float64(in))
	}
	if outOK {
		s.output.record(tokenBounds, float64(out))
	}
	if st, end := sp.StartTimestamp(), sp.EndTimestamp(); st != 0 && end >= st {
		s.duration.record(durationBounds, float64(end-st)/1e9)
	}

	// A cost the client sent (or the feed's, computed by the tree fold with
	// the same table) wins; otherwise price the usage with PriceCall, the
	// rule the tree fold uses.
	cost, costOK := sentCost(a)
	if !costOK && (inOK || outOK) {
		cr, _ := firstInt(a, spancommit.AttrUsageCacheRead, attrGenAICacheRead)
		cw, _ := firstInt(a, spancommit.AttrUsageCacheWrite, attrGenAICacheWrite)
		rt, _ := firstInt(a, spancommit.AttrUsageReasoning)
		r, err := prices.PriceCall(pricing.Call{
			Usage:         pricing.Usage{InputTokens: in, OutputTokens: out, CacheReadTokens: cr, CacheWriteTokens: cw, ReasoningTokens: rt},
			RequestModel:  reqModel,
			ResponseModel: respModel,
			Provider:      provider,
			Start:         sp.StartTimestamp().AsTime(),
		})
		if err == nil {
			cost, costOK = r.TotalCost, true
		}
	}
	switch {
	case costOK:
		s.cost += cost
		s.priced++
	case inOK || outOK:
		s.unpriced++
	}
	return s == c.ovCalls, created
}

// dim returns v when dimension d is configured, else "".
func (c *genaiMetrics) dim(d, v string) string {
	if c.mask.has(d) {
		return v
	}
	return ""
}

func (c *genaiMetrics) callSeries(k callKey, now pcommon.Timestamp) (*callSeries, bool) {
	if s := c.calls[k]; s != nil {
		return s, false
	}
	if len(c.calls) >= c.cfg.MaxSeries {
		if c.ovCalls == nil {
			c.ovCalls = &callSeries{start: now}
			c.logger.Warn("genai_metrics: max_series reached for model calls; new attribute sets go to the otel.metric.overflow series",
				zap.Int("max_series", c.cfg.MaxSeries))
			return c.ovCalls, true
		}
		return c.ovCalls, false
	}
	s := &callSeries{start: now}
	c.calls[callKey{clone(k.op), clone(k.provider), clone(k.reqModel), clone(k.respModel), clone(k.errType), clone(k.repo)}] = s
	return s, true
}

func (c *genaiMetrics) toolSeries(k toolKey, now pcommon.Timestamp) (*countSeries, bool) {
	if s := c.tools[k]; s != nil {
		return s, false
	}
	if len(c.tools) >= c.cfg.MaxSeries {
		return c.overflowCount(&c.ovTools, "tool calls", now)
	}
	s := &countSeries{start: now}
	c.tools[toolKey{clone(k.tool), clone(k.errType), clone(k.repo)}] = s
	return s, true
}

func (c *genaiMetrics) errSeries(k errKey, now pcommon.Timestamp) (*countSeries, bool) {
	if s := c.errs[k]; s != nil {
		return s, false
	}
	if len(c.errs) >= c.cfg.MaxSeries {
		return c.overflowCount(&c.ovErrs, "errors", now)
	}
	s := &countSeries{start: now}
	c.errs[errKey{clone(k.kind), clone(k.errType), clone(k.repo)}] = s
	return s, true
}

func (c *genaiMetrics) traceSeries(repo string, now pcommon.Timestamp) (*countSeries, bool) {
	if s := c.traces[repo]; s != nil {
		return s, false
	}
	if len(c.traces) >= c.cfg.MaxSeries {
		return c.overflowCount(&c.ovTraces, "traces", now)
	}
	s := &countSeries{start: now}
	c.traces[clone(repo)] = s
	return s, true
}

func (c *genaiMetrics) overflowCount(p **countSeries, family string, now pcommon.Timestamp) (*countSeries, bool) {
	if *p != nil {
		return *p, false
	}
	*p = &countSeries{start: now}
	c.logger.Warn("genai_metrics: max_series reached; new attribute sets go to the otel.metric.overflow series",
		zap.String("family", family), zap.Int("max_series", c.cfg.MaxSeries))
	return *p, true
}

// clone copies a label value so the state never pins a batch's memory.
func clone(s string) string { return strings.Clone(s) }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// kindOf is the span's entity kind: maxim.entity.kind (normalized spans and
// the feed's), else guessed from gen_ai.operation.name for spans that
// reached the connector without the normalizer.
func kindOf(a pcommon.Map) string {
	if k := first(a, spancommit.AttrKind); k != "" {
		return k
	}
	switch first(a, attrGenAIOperation) {
	case "chat", "text_completion", "generate_content":
		return spancommit.KindGeneration
	case "execute_tool":
		return spancommit.KindToolCall
	}
	return ""
}

// errorType is the span's error.type: the canonical maxim.error.type, else
// error.type, else "_OTHER" when the status is an error.
func errorType(sp ptrace.Span) string {
	if t := first(sp.Attributes(), spancommit.AttrErrorType, attrErrorType); t != "" {
		return t
	}
	if sp.Status().Code() == ptrace.StatusCodeError {
		return errOther
	}
	return ""
}

// hasUsageOrCost reports whether a generation counts as a model call with
// numbers (the tree's leaf rule looks for these below a generation).
func hasUsageOrCost(a pcommon.Map) bool {
	for _, k := range [...]string{spancommit.AttrUsageInput, spancommit.AttrUsageOutput, attrGenAIInputTokens, attrGenAIOutputTokens,
		attrGenAIPromptTokens, attrGenAICompTokens, spancommit.AttrCostTotal, spancommit.AttrCostInput, spancommit.AttrCostOutput} {
		if _, ok := a.Get(k); ok {
			return true
		}
	}
	return false
}

// sentCost is the cost on the span: maxim.cost.total, else input + output.
func sentCost(a pcommon.Map) (float64, bool) {
	if v, ok := floatAttr(a, spancommit.AttrCostTotal); ok {
		return v, true
	}
	in, inOK := floatAttr(a, spancommit.AttrCostInput)
	out, outOK := floatAttr(a, spancommit.AttrCostOutput)
	return in + out, inOK || outOK
}

// first returns the first non-empty string value among keys.
func first(a pcommon.Map, keys ...string) string {
	for _, k := range keys {
		if s := strAttr(a, k); s != "" {
			return s
		}
	}
	return ""
}

func strAttr(a pcommon.Map, k string) string {
	v, ok := a.Get(k)
	if !ok {
		return ""
	}
	if v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

// firstInt returns the first non-negative integer value among keys.
func firstInt(a pcommon.Map, keys ...string) (int64, bool) {
	for _, k := range keys {
		v, ok := a.Get(k)
		if !ok {
			continue
		}
		switch v.Type() {
		case pcommon.ValueTypeInt:
			if n := v.Int(); n >= 0 {
				return n, true
			}
		case pcommon.ValueTypeDouble:
			if d := v.Double(); d >= 0 && d < math.MaxInt64 {
				return int64(d), true
			}
		case pcommon.ValueTypeStr:
			if n, err := strconv.ParseInt(v.Str(), 10, 64); err == nil && n >= 0 {
				return n, true
			}
		}
	}
	return 0, false
}

func floatAttr(a pcommon.Map, k string) (float64, bool) {
	v, ok := a.Get(k)
	if !ok {
		return 0, false
	}
	var f float64
	switch v.Type() {
	case pcommon.ValueTypeDouble:
		f = v.Double()
	case pcommon.ValueTypeInt:
		f = float64(v.Int())
	case pcommon.ValueTypeStr:
		var err error
		if f, err = strconv.ParseFloat(v.Str(), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, false
	}
	return f, true
}
