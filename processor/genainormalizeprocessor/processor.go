package genainormalizeprocessor

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/repoaccess"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/processor/genainormalizeprocessor/internal/normalize"
)

type normalizer struct {
	cfg    *Config
	logger *zap.Logger
	tel    *metadata.TelemetryBuilder
	kinds  map[string]metric.MeasurementOption
	// versioner stamps the commits of log records that carry no time.
	versioner *commit.Versioner
}

func newNormalizer(set processor.Settings, cfg *Config) (*normalizer, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("creating telemetry: %w", err)
	}
	n := &normalizer{cfg: cfg, logger: set.Logger, tel: tel, kinds: map[string]metric.MeasurementOption{}, versioner: commit.NewVersioner()}
	// Pre-built attribute sets: the per-span counter add must not allocate.
	for _, k := range []string{"generation", "tool_call", "retrieval", "span", "session_end"} {
		n.kinds[k] = metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", k)))
	}
	return n, nil
}

// repo picks the repository: the request's x-maxim-repo-id (which maxim_auth
// has already checked against the key), else the key's only repository,
// else the configured default when the key may write there, else the key's
// first repository. A key scoped to some repositories never writes into
// default_repo by omission.
func (n *normalizer) repo(ctx context.Context) string {
	info := client.FromContext(ctx)
	if vals := info.Metadata.Get(n.cfg.RepoMetadataKey); len(vals) > 0 {
		if r := strings.TrimSpace(vals[0]); r != "" {
			return r
		}
	}
	if g, ok := writeGrant(ctx); ok {
		if only, ok := g.Only(); ok {
			return only
		}
		if g.All() || g.Allows(n.cfg.DefaultRepo) {
			return n.cfg.DefaultRepo
		}
		return g.Repos()[0]
	}
	return n.cfg.DefaultRepo
}

// writeGrant is the repositories the request's API key may write, when an
// authenticator granted any; an unreadable grant counts as none, which
// leaves spans in default_repo exactly as an unauthenticated request would.
func writeGrant(ctx context.Context) (repoaccess.Grant, bool) {
	g, present, err := repoaccess.FromContext(ctx)
	if !present || err != nil || g.Empty() {
		return repoaccess.Grant{}, false
	}
	return g, true
}

// mayKeepRepo lets an already-normalized span keep its repository when the
// request's API key may write to that repository ("*" or listed): this is an
// agent forwarding spans it normalized, possibly for several repositories in
// one batch. Without an authenticated key nothing is kept.
func mayKeepRepo(ctx context.Context) func(string) bool {
	g, ok := writeGrant(ctx)
	if !ok {
		return nil
	}
	return g.Allows
}

func (n *normalizer) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	opt := normalize.Options{
		Repo:              n.repo(ctx),
		KeepRawAttributes: n.cfg.KeepRawAttributes,
		MaxAttributeBytes: n.cfg.MaxAttributeBytes,
		MayKeepRepo:       mayKeepRepo(ctx),
		GenAIAttributes:   n.cfg.GenAIAttributes,
		GenAIContent:      n.cfg.GenAIContent,
	}
	counts := map[string]int64{}
	var malformed, truncated int64
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				r := normalize.Span(sp, ss.Scope(), opt)
				if r.Skipped {
					continue
				}
				counts[r.Kind]++
				malformed += int64(r.Malformed)
				truncated += int64(r.Truncated)
				if r.Malformed > 0 || r.Truncated > 0 {
					n.logger.Debug("genai span kept with raw or cut values",
						zap.String("trace_id", sp.TraceID().String()), zap.String("span_id", sp.SpanID().String()),
						zap.Int("malformed", r.Malformed), zap.Int("truncated", r.Truncated))
				}
			}
		}
	}
	for kind, c := range counts {
		opt, ok := n.kinds[kind]
		if !ok {
			opt = metric.WithAttributes(attribute.String("kind", kind))
		}
		n.tel.GenaiNormalizeSpans.Add(ctx, c, opt)
	}
	if malformed > 0 {
		n.tel.GenaiNormalizeMalformedValues.Add(ctx, malformed)
	}
	if truncated > 0 {
		n.tel.GenaiNormalizeTruncations.Add(ctx, truncated)
	}
	return td, nil
}
