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
	TracetreeQueryRequests        metric.Int64Counter
	TracetreeQueryLiveSubscribers metric.Int64UpDownCounter
}

// NewTelemetryBuilder creates the instruments described in metadata.yaml.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := Meter(settings)
	var b TelemetryBuilder
	var err, errs error
	b.TracetreeQueryRequests, err = m.Int64Counter(
		"otelcol_tracetree_query_requests",
		metric.WithDescription("HTTP API requests served, by route and status code. [Alpha]"),
		metric.WithUnit("{request}"),
	)
	errs = errors.Join(errs, err)
	b.TracetreeQueryLiveSubscribers, err = m.Int64UpDownCounter(
		"otelcol_tracetree_query_live_subscribers",
		metric.WithDescription("Open live-feed (server-sent events) connections. [Alpha]"),
		metric.WithUnit("{connection}"),
	)
	errs = errors.Join(errs, err)
	return &b, errs
}
