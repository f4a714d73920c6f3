package indexer

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Telemetry holds the instruments the indexer records into. The owning
// component creates them from its TelemetrySettings.MeterProvider (see
// extension/tracetreestore/internal/metadata); nil instruments are no-ops.
type Telemetry struct {
	// CommitsApplied counts commits that Apply made durable.
	CommitsApplied metric.Int64Counter
	// ApplyDuration records Apply latency in seconds.
	ApplyDuration metric.Float64Histogram
	// IndexLag is the age, in seconds, of the oldest change a completed
	// indexing pass covered: how stale summaries and the live feed are.
	IndexLag metric.Float64Gauge
	// Subscribers is the number of live-feed subscribers.
	Subscribers metric.Int64UpDownCounter
	// TracesIndexed counts trace summary rows written.
	TracesIndexed metric.Int64Counter
	// RetentionDeleted counts nodes deleted by retention.
	RetentionDeleted metric.Int64Counter
	// ChangesIndexed counts change-log entries this indexer indexed; in a
	// fleet, the members' counts add up to the entries logged (plus the
	// few a takeover or a failed pass indexes again).
	ChangesIndexed metric.Int64Counter
	// ShardsHeld is how many change-log shards this member holds a lease
	// on (fleet indexing only).
	ShardsHeld metric.Int64Gauge
	// Attributes are added to every measurement (e.g. the backend name).
	Attributes metric.MeasurementOption
}

func (t *Telemetry) fill() {
	m := noop.NewMeterProvider().Meter("")
	if t.CommitsApplied == nil {
		t.CommitsApplied, _ = m.Int64Counter("")
	}
	if t.ApplyDuration == nil {
		t.ApplyDuration, _ = m.Float64Histogram("")
	}
	if t.IndexLag == nil {
		t.IndexLag, _ = m.Float64Gauge("")
	}
	if t.Subscribers == nil {
		t.Subscribers, _ = m.Int64UpDownCounter("")
	}
	if t.TracesIndexed == nil {
		t.TracesIndexed, _ = m.Int64Counter("")
	}
	if t.RetentionDeleted == nil {
		t.RetentionDeleted, _ = m.Int64Counter("")
	}
	if t.ChangesIndexed == nil {
		t.ChangesIndexed, _ = m.Int64Counter("")
	}
	if t.ShardsHeld == nil {
		t.ShardsHeld, _ = m.Int64Gauge("")
	}
	if t.Attributes == nil {
		t.Attributes = metric.WithAttributeSet(emptySet)
	}
}

var emptySet = attribute.NewSet()
