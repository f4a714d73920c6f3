// Hand-written (see status.go); metadata_test.go checks the instruments
// against ../../metadata.yaml.

package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// Meter returns the extension's meter from the collector's own MeterProvider.
func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// TelemetryBuilder holds the extension's instruments.
type TelemetryBuilder struct {
	GenaiAlertsFiring           metric.Int64UpDownCounter
	GenaiAlertsTransitions      metric.Int64Counter
	GenaiAlertsNotifications    metric.Int64Counter
	GenaiAlertsEvaluationErrors metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments described in metadata.yaml.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := Meter(settings)
	var b TelemetryBuilder
	var err, errs error
	b.GenaiAlertsFiring, err = m.Int64UpDownCounter(
		"otelcol_genai_alerts_firing",
		metric.WithDescription("Alerts currently firing. [Alpha]"),
		metric.WithUnit("{alert}"),
	)
	errs = errors.Join(errs, err)
	b.GenaiAlertsTransitions, err = m.Int64Counter(
		"otelcol_genai_alerts_transitions",
		metric.WithDescription("Alert transitions, by rule and kind (fired, resolved). [Alpha]"),
		metric.WithUnit("{transition}"),
	)
	errs = errors.Join(errs, err)
	b.GenaiAlertsNotifications, err = m.Int64Counter(
		"otelcol_genai_alerts_notifications",
		metric.WithDescription("Webhook notifications finished, by webhook and outcome (sent, failed after its retries). [Alpha]"),
		metric.WithUnit("{notification}"),
	)
	errs = errors.Join(errs, err)
	b.GenaiAlertsEvaluationErrors, err = m.Int64Counter(
		"otelcol_genai_alerts_evaluation_errors",
		metric.WithDescription("Rule evaluations that failed to read the store. [Alpha]"),
		metric.WithUnit("{evaluation}"),
	)
	errs = errors.Join(errs, err)
	return &b, errs
}
