// Package pgtest gives tests the PostgreSQL server they run against, the
// one rule for every package whose tests need it (pgstore, the indexer's
// fleet tests, the tracetree_store extension): GENAI_POSTGRES_DSN or the
// local trust-auth default, and outside CI a skip that says what is
// missing when no server answers (in CI, a failure; see internal/ci).
package pgtest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/otelcol-genai/otelcol-genai/internal/ci"
)

// DefaultDSN is the server on a development machine and in CI.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// DSN is GENAI_POSTGRES_DSN, or DefaultDSN.
func DSN() string {
	if d := os.Getenv("GENAI_POSTGRES_DSN"); d != "" {
		return d
	}
	return DefaultDSN
}

var (
	reachOnce sync.Once
	reachErr  error
)

// Require returns DSN once a server has answered there (asked once per
// test binary), and otherwise ends tb through ci.Unavailable.
func Require(tb testing.TB) string {
	tb.Helper()
	dsn := DSN()
	reachOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			err = conn.Ping(ctx)
			_ = conn.Close(ctx)
		}
		reachErr = err
	})
	if reachErr != nil {
		ci.Unavailable(tb, "needs a PostgreSQL server at %s (set GENAI_POSTGRES_DSN); unreachable: %v", dsn, reachErr)
	}
	return dsn
}
