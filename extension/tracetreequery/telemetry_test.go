package tracetreequery

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-genai/otelcol-genai/extension/tracetreequery/internal/metadata"
)

func TestRequestsAreCounted(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tt.Shutdown(context.Background()) })
	tb, err := metadata.NewTelemetryBuilder(tt.NewTelemetrySettings())
	require.NoError(t, err)
	srv := newServer(t, seed(t), nil, apiOptions{telemetry: tb})

	get(t, srv, "/api/v1/traces/t1?repo=repo1", nil)
	get(t, srv, "/api/v1/traces/t1?repo=repo1", nil)
	get(t, srv, "/api/v1/traces/nope?repo=repo1", nil)

	m, err := tt.GetMetric("otelcol_tracetree_query_requests")
	require.NoError(t, err)
	counts := map[int64]int64{}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		route, _ := dp.Attributes.Value("route")
		assert.Equal(t, "GET /api/v1/traces/{id}", route.AsString())
		code, _ := dp.Attributes.Value("code")
		counts[code.AsInt64()] += dp.Value
	}
	assert.Equal(t, map[int64]int64{http.StatusOK: 2, http.StatusNotFound: 1}, counts)
}
