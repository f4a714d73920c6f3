package pebblestore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// Stats (store.StatsQuery) on Pebble.
//
// Each trace row has its stats record beside it (x <repo> <trace id>,
// store.EncodeStatsRecord: the row's generation rows and the fields its
// contribution depends on, bytes exact) and every trace row that has them contributes to the hourly
// rollups (r <repo> <dim> <hour> <key>, store.StatsAgg binary), one per
// dimension ("", model, name, tag:<key>), hour and group key.
//
// Invariant: for every rollup key, its value is the sum of
// store.TraceRollup over the stored trace rows that have an x entry. It
// holds because every write of a trace row — PutTraceSummaries replacing a
// row, Delete removing one — happens under summaryMu, in one indexed batch
// that reads the row it replaces (and its x entry) through the batch,
// subtracts that row's contribution, adds the new one and commits rows,
// x entries and rollups atomically. A stale row (revision not higher) is
// skipped before any of that, so a trace is never counted twice. Rows
// written before stats existed have no x entry and contribute nothing
// until the indexer rewrites them.

// rollupDeltas accumulates one batch's rollup changes per repo and key.
type rollupDeltas map[string]map[store.RollupKey]*store.StatsAgg

func (d rollupDeltas) of(repo string) map[store.RollupKey]*store.StatsAgg {
	m := d[repo]
	if m == nil {
		m = map[store.RollupKey]*store.StatsAgg{}
		d[repo] = m
	}
	return m
}

// subtractStored takes a stored row's contribution out, computed from its
// stats record (read through r; a row without one contributed nothing).
func (d rollupDeltas) subtractStored(r pebble.Reader, row *store.TraceSummary) error {
	old, found, err := getRecord(r, row.Repo, row.TraceID)
	if err != nil || !found {
		return err
	}
	store.TraceRollup(&old, -1, d.of(row.Repo))
	return nil
}

// add writes a new row's generation rows into b and adds its contribution.
func (d rollupDeltas) add(b *pebble.Batch, row *store.TraceSummary) error {
	if err := b.Set(gensKey(row.Repo, row.TraceID), store.EncodeStatsRecord(row), nil); err != nil {
		return err
	}
	store.TraceRollup(row, 1, d.of(row.Repo))
	return nil
}

// apply adds the deltas to the stored rollups (read through the indexed
// batch); a rollup that drops to zero is deleted.
func (d rollupDeltas) apply(b *pebble.Batch) error {
	var buf []byte
	for repo, m := range d {
		for k, delta := range m {
			if delta.IsZero() {
				continue
			}
			key := rollupKey(repo, k)
			cur, err := getAgg(b, key)
			if err != nil {
				return err
			}
			cur.Merge(delta, 1)
			if cur.IsZero() {
				if err := b.Delete(key, nil); err != nil {
					return err
				}
				continue
			}
			buf = cur.AppendBinary(buf[:0])
			if err := b.Set(key, buf, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func getAgg(r pebble.Reader, key []byte) (store.StatsAgg, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return store.StatsAgg{}, nil
	}
	if err != nil {
		return store.StatsAgg{}, fmt.Errorf("pebblestore: read stats rollup: %w", err)
	}
	defer closer.Close()
	return store.DecodeStatsAgg(v)
}

func getRecord(r pebble.Reader, repo, id string) (store.TraceSummary, bool, error) {
	v, closer, err := r.Get(gensKey(repo, id))
	if errors.Is(err, pebble.ErrNotFound) {
		return store.TraceSummary{}, false, nil
	}
	if err != nil {
		return store.TraceSummary{}, false, fmt.Errorf("pebblestore: read stats record: %w", err)
	}
	defer closer.Close()
	rec, err := store.DecodeStatsRecord(v)
	if err != nil {
		return store.TraceSummary{}, false, fmt.Errorf("pebblestore: decode stats record of %s/%s: %w", repo, id, err)
	}
	return rec, true, nil
}

func getRecordByPK(r pebble.Reader, pk []byte) (store.TraceSummary, bool, error) {
	if len(pk) == 0 || pk[0] != pTrace {
		return store.TraceSummary{}, false, errCorruptKey
	}
	repo, rest, err := readString(pk[1:])
	if err != nil {
		return store.TraceSummary{}, false, err
	}
	id, _, err := readString(rest)
	if err != nil {
		return store.TraceSummary{}, false, err
	}
	return getRecord(r, repo, id)
}

// QueryStats reads the hourly rollups when they answer q (no filter, step
// a multiple of an hour) and otherwise scans the trace rows (through the
// narrowest trace index, as SearchTraces does) with their generation rows.
func (s *Store) QueryStats(ctx context.Context, q store.StatsQuery) (store.Stats, error) {
	if err := s.acquire(); err != nil {
		return store.Stats{}, err
	}
	defer s.release()
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
	// One snapshot: the tag dimension's "" group is the total minus the
	// tagged groups, which must come from the same state.
	snap := s.db.NewSnapshot()
	defer snap.Close()
	h0, h1 := store.HourOf(plan.From), store.HourOf(plan.End)
	read := func(dim string) (map[store.RollupKey]*store.StatsAgg, error) {
		prefix := rollupPrefix(q.Repo, dim)
		it, err := snap.NewIterWithContext(ctx, &pebble.IterOptions{
			LowerBound: appendU64(slices.Clone(prefix), hourKey(h0)),
			UpperBound: appendU64(slices.Clone(prefix), hourKey(h1)),
		})
		if err != nil {
			return nil, fmt.Errorf("pebblestore: read stats rollups: %w", err)
		}
		defer it.Close()
		out := map[store.RollupKey]*store.StatsAgg{}
		for ok := it.First(); ok; ok = it.Next() {
			rest := it.Key()[len(prefix):]
			if len(rest) < 8 {
				return nil, errCorruptKey
			}
			hour := int64(binary.BigEndian.Uint64(rest) ^ (1 << 63))
			key, _, err := readString(rest[8:])
			if err != nil {
				return nil, err
			}
			a, err := store.DecodeStatsAgg(it.Value())
			if err != nil {
				return nil, err
			}
			out[store.RollupKey{Dim: dim, Hour: hour, Key: key}] = &a
		}
		if err := it.Error(); err != nil {
			return nil, fmt.Errorf("pebblestore: read stats rollups: %w", err)
		}
		return out, nil
	}
	rows, err := read(q.By)
	if err != nil {
		return store.Stats{}, err
	}
	var all map[store.RollupKey]*store.StatsAgg
	if strings.HasPrefix(q.By, store.DimTagPrefix) {
		if all, err = read(store.DimAll); err != nil {
			return store.Stats{}, err
		}
	}
	return store.BuildStats(q, plan, store.RollupGroups(q, plan, rows, all)), nil
}

// statsFromRows scans the trace rows that started in the plan's scan
// range and match the filters: O(matching traces), slower than rollups.
func (s *Store) statsFromRows(ctx context.Context, q *store.StatsQuery, plan store.StatsPlan) (store.Stats, error) {
	tq := q.TraceQuery
	tq.Sort, tq.Cursor, tq.InactiveBefore = store.SortStart, "", time.Time{}
	tq.From, tq.To = plan.ScanRange()
	prefix := chooseTraceIndex(&tq)
	lower, upper, err := scanBounds(prefix, tq.From, tq.To, "")
	if err != nil {
		return store.Stats{}, err
	}
	snap := s.db.NewSnapshot()
	defer snap.Close()
	it, err := snap.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return store.Stats{}, fmt.Errorf("pebblestore: stats scan: %w", err)
	}
	defer it.Close()
	sc := store.NewStatsScanner(q, plan)
	var proj projection
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return store.Stats{}, err
			}
		}
		if err := decodeProjection(it.Value(), &proj); err != nil {
			return store.Stats{}, err
		}
		if !proj.match(&tq) {
			continue
		}
		// The primary key is 't' repo id; the stats record sits under
		// the same components.
		rec, found, err := getRecordByPK(snap, proj.pk)
		if err != nil {
			return store.Stats{}, err
		}
		if !found {
			continue // written before stats: not counted until re-indexed
		}
		sc.Add(&rec)
	}
	if err := it.Error(); err != nil {
		return store.Stats{}, fmt.Errorf("pebblestore: stats scan: %w", err)
	}
	return sc.Result(), nil
}
