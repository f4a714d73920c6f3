// Hand-written (see status.go); metadata_test.go checks the instruments
// against ../../metadata.yaml.

package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// TelemetryBuilder holds the processor's own instruments, created from the
// collector's MeterProvider so they appear in its internal metrics.
type TelemetryBuilder struct {
	// GenaiNormalizeSpans counts spans by canonical entity kind.
	GenaiNormalizeSpans metric.Int64Counter
	// GenaiNormalizeMalformedValues counts source values kept raw.
	GenaiNormalizeMalformedValues metric.Int64Counter
	// GenaiNormalizeTruncations counts size-guard cuts and dropped index bombs.
	GenaiNormalizeTruncations metric.Int64Counter
	// GenaiNormalizeLogRecords counts log records by outcome.
	GenaiNormalizeLogRecords metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	meter := settings.MeterProvider.Meter(ScopeName)
	var tb TelemetryBuilder
	var err, errs error
	tb.GenaiNormalizeSpans, err = meter.Int64Counter("otelcol_genai_normalize_spans",
		metric.WithDescription("Spans normalized, by canonical entity kind (generation, tool_call, retrieval, span, session_end)."),
		metric.WithUnit("{span}"))
	errs = errors.Join(errs, err)
	tb.GenaiNormalizeMalformedValues, err = meter.Int64Counter("otelcol_genai_normalize_malformed_values",
		metric.WithDescription("Source attribute values that did not parse and were kept raw (the span is never dropped)."),
		metric.WithUnit("{value}"))
	errs = errors.Join(errs, err)
	tb.GenaiNormalizeTruncations, err = meter.Int64Counter("otelcol_genai_normalize_truncations",
		metric.WithDescription("Canonical values cut by the size guard, plus flattened keys dropped by the index guard."),
		metric.WithUnit("{value}"))
	errs = errors.Join(errs, err)
	tb.GenaiNormalizeLogRecords, err = meter.Int64Counter("otelcol_genai_normalize_log_records",
		metric.WithDescription("Log records read, by outcome: genai_event (joined to its generation), span_event (an event on its span's node), no_span (dropped: names no span), commit (already a commit, passed through)."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	return &tb, errs
}
