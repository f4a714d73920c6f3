package genaievalreceiver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore"
	"github.com/otelcol-genai/otelcol-genai/internal/evaluate"
	"github.com/otelcol-genai/otelcol-genai/internal/follow"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/receiver/genaievalreceiver/internal/metadata"
)

// evalReceiver is the collector component around engine.
type evalReceiver struct {
	cfg  *Config
	set  receiver.Settings
	next consumer.Logs
	tel  *metadata.TelemetryBuilder

	// getStore finds the store; tests replace it.
	getStore func(host component.Host) (store.Store, error)

	engine *engine
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newEvalReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) (*evalReceiver, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("genai_eval telemetry: %w", err)
	}
	r := &evalReceiver{cfg: cfg, set: set, next: next, tel: tel}
	r.getStore = func(host component.Host) (store.Store, error) {
		return tracetreestore.GetStore(host, cfg.Store, cfg.Backend)
	}
	return r, nil
}

// buildEvaluators builds each configured evaluator.
func buildEvaluators(cfg *Config, logger *zap.Logger, st store.Store) ([]*evaluator, error) {
	var out []*evaluator
	var errs []error
	for _, ec := range cfg.Evaluators {
		ev, err := evaluate.New(ec.eval, evaluate.Settings{Logger: logger, Prices: st.Prices()})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, &evaluator{name: ec.eval.Name, ev: ev, rate: ec.Rate, filter: ec.Filter})
	}
	return out, errors.Join(errs...)
}

// newOwner is this process's claim owner: unique per start, so a restarted
// collector does not mistake a claim of its previous life (which may have
// died mid-evaluation) for one it holds; such a claim expires after
// claim_ttl.
func newOwner() string {
	host, _ := os.Hostname()
	var b [8]byte
	_, _ = rand.Read(b[:])
	return host + "/" + hex.EncodeToString(b[:])
}

// Start finds the store extension (started before receivers), builds the
// evaluators, subscribes to the live feed and catches up.
func (r *evalReceiver) Start(_ context.Context, host component.Host) error {
	st, err := r.getStore(host)
	if err != nil {
		return fmt.Errorf("genai_eval: store %q backend %q: %w", r.cfg.Store, r.cfg.Backend, err)
	}
	evs, err := buildEvaluators(r.cfg, r.set.Logger, st)
	if err != nil {
		return fmt.Errorf("genai_eval: %w", err)
	}
	e := newEngine(r.cfg, st, r.next, r.set.Logger, r.tel, r.set.ID.String(), newOwner(), evs)
	runCtx, cancel := context.WithCancel(context.Background())
	if err := e.fl.Start(runCtx); err != nil {
		cancel()
		return fmt.Errorf("genai_eval: %w", err)
	}
	r.engine, r.cancel = e, cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		e.run(runCtx, r.tick())
	}()
	r.set.Logger.Info("Evaluating entities of the store", zap.Int("evaluators", len(evs)), zap.Duration("quiet_period", r.cfg.QuietPeriod))
	return nil
}

// tick is how often the follower steps (follow.Tick).
func (r *evalReceiver) tick() time.Duration {
	return follow.Tick(r.cfg.PollInterval, r.cfg.QuietPeriod)
}

// run steps on every change and tick until ctx ends.
func (e *engine) run(ctx context.Context, tick time.Duration) {
	e.fl.Run(ctx, tick, func(err error) {
		e.tel.GenaiEvalErrors.Add(ctx, 1)
		e.logger.Warn("Catching up with the store failed; retrying", zap.Error(err))
	})
}

// Shutdown stops evaluating. Evaluations in flight are abandoned (their
// context ends; Shutdown waits for them to return): their claims expire
// and the checkpoint is still before them, so the next start (or another
// member) judges them.
func (r *evalReceiver) Shutdown(ctx context.Context) error {
	if r.cancel != nil {
		r.cancel()
		r.wg.Wait()
		r.engine.wait()
		r.cancel = nil
		r.engine.fl.Close(ctx)
	}
	return nil
}
