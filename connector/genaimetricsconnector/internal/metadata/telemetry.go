// Hand-written (see status.go); metadata_test.go checks the instruments
// against ../../metadata.yaml.

package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// TelemetryBuilder holds the connector's own instruments, created from the
// collector's MeterProvider so they appear in its internal metrics.
type TelemetryBuilder struct {
	// GenaiMetricsSpans counts spans read, by outcome.
	GenaiMetricsSpans metric.Int64Counter
	// GenaiMetricsSeries is the number of attribute sets held.
	GenaiMetricsSeries metric.Int64UpDownCounter
	// GenaiMetricsOverflow counts measurements sent to the overflow series.
	GenaiMetricsOverflow metric.Int64Counter
	// GenaiMetricsExportErrors counts failed hand-offs to the metrics pipeline.
	GenaiMetricsExportErrors metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	meter := settings.MeterProvider.Meter(ScopeName)
	var tb TelemetryBuilder
	var err, errs error
	tb.GenaiMetricsSpans, err = meter.Int64Counter("otelcol_genai_metrics_spans",
		metric.WithDescription("Spans read, by outcome (model_call, tool_call, aggregate, ancestor, paired, update, other)."),
		metric.WithUnit("{span}"))
	errs = errors.Join(errs, err)
	tb.GenaiMetricsSeries, err = meter.Int64UpDownCounter("otelcol_genai_metrics_series",
		metric.WithDescription("Attribute sets (series) held, over all metric families; capped by max_series per family."),
		metric.WithUnit("{series}"))
	errs = errors.Join(errs, err)
	tb.GenaiMetricsOverflow, err = meter.Int64Counter("otelcol_genai_metrics_overflow",
		metric.WithDescription("Measurements recorded on the otel.metric.overflow series because max_series was reached."),
		metric.WithUnit("{measurement}"))
	errs = errors.Join(errs, err)
	tb.GenaiMetricsExportErrors, err = meter.Int64Counter("otelcol_genai_metrics_export_errors",
		metric.WithDescription("Metric flushes the downstream metrics pipeline refused (the state is kept and sent again next flush)."),
		metric.WithUnit("{flush}"))
	errs = errors.Join(errs, err)
	return &tb, errs
}
