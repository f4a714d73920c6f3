package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// evalRows: three traces of repo with verdicts of two evaluators, and one
// of another repository. Verdicts are summarized with store.Verdicts, as
// the tree summarizer does.
func evalTraces(base time.Time) []store.TraceSummary {
	row := func(id string, start time.Time, evals ...store.EvalRow) store.TraceSummary {
		r := store.TraceSummary{Repo: repo, TraceID: id, Name: "chat", Start: start, Revision: 3,
			LastActivity: start, Counts: map[string]int{"trace": 1}, Generations: []store.GenerationRow{}, EvalRows: evals}
		r.Evaluations = store.Verdicts(evals)
		return r
	}
	v := func(evaluator, node string, at time.Time, score float64, pass bool) store.EvalRow {
		return store.EvalRow{Evaluator: evaluator, NodeID: node, Time: at, Score: score, HasScore: true, Pass: pass, HasPass: true}
	}
	rows := []store.TraceSummary{
		// a: pii failed on one of two generations; relevance 0.9.
		row("a", base,
			v("pii", "g1", base.Add(time.Minute), 0, false),
			v("pii", "g2", base.Add(time.Minute), 1, true),
			v("relevance", "g1", base.Add(2*time.Minute), 0.9, true)),
		// b: pii passed; relevance 0.4 (a fail), a judge error (no verdict).
		row("b", base.Add(time.Minute),
			v("pii", "g1", base.Add(3*time.Minute), 1, true),
			v("relevance", "g1", base.Add(3*time.Minute), 0.4, false),
			store.EvalRow{Evaluator: "faithfulness", NodeID: "g1", Time: base.Add(3 * time.Minute)}),
		// c: never evaluated.
		row("c", base.Add(2*time.Minute)),
	}
	other := row("z", base, v("pii", "g", base.Add(time.Minute), 0, false))
	other.Repo = "other-repo"
	return append(rows, other)
}

// testEvaluations: the eval search filter (store.TraceQuery.MatchEval) and
// the evaluation counts of a stats query naming an evaluator, bucketed by
// evaluation time.
func testEvaluations(t *testing.T, b store.Backend) {
	ctx := context.Background()
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if err := b.PutTraceSummaries(ctx, evalTraces(base)); err != nil {
		t.Fatal(err)
	}
	f := func(x float64) *float64 { return &x }
	for _, tc := range []struct {
		name string
		q    store.TraceQuery
		want []string
	}{
		{"pii failed", store.TraceQuery{Eval: "pii"}, []string{"a"}},
		{"relevance failed", store.TraceQuery{Eval: "relevance"}, []string{"b"}},
		{"relevance below 0.5", store.TraceQuery{Eval: "relevance", EvalScoreBelow: f(0.5)}, []string{"b"}},
		{"relevance below 0.9 is strict", store.TraceQuery{Eval: "relevance", EvalScoreBelow: f(0.9)}, []string{"b"}},
		{"relevance below 1", store.TraceQuery{Eval: "relevance", EvalScoreBelow: f(1)}, []string{"b", "a"}},
		{"pii min score", store.TraceQuery{Eval: "pii", EvalScoreBelow: f(0.5)}, []string{"a"}},
		{"errored evaluator never matches", store.TraceQuery{Eval: "faithfulness"}, nil},
		{"unknown evaluator", store.TraceQuery{Eval: "nope"}, nil},
		{"with other filters", store.TraceQuery{Eval: "pii", Name: "chat", From: base.Add(time.Second)}, nil},
		{"by cost order", store.TraceQuery{Eval: "relevance", EvalScoreBelow: f(1), Sort: store.SortCost}, []string{"b", "a"}},
	} {
		tc.q.Repo = repo
		p, err := b.SearchTraces(ctx, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []string
		for _, r := range p.Traces {
			got = append(got, r.TraceID)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v want %v", tc.name, got, tc.want)
		}
	}
	// The row's verdicts come back as written.
	p, err := b.SearchTraces(ctx, store.TraceQuery{Repo: repo, Eval: "pii"})
	if err != nil || len(p.Traces) != 1 {
		t.Fatalf("search: %v %+v", err, p)
	}
	if got, want := p.Traces[0].Evaluations, evalTraces(base)[0].Evaluations; !reflect.DeepEqual(got, want) {
		t.Errorf("verdicts: got %+v want %+v", got, want)
	}

	// Stats: the window [base, base+3m) holds a's verdicts (minute 1 and 2)
	// but not b's (minute 3).
	q := store.StatsQuery{TraceQuery: store.TraceQuery{Repo: repo, From: base, To: base.Add(3 * time.Minute)},
		Step: time.Minute, Evaluator: "pii"}
	st, err := b.QueryStats(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	ev := st.Groups[0].Totals.Evaluations
	if ev == nil || ev.Evaluator != "pii" || ev.Runs != 2 || ev.Failures != 1 || ev.Scored != 2 ||
		*ev.FailureRate != 0.5 || *ev.MeanScore != 0.5 {
		t.Fatalf("pii totals: %+v", ev)
	}
	if bk := st.Groups[0].Buckets; bk[1].Evaluations.Runs != 2 || bk[0].Evaluations.Runs != 0 || bk[0].Evaluations.FailureRate != nil {
		t.Errorf("pii buckets: %+v %+v", bk[0].Evaluations, bk[1].Evaluations)
	}
	q.To, q.Evaluator = base.Add(4*time.Minute), "relevance"
	if st, err = b.QueryStats(ctx, q); err != nil {
		t.Fatal(err)
	}
	ev = st.Groups[0].Totals.Evaluations
	if ev.Runs != 2 || ev.Failures != 1 || ev.Scored != 2 || *ev.MeanScore != 0.65 {
		t.Errorf("relevance totals: %+v", ev)
	}
	// The trace counts of the same answer are the ordinary ones.
	if st.Groups[0].Totals.Traces != 3 {
		t.Errorf("traces: %d", st.Groups[0].Totals.Traces)
	}
	// Hourly steps with an evaluator still see the verdicts (a scan, not
	// the rollups, which carry none).
	q = store.StatsQuery{TraceQuery: store.TraceQuery{Repo: repo, From: base, To: base.Add(time.Hour)},
		Step: time.Hour, Evaluator: "pii"}
	if st, err = b.QueryStats(ctx, q); err != nil {
		t.Fatal(err)
	}
	if ev = st.Groups[0].Totals.Evaluations; ev.Runs != 3 || ev.Failures != 1 {
		t.Errorf("hourly pii: %+v", ev)
	}
	// Without an evaluator the answer has no evaluation counts.
	q.Evaluator = ""
	if st, err = b.QueryStats(ctx, q); err != nil || st.Groups[0].Totals.Evaluations != nil {
		t.Errorf("no evaluator: %v %+v", err, st.Groups[0].Totals.Evaluations)
	}
}
