package genaievalreceiver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
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
	run  follow.Runner
	// engine is the running engine (nil before Start).
	engine *engine
}

func newEvalReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) (*evalReceiver, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("genai_eval telemetry: %w", err)
	}
	return &evalReceiver{cfg: cfg, set: set, next: next, tel: tel}, nil
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
		out = append(out, &evaluator{name: ec.eval.Name, ev: ev, rate: ec.Rate, filter: ec.Filter,
			remote: ec.eval.Type == evaluate.TypeLLMJudge})
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
	st, err := tracetreestore.GetStore(host, r.cfg.Store, r.cfg.Backend)
	if err != nil {
		return fmt.Errorf("genai_eval: store %q backend %q: %w", r.cfg.Store, r.cfg.Backend, err)
	}
	evs, err := buildEvaluators(r.cfg, r.set.Logger, st)
	if err != nil {
		return fmt.Errorf("genai_eval: %w", err)
	}
	e := newEngine(r.cfg, st, r.next, r.set.Logger, r.tel, r.set.ID.String(), newOwner(), evs)
	if err := r.run.Start(e.fl, r.cfg.Tick(), e.onRunError); err != nil {
		if e.stopObserving != nil {
			e.stopObserving()
		}
		return fmt.Errorf("genai_eval: %w", err)
	}
	r.engine = e
	r.set.Logger.Info("Evaluating entities of the store", zap.Int("evaluators", len(evs)), zap.Duration("quiet_period", r.cfg.QuietPeriod))
	return nil
}

// run steps on every change and tick until ctx ends (what the receiver's
// follow.Runner does; benchmarks call it directly).
func (e *engine) run(ctx context.Context, tick time.Duration) {
	e.fl.Run(ctx, tick, func(err error) { e.onRunError(ctx, err) })
}

// onRunError hears a failed step of the follower (retried).
func (e *engine) onRunError(ctx context.Context, err error) {
	e.tel.GenaiEvalErrors.Add(ctx, 1)
	e.logger.Warn("Catching up with the store failed; retrying", zap.Error(err))
}

// Shutdown stops evaluating. Evaluations in flight are abandoned (their
// context ends; Shutdown waits for them to return): the checkpoint is
// still before them, so the next start (or another member) judges them,
// an LLM judge once its claim expires. Verdicts already reached but still
// in a batch are handed on first (the pipeline's exporters shut down after
// the receivers).
func (r *evalReceiver) Shutdown(ctx context.Context) error {
	r.run.Stop(ctx)
	if r.engine != nil {
		return r.engine.shutdown(ctx)
	}
	return nil
}
