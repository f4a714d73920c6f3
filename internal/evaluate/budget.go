package evaluate

import (
	"context"
	"fmt"
	"strings"
)

// Budgets pass at or under their limit. The score is limit/actual capped at
// 1, so a call twice over budget scores 0.5: the UI can rank offenders.

func budgetScore(limit, actual float64) float64 {
	if actual <= limit || actual <= 0 {
		return 1
	}
	return limit / actual
}

type latency struct {
	name  string
	maxMs float64
}

func (e *latency) Name() string { return e.name }

func (e *latency) Evaluate(_ context.Context, s Subject) (Result, error) {
	if !s.HasLatency {
		return Result{}, fmt.Errorf("%w: %s %s has no duration", ErrNotApplicable, s.Kind, s.EntityID)
	}
	r := Result{Evaluator: e.name, Score: budgetScore(e.maxMs, s.LatencyMs), Pass: s.LatencyMs <= e.maxMs}
	if r.Pass {
		r.Reason = fmt.Sprintf("took %s, within the %s budget", ms(s.LatencyMs), ms(e.maxMs))
	} else {
		r.Reason = fmt.Sprintf("took %s, over the %s budget", ms(s.LatencyMs), ms(e.maxMs))
	}
	return r, nil
}

func ms(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.3gs", v/1000)
	}
	return fmt.Sprintf("%.4gms", v)
}

type tokenBudget struct {
	name                 string
	total, input, output int64
}

func (e *tokenBudget) Name() string { return e.name }

func (e *tokenBudget) Evaluate(_ context.Context, s Subject) (Result, error) {
	total := s.TotalTokens
	if total == 0 {
		total = s.InputTokens + s.OutputTokens
	}
	if total == 0 {
		// No usage reported is unknown usage, not a frugal call.
		return Result{}, fmt.Errorf("%w: %s %s has no token usage", ErrNotApplicable, s.Kind, s.EntityID)
	}
	r := Result{Evaluator: e.name, Score: 1, Pass: true}
	var over, within []string
	check := func(what string, limit, actual int64) {
		if limit == 0 {
			return
		}
		r.Score = min(r.Score, budgetScore(float64(limit), float64(actual)))
		line := fmt.Sprintf("%d %s tokens (limit %d)", actual, what, limit)
		if actual > limit {
			r.Pass = false
			over = append(over, line)
		} else {
			within = append(within, line)
		}
	}
	check("total", e.total, total)
	check("input", e.input, s.InputTokens)
	check("output", e.output, s.OutputTokens)
	if r.Pass {
		r.Reason = "within the token budget: " + strings.Join(within, ", ")
	} else {
		r.Reason = "over the token budget: " + strings.Join(over, ", ")
	}
	return r, nil
}

type costBudget struct {
	name   string
	maxUSD float64
}

func (e *costBudget) Name() string { return e.name }

func (e *costBudget) Evaluate(_ context.Context, s Subject) (Result, error) {
	if !s.HasCost {
		return Result{}, fmt.Errorf("%w: %s %s has no known cost", ErrNotApplicable, s.Kind, s.EntityID)
	}
	r := Result{Evaluator: e.name, Score: budgetScore(e.maxUSD, s.CostUSD), Pass: s.CostUSD <= e.maxUSD}
	if r.Pass {
		r.Reason = fmt.Sprintf("cost $%.6g, within the $%.6g budget", s.CostUSD, e.maxUSD)
	} else {
		r.Reason = fmt.Sprintf("cost $%.6g, over the $%.6g budget", s.CostUSD, e.maxUSD)
	}
	return r, nil
}

// toolError fails a tool call that ended in an error.
type toolError struct{ name string }

func (e *toolError) Name() string { return e.name }

func (e *toolError) Evaluate(_ context.Context, s Subject) (Result, error) {
	if s.Kind != "tool_call" {
		return Result{}, fmt.Errorf("%w: %s is a %s, not a tool_call", ErrNotApplicable, s.EntityID, s.Kind)
	}
	if s.Error == "" {
		return Result{Evaluator: e.name, Score: 1, Pass: true, Reason: fmt.Sprintf("tool %q succeeded", s.Name)}, nil
	}
	return Result{Evaluator: e.name, Score: 0, Pass: false,
		Reason: fmt.Sprintf("tool %q failed: %s", s.Name, clip(s.Error, 200))}, nil
}
