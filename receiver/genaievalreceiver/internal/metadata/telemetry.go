// Hand-written in the style of mdatagen's generated_telemetry.go; checked
// against ../../metadata.yaml by metadata_test.go.

package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// Outcome attribute values of otelcol_genai_eval_evaluations.
const (
	OutcomePassed        = "passed"
	OutcomeFailed        = "failed"
	OutcomeErrored       = "errored"
	OutcomeNotApplicable = "not_applicable"
)

// Meter returns the receiver's meter from the collector's own MeterProvider.
func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// TelemetryBuilder holds the receiver's instruments.
type TelemetryBuilder struct {
	GenaiEvalEvaluations metric.Int64Counter
	GenaiEvalPending     metric.Int64UpDownCounter
	GenaiEvalLag         metric.Float64Gauge
	GenaiEvalErrors      metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments described in metadata.yaml.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := Meter(settings)
	var b TelemetryBuilder
	var err, errs error
	b.GenaiEvalEvaluations, err = m.Int64Counter("otelcol_genai_eval_evaluations",
		metric.WithDescription("Evaluations run, by evaluator and outcome (passed, failed, errored, not_applicable). [Alpha]"),
		metric.WithUnit("{evaluation}"))
	errs = errors.Join(errs, err)
	b.GenaiEvalPending, err = m.Int64UpDownCounter("otelcol_genai_eval_pending",
		metric.WithDescription("Traces and sessions waiting to be evaluated. [Alpha]"),
		metric.WithUnit("{entity}"))
	errs = errors.Join(errs, err)
	b.GenaiEvalLag, err = m.Float64Gauge("otelcol_genai_eval_lag",
		metric.WithDescription("Age of the oldest change not yet evaluated. [Alpha]"),
		metric.WithUnit("s"))
	errs = errors.Join(errs, err)
	b.GenaiEvalErrors, err = m.Int64Counter("otelcol_genai_eval_errors",
		metric.WithDescription("Failed handling attempts; retried with backoff. [Alpha]"),
		metric.WithUnit("{error}"))
	errs = errors.Join(errs, err)
	return &b, errs
}
