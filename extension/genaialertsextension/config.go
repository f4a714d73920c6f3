package genaialertsextension

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configretry"
)

// Metrics a rule can watch. Every value is read from one store stats query
// over the rule's window (store.Backend QueryStats), so it is the same
// number the stats API and the trace list show.
const (
	// MetricEvalFailureRate is failed verdicts / verdicts of Evaluator;
	// samples: verdicts.
	MetricEvalFailureRate = "eval_failure_rate"
	// MetricEvalFailures is the number of failed verdicts of Evaluator;
	// samples: verdicts.
	MetricEvalFailures = "eval_failures"
	// MetricEvalMeanScore is the mean score of Evaluator; samples: scored
	// verdicts.
	MetricEvalMeanScore = "eval_mean_score"
	// MetricErrorRate is traces with an error / traces; samples: traces.
	MetricErrorRate = "error_rate"
	// MetricLatencyP95 is the traces' p95 latency in ms; samples: traces.
	MetricLatencyP95 = "latency_p95"
	// MetricCostPerHour is the cost (USD) of the window's model calls per
	// hour; samples: traces.
	MetricCostPerHour = "cost_per_hour"
	// MetricTokensPerHour is the input+output tokens of the window's model
	// calls per hour; samples: traces.
	MetricTokensPerHour = "tokens_per_hour"
)

var evalMetrics = []string{MetricEvalFailureRate, MetricEvalFailures, MetricEvalMeanScore}

var allMetrics = append(slices.Clone(evalMetrics), MetricErrorRate, MetricLatencyP95, MetricCostPerHour, MetricTokensPerHour)

// Webhook formats.
const (
	FormatJSON  = "json"
	FormatSlack = "slack"
)

// Window limits: a window is read at one-minute resolution, and the store
// scans traces that started at most a day before it.
const (
	minWindow = time.Minute
	maxWindow = 24 * time.Hour
)

const (
	defaultInterval     = 15 * time.Second
	defaultHistoryLimit = 500
	defaultTimeout      = 10 * time.Second
)

var defaultStoreID = component.MustNewID("tracetree_store")

// Config is the genai_alerts extension's configuration.
type Config struct {
	// Store names the tracetree_store extension the rules read and the
	// alert state is kept in.
	Store component.ID `mapstructure:"store"`
	// Backend selects one of the store's named backends; empty = default.
	Backend string `mapstructure:"backend"`
	// EvaluationInterval is how often a rule is evaluated unless the rule
	// sets its own interval.
	EvaluationInterval time.Duration `mapstructure:"evaluation_interval"`
	// HistoryLimit bounds the transitions kept (oldest dropped first).
	HistoryLimit int `mapstructure:"history_limit"`
	// Webhooks are the notification targets by name.
	Webhooks map[string]WebhookConfig `mapstructure:"webhooks"`
	// RetryOnFailure is the backoff of a failed delivery (a non-2xx
	// answer other than 4xx, or a transport error); after max_elapsed_time
	// the delivery is recorded as failed.
	RetryOnFailure configretry.BackOffConfig `mapstructure:"retry_on_failure"`
	// Rules are the alert rules.
	Rules []RuleConfig `mapstructure:"rules"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// WebhookConfig is one notification target: the standard HTTP client
// block (endpoint, headers, timeout, tls) plus the body format.
type WebhookConfig struct {
	confighttp.ClientConfig `mapstructure:",squash"`
	// Format is json (the generic body, the default) or slack (text +
	// blocks, which Slack incoming webhooks and compatible receivers
	// accept). An empty endpoint disables the webhook: its notifications
	// are only logged (so a config can read the URL from an unset env).
	Format string `mapstructure:"format"`
}

// RuleConfig is one alert rule, evaluated per repository.
type RuleConfig struct {
	Name   string `mapstructure:"name"`
	Metric string `mapstructure:"metric"`
	// Evaluator names the evaluator of an eval_* metric.
	Evaluator string `mapstructure:"evaluator"`
	// Window is the sliding window the metric is computed over.
	Window time.Duration `mapstructure:"window"`
	// Interval overrides evaluation_interval for this rule.
	Interval time.Duration `mapstructure:"interval"`
	// Exactly one threshold: the alert fires while the value is above
	// (>), at_least (>=), below (<) or at_most (<=) it.
	Above   *float64 `mapstructure:"above"`
	AtLeast *float64 `mapstructure:"at_least"`
	Below   *float64 `mapstructure:"below"`
	AtMost  *float64 `mapstructure:"at_most"`
	// MinSamples is the fewest samples (see the metric) the window must
	// hold for the rule to fire; with fewer the alert is, or resolves to,
	// ok.
	MinSamples int64 `mapstructure:"min_samples"`
	// Repositories limits the rule; empty = every repository seen.
	Repositories []string `mapstructure:"repositories"`
	// Webhooks to notify; empty = every configured webhook.
	Webhooks []string `mapstructure:"webhooks"`
}

var _ component.Config = (*Config)(nil)

// threshold returns the rule's operator and threshold.
func (r *RuleConfig) threshold() (op string, v float64, n int) {
	for _, c := range []struct {
		op string
		v  *float64
	}{{"above", r.Above}, {"at_least", r.AtLeast}, {"below", r.Below}, {"at_most", r.AtMost}} {
		if c.v != nil {
			op, v, n = c.op, *c.v, n+1
		}
	}
	return op, v, n
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs error
	add := func(f string, a ...any) { errs = errors.Join(errs, fmt.Errorf(f, a...)) }
	if c.Store.Type().String() == "" {
		add("store: must name the tracetree_store extension")
	}
	if c.EvaluationInterval <= 0 {
		add("evaluation_interval: must be positive, got %s", c.EvaluationInterval)
	}
	if c.HistoryLimit <= 0 {
		add("history_limit: must be positive, got %d", c.HistoryLimit)
	}
	if err := c.RetryOnFailure.Validate(); err != nil {
		add("retry_on_failure: %w", err)
	}
	for name, w := range c.Webhooks {
		if w.Endpoint != "" {
			if u, err := url.Parse(w.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				add("webhooks::%s: endpoint: want an http(s) URL, got %q", name, w.Endpoint)
			}
		}
		if w.Format != "" && w.Format != FormatJSON && w.Format != FormatSlack {
			add("webhooks::%s: format: want json (the default) or slack, got %q", name, w.Format)
		}
	}
	if len(c.Rules) == 0 {
		add("rules: at least one rule is required")
	}
	seen := map[string]bool{}
	for i := range c.Rules {
		r := &c.Rules[i]
		at := fmt.Sprintf("rules[%d]", i)
		if r.Name == "" {
			add("%s: name: must not be empty", at)
		} else {
			at = fmt.Sprintf("rules[%s]", r.Name)
			if seen[r.Name] {
				add("%s: name: duplicate", at)
			}
			seen[r.Name] = true
		}
		switch {
		case !slices.Contains(allMetrics, r.Metric):
			add("%s: metric: want one of %v, got %q", at, allMetrics, r.Metric)
		case slices.Contains(evalMetrics, r.Metric) && r.Evaluator == "":
			add("%s: evaluator: %s needs the evaluator's name", at, r.Metric)
		case !slices.Contains(evalMetrics, r.Metric) && r.Evaluator != "":
			add("%s: evaluator: only eval_* metrics read an evaluator", at)
		}
		if r.Window < minWindow || r.Window > maxWindow || r.Window%time.Minute != 0 {
			add("%s: window: want whole minutes from %s to %s, got %s", at, minWindow, maxWindow, r.Window)
		}
		if r.Interval < 0 {
			add("%s: interval: must not be negative", at)
		}
		if _, _, n := r.threshold(); n != 1 {
			add("%s: want exactly one of above, at_least, below, at_most; got %d", at, n)
		}
		if r.MinSamples < 0 {
			add("%s: min_samples: must not be negative", at)
		}
		for _, w := range r.Webhooks {
			if _, ok := c.Webhooks[w]; !ok {
				add("%s: webhooks: %q is not configured", at, w)
			}
		}
	}
	return errs
}
