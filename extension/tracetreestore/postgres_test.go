package tracetreestore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pebblestore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pgstore"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"

	"github.com/otelcol-genai/otelcol-genai/internal/ci"
)

func postgresDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("GENAI_POSTGRES_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err == nil {
		err = conn.Ping(ctx)
		_ = conn.Close(ctx)
	}
	if err != nil {
		ci.Unavailable(t, "needs a PostgreSQL server at %s (set GENAI_POSTGRES_DSN); unreachable: %v", dsn, err)
	}
	return dsn
}

// TestPostgresBackend runs the extension with a Pebble and a PostgreSQL
// backend side by side, the PostgreSQL one as default.
func TestPostgresBackend(t *testing.T) {
	dsn := postgresDSN(t)
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
