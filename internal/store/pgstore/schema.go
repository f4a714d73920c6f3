package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"
)

// migration is one schema version. Statements use {{s}} for the quoted
// schema name. Every statement is idempotent on its own (IF NOT EXISTS,
// ON CONFLICT DO NOTHING) so that a database without transactional DDL or
// without advisory locks (YugabyteDB, CockroachDB) still converges when
// two collectors migrate at once.
type migration struct {
	version int
	stmts   []string
}

// Every string that comes from the wire (repo, entity kind and id, names,
// blob keys) is stored as bytea, not text:
//   - SDK entity ids are arbitrary bytes (the Go SDK does not validate
//     them; a JSON "\u0000" decodes to a NUL byte): text rejects NUL and
//     invalid UTF-8, and one such line would fail its whole batch forever;
//   - bytea compares bytewise in PostgreSQL, CockroachDB and YugabyteDB
//     alike, so ORDER BY and keyset cursors follow Go string order without
//     any collation (CockroachDB rejects COLLATE "C" on a column).
var migrations = []migration{{
	version: 1,
	stmts: []string{
		// One row per commit. The primary key is the union key: inserting
		// a commit the node already holds conflicts and only ever lowers
		// the stored version. data is bytea: the fold needs the bytes
		// exactly as received, which jsonb would re-encode.
		`CREATE TABLE IF NOT EXISTS {{s}}.commits (
			repo      bytea NOT NULL,
			kind      bytea NOT NULL,
			entity_id bytea NOT NULL,
			commit_id bytea NOT NULL,
			action    bytea NOT NULL,
			data      bytea NOT NULL,
			version   bigint NOT NULL,
			PRIMARY KEY (repo, kind, entity_id, commit_id)
		)`,
		`CREATE TABLE IF NOT EXISTS {{s}}.edges (
			parent_repo bytea NOT NULL,
			parent_kind bytea NOT NULL,
			parent_id   bytea NOT NULL,
			child_repo  bytea NOT NULL,
			child_kind  bytea NOT NULL,
			child_id    bytea NOT NULL,
			PRIMARY KEY (parent_repo, parent_kind, parent_id, child_repo, child_kind, child_id)
		)`,
		`CREATE INDEX IF NOT EXISTS edges_by_child ON {{s}}.edges (child_repo, child_kind, child_id)`,
		// The change log: seq is assigned from the change_log_head counter
		// row inside the writing transaction, so positions are dense and
		// become visible in order (see appendChangeLog).
		`CREATE TABLE IF NOT EXISTS {{s}}.change_log (
			seq       bigint PRIMARY KEY,
			repo      bytea NOT NULL,
			kind      bytea NOT NULL,
			entity_id bytea NOT NULL
		)`,
		`CREATE TABLE IF NOT EXISTS {{s}}.counters (
			name  text PRIMARY KEY,
			value bigint NOT NULL
		)`,
		`INSERT INTO {{s}}.counters (name, value) VALUES ('change_log_head', 0), ('index_checkpoint', 0)
			ON CONFLICT (name) DO NOTHING`,
		// Summary rows: the filter columns plus doc, the row as JSON, which
		// is what reads return (it keeps nanosecond times and every field
		// without a column per field).
		`CREATE TABLE IF NOT EXISTS {{s}}.trace_summaries (
			repo             bytea NOT NULL,
			trace_id         bytea NOT NULL,
			revision         bigint NOT NULL,
			start_ns         bigint NOT NULL,
			last_activity_ns bigint NOT NULL,
			duration_ms      double precision NOT NULL,
			name             bytea NOT NULL,
			session_id       bytea NOT NULL,
			is_error         boolean NOT NULL,
			tags             jsonb NOT NULL,
			models           text[] NOT NULL,
			doc              bytea NOT NULL,
			PRIMARY KEY (repo, trace_id)
		)`,
		`CREATE INDEX IF NOT EXISTS trace_summaries_start ON {{s}}.trace_summaries (repo, start_ns DESC, trace_id DESC)`,
		`CREATE INDEX IF NOT EXISTS trace_summaries_all_start ON {{s}}.trace_summaries (start_ns DESC, trace_id DESC, repo DESC)`,
		`CREATE INDEX IF NOT EXISTS trace_summaries_session ON {{s}}.trace_summaries (repo, session_id, start_ns DESC)`,
		`CREATE INDEX IF NOT EXISTS trace_summaries_name ON {{s}}.trace_summaries (repo, name, start_ns DESC)`,
		`CREATE INDEX IF NOT EXISTS trace_summaries_activity ON {{s}}.trace_summaries (repo, last_activity_ns)`,
		`CREATE INDEX IF NOT EXISTS trace_summaries_duration ON {{s}}.trace_summaries (repo, duration_ms)`,
		`CREATE INDEX IF NOT EXISTS trace_summaries_error ON {{s}}.trace_summaries (repo, start_ns DESC) WHERE is_error`,
		`CREATE INDEX IF NOT EXISTS trace_summaries_tags ON {{s}}.trace_summaries USING gin (tags)`,
		`CREATE INDEX IF NOT EXISTS trace_summaries_models ON {{s}}.trace_summaries USING gin (models)`,
		`CREATE TABLE IF NOT EXISTS {{s}}.session_summaries (
			repo             bytea NOT NULL,
			session_id       bytea NOT NULL,
			revision         bigint NOT NULL,
			start_ns         bigint NOT NULL,
			last_activity_ns bigint NOT NULL,
			doc              bytea NOT NULL,
			PRIMARY KEY (repo, session_id)
		)`,
		`CREATE INDEX IF NOT EXISTS session_summaries_start ON {{s}}.session_summaries (repo, start_ns DESC, session_id DESC)`,
		`CREATE INDEX IF NOT EXISTS session_summaries_all_start ON {{s}}.session_summaries (start_ns DESC, session_id DESC, repo DESC)`,
		`CREATE TABLE IF NOT EXISTS {{s}}.blobs (
			repo         bytea NOT NULL,
			key          bytea NOT NULL,
			content_type bytea NOT NULL,
			data         bytea NOT NULL,
			PRIMARY KEY (repo, key)
		)`,
	},
}, {
	// Version 2: cost search (min_cost, sort=cost). Rows written before it
	// read as cost 0 until the indexer rewrites them.
	version: 2,
	stmts: []string{
		`ALTER TABLE {{s}}.trace_summaries ADD COLUMN IF NOT EXISTS cost double precision NOT NULL DEFAULT 0`,
		`CREATE INDEX IF NOT EXISTS trace_summaries_cost ON {{s}}.trace_summaries (repo, cost DESC, start_ns DESC, trace_id DESC)`,
	},
}, {
	// Version 3: stats (GET /api/v1/stats). stats is the row's stats
	// record (store.EncodeStatsRecord); NULL for rows written before, which
	// are not in the rollups until the indexer rewrites them. stats_rollups
	// holds one store.StatsAgg (binary) per repo, dimension, hour since the
	// epoch and group key (see stats.go for the invariant).
	version: 3,
	stmts: []string{
		`ALTER TABLE {{s}}.trace_summaries ADD COLUMN IF NOT EXISTS stats bytea`,
		`CREATE TABLE IF NOT EXISTS {{s}}.stats_rollups (
			repo bytea  NOT NULL,
			dim  bytea  NOT NULL,
			hour bigint NOT NULL,
			key  bytea  NOT NULL,
			agg  bytea  NOT NULL,
			PRIMARY KEY (repo, dim, hour, key)
		)`,
	},
}, {
	// Version 4: evaluation search (eval, eval_score_lt). evals maps each
	// evaluator to its verdict on the trace, {"f": failures, "min": lowest
	// score}; rows written before read as never evaluated until the
	// indexer rewrites them.
	version: 4,
	stmts: []string{
		`ALTER TABLE {{s}}.trace_summaries ADD COLUMN IF NOT EXISTS evals jsonb NOT NULL DEFAULT '{}'`,
	},
}, {
	// Version 5: claims (store.Backend.Claim), so each entity is evaluated
	// by one member of a fleet.
	version: 5,
	stmts: []string{
		`CREATE TABLE IF NOT EXISTS {{s}}.claims (
			repo     bytea  NOT NULL,
			key      bytea  NOT NULL,
			owner    bytea  NOT NULL,
			until_ns bigint NOT NULL,
			PRIMARY KEY (repo, key)
		)`,
	},
}, {
	// Version 6: fleet indexing (fleet.go). The change log is split into
	// ChangeLogShards shards by repository, each with its own checkpoint
	// and lease in index_shards, so the members of a fleet index each
	// change once between them. Entries logged before this version get
	// shard 0 (the default; computing the Go hash in SQL is not portable):
	// they are indexed by shard 0's holder, possibly while another member
	// re-summarizes the same traces for newer entries, which revision-
	// guarded upserts make harmless. Every shard's checkpoint starts at the
	// old global one, so nothing logged but unindexed before the upgrade
	// is skipped. A lease is free when until is not after the database's
	// now(); members' clocks are never compared.
	version: 6,
	stmts: []string{
		`ALTER TABLE {{s}}.change_log ADD COLUMN IF NOT EXISTS shard int NOT NULL DEFAULT 0`,
		`CREATE INDEX IF NOT EXISTS change_log_shard ON {{s}}.change_log (shard, seq)`,
		`CREATE TABLE IF NOT EXISTS {{s}}.index_shards (
			shard      int         PRIMARY KEY,
			checkpoint bigint      NOT NULL,
			owner      text        NOT NULL,
			until      timestamptz NOT NULL
		)`,
		// The shard count is ChangeLogShards (fleet.go); changing it needs a
		// migration that moves the log's rows and the checkpoints.
		`INSERT INTO {{s}}.index_shards (shard, checkpoint, owner, until)
			SELECT g, c.value, '', now() FROM generate_series(0, 15) AS g, {{s}}.counters AS c
			WHERE c.name = 'index_checkpoint'
			ON CONFLICT (shard) DO NOTHING`,
		`CREATE TABLE IF NOT EXISTS {{s}}.index_members (
			owner text        PRIMARY KEY,
			until timestamptz NOT NULL
		)`,
	},
}}

// SchemaVersion is the newest schema version this build knows.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// migrate brings the schema up to date.
//
// On PostgreSQL it runs in one transaction that first takes a
// transaction-scoped advisory lock keyed by the schema name, so two
// collectors starting at once apply the migrations one after the other and
// a failure leaves nothing half-done. If the server has no advisory locks
// it runs the same transaction without the lock.
//
// CockroachDB and YugabyteDB do not run DDL atomically inside an explicit
// transaction (CockroachDB refuses a schema change after a write in the
// same transaction; YugabyteDB commits each DDL on its own unless
// transactional DDL is enabled), so there every statement runs on its own.
// That is safe because every statement is idempotent, and the errors a
// concurrent CREATE … IF NOT EXISTS can still raise are retried.
func (s *Store) migrate(ctx context.Context) error {
	if s.dialect != dialectPostgres {
		return s.migrateStatementwise(ctx)
	}
	useLock := true
	return s.retry.doWith(ctx, "migrate", isMigrationRetryable, func(ctx context.Context) error {
		err := s.migrateOnce(ctx, useLock)
		var pgErr *pgconn.PgError
		if useLock && errors.As(err, &pgErr) && (pgErr.Code == "42883" || pgErr.Code == "0A000") {
			s.logger.Info("pgstore: advisory locks unavailable; migrating without a lock", zap.String("sqlstate", pgErr.Code))
			useLock = false
			return s.migrateOnce(ctx, false)
		}
		return err
	})
}

// migrateStatementwise applies the migrations one autocommitted statement
// at a time (see migrate), each retried on its own.
func (s *Store) migrateStatementwise(ctx context.Context) error {
	return s.applyMigrations(func(stmt string, args ...any) error {
		return s.retry.doWith(ctx, "migrate", isMigrationRetryable, func(ctx context.Context) error {
			_, err := s.pool.Exec(ctx, stmt, args...)
			return err
		})
	}, func(sql string, v *int) error {
		return s.retry.do(ctx, "migrate", func(ctx context.Context) error {
			return s.pool.QueryRow(ctx, sql).Scan(v)
		})
	})
}

// migrateOnce applies the migrations in one transaction, under an
// advisory lock when useLock (see migrate).
func (s *Store) migrateOnce(ctx context.Context, useLock bool) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if useLock {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, s.lockKey()); err != nil {
			return fmt.Errorf("pgstore: migrate: advisory lock: %w", err)
		}
	}
	err = s.applyMigrations(func(stmt string, args ...any) error {
		_, err := tx.Exec(ctx, stmt, args...)
		return err
	}, func(sql string, v *int) error {
		return tx.QueryRow(ctx, sql).Scan(v)
	})
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: migrate: commit: %w", err)
	}
	return nil
}

// applyMigrations is the one migration procedure, whichever way its
// statements run: create the schema and its version table, read the
// version, and run each later migration's statements, recording its
// version only after every statement succeeded (a collector that dies
// half-way leaves the version unrecorded and the next start re-runs the
// idempotent statements).
func (s *Store) applyMigrations(exec func(stmt string, args ...any) error, queryInt func(sql string, v *int) error) error {
	if err := exec(`CREATE SCHEMA IF NOT EXISTS ` + s.q); err != nil {
		return fmt.Errorf("pgstore: migrate: create schema: %w", err)
	}
	if err := exec(`CREATE TABLE IF NOT EXISTS ` + s.q + `.schema_migrations (
		version int PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("pgstore: migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := queryInt(`SELECT coalesce(max(version), 0) FROM `+s.q+`.schema_migrations`, &current); err != nil {
		return fmt.Errorf("pgstore: migrate: read version: %w", err)
	}
	if current > SchemaVersion() {
		return fmt.Errorf("pgstore: schema %s is at version %d, newer than this build's %d", s.schema, current, SchemaVersion())
	}
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		for i, stmt := range m.stmts {
			if err := exec(s.expand(stmt)); err != nil {
				return fmt.Errorf("pgstore: migrate to version %d, statement %d: %w", m.version, i+1, err)
			}
		}
		if err := exec(`INSERT INTO `+s.q+`.schema_migrations (version) VALUES ($1) ON CONFLICT (version) DO NOTHING`, m.version); err != nil {
			return fmt.Errorf("pgstore: migrate: record version %d: %w", m.version, err)
		}
		s.logger.Info("pgstore: applied schema migration", zap.String("schema", s.schema), zap.Int("version", m.version), zap.Stringer("dialect", s.dialect))
	}
	return nil
}

// expand fills in the schema name.
func (s *Store) expand(stmt string) string {
	return strings.ReplaceAll(stmt, "{{s}}", s.q)
}

// dialect is the server family, told apart by version(): the few
// differences the schema must absorb are listed in README.md.
type dialect int

const (
	dialectPostgres dialect = iota
	dialectCockroach
	dialectYugabyte
)

func (d dialect) String() string {
	return [...]string{"postgresql", "cockroachdb", "yugabytedb"}[d]
}

// detectDialect reads version(): CockroachDB reports "CockroachDB CCL …",
// YugabyteDB "PostgreSQL 11.2-YB-…".
func (s *Store) detectDialect(ctx context.Context) error {
	return s.retry.do(ctx, "detect_dialect", func(ctx context.Context) error {
		var v string
		if err := s.pool.QueryRow(ctx, `SELECT version()`).Scan(&v); err != nil {
			return fmt.Errorf("pgstore: read server version: %w", err)
		}
		s.dialect = parseDialect(v)
		s.logger.Info("pgstore: connected", zap.String("server", v), zap.Stringer("dialect", s.dialect), zap.String("schema", s.schema))
		return nil
	})
}

func parseDialect(version string) dialect {
	switch {
	case strings.Contains(version, "CockroachDB"):
		return dialectCockroach
	case strings.Contains(version, "-YB-"):
		return dialectYugabyte
	}
	return dialectPostgres
}

// lockKey derives the advisory lock id from the schema, so tenants in
// different schemas do not wait for each other.
func (s *Store) lockKey() int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("otelcol-genai/pgstore/" + s.schema))
	return int64(h.Sum64())
}

// isMigrationRetryable adds the errors concurrent CREATE … IF NOT EXISTS
// can raise without a lock (a catalog unique violation, or "already
// exists"): the retry then sees the object and skips it.
func isMigrationRetryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505", "42P07", "42P06", "42710":
			return true
		}
	}
	return isRetryable(err)
}

// Drop removes the store's schema and everything in it. Tests and tenant
// removal use it; it is never called by the collector.
func (s *Store) Drop(ctx context.Context) error {
	return s.retry.do(ctx, "drop", func(ctx context.Context) error {
		if _, err := s.pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+s.q+` CASCADE`); err != nil {
			return fmt.Errorf("pgstore: drop schema %s: %w", s.schema, err)
		}
		return nil
	})
}
