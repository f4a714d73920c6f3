package pgstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// Stats (store.StatsQuery) on PostgreSQL.
//
// trace_summaries.stats holds each row's stats record (its generation rows
// and the fields its contribution depends on, bytes exact); stats_rollups
// holds one store.StatsAgg per (repo, dim, hour, key).
//
// Invariant: every rollup row equals the sum of store.TraceRollup over the
// committed trace_summaries rows whose stats is not NULL.
//
// Every statement that changes a trace row's stats — PutTraceSummaries and
// Delete — runs in one transaction that
//  1. locks the trace rows it may replace (SELECT … FOR UPDATE, in key
//     order) and reads their stats record: the contribution to take out;
//  2. inserts the traces that have no row with ON CONFLICT DO NOTHING: a
//     concurrent indexer inserting the same trace makes it wait for that
//     transaction, and when nothing was inserted the now committed row is
//     locked and treated as in 1 — so exactly one transaction adds a
//     trace's first contribution;
//  3. replaces a locked row only when its revision is higher (the same
//     guard as before stats), subtracting the old record's contribution
//     and adding the new; a stale indexer changes nothing;
//  4. adds the summed deltas to the rollup rows: it creates the missing
//     ones (ON CONFLICT DO NOTHING), locks them all in key order, merges
//     in Go and writes them back.
//
// Because the row lock of step 1/2 is held until COMMIT, two indexers can
// never both subtract the same old record or both add to the same row; the
// rollup rows are only changed under their own lock. Locks are always
// taken trace rows first, then rollups, each in key order, so concurrent
// writers do not deadlock (one that still does is retried whole).

type traceKey struct{ repo, id string }

// rollupDeltas sums a transaction's rollup changes.
type rollupDeltas map[string]map[store.RollupKey]*store.StatsAgg

func (d rollupDeltas) of(repo string) map[store.RollupKey]*store.StatsAgg {
	m := d[repo]
	if m == nil {
		m = map[store.RollupKey]*store.StatsAgg{}
		d[repo] = m
	}
	return m
}

// subtract takes a stored stats record's contribution out; a NULL record
// (a row written before stats) contributed nothing.
func (d rollupDeltas) subtract(repo string, rec []byte) error {
	if rec == nil {
		return nil
	}
	old, err := store.DecodeStatsRecord(rec)
	if err != nil {
		return fmt.Errorf("pgstore: decode stats record: %w", err)
	}
	store.TraceRollup(&old, -1, d.of(repo))
	return nil
}

// lockTraceRows locks the existing rows of the given traces in key order
// and calls fn with each one's revision and stats record.
func (s *Store) lockTraceRows(ctx context.Context, tx pgx.Tx, repos, ids [][]byte, fn func(k traceKey, rev int64, rec []byte) error) error {
	rows, err := tx.Query(ctx, s.sql.lockTraceSummaries, repos, ids)
	if err != nil {
		return fmt.Errorf("pgstore: lock trace summaries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var repo, id, rec []byte
		var rev int64
		if err := rows.Scan(&repo, &id, &rev, &rec); err != nil {
			return fmt.Errorf("pgstore: lock trace summaries: %w", err)
		}
		if err := fn(traceKey{string(repo), string(id)}, rev, rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pgstore: lock trace summaries: %w", err)
	}
	return nil
}

type lockedRow struct {
	rev int64
	rec []byte
}

// putTraceRows is PutTraceSummaries' transaction (steps 1–4 above); rows
// are unique and in key order, args their statement arguments.
func (s *Store) putTraceRows(ctx context.Context, tx pgx.Tx, rows []store.TraceSummary, args [][]any, repos, ids [][]byte) error {
	locked := map[traceKey]lockedRow{}
	collect := func(k traceKey, rev int64, rec []byte) error {
		locked[k] = lockedRow{rev, rec}
		return nil
	}
	if err := s.lockTraceRows(ctx, tx, repos, ids, collect); err != nil {
		return err
	}
	deltas := rollupDeltas{}
	// Step 2: insert the new traces.
	var missing []int
	batch := &pgx.Batch{}
	for i := range rows {
		if _, ok := locked[traceKey{rows[i].Repo, rows[i].TraceID}]; !ok {
			missing = append(missing, i)
			batch.Queue(s.sql.insertTraceSummary, args[i]...)
		}
	}
	var lost [][2][]byte
	if len(missing) > 0 {
		br := tx.SendBatch(ctx, batch)
		for _, i := range missing {
			var rev int64
			err := br.QueryRow().Scan(&rev)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				// Inserted meanwhile by another indexer (now committed).
				lost = append(lost, [2][]byte{repos[i], ids[i]})
			case err != nil:
				_ = br.Close()
				return fmt.Errorf("pgstore: insert trace summary: %w", err)
			default:
				store.TraceRollup(&rows[i], 1, deltas.of(rows[i].Repo))
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("pgstore: insert trace summaries: %w", err)
		}
	}
	if len(lost) > 0 {
		lr, li := make([][]byte, len(lost)), make([][]byte, len(lost))
		for j, l := range lost {
			lr[j], li[j] = l[0], l[1]
		}
		if err := s.lockTraceRows(ctx, tx, lr, li, collect); err != nil {
			return err
		}
	}
	// Step 3: replace older rows.
	batch = &pgx.Batch{}
	for i := range rows {
		r := &rows[i]
		old, ok := locked[traceKey{r.Repo, r.TraceID}]
		if !ok || !store.Supersedes(r.Revision, old.rev) {
			continue
		}
		if err := deltas.subtract(r.Repo, old.rec); err != nil {
			return err
		}
		store.TraceRollup(r, 1, deltas.of(r.Repo))
		batch.Queue(s.sql.updateTraceSummary, args[i]...)
	}
	if batch.Len() > 0 {
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("pgstore: update trace summaries: %w", err)
		}
	}
	return s.applyRollups(ctx, tx, deltas)
}

type rollupRow struct {
	repo string
	k    store.RollupKey
	d    *store.StatsAgg
}

// applyRollups is step 4: add the deltas to the rollup rows.
func (s *Store) applyRollups(ctx context.Context, tx pgx.Tx, deltas rollupDeltas) error {
	var list []rollupRow
	for repo, m := range deltas {
		for k, d := range m {
			if !d.IsZero() {
				list = append(list, rollupRow{repo, k, d})
			}
		}
	}
	if len(list) == 0 {
		return nil
	}
	// The database's order (bytea compares bytewise, like Go strings).
	slices.SortFunc(list, func(a, b rollupRow) int {
		if c := strings.Compare(a.repo, b.repo); c != 0 {
			return c
		}
		if c := strings.Compare(a.k.Dim, b.k.Dim); c != 0 {
			return c
		}
		if a.k.Hour != b.k.Hour {
			if a.k.Hour < b.k.Hour {
				return -1
			}
			return 1
		}
		return strings.Compare(a.k.Key, b.k.Key)
	})
	n := len(list)
	repos, dims, hours, keys := make([][]byte, n), make([][]byte, n), make([]int64, n), make([][]byte, n)
	for i, r := range list {
		repos[i], dims[i], hours[i], keys[i] = b(r.repo), b(r.k.Dim), r.k.Hour, b(r.k.Key)
	}
	if _, err := tx.Exec(ctx, s.sql.insertRollups, repos, dims, hours, keys); err != nil {
		return fmt.Errorf("pgstore: create stats rollups: %w", err)
	}
	cur := make(map[string]store.StatsAgg, n)
	id := func(repo, dim []byte, hour int64, key []byte) string {
		return fmt.Sprintf("%q/%q/%d/%q", repo, dim, hour, key)
	}
	rows, err := tx.Query(ctx, s.sql.lockRollups, repos, dims, hours, keys)
	if err != nil {
		return fmt.Errorf("pgstore: lock stats rollups: %w", err)
	}
	for rows.Next() {
		var repo, dim, key, agg []byte
		var hour int64
		if err := rows.Scan(&repo, &dim, &hour, &key, &agg); err != nil {
			rows.Close()
			return fmt.Errorf("pgstore: lock stats rollups: %w", err)
		}
		a, err := store.DecodeStatsAgg(agg)
		if err != nil {
			rows.Close()
			return fmt.Errorf("pgstore: decode stats rollup: %w", err)
		}
		cur[id(repo, dim, hour, key)] = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("pgstore: lock stats rollups: %w", err)
	}
	if len(cur) != n {
		// Every key was created above and is locked now; anything else
		// is a broken invariant, and retrying the transaction is safe.
		return fmt.Errorf("pgstore: locked %d of %d stats rollups", len(cur), n)
	}
	aggs := make([][]byte, n)
	for i, r := range list {
		a := cur[id(repos[i], dims[i], hours[i], keys[i])]
		a.Merge(r.d, 1)
		aggs[i] = a.AppendBinary(nil)
	}
	// A rollup row that drops to zero is kept (an empty aggregate reads as
	// nothing): deleting it would let a concurrent writer, whose INSERT …
	// DO NOTHING saw the row before the delete, lock nothing and lose its
	// delta.
	if _, err := tx.Exec(ctx, s.sql.updateRollups, repos, dims, hours, keys, aggs); err != nil {
		return fmt.Errorf("pgstore: update stats rollups: %w", err)
	}
	return nil
}

// QueryStats reads the hourly rollups when they answer q (no filter, step
// a multiple of an hour) and otherwise scans the stats records of the
// matching trace rows.
func (s *Store) QueryStats(ctx context.Context, q store.StatsQuery) (store.Stats, error) {
	plan, err := q.Plan()
	if err != nil {
		return store.Stats{}, err
	}
	if q.UsesRollups() {
		return s.statsFromRollups(ctx, &q, plan)
	}
	return s.statsFromRows(ctx, &q, plan)
}

func (s *Store) statsFromRollups(ctx context.Context, q *store.StatsQuery, plan store.StatsPlan) (store.Stats, error) {
	dims := [][]byte{b(q.By)}
	tagged := strings.HasPrefix(q.By, store.DimTagPrefix)
	if tagged {
		dims = append(dims, b(store.DimAll))
	}
	var rowsBy, all map[store.RollupKey]*store.StatsAgg
	// One statement: the tag dimension's "" group (total minus the tagged
	// groups) needs both dimensions from one snapshot.
	sql := `SELECT dim, hour, key, agg FROM ` + s.q + `.stats_rollups
		WHERE repo = $1 AND dim = ANY($2::bytea[]) AND hour >= $3 AND hour < $4`
	err := s.retry.do(ctx, "query_stats", func(ctx context.Context) error {
		rowsBy, all = map[store.RollupKey]*store.StatsAgg{}, map[store.RollupKey]*store.StatsAgg{}
		rows, err := s.pool.Query(ctx, sql, b(q.Repo), dims, store.HourOf(plan.From), store.HourOf(plan.End))
		if err != nil {
			return fmt.Errorf("pgstore: read stats rollups: %w", err)
		}
		defer rows.Close()
		var dim, key, agg []byte
		var hour int64
		for rows.Next() {
			if err := rows.Scan(&dim, &hour, &key, &agg); err != nil {
				return fmt.Errorf("pgstore: read stats rollups: %w", err)
			}
			a, err := store.DecodeStatsAgg(agg)
			if err != nil {
				return fmt.Errorf("pgstore: decode stats rollup: %w", err)
			}
			k := store.RollupKey{Dim: string(dim), Hour: hour, Key: string(key)}
			if tagged && bytes.Equal(dim, dims[1]) {
				all[k] = &a
			} else {
				rowsBy[k] = &a
			}
		}
		return rows.Err()
	})
	if err != nil {
		return store.Stats{}, err
	}
	return store.BuildStats(q, plan, store.RollupGroups(q, plan, rowsBy, all)), nil
}

// statsFromRows scans the stats records of the trace rows that started in
// the plan's scan range and match the filters: O(matching traces).
func (s *Store) statsFromRows(ctx context.Context, q *store.StatsQuery, plan store.StatsPlan) (store.Stats, error) {
	tq := q.TraceQuery
	tq.InactiveBefore = time.Time{}
	tq.From, tq.To = plan.ScanRange()
	var w where
	w.traceFilters(&tq)
	w.add("stats IS NOT NULL")
	sql := `SELECT stats FROM ` + s.q + `.trace_summaries` + w.String()
	var res store.Stats
	err := s.retry.do(ctx, "query_stats", func(ctx context.Context) error {
		sc := store.NewStatsScanner(q, plan)
		rows, err := s.pool.Query(ctx, sql, w.args...)
		if err != nil {
			return fmt.Errorf("pgstore: stats scan: %w", err)
		}
		defer rows.Close()
		var rec []byte
		for rows.Next() {
			if err := rows.Scan(&rec); err != nil {
				return fmt.Errorf("pgstore: stats scan: %w", err)
			}
			r, err := store.DecodeStatsRecord(rec)
			if err != nil {
				return fmt.Errorf("pgstore: decode stats record: %w", err)
			}
			sc.Add(&r)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("pgstore: stats scan: %w", err)
		}
		res = sc.Result()
		return nil
	})
	return res, err
}
