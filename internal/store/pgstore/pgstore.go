// Package pgstore is the PostgreSQL store.Backend: the shared backend for a
// gateway fleet, where several collectors write the same trace at once.
//
// A node's commit set is the rows of the commits table with its (repo,
// kind, entity id); the table's primary key ends in the commit id, so
// `INSERT … ON CONFLICT` is exactly the set union the merge needs (keeping
// the lower version). Writers never read before writing, every write is
// idempotent, and each Apply is one transaction, so a retry after an
// ambiguous failure (connection lost during COMMIT) is always safe. The
// SQL stays within what CockroachDB and YugabyteDB also accept; README.md
// lists what was checked and what differs.
package pgstore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Store is a store.Backend on PostgreSQL.
type Store struct {
	pool   *pgxpool.Pool
	logger *zap.Logger
	retry  *retrier
	schema string
	// q is the quoted schema identifier, prefixed to every table name.
	q string
	// sql holds the statements, built once with the schema in them.
	sql     statements
	dialect dialect
	// ownsPool is false for NewWithPool: the caller closes the pool.
	ownsPool bool
	// fleet holds the statements and the notification channel of fleet
	// indexing (fleet.go).
	fleet fleetStatements
}

var _ store.Backend = (*Store)(nil)

// New connects, applies the schema migrations and returns the store. It
// retries a database that is not reachable yet for up to
// cfg.Retry.MaxElapsedTime (or until ctx ends), so a collector can start
// alongside its database.
func New(ctx context.Context, cfg Config, logger *zap.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pgstore: invalid config: %w", err)
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	pc, err := cfg.poolConfig()
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("pgstore: create pool: %w", err)
	}
	s, err := open(ctx, pool, cfg, logger)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.ownsPool = true
	return s, nil
}

// NewWithPool opens a store in cfg.Schema on a pool the caller owns, so
// that many schemas (tenants, or the conformance suite's many fresh
// backends) can share one pool's connections. cfg.DSN and the pool
// settings are ignored; Close leaves the pool open.
func NewWithPool(ctx context.Context, pool *pgxpool.Pool, cfg Config, logger *zap.Logger) (*Store, error) {
	if cfg.Schema != "" && !schemaName.MatchString(cfg.Schema) {
		return nil, fmt.Errorf("pgstore: invalid config: schema %q must match %s", cfg.Schema, schemaName)
	}
	if cfg.Retry.Enabled && (cfg.Retry.InitialInterval <= 0 || cfg.Retry.MaxInterval < cfg.Retry.InitialInterval) {
		return nil, fmt.Errorf("pgstore: invalid config: retry intervals must be positive and ordered")
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	return open(ctx, pool, cfg, logger)
}

func open(ctx context.Context, pool *pgxpool.Pool, cfg Config, logger *zap.Logger) (*Store, error) {
	schema := cfg.schema()
	s := &Store{
		pool:   pool,
		logger: logger,
		retry:  &retrier{cfg: cfg.Retry, logger: logger, sleep: sleepCtx},
		schema: schema,
		q:      pgx.Identifier{schema}.Sanitize(),
	}
	s.sql = buildStatements(s.q)
	s.fleet = buildFleetStatements(s.q, schema)
	if err := s.detectDialect(ctx); err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the connection pool if the store opened it.
func (s *Store) Close() error {
	if s.ownsPool {
		s.pool.Close()
	}
	return nil
}

// Stats reports counters for telemetry: how many operation attempts were
// retried after a transient error.
type Stats struct {
	Retries int64
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	return Stats{Retries: s.retry.retries.Load()}
}

// statements are the hot-path SQL texts with the schema substituted.
type statements struct {
	insertCommits, insertEdges, appendChangeLog                   string
	selectCommits, selectChildren, selectParents                  string
	changedSince, getCheckpoint, setCheckpoint, pruneChangeLog    string
	putBlob, getBlob, ownedBlobs, deleteBlobs                     string
	claim                                                         string
	deleteCommits, deleteEdges, deleteTraceSums, deleteSessionSum string
	putTraceSummary, putSessionSummary                            string
	lockTraceSummaries, insertTraceSummary, updateTraceSummary    string
	insertRollups, lockRollups, updateRollups                     string
}

func buildStatements(q string) statements {
	return statements{
		// unnest over parallel arrays turns one statement into a batch
		// insert of any size with a fixed parameter count. A repeated
		// commit conflicts and can only lower the stored version, which
		// is the union rule (keep the lower version).
		insertCommits: `INSERT INTO ` + q + `.commits AS c (repo, kind, entity_id, commit_id, action, data, version)
			SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bytea[], $5::bytea[], $6::bytea[], $7::int8[])
			ON CONFLICT (repo, kind, entity_id, commit_id)
			DO UPDATE SET version = excluded.version WHERE excluded.version < c.version
			RETURNING repo, kind, entity_id`,
		insertEdges: `INSERT INTO ` + q + `.edges (parent_repo, parent_kind, parent_id, child_repo, child_kind, child_id)
			SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bytea[], $5::bytea[], $6::bytea[])
			ON CONFLICT DO NOTHING
			RETURNING parent_repo, parent_kind, parent_id, child_repo, child_kind, child_id`,
		// The counter row update takes a row lock that is held until
		// COMMIT, so concurrent writers take change-log positions in
		// commit order: a reader can never see position n+1 before n,
		// and the indexer's checkpoint never skips an entry that becomes
		// visible later. It is the last statement of the transaction so
		// the lock is held for as short as possible.
		appendChangeLog: `WITH h AS (
				UPDATE ` + q + `.counters SET value = value + $4::int8 WHERE name = 'change_log_head' RETURNING value
			)
			INSERT INTO ` + q + `.change_log (seq, repo, kind, entity_id, shard)
			SELECT h.value - $4::int8 + u.ord, u.repo, u.kind, u.id, u.shard
			FROM h, unnest($1::bytea[], $2::bytea[], $3::bytea[], $5::int4[]) WITH ORDINALITY AS u(repo, kind, id, shard, ord)`,
		selectCommits: `SELECT c.repo, c.kind, c.entity_id, c.commit_id, c.action, c.data, c.version
			FROM ` + q + `.commits c
			JOIN unnest($1::bytea[], $2::bytea[], $3::bytea[]) AS r(repo, kind, id)
			ON c.repo = r.repo AND c.kind = r.kind AND c.entity_id = r.id`,
		selectChildren: `SELECT e.parent_repo, e.parent_kind, e.parent_id, e.child_repo, e.child_kind, e.child_id
			FROM ` + q + `.edges e
			JOIN unnest($1::bytea[], $2::bytea[], $3::bytea[]) AS r(repo, kind, id)
			ON e.parent_repo = r.repo AND e.parent_kind = r.kind AND e.parent_id = r.id`,
		selectParents: `SELECT e.parent_repo, e.parent_kind, e.parent_id, e.child_repo, e.child_kind, e.child_id
			FROM ` + q + `.edges e
			JOIN unnest($1::bytea[], $2::bytea[], $3::bytea[]) AS r(repo, kind, id)
			ON e.child_repo = r.repo AND e.child_kind = r.kind AND e.child_id = r.id`,
		changedSince: `SELECT seq, repo, kind, entity_id FROM ` + q + `.change_log
			WHERE seq > $1 ORDER BY seq LIMIT $2`,
		getCheckpoint:  `SELECT value FROM ` + q + `.counters WHERE name = 'index_checkpoint'`,
		setCheckpoint:  `UPDATE ` + q + `.counters SET value = $1 WHERE name = 'index_checkpoint'`,
		pruneChangeLog: `DELETE FROM ` + q + `.change_log WHERE seq <= $1`,
		putBlob: `INSERT INTO ` + q + `.blobs (repo, key, content_type, data) VALUES ($1, $2, $3, $4)
			ON CONFLICT (repo, key) DO UPDATE SET content_type = excluded.content_type, data = excluded.data`,
		getBlob: `SELECT content_type, data FROM ` + q + `.blobs WHERE repo = $1 AND key = $2`,
		// Blobs in the owned ranges (store.OwnedRange) of the nodes given
		// as (repo, lower, upper) arrays; the caller keeps those
		// store.OwnedBy accepts.
		ownedBlobs: `SELECT b.repo, b.key, u.lo FROM ` + q + `.blobs b
			JOIN unnest($1::bytea[], $2::bytea[], $3::bytea[]) AS u(r, lo, hi)
			ON b.repo = u.r AND b.key >= u.lo AND b.key < u.hi`,
		deleteBlobs: `DELETE FROM ` + q + `.blobs WHERE (repo, key) IN (SELECT * FROM unnest($1::bytea[], $2::bytea[]))`,
		// One statement, so two members racing for a free key cannot both
		// win: the insert of one conflicts with the other's row and its
		// update's WHERE then sees another owner whose claim holds.
		claim: `INSERT INTO ` + q + `.claims AS c (repo, key, owner, until_ns) VALUES ($1, $2, $3, $5)
			ON CONFLICT (repo, key) DO UPDATE SET owner = excluded.owner, until_ns = excluded.until_ns
			WHERE c.owner = excluded.owner OR c.until_ns <= $4
			RETURNING 1`,
		deleteCommits: `DELETE FROM ` + q + `.commits WHERE (repo, kind, entity_id) IN (SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[]))`,
		deleteEdges: `DELETE FROM ` + q + `.edges
			WHERE (parent_repo, parent_kind, parent_id) IN (SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[]))
			   OR (child_repo, child_kind, child_id) IN (SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[]))`,
		deleteTraceSums:  `DELETE FROM ` + q + `.trace_summaries WHERE (repo, trace_id) IN (SELECT * FROM unnest($1::bytea[], $2::bytea[]))`,
		deleteSessionSum: `DELETE FROM ` + q + `.session_summaries WHERE (repo, session_id) IN (SELECT * FROM unnest($1::bytea[], $2::bytea[]))`,
		// The revision conditions below (excluded.revision > t.revision,
		// revision < $3) are store.Supersedes in SQL.
		putTraceSummary: `INSERT INTO ` + q + `.trace_summaries AS t
				(repo, trace_id, revision, start_ns, last_activity_ns, duration_ms, name, session_id, is_error, tags, models, doc, cost)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::text[], $12, $13)
			ON CONFLICT (repo, trace_id) DO UPDATE SET
				revision = excluded.revision, start_ns = excluded.start_ns,
				last_activity_ns = excluded.last_activity_ns, duration_ms = excluded.duration_ms,
				name = excluded.name, session_id = excluded.session_id, is_error = excluded.is_error,
				tags = excluded.tags, models = excluded.models, doc = excluded.doc, cost = excluded.cost
			WHERE excluded.revision > t.revision`,
		// Stats (stats.go): the trace rows a write replaces are locked in
		// key order, then the rollup rows in key order.
		lockTraceSummaries: `SELECT repo, trace_id, revision, stats FROM ` + q + `.trace_summaries
			WHERE (repo, trace_id) IN (SELECT * FROM unnest($1::bytea[], $2::bytea[]))
			ORDER BY repo, trace_id FOR UPDATE`,
		insertTraceSummary: `INSERT INTO ` + q + `.trace_summaries
				(repo, trace_id, revision, start_ns, last_activity_ns, duration_ms, name, session_id, is_error, tags, models, doc, cost, stats, evals)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::text[], $12, $13, $14, $15::jsonb)
			ON CONFLICT (repo, trace_id) DO NOTHING RETURNING revision`,
		updateTraceSummary: `UPDATE ` + q + `.trace_summaries SET
				revision = $3, start_ns = $4, last_activity_ns = $5, duration_ms = $6, name = $7, session_id = $8,
				is_error = $9, tags = $10::jsonb, models = $11::text[], doc = $12, cost = $13, stats = $14,
				evals = $15::jsonb
			WHERE repo = $1 AND trace_id = $2 AND revision < $3`,
		insertRollups: `INSERT INTO ` + q + `.stats_rollups (repo, dim, hour, key, agg)
			SELECT r, d, h, k, '\x'::bytea FROM unnest($1::bytea[], $2::bytea[], $3::int8[], $4::bytea[]) AS u(r, d, h, k)
			ON CONFLICT DO NOTHING`,
		lockRollups: `SELECT repo, dim, hour, key, agg FROM ` + q + `.stats_rollups
			WHERE (repo, dim, hour, key) IN (SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::int8[], $4::bytea[]))
			ORDER BY repo, dim, hour, key FOR UPDATE`,
		updateRollups: `UPDATE ` + q + `.stats_rollups t SET agg = u.a
			FROM unnest($1::bytea[], $2::bytea[], $3::int8[], $4::bytea[], $5::bytea[]) AS u(r, d, h, k, a)
			WHERE t.repo = u.r AND t.dim = u.d AND t.hour = u.h AND t.key = u.k`,
		putSessionSummary: `INSERT INTO ` + q + `.session_summaries AS t
				(repo, session_id, revision, start_ns, last_activity_ns, doc)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (repo, session_id) DO UPDATE SET
				revision = excluded.revision, start_ns = excluded.start_ns,
				last_activity_ns = excluded.last_activity_ns, doc = excluded.doc
			WHERE excluded.revision > t.revision`,
	}
}

// inTx runs fn in a transaction, retrying the whole transaction on
// transient errors.
func (s *Store) inTx(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return s.retry.do(ctx, op, func(ctx context.Context) error {
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			return fmt.Errorf("pgstore: %s: begin: %w", op, err)
		}
		// Rollback after a successful Commit is a no-op; with a dead
		// connection it fails fast, and the pool discards the conn.
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		if err := fn(ctx, tx); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("pgstore: %s: commit: %w", op, err)
		}
		return nil
	})
}

// Apply adds the commits to their nodes' sets, records the edges and
// appends the nodes that changed to the change log, in one transaction.
//
// A node changed when one of its commits was new or got a lower version,
// or an edge into or out of it was new (RETURNING reports exactly those
// rows). Because the log rows commit with the data, a caller's resend
// after an ambiguous failure needs no log entry of its own: either the
// first attempt committed, data and log together, or neither.
//
// Rows are sorted before inserting so that concurrent writers lock index
// entries in the same order (which avoids most deadlocks; the rest are
// retried).
func (s *Store) Apply(ctx context.Context, commits []commit.Commit, edges []store.Edge) error {
	if len(commits) == 0 && len(edges) == 0 {
		return nil
	}
	cs := dedupCommits(commits)
	es := dedupEdges(edges)

	chunks := chunkCommits(cs, maxChunkBytes)
	cas := make([]commitArrays, len(chunks))
	for i, ch := range chunks {
		cas[i].fill(ch)
	}
	var ea edgeArrays
	ea.fill(es)

	return s.inTx(ctx, "apply", func(ctx context.Context, tx pgx.Tx) error {
		var changed changeSet
		batch := &pgx.Batch{}
		for i := range cas {
			ca := &cas[i]
			batch.Queue(s.sql.insertCommits, ca.repo, ca.kind, ca.id, ca.commitID, ca.action, ca.data, ca.version).
				Query(func(rows pgx.Rows) error { return changed.scan(rows, 3) })
		}
		if len(es) > 0 {
			batch.Queue(s.sql.insertEdges, ea.pRepo, ea.pKind, ea.pID, ea.cRepo, ea.cKind, ea.cID).
				Query(func(rows pgx.Rows) error { return changed.scan(rows, 6) })
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("pgstore: apply %d commits, %d edges: %w", len(cs), len(es), err)
		}
		if len(changed.order) == 0 {
			return nil
		}
		var ta refArrays
		ta.fill(changed.order)
		shards := make([]int32, len(changed.order))
		for i, r := range changed.order {
			shards[i] = int32(ShardOf(r.Repo))
		}
		if _, err := tx.Exec(ctx, s.sql.appendChangeLog, ta.repo, ta.kind, ta.id, int64(len(changed.order)), shards); err != nil {
			return fmt.Errorf("pgstore: apply: append %d change-log entries: %w", len(changed.order), err)
		}
		return nil
	})
}

// maxChunkBytes bounds the commit data sent in one statement. A protocol
// message is limited to 1 GiB and the server materializes the arrays, so
// an Apply of many large commits (SDK lines up to ~1 MB) is split into
// several statements of the same transaction.
const maxChunkBytes = 32 << 20

// chunkCommits splits sorted commits into runs of at most maxBytes of data
// (a single larger commit gets a run of its own).
func chunkCommits(cs []*commit.Commit, maxBytes int) [][]*commit.Commit {
	var out [][]*commit.Commit
	start, size := 0, 0
	for i, c := range cs {
		n := len(c.Data) + len(c.EntityID) + len(c.Repo) + 64
		if i > start && size+n > maxBytes {
			out = append(out, cs[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(cs) {
		out = append(out, cs[start:])
	}
	return out
}

// changeSet collects changed nodes once each, in first-seen order.
type changeSet struct {
	seen  map[commit.NodeRef]struct{}
	order []commit.NodeRef
}

func (c *changeSet) add(r commit.NodeRef) {
	if c.seen == nil {
		c.seen = map[commit.NodeRef]struct{}{}
	}
	if _, ok := c.seen[r]; !ok {
		c.seen[r] = struct{}{}
		c.order = append(c.order, r)
	}
}

// scan reads RETURNING rows of n text columns: one node (repo, kind, id)
// or two (an edge's parent and child).
func (c *changeSet) scan(rows pgx.Rows, n int) error {
	defer rows.Close()
	vals := make([][]byte, n)
	dest := make([]any, n)
	for i := range vals {
		dest[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i := 0; i < n; i += 3 {
			c.add(commit.NodeRef{Repo: string(vals[i]), Kind: commit.Entity(vals[i+1]), ID: string(vals[i+2])})
		}
	}
	return rows.Err()
}

// dedupCommits sorts commits by their key and keeps one row per key with
// the lowest version: PostgreSQL refuses an ON CONFLICT DO UPDATE that
// would touch the same row twice in one statement.
func dedupCommits(in []commit.Commit) []*commit.Commit {
	out := make([]*commit.Commit, 0, len(in))
	for i := range in {
		c := &in[i]
		if c.ID.IsZero() {
			// Like the reference store: an unsealed commit is sealed
			// here (on a copy; the caller's slice is not modified).
			sealed := *c
			sealed.Seal()
			c = &sealed
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *commit.Commit) int {
		if d := store.CompareNodes(a.Node(), b.Node()); d != 0 {
			return d
		}
		if d := bytes.Compare(a.ID[:], b.ID[:]); d != 0 {
			return d
		}
		return cmp.Compare(a.Version, b.Version)
	})
	// After sorting, the lowest version of a key comes first.
	return slices.CompactFunc(out, func(a, b *commit.Commit) bool {
		return a.Node() == b.Node() && a.ID == b.ID
	})
}

func dedupEdges(in []store.Edge) []store.Edge {
	out := slices.Clone(in)
	slices.SortFunc(out, store.CompareEdges)
	return slices.Compact(out)
}

// commitArrays are the parallel arrays of one batch insert. Strings go
// as bytea (see the schema): b converts without validating anything.
type commitArrays struct {
	repo, kind, id, action, commitID, data [][]byte
	version                                []int64
}

func b(s string) []byte { return []byte(s) }

func (a *commitArrays) fill(cs []*commit.Commit) {
	n := len(cs)
	a.repo, a.kind, a.id, a.action = make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n)
	a.commitID, a.data, a.version = make([][]byte, n), make([][]byte, n), make([]int64, n)
	for i, c := range cs {
		a.repo[i], a.kind[i], a.id[i], a.action[i] = b(c.Repo), b(string(c.Entity)), b(c.EntityID), b(string(c.Action))
		a.commitID[i] = c.ID[:]
		// A nil []byte would be sent as NULL; data is NOT NULL.
		a.data[i] = c.Data
		if a.data[i] == nil {
			a.data[i] = []byte{}
		}
		a.version[i] = c.Version
	}
}

type edgeArrays struct {
	pRepo, pKind, pID, cRepo, cKind, cID [][]byte
}

func (a *edgeArrays) fill(es []store.Edge) {
	for _, e := range es {
		a.pRepo = append(a.pRepo, b(e.Parent.Repo))
		a.pKind = append(a.pKind, b(string(e.Parent.Kind)))
		a.pID = append(a.pID, b(e.Parent.ID))
		a.cRepo = append(a.cRepo, b(e.Child.Repo))
		a.cKind = append(a.cKind, b(string(e.Child.Kind)))
		a.cID = append(a.cID, b(e.Child.ID))
	}
}

type refArrays struct {
	repo, kind, id [][]byte
}

func (a *refArrays) fill(refs []commit.NodeRef) {
	a.repo, a.kind, a.id = make([][]byte, 0, len(refs)), make([][]byte, 0, len(refs)), make([][]byte, 0, len(refs))
	for _, r := range refs {
		a.repo = append(a.repo, b(r.Repo))
		a.kind = append(a.kind, b(string(r.Kind)))
		a.id = append(a.id, b(r.ID))
	}
}

func uniqueRefs(refs []commit.NodeRef) []commit.NodeRef {
	out := slices.Clone(refs)
	store.SortNodes(out)
	return slices.Compact(out)
}

// Commits returns the commit sets of refs, each sorted by commit.Less.
func (s *Store) Commits(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.Commit, error) {
	out := map[commit.NodeRef][]commit.Commit{}
	if len(refs) == 0 {
		return out, nil
	}
	var ra refArrays
	ra.fill(uniqueRefs(refs))
	err := s.retry.do(ctx, "commits", func(ctx context.Context) error {
		clear(out)
		rows, err := s.pool.Query(ctx, s.sql.selectCommits, ra.repo, ra.kind, ra.id)
		if err != nil {
			return fmt.Errorf("pgstore: read commits: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var c commit.Commit
			var repo, kind, entityID, id, action, data []byte
			if err := rows.Scan(&repo, &kind, &entityID, &id, &action, &data, &c.Version); err != nil {
				return fmt.Errorf("pgstore: scan commit: %w", err)
			}
			if len(id) != len(c.ID) {
				return fmt.Errorf("pgstore: commit %q/%q/%q has a %d-byte id", repo, kind, entityID, len(id))
			}
			c.Repo, c.Entity, c.EntityID = string(repo), commit.Entity(kind), string(entityID)
			c.Action, c.Data = commit.Action(action), data
			copy(c.ID[:], id)
			ref := c.Node()
			out[ref] = append(out[ref], c)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("pgstore: read commits: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, cs := range out {
		slices.SortFunc(cs, func(a, b commit.Commit) int {
			switch {
			case commit.Less(&a, &b):
				return -1
			case commit.Less(&b, &a):
				return 1
			}
			return 0
		})
	}
	return out, nil
}

// Children returns the children of each ref, sorted by (kind, id).
func (s *Store) Children(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.NodeRef, error) {
	return s.edges(ctx, refs, s.sql.selectChildren, "children", func(parent, child commit.NodeRef) (commit.NodeRef, commit.NodeRef) { return parent, child })
}

// Parents returns, per node, the nodes with an edge to it, sorted by (kind,
// id).
func (s *Store) Parents(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.NodeRef, error) {
	return s.edges(ctx, refs, s.sql.selectParents, "parents", func(parent, child commit.NodeRef) (commit.NodeRef, commit.NodeRef) { return child, parent })
}

// edges reads edges for all refs in one round trip. query joins the edges
// table with the refs on one end and selects (parent, child) columns;
// orient picks which end keys the result and which is listed.
func (s *Store) edges(ctx context.Context, refs []commit.NodeRef, query, what string, orient func(parent, child commit.NodeRef) (key, val commit.NodeRef)) (map[commit.NodeRef][]commit.NodeRef, error) {
	out := map[commit.NodeRef][]commit.NodeRef{}
	if len(refs) == 0 {
		return out, nil
	}
	var ra refArrays
	ra.fill(uniqueRefs(refs))
	err := s.retry.do(ctx, what, func(ctx context.Context) error {
		clear(out)
		rows, err := s.pool.Query(ctx, query, ra.repo, ra.kind, ra.id)
		if err != nil {
			return fmt.Errorf("pgstore: read %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			var v [6][]byte
			if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
				return fmt.Errorf("pgstore: scan edge: %w", err)
			}
			p := commit.NodeRef{Repo: string(v[0]), Kind: commit.Entity(v[1]), ID: string(v[2])}
			c := commit.NodeRef{Repo: string(v[3]), Kind: commit.Entity(v[4]), ID: string(v[5])}
			k, val := orient(p, c)
			out[k] = append(out[k], val)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("pgstore: read %s: %w", what, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Sorted here rather than in SQL: the contract is Go string order,
	// which is independent of the database's collation.
	for _, list := range out {
		store.SortNodes(list)
	}
	return out, nil
}

// ChangedSince returns the nodes of the change-log entries after position
// after, in apply order, at most limit of them; next is the position of the
// last entry returned. A node appears once per Apply that changed it.
func (s *Store) ChangedSince(ctx context.Context, after uint64, limit int) ([]commit.NodeRef, uint64, error) {
	limit = store.ChangeBatchLimit(limit)
	var refs []commit.NodeRef
	next := after
	err := s.retry.do(ctx, "changed_since", func(ctx context.Context) error {
		refs, next = refs[:0], after
		rows, err := s.pool.Query(ctx, s.sql.changedSince, int64(after), limit)
		if err != nil {
			return fmt.Errorf("pgstore: read change log: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			var repo, kind, id []byte
			if err := rows.Scan(&seq, &repo, &kind, &id); err != nil {
				return fmt.Errorf("pgstore: scan change log: %w", err)
			}
			next = uint64(seq)
			refs = append(refs, commit.NodeRef{Repo: string(repo), Kind: commit.Entity(kind), ID: string(id)})
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("pgstore: read change log: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, after, err
	}
	return refs, next, nil
}

// IndexCheckpoint returns the indexer's persisted change-log position.
func (s *Store) IndexCheckpoint(ctx context.Context) (uint64, error) {
	var pos int64
	err := s.retry.do(ctx, "index_checkpoint", func(ctx context.Context) error {
		if err := s.pool.QueryRow(ctx, s.sql.getCheckpoint).Scan(&pos); err != nil {
			return fmt.Errorf("pgstore: read index checkpoint: %w", err)
		}
		return nil
	})
	return uint64(pos), err
}

// SetIndexCheckpoint persists pos and trims the change log up to it: the
// indexer never asks for positions at or below its checkpoint again.
func (s *Store) SetIndexCheckpoint(ctx context.Context, pos uint64) error {
	return s.inTx(ctx, "set_index_checkpoint", func(ctx context.Context, tx pgx.Tx) error {
		batch := &pgx.Batch{}
		batch.Queue(s.sql.setCheckpoint, int64(pos))
		batch.Queue(s.sql.pruneChangeLog, int64(pos))
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("pgstore: write index checkpoint: %w", err)
		}
		return nil
	})
}

// PutBlob stores b under (repo, key), replacing an older blob.
func (s *Store) PutBlob(ctx context.Context, repo, key string, bl store.Blob) error {
	data := bl.Data
	if data == nil {
		data = []byte{}
	}
	return s.retry.do(ctx, "put_blob", func(ctx context.Context) error {
		if _, err := s.pool.Exec(ctx, s.sql.putBlob, b(repo), b(key), b(bl.ContentType), data); err != nil {
			return fmt.Errorf("pgstore: put blob %s/%s: %w", repo, key, err)
		}
		return nil
	})
}

// Claim takes a claim (see store.Backend) with one INSERT … ON CONFLICT.
func (s *Store) Claim(ctx context.Context, repo, key, owner string, now, until time.Time) (bool, error) {
	var won bool
	err := s.retry.do(ctx, "claim", func(ctx context.Context) error {
		var one int
		err := s.pool.QueryRow(ctx, s.sql.claim, b(repo), b(key), b(owner), now.UnixNano(), until.UnixNano()).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			won = false
			return nil
		}
		if err != nil {
			return fmt.Errorf("pgstore: claim %s/%s: %w", repo, key, err)
		}
		won = true
		return nil
	})
	return won, err
}

// GetBlob returns the blob under (repo, key) or store.ErrNotFound.
func (s *Store) GetBlob(ctx context.Context, repo, key string) (store.Blob, error) {
	var bl store.Blob
	err := s.retry.do(ctx, "get_blob", func(ctx context.Context) error {
		var ct []byte
		err := s.pool.QueryRow(ctx, s.sql.getBlob, b(repo), b(key)).Scan(&ct, &bl.Data)
		bl.ContentType = string(ct)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("pgstore: blob %s/%s: %w", repo, key, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("pgstore: get blob %s/%s: %w", repo, key, err)
		}
		return nil
	})
	if err != nil {
		return store.Blob{}, err
	}
	return bl, nil
}

// Delete removes the nodes' commits, the edges into and out of them and
// the summary rows of traces and sessions among them, in one transaction.
func (s *Store) Delete(ctx context.Context, refs []commit.NodeRef) error {
	// Also removes the blobs the nodes own (store.OwnedBy), with the large
	// logs they link to, in the same transaction.
	if len(refs) == 0 {
		return nil
	}
	refs = uniqueRefs(refs)
	var ra refArrays
	ra.fill(refs)
	var traceRepo, traceID, sessRepo, sessID [][]byte
	for _, r := range refs {
		switch r.Kind {
		case commit.EntityTrace:
			traceRepo, traceID = append(traceRepo, b(r.Repo)), append(traceID, b(r.ID))
		case commit.EntitySession:
			sessRepo, sessID = append(sessRepo, b(r.Repo)), append(sessID, b(r.ID))
		}
	}
	return s.inTx(ctx, "delete", func(ctx context.Context, tx pgx.Tx) error {
		// Take the deleted traces out of the stats first (their rows
		// stay locked until the delete commits).
		//
		// Only the rows locked here are deleted: under READ COMMITTED the
		// DELETE statement takes a new snapshot, and a row another indexer
		// committed after the lock would be deleted without its
		// contribution having been subtracted (the rollups would keep it;
		// TestStatsConcurrentIndexers caught this). Such a row survives, as
		// if its write had come after the delete.
		deltas := rollupDeltas{}
		var lockedRepo, lockedID [][]byte
		if len(traceID) > 0 {
			if err := s.lockTraceRows(ctx, tx, traceRepo, traceID, func(k traceKey, _ int64, rec []byte) error {
				lockedRepo, lockedID = append(lockedRepo, b(k.repo)), append(lockedID, b(k.id))
				return deltas.subtract(k.repo, rec)
			}); err != nil {
				return err
			}
		}
		blobRepo, blobKey, err := s.ownedBlobs(ctx, tx, refs)
		if err != nil {
			return err
		}
		batch := &pgx.Batch{}
		if len(blobKey) > 0 {
			batch.Queue(s.sql.deleteBlobs, blobRepo, blobKey)
		}
		batch.Queue(s.sql.deleteCommits, ra.repo, ra.kind, ra.id)
		batch.Queue(s.sql.deleteEdges, ra.repo, ra.kind, ra.id)
		if len(lockedID) > 0 {
			batch.Queue(s.sql.deleteTraceSums, lockedRepo, lockedID)
		}
		if len(sessID) > 0 {
			batch.Queue(s.sql.deleteSessionSum, sessRepo, sessID)
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("pgstore: delete %d nodes: %w", len(refs), err)
		}
		return s.applyRollups(ctx, tx, deltas)
	})
}

// ownedBlobs returns the (repo, key) of every blob refs own, linked large
// logs included.
func (s *Store) ownedBlobs(ctx context.Context, tx pgx.Tx, refs []commit.NodeRef) (repos, keys [][]byte, err error) {
	byPrefix := make(map[string]commit.NodeRef, len(refs))
	var rr, lo, hi [][]byte
	for _, r := range refs {
		l, h := store.OwnedRange(r)
		byPrefix[r.Repo+"\x00"+l] = r
		rr, lo, hi = append(rr, b(r.Repo)), append(lo, b(l)), append(hi, b(h))
	}
	rows, err := tx.Query(ctx, s.sql.ownedBlobs, rr, lo, hi)
	if err != nil {
		return nil, nil, fmt.Errorf("pgstore: find owned blobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var repo, key, prefix []byte
		if err := rows.Scan(&repo, &key, &prefix); err != nil {
			return nil, nil, fmt.Errorf("pgstore: scan owned blob: %w", err)
		}
		ref := byPrefix[string(repo)+"\x00"+string(prefix)]
		if !store.OwnedBy(ref, string(repo), string(key)) {
			continue
		}
		repos, keys = append(repos, repo), append(keys, key)
		if ll, ok := store.LinkedLargeLog(ref, string(key)); ok {
			repos, keys = append(repos, b(ll.Repo)), append(keys, b(ll.Name))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("pgstore: find owned blobs: %w", err)
	}
	return repos, keys, nil
}
