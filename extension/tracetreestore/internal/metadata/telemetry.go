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
	TracetreeStoreCommitsApplied   metric.Int64Counter
	TracetreeStoreApplyDuration    metric.Float64Histogram
	TracetreeStoreIndexLag         metric.Float64Gauge
	TracetreeStoreSubscribers      metric.Int64UpDownCounter
	TracetreeStoreTracesIndexed    metric.Int64Counter
	TracetreeStoreRetentionDeleted metric.Int64Counter
	TracetreeStoreChangesIndexed   metric.Int64Counter
	TracetreeStoreIndexShardsHeld  metric.Int64Gauge
}

// NewTelemetryBuilder creates the instruments described in metadata.yaml.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	m := Meter(settings)
	var b TelemetryBuilder
	var err, errs error
	b.TracetreeStoreCommitsApplied, err = m.Int64Counter(
		"otelcol_tracetree_store_commits_applied",
		metric.WithDescription("Commits made durable by Apply, by backend. [Alpha]"),
		metric.WithUnit("{commit}"),
	)
	errs = errors.Join(errs, err)
	b.TracetreeStoreApplyDuration, err = m.Float64Histogram(
		"otelcol_tracetree_store_apply_duration",
		metric.WithDescription("Latency of one Apply call (durable write of a batch of commits and edges), by backend. [Alpha]"),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
	)
	errs = errors.Join(errs, err)
	b.TracetreeStoreIndexLag, err = m.Float64Gauge(
		"otelcol_tracetree_store_index_lag",
		metric.WithDescription("Age of the oldest change the last completed indexing pass covered (how stale summaries and the live feed are), by backend. [Alpha]"),
		metric.WithUnit("s"),
	)
	errs = errors.Join(errs, err)
	b.TracetreeStoreSubscribers, err = m.Int64UpDownCounter(
		"otelcol_tracetree_store_subscribers",
		metric.WithDescription("Live change-feed subscribers, by backend. [Alpha]"),
		metric.WithUnit("{subscriber}"),
	)
	errs = errors.Join(errs, err)
	b.TracetreeStoreTracesIndexed, err = m.Int64Counter(
		"otelcol_tracetree_store_traces_indexed",
		metric.WithDescription("Trace summary rows written by the indexer, by backend. [Alpha]"),
		metric.WithUnit("{trace}"),
	)
	errs = errors.Join(errs, err)
	b.TracetreeStoreChangesIndexed, err = m.Int64Counter(
		"otelcol_tracetree_store_changes_indexed",
		metric.WithDescription("Change-log entries this collector indexed, by backend. In a fleet sharing a postgres backend the members' counts add up to the changes written (each is indexed once). [Alpha]"),
		metric.WithUnit("{change}"),
	)
	errs = errors.Join(errs, err)
	b.TracetreeStoreIndexShardsHeld, err = m.Int64Gauge(
		"otelcol_tracetree_store_index_shards_held",
		metric.WithDescription("Change-log shards this collector holds an indexing lease on, by backend. Only with a postgres backend. [Alpha]"),
		metric.WithUnit("{shard}"),
	)
	errs = errors.Join(errs, err)
	b.TracetreeStoreRetentionDeleted, err = m.Int64Counter(
		"otelcol_tracetree_store_retention_deleted",
		metric.WithDescription("Nodes deleted by retention, by backend. [Alpha]"),
		metric.WithUnit("{node}"),
	)
	errs = errors.Join(errs, err)
	return &b, errs
}
