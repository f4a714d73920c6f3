package pgstore

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
)

func traceRow(repo, id string, start time.Time, rev int64) store.TraceSummary {
	return store.TraceSummary{
		Repo: repo, TraceID: id, Name: "chat", Start: start, End: start.Add(1500 * time.Millisecond),
		DurationMs: 1500, InputTokens: 10, OutputTokens: 20, TotalTokens: 30, Cost: 0.25,
		Counts: map[string]int{"generation": 1}, Tags: map[string]string{"env": "prod"},
		Models: []string{"gpt-4o"}, LastActivity: start.Add(2 * time.Second), Revision: rev,
	}
}

func TestTraceSummaryRevisionGuard(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	start := time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC)
	r2 := traceRow("r", "t", start, 2)
	r2.Name = "second"
	r1 := traceRow("r", "t", start, 1)
	r1.Name = "first"
	r2b := r2
	r2b.Name = "same revision"
	if err := s.PutTraceSummaries(ctx, []store.TraceSummary{r2}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutTraceSummaries(ctx, []store.TraceSummary{r1, r2b}); err != nil {
		t.Fatal(err)
	}
	page, err := s.SearchTraces(ctx, store.TraceQuery{Repo: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Traces) != 1 || !reflect.DeepEqual(page.Traces[0], r2) {
		t.Fatalf("got %+v\nwant %+v", page.Traces, r2)
	}
	r3 := traceRow("r", "t", start, 3)
	r3.Name = "third"
	r3.Error = true
	if err := s.PutTraceSummaries(ctx, []store.TraceSummary{r3}); err != nil {
		t.Fatal(err)
	}
	page, err = s.SearchTraces(ctx, store.TraceQuery{Repo: "r", Name: "third", ErrorOnly: true})
	if err != nil || len(page.Traces) != 1 || page.Traces[0].Revision != 3 {
		t.Fatalf("higher revision not applied: %+v %v", page, err)
	}
}

// TestSearchTracesMatchesReference fills pgstore and memstore with the same
// rows and checks that every filter and the paging agree with the
// reference implementation.
func TestSearchTracesMatchesReference(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ref := memstore.New()
	ctx := context.Background()
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var rows []store.TraceSummary
	for i := range 60 {
		repo := "r"
		if i%7 == 0 {
			repo = "other"
		}
		// Every third row shares a start time with its neighbour, so the
		// id tie-break and the cursor over ties are exercised.
		r := traceRow(repo, fmt.Sprintf("t%02d", i), base.Add(time.Duration(i/3)*time.Minute), 1)
		r.SessionID = fmt.Sprintf("s%d", i%4)
		r.Name = []string{"chat", "agent", "rag"}[i%3]
		r.Tags = map[string]string{"env": []string{"prod", "dev"}[i%2], "team": fmt.Sprint(i % 3)}
		r.Models = []string{[]string{"gpt-4o", "claude"}[i%2], "embed"}
		r.Error = i%5 == 0
		r.DurationMs = float64(i * 100)
		r.LastActivity = base.Add(time.Duration(i) * time.Hour)
		rows = append(rows, r)
	}
	if err := s.PutTraceSummaries(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if err := ref.PutTraceSummaries(ctx, rows); err != nil {
		t.Fatal(err)
	}
	queries := []store.TraceQuery{
		{},
		{Repo: "r"},
		{Repo: "r", From: base.Add(3 * time.Minute), To: base.Add(10 * time.Minute)},
		{Repo: "r", SessionID: "s1"},
		{Repo: "r", Name: "agent"},
		{Repo: "r", Tags: map[string]string{"env": "prod", "team": "1"}},
		{Repo: "r", Model: "claude"},
		{Repo: "r", Model: "embed", ErrorOnly: true},
		{Repo: "r", MinDuration: 2500 * time.Millisecond},
		{Repo: "r", InactiveBefore: base.Add(20 * time.Hour)},
		{Repo: "other", Tags: map[string]string{"env": "dev"}},
	}
	for qi, q := range queries {
		for _, limit := range []int{0, 4} {
			q.Limit = limit
			got := collectTraces(t, q, s.SearchTraces)
			want := collectTraces(t, q, ref.SearchTraces)
			if len(want) == 0 && qi != 10 {
				t.Fatalf("query %d matches nothing in the reference; the test data is wrong", qi)
			}
			if !reflect.DeepEqual(ids(got), ids(want)) {
				t.Errorf("query %d limit %d:\n got %v\nwant %v", qi, limit, ids(got), ids(want))
			}
		}
	}
	got := collectTraces(t, store.TraceQuery{Repo: "r"}, s.SearchTraces)
	want := collectTraces(t, store.TraceQuery{Repo: "r"}, ref.SearchTraces)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows differ from the reference")
	}
	if _, err := s.SearchTraces(ctx, store.TraceQuery{Cursor: "not a cursor!"}); err == nil {
		t.Error("bad cursor accepted")
	}
}

func collectTraces(t *testing.T, q store.TraceQuery, search func(context.Context, store.TraceQuery) (store.TracePage, error)) []store.TraceSummary {
	t.Helper()
	var out []store.TraceSummary
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		p, err := search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if q.Limit > 0 && len(p.Traces) > q.Limit {
			t.Fatalf("page of %d rows exceeds limit %d", len(p.Traces), q.Limit)
		}
		out = append(out, p.Traces...)
		if p.NextCursor == "" {
			return out
		}
		q.Cursor = p.NextCursor
	}
}

func ids(rows []store.TraceSummary) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Repo + "/" + r.TraceID
	}
	return out
}

func TestSessionSummaries(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ref := memstore.New()
	ctx := context.Background()
	base := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var rows []store.SessionSummary
	for i := range 9 {
		rows = append(rows, store.SessionSummary{
			Repo: "r", SessionID: fmt.Sprintf("s%d", i), Name: "n", Start: base.Add(time.Duration(i/2) * time.Hour),
			TraceCount: i, TotalTokens: int64(i * 10), Tags: map[string]string{"k": "v"}, LastActivity: base, Revision: 5,
		})
	}
	stale := rows[0]
	stale.Revision = 4
	stale.Name = "stale"
	for _, b := range []interface {
		PutSessionSummaries(context.Context, []store.SessionSummary) error
	}{s, ref} {
		if err := b.PutSessionSummaries(ctx, rows); err != nil {
			t.Fatal(err)
		}
		if err := b.PutSessionSummaries(ctx, []store.SessionSummary{stale}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []store.SessionQuery{{Repo: "r", Limit: 2}, {Repo: "r", From: base.Add(time.Hour), To: base.Add(3 * time.Hour), Limit: 1}} {
		var got, want []store.SessionSummary
		for _, x := range []struct {
			search func(context.Context, store.SessionQuery) (store.SessionPage, error)
			out    *[]store.SessionSummary
		}{{s.SearchSessions, &got}, {ref.SearchSessions, &want}} {
			q := q
			for range 20 {
				p, err := x.search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				*x.out = append(*x.out, p.Sessions...)
				if p.NextCursor == "" {
					break
				}
				q.Cursor = p.NextCursor
			}
		}
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("sessions %+v:\n got %+v\nwant %+v", q, got, want)
		}
	}
}
