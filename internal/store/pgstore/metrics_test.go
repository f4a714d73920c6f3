package pgstore

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

func TestRegisterMetrics(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(ctx) }()
	reg, err := s.RegisterMetrics(mp.Meter("pgstore-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = reg.Unregister() }()

	s.retry.retries.Add(3) // as if three attempts had been retried
	c := mkCommit("r", commit.EntityTrace, "t", commit.ActionCreate, `{}`, 1)
	if err := s.Apply(ctx, []commit.Commit{c}, nil); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[m.Name] += p.Value
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					if st, _ := p.Attributes.Value("state"); st.AsString() != "" {
						got[m.Name+"/"+st.AsString()] = p.Value
					}
				}
			}
		}
	}
	if got["otelcol_tracetree_store_pg_retries"] != 3 {
		t.Errorf("retries = %d, want 3 (%v)", got["otelcol_tracetree_store_pg_retries"], got)
	}
	// The Apply left at least one connection in the pool, idle now.
	if got["otelcol_tracetree_store_pg_connections/idle"] < 1 {
		t.Errorf("idle connections not reported: %v", got)
	}
	if _, ok := got["otelcol_tracetree_store_pg_connections/acquired"]; !ok {
		t.Errorf("acquired connections not reported: %v", got)
	}
}
