package tracetreefeedreceiver

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"
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
	// Store names the tracetree_store extension to read from.
	Store component.ID `mapstructure:"store"`
	// Backend selects one of the store's named backends; empty = default.
	Backend string `mapstructure:"backend"`
	// Repos lists the repositories to forward; "*" (the default) forwards
	// every repository.
	Repos []string `mapstructure:"repos"`
	// QuietPeriod is how long an ended trace must stay unchanged before it
	// is emitted: SDKs flush in batches, and the end commit of a trace often
	// arrives before its children's last commits.
	QuietPeriod time.Duration `mapstructure:"quiet_period"`
	// IncompleteTimeout emits a trace that never ended once it has been
	// idle this long (marked maxim.trace.ended=false); 0 waits forever.
	IncompleteTimeout time.Duration `mapstructure:"incomplete_timeout"`
	// PollInterval is the longest time between two checks of the pending
	// traces (they are also checked every quiet_period/2).
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// LateUpdates is "span" or "drop"; see LateUpdatesSpan.
	LateUpdates string `mapstructure:"late_updates"`
	// ServiceName is the service.name resource attribute of emitted spans.
	ServiceName string `mapstructure:"service_name"`
	// CatchUpWindow bounds the catch-up after a restart (or lost live
	// changes): traces that started more than this long before the
	// checkpoint are not searched. It should exceed the longest trace
	// plus the time feedback keeps arriving.
	CatchUpWindow time.Duration `mapstructure:"catch_up_window"`
	// BatchSize is the page size of catch-up searches.
	BatchSize int `mapstructure:"batch_size"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{
		Store:             component.MustNewID("tracetree_store"),
		Repos:             []string{"*"},
		QuietPeriod:       5 * time.Second,
		IncompleteTimeout: 10 * time.Minute,
		PollInterval:      2 * time.Second,
		LateUpdates:       LateUpdatesSpan,
		ServiceName:       "genai-sdk",
		CatchUpWindow:     24 * time.Hour,
		BatchSize:         1000,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Store.Type().String() == "" {
		errs = append(errs, errors.New("store: must name the tracetree_store extension"))
	}
	if len(c.Repos) == 0 {
		errs = append(errs, errors.New(`repos: list at least one repository, or "*" for all`))
	}
	for _, r := range c.Repos {
		if r == "" {
			errs = append(errs, errors.New("repos: empty repository name"))
		}
	}
	if slices.Contains(c.Repos, "*") && len(c.Repos) > 1 {
		errs = append(errs, errors.New(`repos: "*" already selects every repository; list nothing else`))
	}
	if c.QuietPeriod < 0 {
		errs = append(errs, fmt.Errorf("quiet_period: must not be negative, got %s", c.QuietPeriod))
	}
	if c.IncompleteTimeout < 0 {
		errs = append(errs, fmt.Errorf("incomplete_timeout: must not be negative, got %s", c.IncompleteTimeout))
	}
	if c.IncompleteTimeout > 0 && c.IncompleteTimeout < c.QuietPeriod {
		errs = append(errs, fmt.Errorf("incomplete_timeout (%s) must not be shorter than quiet_period (%s)", c.IncompleteTimeout, c.QuietPeriod))
	}
	if c.PollInterval <= 0 {
		errs = append(errs, fmt.Errorf("poll_interval: must be positive, got %s", c.PollInterval))
	}
	if c.LateUpdates != LateUpdatesSpan && c.LateUpdates != LateUpdatesDrop {
		errs = append(errs, fmt.Errorf("late_updates: must be %q or %q, got %q", LateUpdatesSpan, LateUpdatesDrop, c.LateUpdates))
	}
	if c.ServiceName == "" {
		errs = append(errs, errors.New("service_name: must not be empty"))
	}
	if c.CatchUpWindow <= 0 {
		errs = append(errs, fmt.Errorf("catch_up_window: must be positive, got %s", c.CatchUpWindow))
	}
	if c.BatchSize <= 0 {
		errs = append(errs, fmt.Errorf("batch_size: must be positive, got %d", c.BatchSize))
	}
	return errors.Join(errs...)
}

// allRepos reports whether the receiver forwards every repository.
func (c *Config) allRepos() bool { return slices.Contains(c.Repos, "*") }
