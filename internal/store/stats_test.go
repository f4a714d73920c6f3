package store

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestStatsRecordRoundTrip(t *testing.T) {
	r := TraceSummary{
		Start: time.Unix(0, 1_700_000_000_123_456_789).UTC(), DurationMs: 12.5, Error: true, Name: "bad\xff\x00name",
		Tags: map[string]string{"k\xfe": "v\x00", "env": "prod"},
		Generations: []GenerationRow{
			{ID: "g1", Start: time.Unix(0, 1_700_000_000_200_000_000).UTC(), Model: "m\xff", Generation: true, Leaf: true,
				InputTokens: 7, OutputTokens: -1, Cost: 0.125, Unpriced: true, DurationMs: -1, Error: true},
			{ID: "", Model: "", DurationMs: 3},
		},
		EvalRows: []EvalRow{
			{Evaluator: "pii", NodeID: "g1", Time: time.Unix(0, 1_700_000_001_000_000_000).UTC(), HasPass: true},
			{Evaluator: "rel\xff", NodeID: "", Score: 0.25, HasScore: true, Pass: true, HasPass: true},
		},
	}
	got, err := DecodeStatsRecord(EncodeStatsRecord(&r))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
	}
	for n := range len(EncodeStatsRecord(&r)) {
		if _, err := DecodeStatsRecord(EncodeStatsRecord(&r)[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
}

// TestStatsRecordVersion1 reads a record written before evaluation rows
// (version 1: the same bytes without the trailing eval list).
func TestStatsRecordVersion1(t *testing.T) {
	r := TraceSummary{Name: "n", Generations: []GenerationRow{{ID: "g", DurationMs: 1}}}
	v2 := EncodeStatsRecord(&r)
	v1 := append([]byte{1}, v2[1:len(v2)-1]...) // drop the version and the empty eval count
	got, err := DecodeStatsRecord(v1)
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("v1 record: %v\n got %+v\nwant %+v", err, got, r)
	}
}

func TestVerdictsAndMatchEval(t *testing.T) {
	rows := []EvalRow{
		{Evaluator: "rel", Score: 0.8, HasScore: true, Pass: true, HasPass: true},
		{Evaluator: "pii", Pass: true, HasPass: true},
		{Evaluator: "rel", Score: 0.3, HasScore: true, HasPass: true},
		{Evaluator: "judge-down"}, // errored: no verdict
	}
	vs := Verdicts(rows)
	if len(vs) != 2 || vs[0].Evaluator != "pii" || vs[1].Evaluator != "rel" {
		t.Fatalf("verdicts %+v", vs)
	}
	if vs[1].Runs != 2 || vs[1].Failures != 1 || *vs[1].MinScore != 0.3 || vs[0].MinScore != nil || vs[0].Failures != 0 {
		t.Fatalf("verdicts %+v", vs)
	}
	f := func(v float64) *float64 { return &v }
	for _, c := range []struct {
		q    TraceQuery
		want bool
	}{
		{TraceQuery{}, true},
		{TraceQuery{Eval: "rel"}, true},
		{TraceQuery{Eval: "pii"}, false},
		{TraceQuery{Eval: "judge-down"}, false},
		{TraceQuery{Eval: "rel", EvalScoreBelow: f(0.3)}, false},
		{TraceQuery{Eval: "rel", EvalScoreBelow: f(0.31)}, true},
		{TraceQuery{Eval: "pii", EvalScoreBelow: f(1)}, false}, // no score
	} {
		if got := c.q.MatchEval(FindVerdict(vs, c.q.Eval)); got != c.want {
			t.Errorf("%+v: got %v", c.q, got)
		}
	}
}

// TestHistogramAccuracy: every reported percentile is within 1% of the
// exact nearest-rank value, and subtracting what was added empties it.
func TestHistogramAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		n := 1 + rng.IntN(500)
		vals := make([]float64, n)
		var a StatsAgg
		for i := range vals {
			vals[i] = math.Exp(rng.NormFloat64()*2 + 5)
			if trial%7 == 0 && i%5 == 0 {
				vals[i] = 0
			}
			a.GenHist.add(HistIndex(vals[i]), 1)
		}
		slices.Sort(vals)
		p := a.GenHist.Percentiles()
		for _, c := range []struct {
			q   float64
			got float64
		}{{0.5, p.P50}, {0.95, p.P95}, {0.99, p.P99}} {
			exact := vals[int(math.Ceil(c.q*float64(n)))-1]
			if math.Abs(c.got-exact) > 0.01*exact+1e-6 {
				t.Fatalf("trial %d p%v: got %v, exact %v", trial, c.q*100, c.got, exact)
			}
		}
		var back StatsAgg
		back.Merge(&a, 1)
		back.Merge(&a, -1)
		if !back.IsZero() {
			t.Fatal("add then subtract is not zero")
		}
		dec, err := DecodeStatsAgg(a.AppendBinary(nil))
		if err != nil || !reflect.DeepEqual(dec.GenHist, a.GenHist) {
			t.Fatalf("binary round trip: %v", err)
		}
	}
}
