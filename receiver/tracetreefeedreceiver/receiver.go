package tracetreefeedreceiver

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore"
	"github.com/otelcol-genai/otelcol-genai/internal/follow"
	"github.com/otelcol-genai/otelcol-genai/receiver/tracetreefeedreceiver/internal/metadata"
)

// feedReceiver is the collector component around feed.
type feedReceiver struct {
	cfg  *Config
	set  receiver.Settings
	next consumer.Traces
	tel  *metadata.TelemetryBuilder
	run  follow.Runner
}

func newFeedReceiver(cfg *Config, set receiver.Settings, next consumer.Traces) (*feedReceiver, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("tracetree_feed telemetry: %w", err)
	}
	return &feedReceiver{cfg: cfg, set: set, next: next, tel: tel}, nil
}

// Start finds the store extension (it is started before receivers),
// subscribes to its live feed, loads the checkpoint and catches up.
func (r *feedReceiver) Start(_ context.Context, host component.Host) error {
	st, err := tracetreestore.GetStore(host, r.cfg.Store, r.cfg.Backend)
	if err != nil {
		return fmt.Errorf("tracetree_feed: store %q backend %q: %w", r.cfg.Store, r.cfg.Backend, err)
	}
	f := newFeed(r.cfg, st, r.next, r.set.Logger, r.tel, r.set.ID.String())
	err = r.run.Start(f.fl, r.cfg.Tick(), func(ctx context.Context, err error) {
		r.tel.TracetreeFeedErrors.Add(ctx, 1)
		r.set.Logger.Warn("Catching up with the store failed; retrying", zap.Error(err))
	})
	if err != nil {
		return fmt.Errorf("tracetree_feed: %w", err)
	}
	return nil
}

// Shutdown stops following the store. Pending traces are not flushed:
// the checkpoint still points before them, so the next start emits them.
func (r *feedReceiver) Shutdown(ctx context.Context) error {
	r.run.Stop(ctx)
	return nil
}
