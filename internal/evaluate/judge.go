package evaluate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/evaluate/judge"
	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
)

// llmJudge asks an LLM to score the subject with a template.
type llmJudge struct {
	name      string
	threshold float64
	tmpl      *judge.Template
	client    *judge.Client
	prices    *pricing.Table
}

func newJudge(cfg Config, set Settings) (*llmJudge, error) {
	tmpl, err := judge.NewTemplate(cfg.Judge.Template, cfg.Judge.Prompt)
	if err != nil {
		return nil, fmt.Errorf("judge: %w", err)
	}
	client, err := judge.NewClient(cfg.Judge.clientConfig(), set.HTTPClient, set.Logger.With(
		// The logger names the evaluator, never the key.
		zap.String("evaluator", cfg.Name)))
	if err != nil {
		return nil, fmt.Errorf("judge: %w", err)
	}
	prices := set.Prices
	if prices == nil {
		if prices, err = pricing.Default(); err != nil {
			return nil, fmt.Errorf("judge: price table: %w", err)
		}
	}
	threshold := cfg.Judge.Threshold
	if threshold == 0 {
		threshold = DefaultJudgeThreshold
	}
	return &llmJudge{name: cfg.Name, threshold: threshold, tmpl: tmpl, client: client, prices: prices}, nil
}

func (e *llmJudge) Name() string { return e.name }

// Evaluate renders the template for s and asks the judge. On error the
// Result still carries Judge (attempts, usage, cost) so the engine can
// record what the failure cost.
func (e *llmJudge) Evaluate(ctx context.Context, s Subject) (Result, error) {
	vars := judge.Vars{
		Input:    s.Input,
		Output:   s.Output,
		Context:  strings.Join(s.Context, "\n\n---\n\n"),
		Expected: s.Expected,
	}
	if vars.Input == "" && len(s.Messages) > 0 {
		vars.Input = renderMessages(s.Messages)
	}
	if missing := e.tmpl.Missing(vars); missing != "" {
		return Result{}, fmt.Errorf("%w: the %s judge needs %s, which %s %s lacks",
			ErrNotApplicable, e.tmpl.Name, missing, s.Kind, s.EntityID)
	}
	system, user := e.tmpl.Render(vars)
	start := time.Now()
	v, err := e.client.Judge(ctx, system, user)
	usage := e.usage(v, start)
	if err != nil {
		return Result{Evaluator: e.name, Judge: usage}, fmt.Errorf("evaluator %q: %w", e.name, err)
	}
	r := Result{Evaluator: e.name, Score: v.Score, Pass: v.Score >= e.threshold, Reason: v.Reason, Judge: usage}
	if r.Reason == "" {
		r.Reason = fmt.Sprintf("the %s judge gave no reason", e.tmpl.Name)
	}
	return r, nil
}

// usage prices the judge's own call with the one pricing rule the tree
// fold and the metrics connector use.
func (e *llmJudge) usage(v judge.Verdict, start time.Time) *JudgeUsage {
	u := &JudgeUsage{Model: v.Model, InputTokens: v.InputTokens, OutputTokens: v.OutputTokens, Attempts: v.Attempts}
	if v.InputTokens == 0 && v.OutputTokens == 0 {
		return u
	}
	res, err := e.prices.PriceCall(pricing.Call{
		Usage:         pricing.Usage{InputTokens: v.InputTokens, OutputTokens: v.OutputTokens},
		RequestModel:  e.client.Model(),
		ResponseModel: v.Model,
		Provider:      e.client.Provider(),
		Start:         start,
	})
	// An unknown model (a local Ollama or vLLM model) has no cost, which
	// is not a zero cost: HasCost stays false.
	if err == nil {
		u.CostUSD, u.HasCost = res.TotalCost, true
	}
	return u
}
