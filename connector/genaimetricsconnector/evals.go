package genaimetricsconnector

import (
	"context"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Evaluation metrics (logs → metrics). Evaluation verdicts are `evaluate`
// commits with "with":"result" (written by the genai_eval receiver, or any
// client), and commits travel on the logs signal: placed in a logs
// pipeline beside the tracetree exporter, the connector counts each
// verdict once as it passes, read with the fold's own rule
// (tree.VerdictOf). A verdict replayed through the pipeline is counted
// again (metrics are not deduplicated; the store is).
const (
	MetricEvaluations     = "genai.evaluations"
	MetricEvaluationScore = "genai.evaluation.score"

	attrEvaluator  = "genai.evaluator.name"
	attrEvalResult = "genai.evaluation.result"

	evalPass  = "pass"
	evalFail  = "fail"
	evalError = "error" // no verdict reached (the judge kept failing)
	evalNone  = "none"  // a score without pass/fail
)

// scoreBounds bucket 0..1 scores in tenths.
var scoreBounds = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}

// evalKey identifies an evaluation-count series.
type evalKey struct{ evaluator, result, kind, repo string }

// scoreKey identifies a score series.
type scoreKey struct{ evaluator, kind, repo string }

type scoreSeries struct {
	start pcommon.Timestamp
	h     hist
}

// ConsumeLogs counts the verdicts among the commits. Like ConsumeTraces it
// never fails the pipeline: a record that is not a commit is skipped.
func (c *genaiMetrics) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	commits, err := commit.CommitsFromLogs(ld)
	if err != nil {
		c.logger.Debug("genai_metrics: log records that are not commits skipped", zap.Error(err))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := pcommon.NewTimestampFromTime(c.now())
	for i := range commits {
		ev, ok := tree.VerdictOf(&commits[i])
		if !ok {
			continue
		}
		c.recordVerdict(&commits[i], &ev, now)
	}
	return nil
}

func (c *genaiMetrics) recordVerdict(cm *commit.Commit, ev *tree.Evaluation, now pcommon.Timestamp) {
	result := evalNone
	switch {
	case ev.Error != "" && ev.Pass == nil && ev.Score == nil:
		result = evalError
	case ev.Pass != nil && *ev.Pass:
		result = evalPass
	case ev.Pass != nil:
		result = evalFail
	}
	repo := c.dim(DimRepo, cm.Repo)
	k := evalKey{evaluator: clone(ev.Evaluator), result: result, kind: string(cm.Entity), repo: clone(repo)}
	s := c.evals[k]
	if s == nil {
		s = &countSeries{start: now}
		c.evals[k] = s
	}
	s.n++
	if ev.Score == nil {
		return
	}
	sk := scoreKey{evaluator: k.evaluator, kind: k.kind, repo: k.repo}
	ss := c.scores[sk]
	if ss == nil {
		ss = &scoreSeries{start: now}
		c.scores[sk] = ss
	}
	ss.h.record(scoreBounds, *ev.Score)
}

// buildEvals renders the evaluation series into ms (caller holds mu).
func (c *genaiMetrics) buildEvals(ms pmetric.MetricSlice, now pcommon.Timestamp) int {
	n := 0
	counts := newSum(ms, MetricEvaluations, "Evaluation verdicts, by evaluator and result (pass, fail, none without pass/fail, error when no verdict was reached).", "{evaluation}")
	for k, s := range c.evals {
		dp := addCount(counts, s, now)
		putStr(dp.Attributes(), attrEvaluator, k.evaluator)
		putStr(dp.Attributes(), attrEvalResult, k.result)
		putStr(dp.Attributes(), attrKindLabel, k.kind)
		putStr(dp.Attributes(), DimRepo, k.repo)
		n++
	}
	scores := newHistogram(ms, MetricEvaluationScore, "Evaluation scores (0..1), by evaluator.", "1")
	for k, s := range c.scores {
		dp := scores.DataPoints().AppendEmpty()
		fillHist(dp, &s.h, scoreBounds, s.start, now)
		putStr(dp.Attributes(), attrEvaluator, k.evaluator)
		putStr(dp.Attributes(), attrKindLabel, k.kind)
		putStr(dp.Attributes(), DimRepo, k.repo)
		n++
	}
	return n
}
