package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap/zaptest"

	"github.com/otelcol-genai/otelcol-genai/internal/ci"
)

const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testDSN is the server the tests use: GENAI_POSTGRES_DSN or the local
// trust-auth default.
func testDSN() string {
	if d := os.Getenv("GENAI_POSTGRES_DSN"); d != "" {
		return d
	}
	return defaultTestDSN
}

var (
	reachOnce sync.Once
	reachErr  error
)

// requirePostgres skips the test when no server is reachable, but only
// outside CI: in CI a missing server is a failure.
func requirePostgres(tb testing.TB) {
	tb.Helper()
	reachOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testDSN())
		if err == nil {
			err = conn.Ping(ctx)
			_ = conn.Close(ctx)
		}
		reachErr = err
	})
	if reachErr == nil {
		return
	}
	ci.Unavailable(tb, "needs a PostgreSQL server at %s (set GENAI_POSTGRES_DSN); unreachable: %v", testDSN(), reachErr)
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
