package pgstore

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/storetest"
)

// TestConformance runs the shared backend suite (set semantics, edges,
// change log, delete, summaries, search, blobs, concurrency, orphans and
// the byte-identical invariance of permuted/duplicated/split deliveries)
// against PostgreSQL. Each backend the suite asks for is a fresh schema;
// they share one pool, since the invariance part opens well over a
// hundred backends and the server allows 100 connections.
func TestConformance(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	pc, err := pgxpool.ParseConfig(testDSN())
	if err != nil {
		t.Fatal(err)
	}
	pc.MaxConns = 6
	// The suite checks semantics, not durability; skipping the WAL flush
	// at each commit makes its ~150 schema creations several times faster.
	// (The durability-relevant tests use the server default.)
	pc.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	storetest.RunBackendTests(t, func(t *testing.T) store.Backend {
		cfg := testConfig(testSchema())
		s, err := NewWithPool(context.Background(), pool, cfg, zap.NewNop())
		if err != nil {
			t.Fatalf("NewWithPool: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Drop(context.Background()); err != nil {
				t.Errorf("drop schema %s: %v", s.schema, err)
			}
			_ = s.Close()
		})
		return s
	})
}
