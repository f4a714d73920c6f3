package genaialertsextension

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/alerting"
)

// An alert is ok or firing per (rule, repository). Each evaluation reads
// the rule's window; a breach (enough samples, threshold crossed) moves an
// ok alert to firing, anything else moves a firing alert to ok. Only a
// transition is an event, and the event is saved with its deliveries
// pending before any webhook is called: a crash afterwards resends, never
// re-fires (the stored state is already firing).

// evaluateDue evaluates every rule whose interval has elapsed.
func (e *alertsExtension) evaluateDue(ctx context.Context) {
	now := e.now().UTC()
	type result struct {
		rule *RuleConfig
		repo string
		rd   reading
	}
	var results []result
	for i := range e.cfg.Rules {
		r := &e.cfg.Rules[i]
		e.mu.Lock()
		due := !now.Before(e.next[r.Name])
		if due {
			e.next[r.Name] = now.Add(e.interval(r))
		}
		repos := e.reposOf(r)
		e.mu.Unlock()
		if !due {
			continue
		}
		for _, repo := range repos {
			rd, err := read(ctx, e.backend, r, repo, now)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				e.tel.GenaiAlertsEvaluationErrors.Add(ctx, 1, metric.WithAttributes(attribute.String("rule", r.Name)))
				e.logger.Warn("genai_alerts: rule evaluation failed", zap.String("rule", r.Name), zap.String("repo", repo), zap.Error(err))
				continue
			}
			results = append(results, result{r, repo, rd})
		}
	}
	if len(results) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var events []alerting.Event
	for _, res := range results {
		if ev, ok := e.applyLocked(ctx, res.rule, res.repo, res.rd, now); ok {
			events = append(events, ev)
		}
	}
	if err := e.saveLocked(ctx); err != nil {
		// Not saved: nothing is sent either, so the next evaluation sees
		// the same transition again once the store answers.
		e.logger.Error("genai_alerts: cannot save the alert state; notifications wait", zap.Error(err))
		e.reloadLocked(ctx)
		return
	}
	for _, ev := range events {
		for _, d := range ev.Deliveries {
			e.dispatch(ev, d.Webhook)
		}
	}
}

// reloadLocked drops unsaved changes by reading the stored state again.
func (e *alertsExtension) reloadLocked(ctx context.Context) {
	if doc, err := alerting.Load(ctx, e.backend); err == nil {
		e.doc = doc
	}
}

// reposOf lists the repositories a rule evaluates (caller holds mu): the
// configured ones, else every repository seen plus those the rule has an
// alert on.
func (e *alertsExtension) reposOf(r *RuleConfig) []string {
	if len(r.Repositories) > 0 {
		return r.Repositories
	}
	set := map[string]bool{}
	for repo := range e.repos {
		set[repo] = true
	}
	for _, a := range e.doc.Alerts {
		if a.Rule == r.Name {
			set[a.Repo] = true
		}
	}
	return slices.Sorted(func(yield func(string) bool) {
		for repo := range set {
			if !yield(repo) {
				return
			}
		}
	})
}

// applyLocked records a reading and returns the transition it causes.
func (e *alertsExtension) applyLocked(ctx context.Context, r *RuleConfig, repo string, rd reading, now time.Time) (alerting.Event, bool) {
	a := e.doc.Find(r.Name, repo)
	if a == nil {
		e.doc.Alerts = append(e.doc.Alerts, alerting.Alert{Rule: r.Name, Repo: repo, State: alerting.StateOK, Since: now})
		a = &e.doc.Alerts[len(e.doc.Alerts)-1]
	}
	a.LastEvaluated, a.Samples, a.Value = now, rd.Samples, nil
	if rd.HasValue {
		v := rd.Value
		a.Value = &v
	}
	firing := breaches(r, rd)
	var kind string
	switch {
	case firing && a.State != alerting.StateFiring:
		kind, a.State = alerting.EventFired, alerting.StateFiring
		e.tel.GenaiAlertsFiring.Add(ctx, 1)
	case !firing && a.State == alerting.StateFiring:
		kind, a.State = alerting.EventResolved, alerting.StateOK
		e.tel.GenaiAlertsFiring.Add(ctx, -1)
	default:
		return alerting.Event{}, false
	}
	a.Since = now
	op, th, _ := r.threshold()
	ev := alerting.Event{ID: eventID(r.Name, repo, kind, now), Rule: r.Name, Repo: repo, Kind: kind, At: now,
		Value: a.Value, Samples: rd.Samples, Threshold: th, Op: op}
	for _, w := range e.webhooksOf(r) {
		if _, ok := e.clients[w]; ok {
			ev.Deliveries = append(ev.Deliveries, alerting.Delivery{Webhook: w, Status: alerting.DeliveryPending})
		}
	}
	e.doc.History = append(e.doc.History, ev)
	if n := len(e.doc.History) - e.cfg.HistoryLimit; n > 0 {
		e.doc.History = slices.Delete(e.doc.History, 0, n)
	}
	e.tel.GenaiAlertsTransitions.Add(ctx, 1, metric.WithAttributes(attribute.String("rule", r.Name), attribute.String("kind", kind)))
	e.logger.Info("genai_alerts: alert "+kind, zap.String("rule", r.Name), zap.String("repo", repo),
		zap.String("metric", r.Metric), zap.String("evaluator", r.Evaluator), zap.Stringp("value", valueString(a.Value)),
		zap.String("op", op), zap.Float64("threshold", th), zap.Int64("samples", rd.Samples), zap.Int("webhooks", len(ev.Deliveries)))
	return ev, true
}

func valueString(v *float64) *string {
	if v == nil {
		return nil
	}
	s := fmt.Sprintf("%g", *v)
	return &s
}

// eventID names a transition uniquely and the same way on every replay.
func eventID(rule, repo, kind string, at time.Time) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%d", rule, repo, kind, at.UnixNano()))
	return hex.EncodeToString(h[:12])
}
