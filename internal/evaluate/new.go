package evaluate

import (
	"errors"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
)

// ErrNotApplicable: the subject lacks what the evaluator reads (no latency
// for a latency budget, no cost for a cost budget, not a tool call for
// tool_error, no retrieved context for a faithfulness judge). The engine
// records no verdict for it.
var ErrNotApplicable = errors.New("evaluate: not applicable")

// Settings are what evaluators share with the component that runs them.
type Settings struct {
	// Logger gets the judge's retries at debug level; nil: no logs.
	Logger *zap.Logger
	// HTTPClient makes the judge's calls (the engine builds it from its
	// confighttp client settings: proxy, TLS); nil: a default client.
	// Each attempt is bounded by the judge's own timeout either way.
	HTTPClient *http.Client
	// Prices prices the judge's own usage; nil: pricing.Default().
	Prices *pricing.Table
}

// New validates cfg and builds its evaluator.
func New(cfg Config, set Settings) (Evaluator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if set.Logger == nil {
		set.Logger = zap.NewNop()
	}
	ev, err := build(cfg, set)
	if err != nil {
		return nil, fmt.Errorf("evaluator %q: %w", cfg.Name, err)
	}
	return ev, nil
}

func build(cfg Config, set Settings) (Evaluator, error) {
	switch cfg.Type {
	case TypeLatency:
		return &latency{name: cfg.Name, maxMs: cfg.MaxMs}, nil
	case TypeTokenBudget:
		return &tokenBudget{name: cfg.Name, total: cfg.MaxTokens, input: cfg.MaxInputTokens, output: cfg.MaxOutputTokens}, nil
	case TypeCostBudget:
		return &costBudget{name: cfg.Name, maxUSD: cfg.MaxCostUSD}, nil
	case TypeToolError:
		return &toolError{name: cfg.Name}, nil
	case TypeJSON:
		return &validJSON{name: cfg.Name, field: cfg.field()}, nil
	case TypeJSONSchema:
		return newJSONSchema(cfg)
	case TypeRegex:
		return newRegex(cfg)
	case TypeContains, TypeNotContains:
		return newContains(cfg), nil
	case TypeEmpty:
		return &empty{name: cfg.Name, field: cfg.field()}, nil
	case TypeRefusal:
		return newRefusal(cfg), nil
	case TypePII:
		return newPII(cfg)
	case TypeLLMJudge:
		return newJudge(cfg, set)
	}
	return nil, fmt.Errorf("type: unknown %q", cfg.Type)
}
