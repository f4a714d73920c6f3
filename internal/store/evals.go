package store

import (
	"math"
	"slices"
	"strings"
	"time"
)

// Evaluation verdicts on summary rows.
//
// The tree fold keeps at most one verdict per (node, evaluator) (an
// `evaluate` commit with "with":"result", see docs/tree-json.md). A trace
// summary carries them twice, from one list built at index time:
//
//   - EvalRows, one per verdict, stored beside the row in its stats record
//     (never in its JSON): the stats scan counts them by evaluation time,
//     which is what alert windows read (StatsQuery.Evaluator);
//   - Evaluations, one EvalVerdict per evaluator, derived from EvalRows by
//     Verdicts: what the trace list shows and the eval search filters on.

// EvalRow is one evaluator's verdict on one node of a trace.
type EvalRow struct {
	Evaluator string
	NodeID    string
	// Time is the evaluation's timestamp (else the trace's start).
	Time time.Time
	// Score is in 0..1 when HasScore; Pass is the verdict when HasPass. A
	// judge that never answered leaves both unset (an errored evaluation
	// counts in neither the failure rate nor the mean score).
	Score    float64
	HasScore bool
	Pass     bool
	HasPass  bool
}

// Failed reports whether the verdict is a fail.
func (r *EvalRow) Failed() bool { return r.HasPass && !r.Pass }

// EvalVerdict is one evaluator's verdicts over the nodes of a trace.
type EvalVerdict struct {
	Evaluator string `json:"evaluator"`
	// Runs counts the nodes with a verdict (pass or score).
	Runs     int `json:"runs"`
	Failures int `json:"failures"`
	// MinScore is the lowest score, absent when no verdict has one.
	MinScore *float64 `json:"minScore,omitempty"`
}

// Verdicts folds rows into one EvalVerdict per evaluator, sorted by name.
func Verdicts(rows []EvalRow) []EvalVerdict {
	var out []EvalVerdict
	for i := range rows {
		r := &rows[i]
		if !r.HasPass && !r.HasScore {
			continue
		}
		j := slices.IndexFunc(out, func(v EvalVerdict) bool { return v.Evaluator == r.Evaluator })
		if j < 0 {
			out = append(out, EvalVerdict{Evaluator: r.Evaluator})
			j = len(out) - 1
		}
		v := &out[j]
		v.Runs++
		if r.Failed() {
			v.Failures++
		}
		if r.HasScore && (v.MinScore == nil || r.Score < *v.MinScore) {
			s := r.Score
			v.MinScore = &s
		}
	}
	slices.SortFunc(out, func(a, b EvalVerdict) int { return strings.Compare(a.Evaluator, b.Evaluator) })
	return out
}

// MatchEval is every backend's rule for the eval filter of a TraceQuery:
// with EvalScoreBelow, the evaluator's lowest score on the trace is below
// it; without, the evaluator failed on at least one node. v is the
// trace's verdict of q.Eval, nil when that evaluator never judged it.
// A query without Eval matches everything.
func (q *TraceQuery) MatchEval(v *EvalVerdict) bool {
	if q.Eval == "" {
		return true
	}
	if v == nil {
		return false
	}
	if q.EvalScoreBelow != nil {
		return v.MinScore != nil && *v.MinScore < *q.EvalScoreBelow
	}
	return v.Failures > 0
}

// FindVerdict returns the verdict of evaluator in vs, or nil.
func FindVerdict(vs []EvalVerdict, evaluator string) *EvalVerdict {
	for i := range vs {
		if vs[i].Evaluator == evaluator {
			return &vs[i]
		}
	}
	return nil
}

// EvalStats is what a stats bucket says of one evaluator's verdicts
// (StatsQuery.Evaluator): the verdicts whose evaluation time falls in the
// bucket.
type EvalStats struct {
	Evaluator string `json:"evaluator"`
	Runs      int64  `json:"runs"`
	Failures  int64  `json:"failures"`
	// FailureRate is Failures/Runs, absent without runs.
	FailureRate *float64 `json:"failureRate,omitempty"`
	Scored      int64    `json:"scored"`
	// MeanScore is the mean over the scored verdicts, absent without any.
	MeanScore *float64 `json:"meanScore,omitempty"`
}

func evalStatsOf(evaluator string, a *StatsAgg) *EvalStats {
	s := &EvalStats{Evaluator: evaluator, Runs: a.EvalRuns, Failures: a.EvalFailures, Scored: a.EvalScored}
	if a.EvalRuns > 0 {
		r := float64(a.EvalFailures) / float64(a.EvalRuns)
		s.FailureRate = &r
	}
	if a.EvalScored > 0 {
		m := round6(a.EvalScoreSum / float64(a.EvalScored))
		s.MeanScore = &m
	}
	return s
}

// addEval adds sign × one verdict into a.
func (a *StatsAgg) addEval(r *EvalRow, sign int64) {
	if !r.HasPass && !r.HasScore {
		return
	}
	a.EvalRuns += sign
	if r.Failed() {
		a.EvalFailures += sign
	}
	if r.HasScore && !math.IsNaN(r.Score) {
		a.EvalScored += sign
		a.EvalScoreSum += float64(sign) * r.Score
	}
}
