package genaialertsextension

import (
	"context"
	"fmt"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// A reading is a rule's metric over its window on one repository.
type reading struct {
	// Value is the metric; HasValue is false when the window holds no
	// sample it could be computed from.
	Value    float64
	HasValue bool
	Samples  int64
}

// statsStep is the resolution of a window: one minute, the store's
// smallest stats step. The window [now-window, now) is read as the
// minute-aligned buckets that cover it, so it may reach up to a minute
// further back.
const statsStep = time.Minute

// read computes rule's metric on repo for the window ending at now, from
// one stats query: the same totals (tree totals, summary rows) the stats
// API answers with.
func read(ctx context.Context, b store.Backend, r *RuleConfig, repo string, now time.Time) (reading, error) {
	q := store.StatsQuery{
		TraceQuery: store.TraceQuery{Repo: repo, From: now.Add(-r.Window), To: now},
		Step:       statsStep,
		Evaluator:  r.Evaluator,
	}
	st, err := b.QueryStats(ctx, q)
	if err != nil {
		return reading{}, fmt.Errorf("rule %s on %q: %w", r.Name, repo, err)
	}
	var tot store.StatsBucket
	if len(st.Groups) > 0 {
		tot = st.Groups[0].Totals
	}
	return metricOf(r.Metric, &tot, st.To.Sub(st.From)), nil
}

// metricOf is the one rule turning a stats answer into a metric value.
func metricOf(metric string, t *store.StatsBucket, span time.Duration) reading {
	perHour := func(v float64) reading {
		if t.Traces == 0 && t.Generations == 0 {
			return reading{}
		}
		return reading{Value: v / span.Hours(), HasValue: span > 0, Samples: t.Traces}
	}
	ev := t.Evaluations
	if ev == nil {
		ev = &store.EvalStats{}
	}
	switch metric {
	case MetricEvalFailureRate:
		if ev.FailureRate == nil {
			return reading{Samples: ev.Runs}
		}
		return reading{Value: *ev.FailureRate, HasValue: true, Samples: ev.Runs}
	case MetricEvalFailures:
		return reading{Value: float64(ev.Failures), HasValue: true, Samples: ev.Runs}
	case MetricEvalMeanScore:
		if ev.MeanScore == nil {
			return reading{Samples: ev.Scored}
		}
		return reading{Value: *ev.MeanScore, HasValue: true, Samples: ev.Scored}
	case MetricErrorRate:
		if t.Traces == 0 {
			return reading{}
		}
		return reading{Value: float64(t.ErrorTraces) / float64(t.Traces), HasValue: true, Samples: t.Traces}
	case MetricLatencyP95:
		if t.TraceLatencyMs == nil {
			return reading{Samples: t.Traces}
		}
		return reading{Value: t.TraceLatencyMs.P95, HasValue: true, Samples: t.Traces}
	case MetricCostPerHour:
		return perHour(t.Cost)
	case MetricTokensPerHour:
		return perHour(float64(t.InputTokens + t.OutputTokens))
	}
	return reading{}
}

// breaches reports whether a reading puts the rule in the firing state:
// enough samples and the threshold crossed.
func breaches(r *RuleConfig, rd reading) bool {
	if !rd.HasValue || rd.Samples < minSamples(r) {
		return false
	}
	op, th, _ := r.threshold()
	switch op {
	case "above":
		return rd.Value > th
	case "at_least":
		return rd.Value >= th
	case "below":
		return rd.Value < th
	case "at_most":
		return rd.Value <= th
	}
	return false
}
