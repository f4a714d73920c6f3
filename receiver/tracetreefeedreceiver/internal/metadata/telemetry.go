// Hand-written (see status.go); metadata_test.go checks the instruments
// against ../../metadata.yaml.

package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Mode attribute values of otelcol_tracetree_feed_traces_emitted.
var (
	ModeComplete   = attribute.String("mode", "complete")
	ModeIncomplete = attribute.String("mode", "incomplete")
	ModeLateUpdate = attribute.String("mode", "late_update")
)

// Meter returns the receiver's meter from the collector's own MeterProvider.
func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// TelemetryBuilder holds the receiver's instruments.
type TelemetryBuilder struct {
	TracetreeFeedTracesEmitted metric.Int64Counter
	TracetreeFeedSpansEmitted  metric.Int64Counter
	TracetreeFeedTracesSkipped metric.Int64Counter
	TracetreeFeedErrors        metric.Int64Counter
	TracetreeFeedPendingTraces metric.Int64UpDownCounter
}

// NewTelemetryBuilder creates the instruments described in metadata.yaml.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := Meter(settings)
	var b TelemetryBuilder
	var err, errs error
	b.TracetreeFeedTracesEmitted, err = m.Int64Counter("otelcol_tracetree_feed_traces_emitted",
		metric.WithDescription("SDK traces turned into spans and handed to the pipeline, by mode (complete, incomplete, late_update). [Alpha]"),
		metric.WithUnit("{trace}"))
	errs = errors.Join(errs, err)
	b.TracetreeFeedSpansEmitted, err = m.Int64Counter("otelcol_tracetree_feed_spans_emitted",
		metric.WithDescription("Spans handed to the pipeline. [Alpha]"),
		metric.WithUnit("{span}"))
	errs = errors.Join(errs, err)
	b.TracetreeFeedTracesSkipped, err = m.Int64Counter("otelcol_tracetree_feed_traces_skipped",
		metric.WithDescription("Traces not forwarded because they came in over OTLP. [Alpha]"),
		metric.WithUnit("{trace}"))
	errs = errors.Join(errs, err)
	b.TracetreeFeedErrors, err = m.Int64Counter("otelcol_tracetree_feed_errors",
		metric.WithDescription("Failed emission attempts; the trace is retried. [Alpha]"),
		metric.WithUnit("{error}"))
	errs = errors.Join(errs, err)
	b.TracetreeFeedPendingTraces, err = m.Int64UpDownCounter("otelcol_tracetree_feed_pending_traces",
		metric.WithDescription("Traces waiting for completion. [Alpha]"),
		metric.WithUnit("{trace}"))
	errs = errors.Join(errs, err)
	return &b, errs
}
