package genaievalreceiver

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-genai/otelcol-genai/internal/evaluate"
	"github.com/otelcol-genai/otelcol-genai/internal/follow"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Config is the genai_eval receiver's configuration.
type Config struct {
	// ReceiverConfig is what every receiver that follows the store has:
	// the store (also the one claims are taken in) and backend, repos,
	// quiet_period (how long an ended entity's trace, or its session, must
	// stay unchanged before it is evaluated), poll_interval,
	// catch_up_window and batch_size.
	follow.ReceiverConfig `mapstructure:",squash"`
	// ClaimTTL is how long a claim on (entity, LLM judge) holds while its
	// evaluation runs: a member that dies mid-evaluation leaves the work to
	// others once it expires (deterministic evaluators take no claim). It must exceed the slowest judge call with
	// its retries.
	ClaimTTL time.Duration `mapstructure:"claim_ttl"`
	// Concurrency is how many LLM-judge evaluations run at once, across
	// every trace; deterministic evaluations have a pool of the same size
	// of their own, so hanging judge calls never hold them back.
	Concurrency int `mapstructure:"concurrency"`
	// ErrorRetries is how many more rounds an evaluation that failed (the
	// judge kept failing after its own retries) gets, with backoff, before
	// its error is recorded as the verdict.
	ErrorRetries int `mapstructure:"error_retries"`
	// ErrorBackoff is the wait before the first of those rounds; it
	// doubles each round.
	ErrorBackoff time.Duration `mapstructure:"error_backoff"`
	// Evaluators are the evaluators to run, each with its sampling rate
	// and filters.
	Evaluators []EvaluatorConfig `mapstructure:"evaluators"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// EvaluatorConfig is one evaluator (internal/evaluate's Config: name, type
// and its settings, at the top level of the list entry) plus the engine's
// sampling rate and filter.
type EvaluatorConfig struct {
	// eval is the evaluator's own settings (decoded by Unmarshal). It is
	// unexported so the collector's config walker does not validate every
	// nested block on its own (the judge block of a pii evaluator);
	// Config.Validate calls evaluate.Config.Validate, which knows the type.
	eval evaluate.Config
	// Rate is the share of matching entities evaluated, in [0, 1]
	// (default 1). Sampling is deterministic: a hash of the evaluator name
	// and the entity decides, so every collector and every replay picks
	// the same entities.
	Rate float64 `mapstructure:"rate"`
	// Filter selects the entities; empty lists select everything.
	Filter Filter `mapstructure:"filter"`
}

// Filter selects the entities an evaluator judges. Every non-empty field
// must match.
type Filter struct {
	// Repositories the entity belongs to.
	Repositories []string `mapstructure:"repositories"`
	// Kinds: trace, generation, tool_call, retrieval, span, session.
	// Default: every kind.
	Kinds []string `mapstructure:"kinds"`
	// Names: the entity's name is one of them.
	Names []string `mapstructure:"names"`
	// Tags: the entity has every one of these tags with this value.
	Tags map[string]string `mapstructure:"tags"`
	// Models: the entity's model (generations) is one of them.
	Models []string `mapstructure:"models"`
}

// engineKeys are the keys of a list entry that belong to the engine; the
// rest is the evaluator's.
// NewEvaluatorConfig is an evaluator entry built in Go (tests, embedding).
func NewEvaluatorConfig(ev evaluate.Config, rate float64, f Filter) EvaluatorConfig {
	return EvaluatorConfig{eval: ev, Rate: rate, Filter: f}
}

// Evaluator returns the evaluator's own settings.
func (e *EvaluatorConfig) Evaluator() evaluate.Config { return e.eval }

var engineKeys = []string{"rate", "filter"}

// Unmarshal splits a list entry into the evaluator's settings (decoded by
// evaluate.Config, with its defaults) and the engine's.
func (e *EvaluatorConfig) Unmarshal(conf *confmap.Conf) error {
	raw := conf.ToStringMap()
	own, rest := map[string]any{}, map[string]any{}
	for k, v := range raw {
		if slices.Contains(engineKeys, k) {
			own[k] = v
		} else {
			rest[k] = v
		}
	}
	var ev evaluate.Config
	if err := ev.Unmarshal(confmap.NewFromStringMap(rest)); err != nil {
		return err
	}
	// A plain struct (no Unmarshal method), so decoding cannot recurse.
	es := struct {
		Rate   float64 `mapstructure:"rate"`
		Filter Filter  `mapstructure:"filter"`
	}{Rate: 1}
	if err := confmap.NewFromStringMap(own).Unmarshal(&es); err != nil {
		return err
	}
	*e = EvaluatorConfig{eval: ev, Rate: es.Rate, Filter: es.Filter}
	return nil
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{
		ReceiverConfig: follow.DefaultReceiverConfig(time.Second),
		ClaimTTL:       10 * time.Minute,
		Concurrency:    4,
		ErrorRetries:   2,
		ErrorBackoff:   30 * time.Second,
	}
}

// evaluableKinds are the entity kinds an evaluator may select.
var evaluableKinds = []string{
	string(commit.EntityTrace), string(commit.EntityGeneration), string(commit.EntityToolCall),
	string(commit.EntityRetrieval), string(commit.EntitySpan), string(commit.EntitySession),
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	errs := c.Errors()
	if c.ClaimTTL <= 0 {
		errs = append(errs, fmt.Errorf("claim_ttl: must be positive, got %s", c.ClaimTTL))
	}
	if c.Concurrency <= 0 {
		errs = append(errs, fmt.Errorf("concurrency: must be positive, got %d", c.Concurrency))
	}
	if c.ErrorRetries < 0 {
		errs = append(errs, fmt.Errorf("error_retries: must not be negative, got %d", c.ErrorRetries))
	}
	if c.ErrorRetries > 0 && c.ErrorBackoff <= 0 {
		errs = append(errs, fmt.Errorf("error_backoff: must be positive, got %s", c.ErrorBackoff))
	}
	if len(c.Evaluators) == 0 {
		errs = append(errs, errors.New("evaluators: configure at least one"))
	}
	seen := map[string]bool{}
	for i := range c.Evaluators {
		e := &c.Evaluators[i]
		if err := e.eval.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("evaluators[%d]: %w", i, err))
			continue
		}
		name := e.eval.Name
		if seen[name] {
			errs = append(errs, fmt.Errorf("evaluators[%d]: name %q used twice (a verdict is keyed by it)", i, name))
		}
		seen[name] = true
		if !(e.Rate >= 0 && e.Rate <= 1) {
			errs = append(errs, fmt.Errorf("evaluator %q: rate: must be in [0, 1], got %v", name, e.Rate))
		}
		for _, k := range e.Filter.Kinds {
			if !slices.Contains(evaluableKinds, k) {
				errs = append(errs, fmt.Errorf("evaluator %q: filter.kinds: unknown kind %q (one of %v)", name, k, evaluableKinds))
			}
		}
	}
	return errors.Join(errs...)
}
