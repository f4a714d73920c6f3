package pgstore

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// RegisterMetrics reports the store's connection pool and retry counters
// through meter, which the owning component takes from the collector's
// TelemetrySettings.MeterProvider, so they appear in the collector's own
// metrics next to the pipeline's. The values are read at collection time
// (observable instruments), so the write path pays nothing. Unregister the
// returned registration when the store closes.
func (s *Store) RegisterMetrics(meter metric.Meter) (metric.Registration, error) {
	retries, err := meter.Int64ObservableCounter("otelcol_tracetree_store_pg_retries",
		metric.WithDescription("Operations on PostgreSQL retried after a transient error (serialization failure, deadlock, lost connection)."),
		metric.WithUnit("{retry}"))
	if err != nil {
		return nil, fmt.Errorf("pgstore: metrics: %w", err)
	}
	conns, err := meter.Int64ObservableGauge("otelcol_tracetree_store_pg_connections",
		metric.WithDescription("Connections in the PostgreSQL pool by state (acquired, idle, constructing)."),
		metric.WithUnit("{connection}"))
	if err != nil {
		return nil, fmt.Errorf("pgstore: metrics: %w", err)
	}
	waits, err := meter.Int64ObservableCounter("otelcol_tracetree_store_pg_acquire_waits",
		metric.WithDescription("Pool acquires that had to wait for a connection: a sign max_conns is too small."),
		metric.WithUnit("{acquire}"))
	if err != nil {
		return nil, fmt.Errorf("pgstore: metrics: %w", err)
	}
	schema := attribute.String("schema", s.schema)
	acquired := metric.WithAttributes(schema, attribute.String("state", "acquired"))
	idle := metric.WithAttributes(schema, attribute.String("state", "idle"))
	constructing := metric.WithAttributes(schema, attribute.String("state", "constructing"))
	onlySchema := metric.WithAttributes(schema)
	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := s.pool.Stat()
		o.ObserveInt64(retries, s.retry.retries.Load(), onlySchema)
		o.ObserveInt64(conns, int64(st.AcquiredConns()), acquired)
		o.ObserveInt64(conns, int64(st.IdleConns()), idle)
		o.ObserveInt64(conns, int64(st.ConstructingConns()), constructing)
		o.ObserveInt64(waits, st.EmptyAcquireCount(), onlySchema)
		return nil
	}, retries, conns, waits)
}
