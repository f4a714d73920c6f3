// Hand-written (see status.go); metadata_test.go checks the instruments
// against ../../metadata.yaml.

package metadata

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// TelemetryBuilder holds the extension's own instruments, created from the
// collector's MeterProvider so they appear in its internal metrics.
type TelemetryBuilder struct {
	// OtlpGuardRefusedRequests counts refused requests by reason.
	OtlpGuardRefusedRequests metric.Int64Counter
}

// NewTelemetryBuilder creates the instruments.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	meter := settings.MeterProvider.Meter(ScopeName)
	var tb TelemetryBuilder
	var err error
	tb.OtlpGuardRefusedRequests, err = meter.Int64Counter("otelcol_otlp_guard_refused_requests",
		metric.WithDescription("OTLP/HTTP requests refused before the receiver decoded them, by reason: not_utf8 (400), too_deep (400), too_large (413), unreadable (400), overloaded (429: admission control)."),
		metric.WithUnit("{request}"))
	return &tb, err
}
