package genaialertsextension

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/alerting"
)

// Notification bodies. The generic body is the event with the rule's
// description; the Slack body is `text` (the fallback every
// Slack-compatible receiver shows) plus `blocks`.

type jsonBody struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	State     string    `json:"state"`
	Rule      string    `json:"rule"`
	Repo      string    `json:"repo"`
	Metric    string    `json:"metric"`
	Evaluator string    `json:"evaluator,omitempty"`
	Value     *float64  `json:"value,omitempty"`
	Op        string    `json:"op"`
	Threshold float64   `json:"threshold"`
	Samples   int64     `json:"samples"`
	Window    string    `json:"window"`
	At        time.Time `json:"at"`
	Summary   string    `json:"summary"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackBody struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// summary is the one-line description of an event.
func summary(ev *alerting.Event, r *alerting.Rule) string {
	metric := r.Metric
	if r.Evaluator != "" {
		metric += "(" + r.Evaluator + ")"
	}
	value := "no data"
	if ev.Value != nil {
		value = fmt.Sprintf("%.4g", *ev.Value)
	}
	state := "FIRING"
	if ev.Kind == alerting.EventResolved {
		state = "RESOLVED"
	}
	return fmt.Sprintf("[%s] %s on %s: %s = %s (%s %g over %s, %d samples)",
		state, r.Name, ev.Repo, metric, value, strings.ReplaceAll(ev.Op, "_", " "), ev.Threshold, r.Window, ev.Samples)
}

// body renders ev in a webhook's format.
func body(format string, ev *alerting.Event, r *alerting.Rule) ([]byte, error) {
	text := summary(ev, r)
	if format == FormatSlack {
		icon := ":rotating_light:"
		if ev.Kind == alerting.EventResolved {
			icon = ":white_check_mark:"
		}
		return json.Marshal(slackBody{
			Text: text,
			Blocks: []slackBlock{
				{Type: "section", Text: &slackText{Type: "mrkdwn", Text: icon + " *" + text + "*"}},
				{Type: "context", Elements: []slackText{{Type: "mrkdwn",
					Text: fmt.Sprintf("rule `%s` · repository `%s` · %s · event %s", r.Name, ev.Repo, ev.At.Format(time.RFC3339), ev.ID)}}},
			},
		})
	}
	state := alerting.StateFiring
	if ev.Kind == alerting.EventResolved {
		state = alerting.StateOK
	}
	return json.Marshal(jsonBody{ID: ev.ID, Kind: ev.Kind, State: state, Rule: r.Name, Repo: ev.Repo, Metric: r.Metric,
		Evaluator: r.Evaluator, Value: ev.Value, Op: ev.Op, Threshold: ev.Threshold, Samples: ev.Samples,
		Window: r.Window, At: ev.At, Summary: text})
}

// dispatch delivers ev to webhook in the background (caller holds mu, so
// the rule list is read consistently).
func (e *alertsExtension) dispatch(ev alerting.Event, webhook string) {
	client, ok := e.clients[webhook]
	if !ok {
		return
	}
	var rule alerting.Rule
	for _, r := range e.doc.Rules {
		if r.Name == ev.Rule {
			rule = r
		}
	}
	if rule.Name == "" {
		rule = alerting.Rule{Name: ev.Rule, Metric: "unknown", Window: "?"}
	}
	w := e.cfg.Webhooks[webhook]
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		attempts, err := e.deliver(e.ctx, client, w.Endpoint, w.Format, &ev, &rule)
		if e.ctx.Err() != nil {
			return // shutting down: stays pending, resent on the next start
		}
		e.recordDelivery(ev.ID, webhook, attempts, err)
	}()
}

// statusError is a non-2xx answer.
type statusError struct {
	code int
	body string
}

func (s *statusError) Error() string { return fmt.Sprintf("status %d: %s", s.code, s.body) }

// deliver posts the event, retrying with the configured backoff; a 4xx
// other than 408 and 429 is not retried (the receiver refuses the body).
func (e *alertsExtension) deliver(ctx context.Context, client *http.Client, endpoint, format string, ev *alerting.Event, r *alerting.Rule) (int, error) {
	data, err := body(format, ev, r)
	if err != nil {
		return 0, err
	}
	attempts := 0
	op := func() (struct{}, error) {
		attempts++
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(data))
		if err != nil {
			return struct{}{}, backoff.Permanent(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", ev.ID)
		resp, err := client.Do(req)
		if err != nil {
			return struct{}{}, err
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		_ = resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			return struct{}{}, nil
		}
		serr := &statusError{code: resp.StatusCode, body: strings.TrimSpace(string(msg))}
		if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
			return struct{}{}, backoff.Permanent(serr)
		}
		e.logger.Debug("genai_alerts: webhook attempt failed; retrying", zap.String("event", ev.ID), zap.Error(serr))
		return struct{}{}, serr
	}
	rc := e.cfg.RetryOnFailure
	opts := []backoff.RetryOption{backoff.WithMaxTries(1)}
	if rc.Enabled {
		b := backoff.NewExponentialBackOff()
		b.InitialInterval, b.MaxInterval = rc.InitialInterval, rc.MaxInterval
		b.Multiplier, b.RandomizationFactor = rc.Multiplier, rc.RandomizationFactor
		opts = []backoff.RetryOption{backoff.WithBackOff(b), backoff.WithMaxElapsedTime(rc.MaxElapsedTime)}
		if rc.MaxElapsedTime == 0 {
			opts = opts[:1] // retry until delivered or shut down
		}
	}
	_, err = backoff.Retry(ctx, op, opts...)
	return attempts, err
}

// recordDelivery stores a delivery's outcome in its event.
func (e *alertsExtension) recordDelivery(eventID, webhook string, attempts int, err error) {
	outcome := alerting.DeliverySent
	if err != nil {
		outcome = alerting.DeliveryFailed
		e.logger.Error("genai_alerts: notification failed", zap.String("event", eventID), zap.String("webhook", webhook),
			zap.Int("attempts", attempts), zap.Error(err))
	} else {
		e.logger.Info("genai_alerts: notification sent", zap.String("event", eventID), zap.String("webhook", webhook), zap.Int("attempts", attempts))
	}
	e.tel.GenaiAlertsNotifications.Add(e.ctx, 1, metric.WithAttributes(attribute.String("webhook", webhook), attribute.String("outcome", outcome)))
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range e.doc.History {
		ev := &e.doc.History[i]
		if ev.ID != eventID {
			continue
		}
		for j := range ev.Deliveries {
			d := &ev.Deliveries[j]
			if d.Webhook == webhook {
				d.Status, d.Attempts, d.At, d.Error = outcome, d.Attempts+attempts, e.now().UTC(), ""
				if err != nil {
					var perm *backoff.PermanentError
					if errors.As(err, &perm) {
						err = perm.Err
					}
					d.Error = err.Error()
				}
			}
		}
	}
	if err := e.saveLocked(e.ctx); err != nil {
		e.logger.Error("genai_alerts: cannot save a delivery outcome", zap.String("event", eventID), zap.Error(err))
	}
}
