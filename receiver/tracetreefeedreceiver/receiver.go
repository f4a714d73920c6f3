package tracetreefeedreceiver

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore"
	"github.com/otelcol-genai/otelcol-genai/internal/follow"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/receiver/tracetreefeedreceiver/internal/metadata"
)

// feedReceiver is the collector component around feed.
type feedReceiver struct {
	cfg  *Config
	set  receiver.Settings
	next consumer.Traces
	tel  *metadata.TelemetryBuilder

	// getStore finds the store; tests replace it.
	getStore func(host component.Host) (store.Store, error)

	feed   *feed
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newFeedReceiver(cfg *Config, set receiver.Settings, next consumer.Traces) (*feedReceiver, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("tracetree_feed telemetry: %w", err)
	}
	r := &feedReceiver{cfg: cfg, set: set, next: next, tel: tel}
	r.getStore = func(host component.Host) (store.Store, error) {
		return tracetreestore.GetStore(host, cfg.Store, cfg.Backend)
	}
	return r, nil
}

// Start finds the store extension (it is started before receivers),
// subscribes to its live feed, loads the checkpoint and catches up.
func (r *feedReceiver) Start(ctx context.Context, host component.Host) error {
	st, err := r.getStore(host)
	if err != nil {
		return fmt.Errorf("tracetree_feed: store %q backend %q: %w", r.cfg.Store, r.cfg.Backend, err)
	}
	f := newFeed(r.cfg, st, r.next, r.set.Logger, r.tel, r.set.ID.String())
	runCtx, cancel := context.WithCancel(context.Background())
	if err := f.start(runCtx); err != nil {
		cancel()
		return fmt.Errorf("tracetree_feed: %w", err)
	}
	r.feed, r.cancel = f, cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.run(runCtx, f)
	}()
	return nil
}

// tick is how often the follower steps (follow.Tick).
func (r *feedReceiver) tick() time.Duration {
	return follow.Tick(r.cfg.PollInterval, r.cfg.QuietPeriod)
}

func (r *feedReceiver) run(ctx context.Context, f *feed) {
	f.fl.Run(ctx, r.tick(), func(err error) {
		f.tel.TracetreeFeedErrors.Add(ctx, 1)
		r.set.Logger.Warn("Catching up with the store failed; retrying", zap.Error(err))
	})
}

// Shutdown stops following the store. Pending traces are not flushed:
// the checkpoint still points before them, so the next start emits them.
func (r *feedReceiver) Shutdown(ctx context.Context) error {
	if r.cancel != nil {
		r.cancel()
		r.wg.Wait()
		r.cancel = nil
		// The pending gauge counts this instance's waiting traces only.
		r.feed.fl.Close(ctx)
	}
	return nil
}
