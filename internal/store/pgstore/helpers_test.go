package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap/zaptest"

	"github.com/otelcol-genai/otelcol-genai/internal/store/pgstore/pgtest"
)

// testDSN is the server the tests use (pgtest.DSN).
func testDSN() string { return pgtest.DSN() }

// requirePostgres skips the test when no server is reachable, but only
// outside CI: in CI a missing server is a failure.
func requirePostgres(tb testing.TB) {
	tb.Helper()
	pgtest.Require(tb)
}

// testSchema returns a fresh schema name so tests can run in parallel.
func testSchema() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "pgstore_t_" + hex.EncodeToString(b[:])
}

func testConfig(schema string) Config {
	cfg := DefaultConfig()
	cfg.DSN = configopaque.String(testDSN())
	cfg.Schema = schema
	cfg.MaxConns = 4
	cfg.Retry.InitialInterval = 10 * time.Millisecond
	cfg.Retry.MaxInterval = 200 * time.Millisecond
	cfg.Retry.MaxElapsedTime = 30 * time.Second
	return cfg
}

// newTestStore opens a store in its own schema and drops the schema when
// the test ends.
func newTestStore(tb testing.TB) *Store {
	tb.Helper()
	requirePostgres(tb)
	return openTestStore(tb, testSchema(), true)
}

// openTestStore opens a store on schema; drop says whether this instance
// owns the schema and drops it at cleanup.
func openTestStore(tb testing.TB, schema string, drop bool) *Store {
	tb.Helper()
	ctx := context.Background()
	s, err := New(ctx, testConfig(schema), zaptest.NewLogger(tb))
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() {
		if drop {
			if err := s.Drop(context.Background()); err != nil {
				tb.Errorf("drop schema: %v", err)
			}
		}
		_ = s.Close()
	})
	return s
}
