// Hand-written (see status.go); metadata_test.go checks the instruments
// against ../../metadata.yaml.

package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Reasons recorded on tracetree_commits_failed.
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
	TracetreeCommitsWritten metric.Int64Counter
	TracetreeCommitsFailed  metric.Int64Counter
	TracetreeApplyDuration  metric.Float64Histogram
}

// NewTelemetryBuilder creates the instruments described in metadata.yaml.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := Meter(settings)
	var b TelemetryBuilder
	var err, errs error
	b.TracetreeCommitsWritten, err = m.Int64Counter(
		"otelcol_tracetree_commits_written",
		metric.WithDescription("Commits handed to the store in Apply calls that returned success (duplicates included; the store deduplicates). [Alpha]"),
		metric.WithUnit("{commit}"),
	)
	errs = errors.Join(errs, err)
	b.TracetreeCommitsFailed, err = m.Int64Counter(
		"otelcol_tracetree_commits_failed",
		metric.WithDescription("Commits not written, by reason (malformed = permanent, store = retryable store failure). [Alpha]"),
		metric.WithUnit("{commit}"),
	)
	errs = errors.Join(errs, err)
	b.TracetreeApplyDuration, err = m.Float64Histogram(
		"otelcol_tracetree_apply_duration",
		metric.WithDescription("Duration of one store Apply call. [Alpha]"),
		metric.WithUnit("s"),
	)
	errs = errors.Join(errs, err)
	return &b, errs
}
