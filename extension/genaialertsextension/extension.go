package genaialertsextension

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/extension/genaialertsextension/internal/metadata"
	"github.com/otelcol-genai/otelcol-genai/extension/tracetreestore"
	"github.com/otelcol-genai/otelcol-genai/internal/alerting"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

type alertsExtension struct {
	cfg    *Config
	set    extension.Settings
	logger *zap.Logger
	tel    *metadata.TelemetryBuilder
	// now is the clock (tests pass a fake one).
	now func() time.Time

	backend store.Backend
	clients map[string]*http.Client

	// mu guards doc, repos and next. Store reads happen outside it; every
	// write of doc is saved under it, so saves are ordered.
	mu    sync.Mutex
	doc   *alerting.Document
	repos map[string]bool
	next  map[string]time.Time

	cancel context.CancelFunc
	// ctx lives from Start to Shutdown; deliveries run under it.
	ctx context.Context
	wg  sync.WaitGroup
}

var (
	_ extension.Extension             = (*alertsExtension)(nil)
	_ extensioncapabilities.Dependent = (*alertsExtension)(nil)
)

func newAlertsExtension(cfg *Config, set extension.Settings) (*alertsExtension, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("genai_alerts telemetry: %w", err)
	}
	return &alertsExtension{cfg: cfg, set: set, logger: set.Logger, tel: tel, now: time.Now}, nil
}

// Dependencies makes the collector start the store before this extension
// and stop it after.
func (e *alertsExtension) Dependencies() []component.ID { return []component.ID{e.cfg.Store} }

func (e *alertsExtension) Start(ctx context.Context, host component.Host) error {
	st, err := tracetreestore.GetStore(host, e.cfg.Store, e.cfg.Backend)
	if err != nil {
		return fmt.Errorf("genai_alerts: store %q backend %q: %w", e.cfg.Store, e.cfg.Backend, err)
	}
	clients := map[string]*http.Client{}
	for name, w := range e.cfg.Webhooks {
		if w.Endpoint == "" {
			e.logger.Warn("genai_alerts: webhook has no endpoint; its notifications are only logged", zap.String("webhook", name))
			continue
		}
		cc := w.ClientConfig
		if cc.Timeout == 0 {
			cc.Timeout = defaultTimeout
		}
		c, err := cc.ToClient(ctx, host.GetExtensions(), e.set.TelemetrySettings)
		if err != nil {
			return fmt.Errorf("genai_alerts: webhook %q: %w", name, err)
		}
		clients[name] = c
	}
	runCtx, cancel := context.WithCancel(context.Background())
	// Repositories come and go with traffic: the change feed names them.
	changes, unsubscribe := st.Subscribe(runCtx, "")
	if err := e.open(ctx, runCtx, st, clients); err != nil {
		unsubscribe()
		cancel()
		return err
	}
	e.cancel = cancel
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer unsubscribe()
		e.run(runCtx, changes)
	}()
	return nil
}

// open loads the stored state, records the configured rules, and resends
// the notifications a previous run had not delivered.
func (e *alertsExtension) open(ctx, runCtx context.Context, b store.Backend, clients map[string]*http.Client) error {
	doc, err := alerting.Load(ctx, b)
	if err != nil {
		return fmt.Errorf("genai_alerts: %w", err)
	}
	e.backend, e.clients, e.ctx = b, clients, runCtx
	e.repos, e.next = map[string]bool{}, map[string]time.Time{}
	for _, r := range doc.Repos {
		e.repos[r] = true
	}
	doc.Rules = doc.Rules[:0]
	for i := range e.cfg.Rules {
		doc.Rules = append(doc.Rules, e.ruleInfo(&e.cfg.Rules[i]))
	}
	// Alerts of rules no longer configured are dropped (their history
	// stays).
	doc.Alerts = slices.DeleteFunc(doc.Alerts, func(a alerting.Alert) bool { return e.rule(a.Rule) == nil })
	firing := 0
	for _, a := range doc.Alerts {
		if a.State == alerting.StateFiring {
			firing++
		}
	}
	e.tel.GenaiAlertsFiring.Add(ctx, int64(firing))
	e.mu.Lock()
	defer e.mu.Unlock()
	e.doc = doc
	if err := e.saveLocked(ctx); err != nil {
		return err
	}
	for i := range doc.History {
		ev := &doc.History[i]
		for _, d := range ev.Deliveries {
			if d.Status == alerting.DeliveryPending {
				e.logger.Info("genai_alerts: resending a notification not delivered before the restart",
					zap.String("rule", ev.Rule), zap.String("repo", ev.Repo), zap.String("kind", ev.Kind), zap.String("webhook", d.Webhook))
				e.dispatch(*ev, d.Webhook)
			}
		}
	}
	e.logger.Info("genai_alerts started", zap.Int("rules", len(e.cfg.Rules)), zap.Int("firing", firing))
	return nil
}

func (e *alertsExtension) rule(name string) *RuleConfig {
	for i := range e.cfg.Rules {
		if e.cfg.Rules[i].Name == name {
			return &e.cfg.Rules[i]
		}
	}
	return nil
}

func (e *alertsExtension) interval(r *RuleConfig) time.Duration {
	if r.Interval > 0 {
		return r.Interval
	}
	return e.cfg.EvaluationInterval
}

func (e *alertsExtension) ruleInfo(r *RuleConfig) alerting.Rule {
	op, th, _ := r.threshold()
	return alerting.Rule{Name: r.Name, Metric: r.Metric, Evaluator: r.Evaluator, Op: op, Threshold: th,
		Window: r.Window.String(), Interval: e.interval(r).String(), MinSamples: minSamples(r),
		Repositories: r.Repositories, Webhooks: e.webhooksOf(r)}
}

// webhooksOf lists the webhooks a rule notifies, sorted.
func (e *alertsExtension) webhooksOf(r *RuleConfig) []string {
	if len(r.Webhooks) > 0 {
		return slices.Sorted(slices.Values(r.Webhooks))
	}
	var out []string
	for name := range e.cfg.Webhooks {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func minSamples(r *RuleConfig) int64 { return max(r.MinSamples, 1) }

// run evaluates due rules on a ticker and collects repositories from the
// change feed until ctx ends.
func (e *alertsExtension) run(ctx context.Context, changes <-chan store.Change) {
	tick := e.cfg.EvaluationInterval
	for i := range e.cfg.Rules {
		tick = min(tick, e.interval(&e.cfg.Rules[i]))
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	e.evaluateDue(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case c, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			e.seeRepo(c.Repo)
		case <-t.C:
			e.evaluateDue(ctx)
		}
	}
}

func (e *alertsExtension) seeRepo(repo string) {
	if repo == "" {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.repos[repo] {
		e.repos[repo] = true
		e.doc.Repos = append(e.doc.Repos, repo)
		slices.Sort(e.doc.Repos)
	}
}

func (e *alertsExtension) saveLocked(ctx context.Context) error {
	e.doc.UpdatedAt = e.now().UTC()
	return alerting.Save(ctx, e.backend, e.doc)
}

func (e *alertsExtension) Shutdown(context.Context) error {
	if e.cancel != nil {
		e.cancel()
	}
	// Deliveries still retrying stop here; they stay pending in the
	// stored state and are resent on the next start.
	e.wg.Wait()
	return nil
}
