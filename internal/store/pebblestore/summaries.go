package pebblestore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// The two summary tables, traces and sessions, are stored alike: the row
// under its primary key (t or s <repo> <id>) as its JSON plus its revision
// as "rev" (which the public JSON omits), and one entry per secondary index
// key. A summaryTable says what differs between them; putSummaries,
// summaryTable.get, summaryTable.delete and searchIndex are the one
// implementation of upsert, read, delete and search for both.
type summaryTable[R store.SummaryRow] struct {
	what      string // "trace" or "session", in errors
	key       func(repo, id string) []byte
	indexKeys func(*R) [][]byte
	// entry is the value of each index entry of a row stored at pk.
	entry func(pk []byte, r *R) []byte
	// stored is the form of r that is encoded as JSON; decode reverses it
	// and sets the row's Revision.
	stored func(r *R) any
	decode func(v []byte) (R, error)
	// added and removed keep the stats rollups of a row written or taken
	// out (stats.go), dropped deletes what added wrote beside a row that
	// is deleted (a replaced row's is overwritten); nil for sessions.
	added, removed, dropped func(b *pebble.Batch, d rollupDeltas, r *R) error
}

type traceRow struct {
	store.TraceSummary
	Rev int64 `json:"rev"`
}

type sessionRow struct {
	store.SessionSummary
	Rev int64 `json:"rev"`
}

var traceTable = summaryTable[store.TraceSummary]{
	what:      "trace",
	key:       traceKey,
	indexKeys: traceIndexKeys,
	entry:     encodeProjection,
	stored:    func(r *store.TraceSummary) any { return traceRow{*r, r.Revision} },
	decode: func(v []byte) (store.TraceSummary, error) {
		var row traceRow
		err := json.Unmarshal(v, &row)
		row.Revision = row.Rev
		return row.TraceSummary, err
	},
	added:   func(b *pebble.Batch, d rollupDeltas, r *store.TraceSummary) error { return d.add(b, r) },
	removed: func(b *pebble.Batch, d rollupDeltas, r *store.TraceSummary) error { return d.subtractStored(b, r) },
	dropped: func(b *pebble.Batch, _ rollupDeltas, r *store.TraceSummary) error {
		return b.Delete(gensKey(r.Repo, r.TraceID), nil)
	},
}

var sessionTable = summaryTable[store.SessionSummary]{
	what:      "session",
	key:       sessionKey,
	indexKeys: sessionIndexKeys,
	entry:     func(pk []byte, _ *store.SessionSummary) []byte { return pk },
	stored:    func(r *store.SessionSummary) any { return sessionRow{*r, r.Revision} },
	decode: func(v []byte) (store.SessionSummary, error) {
		var row sessionRow
		err := json.Unmarshal(v, &row)
		row.Revision = row.Rev
		return row.SessionSummary, err
	},
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

// PutTraceSummaries upserts rows by store.Supersedes, with their stats
// records and rollups in the same batch.
func (s *Store) PutTraceSummaries(ctx context.Context, rows []store.TraceSummary) error {
	return putSummaries(ctx, s, &traceTable, rows)
}

// PutSessionSummaries upserts session rows by store.Supersedes.
func (s *Store) PutSessionSummaries(ctx context.Context, rows []store.SessionSummary) error {
	return putSummaries(ctx, s, &sessionTable, rows)
}

// putSummaries upserts rows into t by store.Supersedes. The batch is
// indexed, so a key listed twice in rows is read back as written by the
// first.
func putSummaries[R store.SummaryRow](ctx context.Context, s *Store, t *summaryTable[R], rows []R) error {
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
		k, rev := store.KeyOf(r)
		old, found, err := t.get(b, t.key(k.Repo, k.ID))
		if err != nil {
			return err
		}
		keys := t.indexKeys(r)
		if found {
			if _, oldRev := store.KeyOf(&old); !store.Supersedes(rev, oldRev) {
				continue
			}
			// The entries the new row keeps are overwritten by put, not
			// deleted first: a re-summarized trace (new verdicts, a late
			// commit) mostly keeps its keys, and a delete and a set of
			// each was twice the batch and memtable work.
			if err := t.unindex(b, deltas, &old, keys); err != nil {
				return err
			}
		}
		if err := t.put(b, deltas, r, keys); err != nil {
			return err
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
		return fmt.Errorf("pebblestore: write %s summaries: %w", t.what, err)
	}
	return nil
}

// get reads the row stored at pk.
func (t *summaryTable[R]) get(r pebble.Reader, pk []byte) (R, bool, error) {
	var row R
	v, closer, err := r.Get(pk)
	if errors.Is(err, pebble.ErrNotFound) {
		return row, false, nil
	}
	if err != nil {
		return row, false, fmt.Errorf("pebblestore: read %s summary: %w", t.what, err)
	}
	defer closer.Close()
	if row, err = t.decode(v); err != nil {
		return row, false, fmt.Errorf("pebblestore: decode %s summary: %w", t.what, err)
	}
	return row, true, nil
}

// put adds to b the row r, its index entries (keys, its indexKeys) and
// its rollups.
func (t *summaryTable[R]) put(b *pebble.Batch, deltas rollupDeltas, r *R, keys [][]byte) error {
	if t.added != nil {
		if err := t.added(b, deltas, r); err != nil {
			return err
		}
	}
	val, err := json.Marshal(t.stored(r))
	if err != nil {
		return fmt.Errorf("pebblestore: encode %s summary: %w", t.what, err)
	}
	k, _ := store.KeyOf(r)
	pk := t.key(k.Repo, k.ID)
	if err := b.Set(pk, val, nil); err != nil {
		return err
	}
	entry := t.entry(pk, r)
	for _, k := range keys {
		if err := b.Set(k, entry, nil); err != nil {
			return err
		}
	}
	return nil
}

// unindex adds to b the deletion of a stored row's index entries except
// those in keep (the caller sets them again) and takes it out of the
// rollups; the row itself is overwritten or deleted by the caller.
func (t *summaryTable[R]) unindex(b *pebble.Batch, deltas rollupDeltas, old *R, keep [][]byte) error {
	for _, k := range t.indexKeys(old) {
		if slices.ContainsFunc(keep, func(x []byte) bool { return bytes.Equal(x, k) }) {
			continue
		}
		if err := b.Delete(k, nil); err != nil {
			return err
		}
	}
	if t.removed != nil {
		return t.removed(b, deltas, old)
	}
	return nil
}

// delete adds to b the deletion of the row (repo, id), with its index
// entries, its stats record and its contribution to the rollups (caller
// holds summaryMu; b is indexed, so a row listed twice is found once).
func (t *summaryTable[R]) delete(b *pebble.Batch, deltas rollupDeltas, repo, id string) error {
	pk := t.key(repo, id)
	old, found, err := t.get(b, pk)
	if err != nil || !found {
		return err
	}
	if err := t.unindex(b, deltas, &old, nil); err != nil {
		return err
	}
	if t.dropped != nil {
		if err := t.dropped(b, deltas, &old); err != nil {
			return err
		}
	}
	return b.Delete(pk, nil)
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
		suffix, err := decodeCursor(cursor)
		if err != nil {
			return nil, nil, err
		}
		// The smallest key after prefix+suffix.
		after := append(append(append([]byte(nil), prefix...), suffix...), 0)
		if bytes.Compare(after, lower) > 0 {
			lower = after
		}
	}
	return lower, upper, nil
}

// decodeCursor reads a cursor: the base64 of the last entry's key after
// the scanned prefix, which is one or two 8-byte numbers followed by string
// components (appendString, appendDescString), so it is at least 10 bytes
// and ends with a string's terminator. Anything else was not issued here,
// and is refused rather than used as a position to scan from.
func decodeCursor(cursor string) ([]byte, error) {
	suffix, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, fmt.Errorf("pebblestore: bad cursor: %w", err)
	}
	n := len(suffix)
	if n < 10 || !(suffix[n-2] == 0 && suffix[n-1] == 1 || suffix[n-2] == 0xff && suffix[n-1] == 0xfe) {
		return nil, errors.New("pebblestore: bad cursor: not a position this store issued")
	}
	return suffix, nil
}

// SearchTraces scans the chosen index newest first, checks the remaining
// filters on the projection stored in each entry (projection.go), loads the
// rows that match, and stops one match past the page to know whether there
// is a next page. The JSON row itself is stored once, however many indexes
// list it.
func (s *Store) SearchTraces(ctx context.Context, q store.TraceQuery) (store.TracePage, error) {
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
	var proj projection
	rows, next, err := searchIndex(ctx, s, &traceTable, prefix, from, to, q.Cursor, q.Limit,
		func(entry []byte) ([]byte, error) {
			if err := decodeProjection(entry, &proj); err != nil || !proj.match(&q) {
				return nil, err
			}
			return proj.pk, nil
		}, func(*store.TraceSummary) bool { return true })
	return store.TracePage{Traces: rows, NextCursor: next}, err
}

// SearchSessions pages through sessions newest start first.
func (s *Store) SearchSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error) {
	prefix := []byte{pSessionAll}
	if q.Repo != "" {
		prefix = appendString([]byte{pSessionIdx}, q.Repo)
	}
	rows, next, err := searchIndex(ctx, s, &sessionTable, prefix, q.From, q.To, q.Cursor, q.Limit,
		func(entry []byte) ([]byte, error) { return entry, nil },
		func(r *store.SessionSummary) bool { return store.InRange(r.Start, q.From, q.To) })
	return store.SessionPage{Sessions: rows, NextCursor: next}, err
}

// searchIndex pages through the index entries under prefix whose start is
// in [from, to), after the cursor, in key order. pkOf returns the primary
// key of an entry's row, or nil when the entry does not match; match checks
// the loaded row. A row deleted between reading its entry and the row (the
// scan holds no snapshot) is skipped. The page ends one match past limit,
// and the next page's cursor is the key of the page's last entry after
// prefix.
func searchIndex[R store.SummaryRow](ctx context.Context, s *Store, t *summaryTable[R], prefix []byte, from, to time.Time, cursor string, limit int,
	pkOf func(entry []byte) ([]byte, error), match func(*R) bool) ([]R, string, error) {
	if err := s.acquire(); err != nil {
		return nil, "", err
	}
	defer s.release()
	lower, upper, err := scanBounds(prefix, from, to, cursor)
	if err != nil {
		return nil, "", err
	}
	limit = store.PageLimit(limit)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, "", fmt.Errorf("pebblestore: search %ss: %w", t.what, err)
	}
	defer it.Close()
	rows := []R{}
	next := ""
	var lastKey []byte
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, "", err
			}
		}
		pk, err := pkOf(it.Value())
		if err != nil {
			return nil, "", err
		}
		if pk == nil {
			continue
		}
		row, found, err := t.get(s.db, pk)
		if err != nil {
			return nil, "", err
		}
		if !found || !match(&row) {
			continue
		}
		if len(rows) == limit {
			next = base64.RawURLEncoding.EncodeToString(lastKey[len(prefix):])
			break
		}
		rows = append(rows, row)
		lastKey = append(lastKey[:0], it.Key()...)
	}
	if err := it.Error(); err != nil {
		return nil, "", fmt.Errorf("pebblestore: search %ss: %w", t.what, err)
	}
	return rows, next, nil
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
