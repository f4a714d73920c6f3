package tracetreefeedreceiver

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-genai/otelcol-genai/internal/follow"
)

// Late-update modes: what happens to mutations that reach a trace after it
// was emitted (feedback, evaluations, a late end, a span added later).
const (
	// LateUpdatesSpan emits, for each changed node, a child span named
	// "update <name>" under the node's original span carrying the node's
	// current attributes and only the sub-records (feedback, evaluations,
	// events, errors, attachments) that are new since the last emission.
	// Nodes that did not exist at emission time are emitted as ordinary
	// spans under their real parent.
	LateUpdatesSpan = "span"
	// LateUpdatesDrop ignores mutations after emission (they stay in the
	// store and the query API shows them).
	LateUpdatesDrop = "drop"
)

// Config is the tracetree_feed receiver's configuration.
type Config struct {
	// ReceiverConfig is what every receiver that follows the store has:
	// store, backend, repos (to forward), quiet_period (how long an ended
	// trace must stay unchanged before it is emitted), poll_interval,
	// catch_up_window (it should exceed the longest trace plus the time
	// feedback keeps arriving) and batch_size.
	follow.ReceiverConfig `mapstructure:",squash"`
	// IncompleteTimeout emits a trace that never ended once it has been
	// idle this long (marked maxim.trace.ended=false); 0 waits forever.
	IncompleteTimeout time.Duration `mapstructure:"incomplete_timeout"`
	// LateUpdates is "span" or "drop"; see LateUpdatesSpan.
	LateUpdates string `mapstructure:"late_updates"`
	// ServiceName is the service.name resource attribute of emitted spans.
	ServiceName string `mapstructure:"service_name"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{
		ReceiverConfig:    follow.DefaultReceiverConfig(2 * time.Second),
		IncompleteTimeout: 10 * time.Minute,
		LateUpdates:       LateUpdatesSpan,
		ServiceName:       "genai-sdk",
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	errs := c.Errors()
	if c.IncompleteTimeout < 0 {
		errs = append(errs, fmt.Errorf("incomplete_timeout: must not be negative, got %s", c.IncompleteTimeout))
	}
	if c.IncompleteTimeout > 0 && c.IncompleteTimeout < c.QuietPeriod {
		errs = append(errs, fmt.Errorf("incomplete_timeout (%s) must not be shorter than quiet_period (%s)", c.IncompleteTimeout, c.QuietPeriod))
	}
	if c.LateUpdates != LateUpdatesSpan && c.LateUpdates != LateUpdatesDrop {
		errs = append(errs, fmt.Errorf("late_updates: must be %q or %q, got %q", LateUpdatesSpan, LateUpdatesDrop, c.LateUpdates))
	}
	if c.ServiceName == "" {
		errs = append(errs, errors.New("service_name: must not be empty"))
	}
	return errors.Join(errs...)
}
