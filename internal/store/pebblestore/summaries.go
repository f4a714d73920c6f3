package pebblestore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// traceRow is the stored form of a trace summary: the row plus its revision
// (which the public JSON form omits).
type traceRow struct {
	store.TraceSummary
	Rev int64 `json:"rev"`
}

type sessionRow struct {
	store.SessionSummary
	Rev int64 `json:"rev"`
}

// traceIndexKeys returns every secondary index key of a row. Each index is
// (repo, field…, inverted start, trace id) so that a filter on one of the
// indexed fields is a newest-first range scan of exactly the matching rows.
// The value of an index entry is the row's primary key.
func traceIndexKeys(r *store.TraceSummary) [][]byte {
	suffix := appendDescString(appendU64(nil, invTime(r.Start)), r.TraceID)
	base := func(kind byte) []byte {
		return appendString([]byte{pTraceIdx, kind}, r.Repo)
	}
	keys := [][]byte{
		append(base(ixTime), suffix...),
		appendString(appendDescString(appendU64([]byte{pTraceAll}, invTime(r.Start)), r.TraceID), r.Repo),
	}
	keys = append(keys, appendString(appendString(appendU64([]byte{pIdle}, activityKey(r.LastActivity)), r.Repo), r.TraceID))
	if r.SessionID != "" {
		keys = append(keys, append(appendString(base(ixSession), r.SessionID), suffix...))
	}
	if r.Name != "" {
		keys = append(keys, append(appendString(base(ixName), r.Name), suffix...))
	}
	for k, v := range r.Tags {
		keys = append(keys, append(appendString(appendString(base(ixTag), k), v), suffix...))
	}
	seen := map[string]bool{}
	for _, m := range r.Models {
		if m == "" || seen[m] {
			continue
		}
		seen[m] = true
		keys = append(keys, append(appendString(base(ixModel), m), suffix...))
	}
	if r.Error {
		keys = append(keys, append(base(ixError), suffix...))
	}
	keys = append(keys, append(appendU64(base(ixCost), invCost(r.Cost)), suffix...))
	return keys
}

func sessionIndexKeys(r *store.SessionSummary) [][]byte {
	return [][]byte{
		appendDescString(appendU64(appendString([]byte{pSessionIdx}, r.Repo), invTime(r.Start)), r.SessionID),
		appendString(appendDescString(appendU64([]byte{pSessionAll}, invTime(r.Start)), r.SessionID), r.Repo),
	}
}

// PutTraceSummaries upserts rows by store.Supersedes. The batch is indexed,
// so a key listed twice in rows is read back as written by the first.
func (s *Store) PutTraceSummaries(ctx context.Context, rows []store.TraceSummary) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if len(rows) == 0 {
		return nil
	}
	s.summaryMu.Lock()
	defer s.summaryMu.Unlock()
	b := s.db.NewIndexedBatch()
	defer b.Close()
	deltas := rollupDeltas{}
	for i := range rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := &rows[i]
		old, found, err := getTraceRow(b, r.Repo, r.TraceID)
		if err != nil {
			return err
		}
		if found {
			if !store.Supersedes(r.Revision, old.Rev) {
				continue
			}
			for _, k := range traceIndexKeys(&old.TraceSummary) {
				if err := b.Delete(k, nil); err != nil {
					return err
				}
			}
			if err := deltas.subtractStored(b, &old.TraceSummary); err != nil {
				return err
			}
		}
		if err := deltas.add(b, r); err != nil {
			return err
		}
		val, err := json.Marshal(traceRow{TraceSummary: *r, Rev: r.Revision})
		if err != nil {
			return fmt.Errorf("pebblestore: encode trace summary: %w", err)
		}
		pk := traceKey(r.Repo, r.TraceID)
		if err := b.Set(pk, val, nil); err != nil {
			return err
		}
		proj := encodeProjection(pk, r)
		for _, k := range traceIndexKeys(r) {
			if err := b.Set(k, proj, nil); err != nil {
				return err
			}
		}
	}
	if err := deltas.apply(b); err != nil {
		return err
	}
	// Summary rows are derived data: the indexer rebuilds them from the
	// change log after a crash, and its next SetIndexCheckpoint (synced)
	// flushes the write-ahead log up to and including this batch. So no
	// fsync of its own.
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("pebblestore: write trace summaries: %w", err)
	}
	return nil
}

func getTraceRow(r pebble.Reader, repo, id string) (traceRow, bool, error) {
	var row traceRow
	v, closer, err := r.Get(traceKey(repo, id))
	if errors.Is(err, pebble.ErrNotFound) {
		return row, false, nil
	}
	if err != nil {
		return row, false, fmt.Errorf("pebblestore: read trace summary: %w", err)
	}
	defer closer.Close()
	if err := json.Unmarshal(v, &row); err != nil {
		return row, false, fmt.Errorf("pebblestore: decode trace summary: %w", err)
	}
	row.Revision = row.Rev
	return row, true, nil
}

func getSessionRow(r pebble.Reader, repo, id string) (sessionRow, bool, error) {
	var row sessionRow
	v, closer, err := r.Get(sessionKey(repo, id))
	if errors.Is(err, pebble.ErrNotFound) {
		return row, false, nil
	}
	if err != nil {
		return row, false, fmt.Errorf("pebblestore: read session summary: %w", err)
	}
	defer closer.Close()
	if err := json.Unmarshal(v, &row); err != nil {
		return row, false, fmt.Errorf("pebblestore: decode session summary: %w", err)
	}
	row.Revision = row.Rev
	return row, true, nil
}

// deleteTraceRow deletes a trace summary, its index entries and its
// generation rows, and takes its contribution out of the rollups (caller
// holds summaryMu; b is indexed, so a trace listed twice is found once).
func (s *Store) deleteTraceRow(b *pebble.Batch, deltas rollupDeltas, repo, id string) error {
	old, found, err := getTraceRow(b, repo, id)
	if err != nil || !found {
		return err
	}
	for _, k := range traceIndexKeys(&old.TraceSummary) {
		if err := b.Delete(k, nil); err != nil {
			return err
		}
	}
	if err := deltas.subtractStored(b, &old.TraceSummary); err != nil {
		return err
	}
	if err := b.Delete(gensKey(repo, id), nil); err != nil {
		return err
	}
	return b.Delete(traceKey(repo, id), nil)
}

func (s *Store) deleteSessionRow(b *pebble.Batch, repo, id string) error {
	old, found, err := getSessionRow(s.db, repo, id)
	if err != nil || !found {
		return err
	}
	for _, k := range sessionIndexKeys(&old.SessionSummary) {
		if err := b.Delete(k, nil); err != nil {
			return err
		}
	}
	return b.Delete(sessionKey(repo, id), nil)
}

// PutSessionSummaries upserts session rows by store.Supersedes.
func (s *Store) PutSessionSummaries(ctx context.Context, rows []store.SessionSummary) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if len(rows) == 0 {
		return nil
	}
	s.summaryMu.Lock()
	defer s.summaryMu.Unlock()
	b := s.db.NewIndexedBatch()
	defer b.Close()
	for i := range rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := &rows[i]
		old, found, err := getSessionRow(b, r.Repo, r.SessionID)
		if err != nil {
			return err
		}
		if found {
			if !store.Supersedes(r.Revision, old.Rev) {
				continue
			}
			for _, k := range sessionIndexKeys(&old.SessionSummary) {
				if err := b.Delete(k, nil); err != nil {
					return err
				}
			}
		}
		val, err := json.Marshal(sessionRow{SessionSummary: *r, Rev: r.Revision})
		if err != nil {
			return fmt.Errorf("pebblestore: encode session summary: %w", err)
		}
		pk := sessionKey(r.Repo, r.SessionID)
		if err := b.Set(pk, val, nil); err != nil {
			return err
		}
		for _, k := range sessionIndexKeys(r) {
			if err := b.Set(k, pk, nil); err != nil {
				return err
			}
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil { // derived data; see PutTraceSummaries
		return fmt.Errorf("pebblestore: write session summaries: %w", err)
	}
	return nil
}

// chooseTraceIndex picks the index prefix whose entries are the narrowest
// superset of the matches: an exact-match field beats the time index, and
// without a repo only the global time index applies. Without statistics the
// order is a guess at selectivity: a session holds a handful of traces,
// errors are rare, then name, tag and model.
func chooseTraceIndex(q *store.TraceQuery) []byte {
	if q.Repo == "" {
		return []byte{pTraceAll}
	}
	base := func(kind byte) []byte { return appendString([]byte{pTraceIdx, kind}, q.Repo) }
	switch {
	case q.Sort == store.SortCost:
		return base(ixCost)
	case q.SessionID != "":
		return appendString(base(ixSession), q.SessionID)
	case q.ErrorOnly:
		return base(ixError)
	case q.Name != "":
		return appendString(base(ixName), q.Name)
	case len(q.Tags) > 0:
		keys := make([]string, 0, len(q.Tags))
		for k := range q.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return appendString(appendString(base(ixTag), keys[0]), q.Tags[keys[0]])
	case q.Model != "":
		return appendString(base(ixModel), q.Model)
	default:
		return base(ixTime)
	}
}

// scanBounds turns From/To and a cursor into [lower, upper) under prefix.
// Keys under every prefix continue with the 8-byte inverted start.
func scanBounds(prefix []byte, from, to time.Time, cursor string) ([]byte, []byte, error) {
	lower := append([]byte(nil), prefix...)
	upper := prefixEnd(prefix)
	if !to.IsZero() {
		// start < to  ⇔  start <= to-1ns  ⇔  inv >= inv(to-1ns)
		lower = appendU64(append([]byte(nil), prefix...), invTime(to.Add(-time.Nanosecond)))
	}
	if !from.IsZero() {
		// start >= from  ⇔  inv <= inv(from)
		if inv := invTime(from); inv < ^uint64(0) {
			upper = appendU64(append([]byte(nil), prefix...), inv+1)
		}
	}
	if cursor != "" {
		suffix, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil {
			return nil, nil, fmt.Errorf("pebblestore: bad cursor: %w", err)
		}
		// The smallest key after prefix+suffix.
		after := append(append(append([]byte(nil), prefix...), suffix...), 0)
		if bytes.Compare(after, lower) > 0 {
			lower = after
		}
	}
	return lower, upper, nil
}

// loadRow reads the summary row an index entry points to (its value is the
// row's primary key) into row.
func loadRow[T any](db *pebble.DB, pk []byte, row *T) (*T, error) {
	v, closer, err := db.Get(pk)
	if errors.Is(err, pebble.ErrNotFound) {
		// Deleted between reading the index entry and the row (the scan
		// does not hold a snapshot): skip it.
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pebblestore: read summary row: %w", err)
	}
	defer closer.Close()
	if err := json.Unmarshal(v, row); err != nil {
		return nil, fmt.Errorf("pebblestore: decode summary row: %w", err)
	}
	return row, nil
}

// SearchTraces scans the chosen index newest first, checks the remaining
// filters on the projection stored in each entry (projection.go), loads the
// rows that match, and stops one match past the page to know whether there
// is a next page. The JSON row itself is stored once, however many indexes
// list it.
func (s *Store) SearchTraces(ctx context.Context, q store.TraceQuery) (store.TracePage, error) {
	if err := s.acquire(); err != nil {
		return store.TracePage{}, err
	}
	defer s.release()
	if err := store.CheckSort(&q); err != nil {
		return store.TracePage{}, fmt.Errorf("pebblestore: %w", err)
	}
	prefix := chooseTraceIndex(&q)
	from, to := q.From, q.To
	if q.Sort == store.SortCost {
		// The cost index is not in time order: the time range is checked
		// on the projection instead of bounding the scan.
		from, to = time.Time{}, time.Time{}
	}
	lower, upper, err := scanBounds(prefix, from, to, q.Cursor)
	if err != nil {
		return store.TracePage{}, err
	}
	limit := store.PageLimit(q.Limit)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return store.TracePage{}, fmt.Errorf("pebblestore: search traces: %w", err)
	}
	defer it.Close()
	page := store.TracePage{Traces: []store.TraceSummary{}}
	var lastKey []byte
	var proj projection
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return store.TracePage{}, err
			}
		}
		if err := decodeProjection(it.Value(), &proj); err != nil {
			return store.TracePage{}, err
		}
		if !proj.match(&q) {
			continue
		}
		row, err := loadRow(s.db, proj.pk, &traceRow{})
		if err != nil {
			return store.TracePage{}, err
		}
		if row == nil {
			continue
		}
		if len(page.Traces) == limit {
			page.NextCursor = base64.RawURLEncoding.EncodeToString(lastKey[len(prefix):])
			break
		}
		row.Revision = row.Rev
		page.Traces = append(page.Traces, row.TraceSummary)
		lastKey = append(lastKey[:0], it.Key()...)
	}
	if err := it.Error(); err != nil {
		return store.TracePage{}, fmt.Errorf("pebblestore: search traces: %w", err)
	}
	return page, nil
}

// SearchSessions pages through sessions newest start first.
func (s *Store) SearchSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error) {
	if err := s.acquire(); err != nil {
		return store.SessionPage{}, err
	}
	defer s.release()
	prefix := []byte{pSessionAll}
	if q.Repo != "" {
		prefix = appendString([]byte{pSessionIdx}, q.Repo)
	}
	lower, upper, err := scanBounds(prefix, q.From, q.To, q.Cursor)
	if err != nil {
		return store.SessionPage{}, err
	}
	limit := store.PageLimit(q.Limit)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return store.SessionPage{}, fmt.Errorf("pebblestore: search sessions: %w", err)
	}
	defer it.Close()
	page := store.SessionPage{Sessions: []store.SessionSummary{}}
	var lastKey []byte
	for ok := it.First(); ok; ok = it.Next() {
		row, err := loadRow(s.db, it.Value(), &sessionRow{})
		if err != nil {
			return store.SessionPage{}, err
		}
		if row == nil {
			continue
		}
		if (!q.From.IsZero() && row.Start.Before(q.From)) || (!q.To.IsZero() && !row.Start.Before(q.To)) {
			continue
		}
		if len(page.Sessions) == limit {
			page.NextCursor = base64.RawURLEncoding.EncodeToString(lastKey[len(prefix):])
			break
		}
		row.Revision = row.Rev
		page.Sessions = append(page.Sessions, row.SessionSummary)
		lastKey = append(lastKey[:0], it.Key()...)
	}
	if err := it.Error(); err != nil {
		return store.SessionPage{}, fmt.Errorf("pebblestore: search sessions: %w", err)
	}
	return page, nil
}

// activityKey orders last-activity times ascending; the zero time and
// pre-epoch times sort first (they are the most idle).
func activityKey(t time.Time) uint64 {
	if t.IsZero() || t.Before(time.Unix(0, 0)) {
		return 0
	}
	return uint64(t.UnixNano())
}

// IdleTraces returns up to limit traces whose LastActivity is before
// before, most idle first: an optional capability (not in store.Backend)
// that lets retention find expired traces in a range scan of the activity
// index instead of a filtered walk of the newest-first time index.
func (s *Store) IdleTraces(ctx context.Context, before time.Time, limit int) ([]commit.NodeRef, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	upper := appendU64([]byte{pIdle}, activityKey(before))
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{pIdle}, UpperBound: upper})
	if err != nil {
		return nil, fmt.Errorf("pebblestore: idle traces: %w", err)
	}
	defer it.Close()
	var out []commit.NodeRef
	var proj projection
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		if err := decodeProjection(it.Value(), &proj); err != nil {
			return nil, err
		}
		rest := proj.pk[1:] // primary key: 't' repo id
		repo, rest, err := readString(rest)
		if err != nil {
			return nil, err
		}
		id, _, err := readString(rest)
		if err != nil {
			return nil, err
		}
		out = append(out, commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: id})
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("pebblestore: idle traces: %w", err)
	}
	return out, nil
}
