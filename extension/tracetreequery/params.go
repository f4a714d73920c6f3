package tracetreequery

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Query parameters: each parse function reads its parameters and returns
// a badRequest error (400) naming the parameter when one is wrong. The
// methods on api add what the parameters cannot say alone (the repository
// the caller's key may read, the server's page limit).

// httpError carries a status code from parameter checks to the handler.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{code: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// parseTime accepts RFC 3339 or unix milliseconds.
func parseTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, badRequest("%s: want RFC 3339 time or unix milliseconds, got %q", name, s)
	}
	return t, nil
}

// parseDuration accepts a Go duration ("1.5s") or plain milliseconds.
func parseDuration(name, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if ms, err := strconv.ParseFloat(s, 64); err == nil {
		if ms < 0 {
			return 0, badRequest("%s: must not be negative", name)
		}
		return time.Duration(ms * float64(time.Millisecond)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, badRequest("%s: want a duration like 250ms or milliseconds, got %q", name, s)
	}
	return d, nil
}

// parseLimit reads `limit`, capped at maxPage; 0 (absent) is the backend's
// default page size.
func parseLimit(s string, maxPage int) (int, error) {
	if s == "" {
		return 0, nil // the backend's default page size
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, badRequest("limit: want a positive integer, got %q", s)
	}
	return min(n, maxPage), nil
}

// parseRange reads `from` and `to`.
func parseRange(q url.Values) (from, to time.Time, err error) {
	if from, err = parseTime("from", q.Get("from")); err != nil {
		return
	}
	if to, err = parseTime("to", q.Get("to")); err != nil {
		return
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		err = badRequest("to must be after from")
	}
	return
}

// parseTraceFilter reads the range and trace filters that trace search and
// stats share into tq.
func parseTraceFilter(q url.Values, tq *store.TraceQuery) error {
	var err error
	if tq.From, tq.To, err = parseRange(q); err != nil {
		return err
	}
	tq.SessionID = q.Get("session")
	tq.Name = q.Get("name")
	tq.Model = q.Get("model")
	for _, t := range q["tag"] {
		k, v, ok := strings.Cut(t, ":")
		if !ok || k == "" {
			return badRequest("tag: want key:value, got %q", t)
		}
		if tq.Tags == nil {
			tq.Tags = map[string]string{}
		}
		tq.Tags[k] = v
	}
	switch s := q.Get("status"); s {
	case "", "any":
	case "error":
		tq.ErrorOnly = true
	default:
		return badRequest("status: want error or any, got %q", s)
	}
	if tq.MinDuration, err = parseDuration("min_duration", q.Get("min_duration")); err != nil {
		return err
	}
	if v := q.Get("min_cost"); v != "" {
		c, perr := strconv.ParseFloat(v, 64)
		if perr != nil || c < 0 || math.IsNaN(c) || math.IsInf(c, 0) {
			return badRequest("min_cost: want a non-negative number of USD, got %q", v)
		}
		tq.MinCost = c
	}
	tq.Eval = q.Get("eval")
	if v := q.Get("eval_score_lt"); v != "" {
		x, perr := strconv.ParseFloat(v, 64)
		if perr != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return badRequest("eval_score_lt: want a number (scores are 0..1), got %q", v)
		}
		if tq.Eval == "" {
			return badRequest("eval_score_lt needs eval=<evaluator>")
		}
		tq.EvalScoreBelow = &x
	}
	return nil
}

// parseTraceSort reads `sort`.
func parseTraceSort(s string) (store.TraceSort, error) {
	switch s {
	case "", "start":
		return "", nil
	case "cost":
		return store.SortCost, nil
	default:
		return "", badRequest("sort: want start or cost, got %q", s)
	}
}

// parseStatsParams reads `step` and `by` and fills in the default range
// (the defaultStatsRange before now) into sq, whose trace filters are read.
func parseStatsParams(q url.Values, now time.Time, sq *store.StatsQuery) error {
	sq.Step, sq.By, sq.Evaluator = defaultStatsStep, q.Get("by"), q.Get("evaluator")
	if v := q.Get("step"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return badRequest("step: want a Go duration like 1h or 15m, got %q", v)
		}
		sq.Step = d
	}
	if sq.To.IsZero() {
		sq.To = now
		if !sq.From.IsZero() && !sq.To.After(sq.From) {
			return badRequest("from must be in the past when to is not given")
		}
	}
	if sq.From.IsZero() {
		sq.From = sq.To.Add(-defaultStatsRange)
	}
	if _, err := sq.Plan(); err != nil {
		return statsBadRequest(err)
	}
	return nil
}

// validID bounds ids by the limit ingest enforces (commit.MaxIDLen), so
// every stored id is readable and no longer one is looked up.
func validID(name, id string) error {
	if id == "" || len(id) > commit.MaxIDLen {
		return badRequest("%s: must be 1-%d characters", name, commit.MaxIDLen)
	}
	return nil
}

var knownEntities = map[commit.Entity]bool{
	commit.EntitySession: true, commit.EntityTrace: true, commit.EntitySpan: true,
	commit.EntityGeneration: true, commit.EntityRetrieval: true, commit.EntityToolCall: true,
	commit.EntityError: true, commit.EntityStorage: true,
}

// parseKind reads an entity kind path segment.
func parseKind(s string) (commit.Entity, error) {
	kind := commit.Entity(s)
	if !knownEntities[kind] {
		return "", badRequest("kind: unknown entity %q", kind)
	}
	return kind, nil
}

// traceQuery reads a trace search: the trace filters plus the page.
func (a *api) traceQuery(r *http.Request) (store.TraceQuery, error) {
	tq, err := a.traceFilter(r)
	if err != nil {
		return tq, err
	}
	q := r.URL.Query()
	tq.Cursor = q.Get("cursor")
	if tq.Sort, err = parseTraceSort(q.Get("sort")); err != nil {
		return tq, err
	}
	if tq.Limit, err = parseLimit(q.Get("limit"), a.opts.maxPage); err != nil {
		return tq, err
	}
	return tq, nil
}

// traceFilter reads the repository, range and trace filters that trace
// search and stats share.
func (a *api) traceFilter(r *http.Request) (store.TraceQuery, error) {
	var tq store.TraceQuery
	var err error
	if tq.Repo, err = a.resolveRepo(r); err != nil {
		return tq, err
	}
	return tq, parseTraceFilter(r.URL.Query(), &tq)
}

// sessionQuery reads a session search: repository, range and page.
func (a *api) sessionQuery(r *http.Request) (store.SessionQuery, error) {
	var sq store.SessionQuery
	var err error
	if sq.Repo, err = a.resolveRepo(r); err != nil {
		return sq, err
	}
	q := r.URL.Query()
	if sq.From, sq.To, err = parseRange(q); err != nil {
		return sq, err
	}
	if sq.Limit, err = parseLimit(q.Get("limit"), a.opts.maxPage); err != nil {
		return sq, err
	}
	sq.Cursor = q.Get("cursor")
	return sq, nil
}

// statsQuery reads a stats request: the trace filters of a search plus
// step and by.
func (a *api) statsQuery(r *http.Request) (store.StatsQuery, error) {
	tq, err := a.traceFilter(r)
	if err != nil {
		return store.StatsQuery{}, err
	}
	sq := store.StatsQuery{TraceQuery: tq}
	return sq, parseStatsParams(r.URL.Query(), time.Now().UTC(), &sq)
}
