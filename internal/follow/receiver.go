package follow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// ReceiverConfig is the configuration every receiver that follows a store
// has (tracetree_feed, genai_eval). A receiver squashes it into its Config
// (mapstructure:",squash"), so its keys stay at the top level, and joins
// Errors into its Validate.
type ReceiverConfig struct {
	// Store names the tracetree_store extension to follow.
	Store component.ID `mapstructure:"store"`
	// Backend selects one of the store's named backends; empty = default.
	Backend string `mapstructure:"backend"`
	// Repos lists the repositories to follow; "*" (the default) is all.
	Repos []string `mapstructure:"repos"`
	// QuietPeriod is how long a trace (or session) must stay unchanged
	// before it is handled: SDKs flush in batches, and the end of a trace
	// often arrives before its children's last commits.
	QuietPeriod time.Duration `mapstructure:"quiet_period"`
	// PollInterval is the longest time between two checks of the pending
	// traces (they are also checked every quiet_period/2: Tick).
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// CatchUpWindow bounds the catch-up after a restart (or lost live
	// changes): traces that started more than this long before the
	// checkpoint are not searched.
	CatchUpWindow time.Duration `mapstructure:"catch_up_window"`
	// BatchSize is the page size of catch-up searches.
	BatchSize int `mapstructure:"batch_size"`
}

// DefaultReceiverConfig is the default of every following receiver.
func DefaultReceiverConfig(pollInterval time.Duration) ReceiverConfig {
	return ReceiverConfig{
		Store:         component.MustNewID("tracetree_store"),
		Repos:         []string{"*"},
		QuietPeriod:   5 * time.Second,
		PollInterval:  pollInterval,
		CatchUpWindow: 24 * time.Hour,
		BatchSize:     1000,
	}
}

// Errors checks the settings. (It is not named Validate: the collector
// would then call it on the squashed struct as well, and report each error
// twice.)
func (c *ReceiverConfig) Errors() []error {
	var errs []error
	if c.Store.Type().String() == "" {
		errs = append(errs, errors.New("store: must name the tracetree_store extension"))
	}
	if len(c.Repos) == 0 {
		errs = append(errs, errors.New(`repos: list at least one repository, or "*" for all`))
	}
	if slices.Contains(c.Repos, "") {
		errs = append(errs, errors.New("repos: empty repository name"))
	}
	if slices.Contains(c.Repos, "*") && len(c.Repos) > 1 {
		errs = append(errs, errors.New(`repos: "*" already selects every repository; list nothing else`))
	}
	if c.QuietPeriod < 0 {
		errs = append(errs, fmt.Errorf("quiet_period: must not be negative, got %s", c.QuietPeriod))
	}
	if c.PollInterval <= 0 {
		errs = append(errs, fmt.Errorf("poll_interval: must be positive, got %s", c.PollInterval))
	}
	if c.CatchUpWindow <= 0 {
		errs = append(errs, fmt.Errorf("catch_up_window: must be positive, got %s", c.CatchUpWindow))
	}
	if c.BatchSize <= 0 {
		errs = append(errs, fmt.Errorf("batch_size: must be positive, got %d", c.BatchSize))
	}
	return errs
}

// AllRepos reports whether the receiver follows every repository.
func (c *ReceiverConfig) AllRepos() bool { return slices.Contains(c.Repos, "*") }

// FollowerConfig is the Config of the receiver's Follower.
func (c *ReceiverConfig) FollowerConfig(checkpoint store.BlobKey, sessions bool) Config {
	fc := Config{QuietPeriod: c.QuietPeriod, CatchUpWindow: c.CatchUpWindow, BatchSize: c.BatchSize,
		Sessions: sessions, Checkpoint: checkpoint}
	if !c.AllRepos() {
		fc.Repos = c.Repos
	}
	return fc
}

// Tick is how often the receiver's Follower steps (the package's Tick).
func (c *ReceiverConfig) Tick() time.Duration { return Tick(c.PollInterval, c.QuietPeriod) }

// Runner runs a Follower between a receiver's Start and Shutdown.
type Runner struct {
	fl     *Follower
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start runs fl in its own goroutine until Stop: first Follower.Start
// (subscribe, load the checkpoint, catch up through the summary rows), then
// Follower.Run; onErr hears the errors of both. It returns at once: the
// collector reports ready, and takes data, only once every component's
// Start has returned, and a restart after a crash must not wait for a
// catch-up through a day of summaries. A failed Follower.Start (the store
// unreachable) is retried with backoff until Stop; the subscription it
// takes first queues live changes meanwhile.
func (r *Runner) Start(fl *Follower, tick time.Duration, onErr func(ctx context.Context, err error)) error {
	ctx, cancel := context.WithCancel(context.Background())
	r.fl, r.cancel = fl, cancel
	// Before returning: see Follower.Subscribe.
	fl.Subscribe(ctx)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		backoff := tick
		for {
			err := fl.Start(ctx)
			if err == nil {
				break
			}
			onErr(ctx, fmt.Errorf("starting to follow the store: %w", err))
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Minute)
		}
		fl.Run(ctx, tick, func(err error) { onErr(ctx, err) })
	}()
	return nil
}

// Stop ends the run, waits for it and closes the follower (its pending
// gauge drops this instance's refs). Refs still pending are not handled:
// the checkpoint is still before them, so the next start handles them.
// Stop without a running Start does nothing.
func (r *Runner) Stop(ctx context.Context) {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.wg.Wait()
	r.cancel = nil
	r.fl.Close(ctx)
}
