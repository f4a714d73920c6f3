package pgstore

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// nanos maps a time to the sortable integer column. The zero time maps to
// 0 (time.Time's UnixNano is undefined for it).
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// PutTraceSummaries upserts rows; a stored row is replaced only by a row
// with a higher revision, so concurrent indexers on different collectors
// never move a summary back. It runs in one transaction with the stats
// rollups the rows feed (see stats.go for how that stays exact).
func (s *Store) PutTraceSummaries(ctx context.Context, rows []store.TraceSummary) error {
	if len(rows) == 0 {
		return nil
	}
	// One row per trace (the one store.Supersedes keeps), in key order:
	// the order in which the transaction locks them.
	uniq := store.NewestPerKey(rows)
	args := make([][]any, 0, len(uniq))
	repos, ids := make([][]byte, len(uniq)), make([][]byte, len(uniq))
	for i := range uniq {
		r := &uniq[i]
		doc, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("pgstore: encode trace summary %s/%s: %w", r.Repo, r.TraceID, err)
		}
		args = append(args, []any{b(r.Repo), b(r.TraceID), r.Revision, nanos(r.Start), nanos(r.LastActivity),
			r.DurationMs, b(r.Name), b(r.SessionID), r.Error, filterTags(r.Tags), filterModels(r.Models), doc,
			store.SortableCost(r.Cost), store.EncodeStatsRecord(r), filterEvals(r.Evaluations)})
		repos[i], ids[i] = b(r.Repo), b(r.TraceID)
	}
	return s.inTx(ctx, "put_trace_summaries", func(ctx context.Context, tx pgx.Tx) error {
		return s.putTraceRows(ctx, tx, uniq, args, repos, ids)
	})
}

// PutSessionSummaries upserts session rows under the same revision rule
// (store.Supersedes; the statement's WHERE excluded.revision > t.revision).
func (s *Store) PutSessionSummaries(ctx context.Context, rows []store.SessionSummary) error {
	if len(rows) == 0 {
		return nil
	}
	uniq := store.NewestPerKey(rows)
	args := make([][]any, 0, len(uniq))
	for i := range uniq {
		r := &uniq[i]
		doc, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("pgstore: encode session summary %s/%s: %w", r.Repo, r.SessionID, err)
		}
		args = append(args, []any{b(r.Repo), b(r.SessionID), r.Revision, nanos(r.Start), nanos(r.LastActivity), doc})
	}
	return s.retry.do(ctx, "put_session_summaries", func(ctx context.Context) error {
		if err := s.pool.SendBatch(ctx, queueAll(s.sql.putSessionSummary, args)).Close(); err != nil {
			return fmt.Errorf("pgstore: put %d session summaries: %w", len(rows), err)
		}
		return nil
	})
}

// queueAll builds a fresh batch per attempt: a pgx.Batch is not meant to
// be sent twice.
func queueAll(sql string, args [][]any) *pgx.Batch {
	b := &pgx.Batch{}
	for _, a := range args {
		b.Queue(sql, a...)
	}
	return b
}

// cursor is the keyset position after the last row of a page: results are
// ordered by (start desc, id desc, repo desc), the reference store's order
// (memstore) with repo as the last tie-break, so the next page starts
// strictly after it and stays stable while rows are added. It is binary
// (start, repo length, repo, id) because ids are arbitrary bytes, which
// JSON would not carry unchanged.
//
// A cost-ordered search (store.SortCost) orders by (cost desc, start desc,
// id desc, repo desc); its cursor starts with 'c' and the cost's bits.
type cursor struct {
	ByCost   bool
	Cost     float64
	Start    int64
	Repo, ID string
}

func encodeCursor(c cursor) string {
	var buf []byte
	if c.ByCost {
		buf = binary.BigEndian.AppendUint64([]byte{'c'}, math.Float64bits(c.Cost))
	}
	buf = binary.BigEndian.AppendUint64(buf, uint64(c.Start))
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(c.Repo)))
	buf = append(append(buf, c.Repo...), c.ID...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

func decodeCursor(s string, byCost bool) (cursor, error) {
	buf, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, fmt.Errorf("pgstore: invalid cursor %q", s)
	}
	var c cursor
	if byCost {
		if len(buf) < 9 || buf[0] != 'c' {
			return cursor{}, fmt.Errorf("pgstore: invalid cursor %q", s)
		}
		c.ByCost, c.Cost = true, math.Float64frombits(binary.BigEndian.Uint64(buf[1:9]))
		buf = buf[9:]
	}
	if len(buf) < 12 {
		return cursor{}, fmt.Errorf("pgstore: invalid cursor %q", s)
	}
	n := binary.BigEndian.Uint32(buf[8:12])
	if uint64(n) > uint64(len(buf)-12) {
		return cursor{}, fmt.Errorf("pgstore: invalid cursor %q", s)
	}
	c.Start = int64(binary.BigEndian.Uint64(buf[:8]))
	c.Repo, c.ID = string(buf[12:12+n]), string(buf[12+n:])
	return c, nil
}

// filterTags and filterModels make the jsonb and text[] filter columns:
// those types refuse NUL (and text refuses invalid UTF-8), which wire
// strings may hold. Such characters become U+FFFD in the filter column
// only; doc keeps the row exactly. Queries are mapped the same way, so a
// filter on such a value still matches.
func filterTags(tags map[string]string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		out[filterText(k)] = filterText(v)
	}
	return out
}

func filterModels(models []string) []string {
	out := make([]string, 0, len(models))
	for _, m := range models {
		out = append(out, filterText(m))
	}
	return out
}

// evalFilter is a verdict in the evals filter column, keyed by the
// evaluator (filterText'ed like a tag key).
type evalFilter struct {
	Failures int      `json:"f"`
	MinScore *float64 `json:"min,omitempty"`
}

func filterEvals(vs []store.EvalVerdict) map[string]evalFilter {
	out := make(map[string]evalFilter, len(vs))
	for _, v := range vs {
		out[filterText(v.Evaluator)] = evalFilter{Failures: v.Failures, MinScore: v.MinScore}
	}
	return out
}

func filterText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// where accumulates a conjunction of predicates with numbered parameters.
type where struct {
	conds []string
	args  []any
}

// add appends a predicate; each "?" in it becomes the next parameter.
func (w *where) add(pred string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		pred = strings.Replace(pred, "?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, pred)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// rangeFilters adds the filters both searches have: a repository and
// [from, to) on the start.
func (w *where) rangeFilters(repo string, from, to time.Time) {
	if repo != "" {
		w.add("repo = ?", b(repo))
	}
	if !from.IsZero() {
		w.add("start_ns >= ?", nanos(from))
	}
	if !to.IsZero() {
		w.add("start_ns < ?", nanos(to))
	}
}

// traceFilters adds every filter of q but the cursor and order (trace
// search and the stats row scan share them).
func (w *where) traceFilters(q *store.TraceQuery) {
	w.rangeFilters(q.Repo, q.From, q.To)
	if q.SessionID != "" {
		w.add("session_id = ?", b(q.SessionID))
	}
	if q.Name != "" {
		w.add("name = ?", b(q.Name))
	}
	if len(q.Tags) > 0 {
		// jsonb containment: every given key has the given value. The GIN
		// index on tags serves it.
		w.add("tags @> ?::jsonb", filterTags(q.Tags))
	}
	if q.Model != "" {
		w.add("models @> ARRAY[?::text]", filterText(q.Model))
	}
	if q.ErrorOnly {
		w.add("is_error")
	}
	if q.MinDuration > 0 {
		w.add("duration_ms >= ?", float64(q.MinDuration)/float64(time.Millisecond))
	}
	if q.MinCost > 0 {
		w.add("cost >= ?", q.MinCost)
	}
	// The eval filter (store.TraceQuery.MatchEval) on the evals column.
	if q.Eval != "" && q.EvalScoreBelow != nil {
		w.add("(evals->?->>'min')::float8 < ?", filterText(q.Eval), *q.EvalScoreBelow)
	} else if q.Eval != "" {
		w.add("(evals->?->>'f')::int8 > 0", filterText(q.Eval))
	}
	if !q.InactiveBefore.IsZero() {
		w.add("last_activity_ns < ?", nanos(q.InactiveBefore))
	}
}

// summaryTable is what the trace and session searches differ in.
type summaryTable[R store.SummaryRow] struct {
	what  string // "trace" or "session", in errors
	table string
	id    string // the id column
	// exact names further bytea columns that restore reads: doc is JSON,
	// which may have replaced invalid UTF-8 in strings, and the columns
	// hold the exact bytes.
	exact []string
	// restore sets what doc does not hold exactly: the revision and the
	// strings in cols (repo, id, then the exact columns).
	restore func(r *R, rev int64, cols [][]byte)
	// cost is a row's key in the cost order (traces only).
	cost func(*R) float64
}

var traceTable = summaryTable[store.TraceSummary]{
	what: "trace", table: "trace_summaries", id: "trace_id", exact: []string{"name", "session_id"},
	restore: func(t *store.TraceSummary, rev int64, c [][]byte) {
		t.Revision = rev
		t.Repo, t.TraceID, t.Name, t.SessionID = string(c[0]), string(c[1]), string(c[2]), string(c[3])
	},
	cost: func(t *store.TraceSummary) float64 { return store.SortableCost(t.Cost) },
}

var sessionTable = summaryTable[store.SessionSummary]{
	what: "session", table: "session_summaries", id: "session_id",
	restore: func(ss *store.SessionSummary, rev int64, c [][]byte) {
		ss.Revision = rev
		ss.Repo, ss.SessionID = string(c[0]), string(c[1])
	},
}

// SearchTraces returns the summaries matching q, newest start first, or
// most expensive first (store.SortCost).
func (s *Store) SearchTraces(ctx context.Context, q store.TraceQuery) (store.TracePage, error) {
	if err := store.CheckSort(&q); err != nil {
		return store.TracePage{}, fmt.Errorf("pgstore: %w", err)
	}
	var w where
	w.traceFilters(&q)
	rows, next, err := searchPage(ctx, s, &traceTable, &w, q.Cursor, q.Sort == store.SortCost, q.Limit)
	return store.TracePage{Traces: rows, NextCursor: next}, err
}

// SearchSessions returns the session summaries matching q, newest first.
func (s *Store) SearchSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error) {
	var w where
	w.rangeFilters(q.Repo, q.From, q.To)
	rows, next, err := searchPage(ctx, s, &sessionTable, &w, q.Cursor, false, q.Limit)
	return store.SessionPage{Sessions: rows, NextCursor: next}, err
}

// searchPage returns one page of the rows of t matching w, in keyset order
// (cost desc when byCost,) start desc, id desc, repo desc, strictly after
// the cursor, and the next page's cursor. It asks for one row past the
// page to know whether there is a next page.
func searchPage[R store.SummaryRow](ctx context.Context, s *Store, t *summaryTable[R], w *where, cur string, byCost bool, limit int) ([]R, string, error) {
	limit = store.PageLimit(limit)
	keyset := "start_ns, " + t.id + ", repo"
	if byCost {
		keyset = "cost, " + keyset
	}
	if cur != "" {
		c, err := decodeCursor(cur, byCost)
		if err != nil {
			return nil, "", err
		}
		after := "(start_ns < ? OR (start_ns = ? AND (" + t.id + ", repo) < (?, ?)))"
		if byCost {
			w.add("(cost < ? OR (cost = ? AND "+after+"))", c.Cost, c.Cost, c.Start, c.Start, b(c.ID), b(c.Repo))
		} else {
			w.add(after, c.Start, c.Start, b(c.ID), b(c.Repo))
		}
	}
	cols := append([]string{"repo", t.id}, t.exact...)
	sql := `SELECT revision, start_ns, ` + strings.Join(cols, ", ") + `, doc FROM ` + s.q + `.` + t.table + w.String() +
		` ORDER BY ` + strings.ReplaceAll(keyset, ",", " DESC,") + ` DESC LIMIT ` + strconv.Itoa(limit+1)

	var out []R
	var starts []int64
	err := s.retry.do(ctx, "search_"+t.what+"s", func(ctx context.Context) error {
		out, starts = out[:0], starts[:0]
		rows, err := s.pool.Query(ctx, sql, w.args...)
		if err != nil {
			return fmt.Errorf("pgstore: search %ss: %w", t.what, err)
		}
		defer rows.Close()
		var rev, start int64
		var doc []byte
		strs := make([][]byte, len(cols))
		dest := []any{&rev, &start}
		for i := range strs {
			dest = append(dest, &strs[i])
		}
		dest = append(dest, &doc)
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return fmt.Errorf("pgstore: scan %s summary: %w", t.what, err)
			}
			var r R
			if err := json.Unmarshal(doc, &r); err != nil {
				return fmt.Errorf("pgstore: decode %s summary: %w", t.what, err)
			}
			t.restore(&r, rev, strs)
			out = append(out, r)
			starts = append(starts, start)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("pgstore: search %ss: %w", t.what, err)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if len(out) <= limit {
		if out == nil {
			out = []R{}
		}
		return out, "", nil
	}
	out = slices.Clip(out[:limit])
	k, _ := store.KeyOf(&out[limit-1])
	c := cursor{ByCost: byCost, Start: starts[limit-1], Repo: k.Repo, ID: k.ID}
	if byCost {
		c.Cost = t.cost(&out[limit-1])
	}
	return out, encodeCursor(c), nil
}
