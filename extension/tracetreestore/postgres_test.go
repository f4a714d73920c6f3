package tracetreestore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pgstore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pgstore/pgtest"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
)

// TestPostgresBackend runs the extension with a Pebble and a PostgreSQL
// backend side by side, the PostgreSQL one as default.
func TestPostgresBackend(t *testing.T) {
	dsn := pgtest.Require(t)
	ctx := context.Background()
	var rb [6]byte
	_, _ = rand.Read(rb[:])
	schema := "ttstore_t_" + hex.EncodeToString(rb[:])
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			_, _ = conn.Exec(ctx, `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`)
			_ = conn.Close(ctx)
		}
	})

	cfg := NewFactory().CreateDefaultConfig().(*Config)
	p := pebblestore.DefaultConfig()
	p.Directory = t.TempDir()
	pg := pgstore.DefaultConfig()
	pg.DSN = configopaque.String(dsn)
	pg.Schema = schema
	cfg.Backends["local"] = BackendConfig{Pebble: &p}
	cfg.Backends["shared"] = BackendConfig{Postgres: &pg}
	cfg.DefaultBackend = "shared"
	cfg.Indexer.Debounce = time.Millisecond
	require.NoError(t, cfg.Validate())

	ext, h := startExtension(t, cfg, nil)
	defer ext.Shutdown(ctx)
	s, err := GetStore(h, extID, "")
	require.NoError(t, err)
	_, isPG := underlying(s).(*pgstore.Store)
	require.True(t, isPG, "default backend is the PostgreSQL one")
	cs := sdkCommits()
	require.NoError(t, s.Apply(ctx, cs, tree.EdgesOfAll(cs)))
	require.Eventually(t, func() bool {
		p, err := s.SearchTraces(ctx, store.TraceQuery{Repo: "repo-1"})
		return err == nil && len(p.Traces) == 1 && p.Traces[0].Name == "checkout"
	}, 20*time.Second, 20*time.Millisecond)

	local, err := GetStore(h, extID, "local")
	require.NoError(t, err)
	p2, err := local.SearchTraces(ctx, store.TraceQuery{Repo: "repo-1"})
	require.NoError(t, err)
	assert.Empty(t, p2.Traces, "backends are independent")
}

// TestPostgresMetricsRegistered: a postgres backend's documented metrics
// (otelcol_tracetree_store_pg_*) reach the collector's own metrics through
// the extension's TelemetrySettings, and go away at Shutdown.
func TestPostgresMetricsRegistered(t *testing.T) {
	dsn := pgtest.Require(t)
	ctx := context.Background()
	var rb [6]byte
	_, _ = rand.Read(rb[:])
	schema := "ttstore_m_" + hex.EncodeToString(rb[:])
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			_, _ = conn.Exec(ctx, `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`)
			_ = conn.Close(ctx)
		}
	})
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	pg := pgstore.DefaultConfig()
	pg.DSN = configopaque.String(dsn)
	pg.Schema = schema
	cfg.Backends = map[string]BackendConfig{"shared": {Postgres: &pg}}
	require.NoError(t, cfg.Validate())

	tel := componenttest.NewTelemetry()
	defer func() { _ = tel.Shutdown(ctx) }()
	ext, h := startExtension(t, cfg, tel)
	s, err := GetStore(h, extID, "")
	require.NoError(t, err)
	cs := sdkCommits()
	require.NoError(t, s.Apply(ctx, cs, tree.EdgesOfAll(cs)))

	conns, err := tel.GetMetric("otelcol_tracetree_store_pg_connections")
	require.NoError(t, err)
	g, ok := conns.Data.(metricdata.Gauge[int64])
	require.True(t, ok, "pg_connections is an int gauge: %T", conns.Data)
	states := map[string]int64{}
	for _, p := range g.DataPoints {
		sc, _ := p.Attributes.Value("schema")
		assert.Equal(t, schema, sc.AsString())
		st, _ := p.Attributes.Value("state")
		states[st.AsString()] = p.Value
	}
	assert.Contains(t, states, "acquired")
	assert.Contains(t, states, "constructing")
	// The backend's own workers (LISTEN, fleet indexer, lease renewal) hold
	// connections of the same pool at unpredictable moments, so which state
	// the Apply's connection is in when the gauge is read is not fixed; that
	// the pool kept it is.
	assert.GreaterOrEqual(t, states["idle"]+states["acquired"], int64(1), "the Apply left a connection in the pool: %v", states)
	for _, name := range []string{"otelcol_tracetree_store_pg_retries", "otelcol_tracetree_store_pg_acquire_waits"} {
		m, err := tel.GetMetric(name)
		require.NoError(t, err, name)
		sum, ok := m.Data.(metricdata.Sum[int64])
		require.True(t, ok, "%s is an int sum: %T", name, m.Data)
		assert.True(t, sum.IsMonotonic, name)
	}

	// Fleet indexing: a lone member holds every shard and counts what it
	// indexed.
	require.Eventually(t, func() bool {
		held, err := tel.GetMetric("otelcol_tracetree_store_index_shards_held")
		if err != nil {
			return false
		}
		g, ok := held.Data.(metricdata.Gauge[int64])
		return ok && len(g.DataPoints) == 1 && g.DataPoints[0].Value == pgstore.ChangeLogShards
	}, 20*time.Second, 20*time.Millisecond, "a lone member holds every shard")
	require.Eventually(t, func() bool {
		m, err := tel.GetMetric("otelcol_tracetree_store_changes_indexed")
		if err != nil {
			return false
		}
		sum, ok := m.Data.(metricdata.Sum[int64])
		return ok && len(sum.DataPoints) == 1 && sum.DataPoints[0].Value > 0
	}, 20*time.Second, 20*time.Millisecond, "changes_indexed counts the Apply's change-log entries")

	require.NoError(t, ext.Shutdown(ctx))
	_, err = tel.GetMetric("otelcol_tracetree_store_pg_connections")
	assert.Error(t, err, "the pool metrics are unregistered at Shutdown")
}
