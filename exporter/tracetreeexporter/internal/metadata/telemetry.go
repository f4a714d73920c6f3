// Hand-written in the style of mdatagen's generated_telemetry.go; keep in
// sync with ../../metadata.yaml.

package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Reasons recorded on exporter_tracetree_commits_failed.
var (
	ReasonMalformed = attribute.String("reason", "malformed")
	ReasonStore     = attribute.String("reason", "store")
)

// Meter returns the exporter's meter from the collector's own MeterProvider.
func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// TelemetryBuilder holds the exporter's instruments.
type TelemetryBuilder struct {
	ExporterTracetreeCommitsWritten metric.Int64Counter
	ExporterTracetreeCommitsFailed  metric.Int64Counter
	ExporterTracetreeApplyDuration  metric.Float64Histogram
}

// NewTelemetryBuilder creates the instruments described in metadata.yaml.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := Meter(settings)
	var b TelemetryBuilder
	var err, errs error
	b.ExporterTracetreeCommitsWritten, err = m.Int64Counter(
		"otelcol_exporter_tracetree_commits_written",
		metric.WithDescription("Commits handed to the store in Apply calls that returned success (duplicates included; the store deduplicates). [Alpha]"),
		metric.WithUnit("{commit}"),
	)
	errs = errors.Join(errs, err)
	b.ExporterTracetreeCommitsFailed, err = m.Int64Counter(
		"otelcol_exporter_tracetree_commits_failed",
		metric.WithDescription("Commits not written, by reason (malformed = permanent, store = retryable store failure). [Alpha]"),
		metric.WithUnit("{commit}"),
	)
	errs = errors.Join(errs, err)
	b.ExporterTracetreeApplyDuration, err = m.Float64Histogram(
		"otelcol_exporter_tracetree_apply_duration",
		metric.WithDescription("Duration of one store Apply call. [Alpha]"),
		metric.WithUnit("s"),
	)
	errs = errors.Join(errs, err)
	return &b, errs
}
