package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Time-bucketed aggregates (GET /api/v1/stats).
//
// The indexer hands every backend, with each trace summary row, the trace's
// model calls (TraceSummary.Generations, computed from the assembled tree).
// Everything a stats answer holds is a sum over those rows and the trace
// rows, so a backend can either scan them (filtered queries, sub-hour
// steps) or keep hourly rollups — one StatsAgg per (repo, dimension, hour,
// group key) — and add a trace's contribution when its row is written and
// subtract the contribution of the row it replaces or deletes. Counts,
// token sums, cost (in integer nano-USD) and the latency histograms' bucket
// counts are all integers, so adding and subtracting is exact and a rollup
// equals the scan of the rows it covers.
//
// The invariant every backend keeps (see each backend's code):
//
//	rollup(repo, dim, hour, key) = Σ TraceRollup(row) over the stored
//	trace rows that carry generation rows (rows written before stats
//	existed carry none and contribute nothing until re-indexed).

// GenerationRow is one model call of a trace, as the stats count it: every
// generation node, and every other node that is a leaf model call (has
// usage or cost and no model call below it).
type GenerationRow struct {
	ID string `json:"id"`
	// Start is the call's own start, else its trace's start.
	Start time.Time `json:"start"`
	// Model is the response model when the result names one, else the
	// requested model.
	Model string `json:"model,omitempty"`
	// Generation is true for generation nodes (counted in generations,
	// errorGenerations and generation latency).
	Generation bool `json:"gen,omitempty"`
	// Leaf is true for leaf model calls: their tokens, cost and unpriced
	// flag are summed (the tree totals rule; an aggregate generation is
	// not counted twice).
	Leaf         bool    `json:"leaf,omitempty"`
	InputTokens  int64   `json:"in,omitempty"`
	OutputTokens int64   `json:"out,omitempty"`
	Cost         float64 `json:"cost,omitempty"`
	Unpriced     bool    `json:"unpriced,omitempty"`
	// DurationMs is End-Start; negative when unknown.
	DurationMs float64 `json:"dur"`
	Error      bool    `json:"err,omitempty"`
}

// StatsQuery asks for time-bucketed aggregates. The embedded TraceQuery
// gives the repository, the range [From, To) and the trace filters (Sort,
// Limit, Cursor and InactiveBefore are ignored).
type StatsQuery struct {
	TraceQuery
	Step time.Duration
	// By groups: "" (one group, key ""), "model", "name" or "tag:<key>".
	By string
	// Evaluator, when set, adds that evaluator's verdicts to every bucket
	// (StatsBucket.Evaluations), bucketed by evaluation time. It does not
	// filter traces. Verdicts are only in the rows, not the rollups, so
	// such a query scans; with By "model" verdicts are not counted (they
	// belong to nodes, not model calls).
	Evaluator string
}

// Limits of a stats query.
const (
	MinStatsStep    = time.Minute
	MaxStatsBuckets = 2000
	// StatsLookback is how far before From a filtered (scanning) query
	// looks for traces whose generations start inside the range.
	StatsLookback = 24 * time.Hour
)

// ErrBadStatsQuery wraps every validation error of a StatsQuery.
var ErrBadStatsQuery = errors.New("bad stats query")

// StatsPlan is a validated StatsQuery: dense buckets [From, End).
type StatsPlan struct {
	From, End time.Time
	Step      time.Duration
	N         int
}

// Plan validates q and computes its buckets: From aligned down to a
// multiple of Step since the Unix epoch, then whole steps until To.
func (q *StatsQuery) Plan() (StatsPlan, error) {
	bad := func(f string, a ...any) (StatsPlan, error) {
		return StatsPlan{}, fmt.Errorf("%w: %s", ErrBadStatsQuery, fmt.Sprintf(f, a...))
	}
	if q.Repo == "" {
		return bad("repo is required")
	}
	if q.From.IsZero() || q.To.IsZero() {
		return bad("from and to are required")
	}
	if !q.To.After(q.From) {
		return bad("to must be after from")
	}
	if q.Step < MinStatsStep {
		return bad("step must be at least %s", MinStatsStep)
	}
	if q.Step%time.Second != 0 {
		return bad("step must be a whole number of seconds")
	}
	if _, err := parseBy(q.By); err != nil {
		return StatsPlan{}, err
	}
	from := time.Unix(0, floorDiv(q.From.UnixNano(), int64(q.Step))*int64(q.Step)).UTC()
	span := q.To.Sub(from)
	n := int64(span / q.Step)
	if span%q.Step != 0 {
		n++
	}
	if n > MaxStatsBuckets || n < 0 {
		return bad("%d buckets of %s; at most %d", n, q.Step, MaxStatsBuckets)
	}
	return StatsPlan{From: from, End: from.Add(time.Duration(n) * q.Step), Step: q.Step, N: int(n)}, nil
}

// Bucket returns the bucket index of t, or false when t is outside.
func (p *StatsPlan) Bucket(t time.Time) (int64, bool) {
	if t.Before(p.From) || !t.Before(p.End) {
		return 0, false
	}
	return int64(t.Sub(p.From) / p.Step), true
}

// Filtered reports whether the query restricts traces (then backends scan
// rows instead of reading rollups).
func (q *StatsQuery) Filtered() bool {
	return q.SessionID != "" || q.Name != "" || len(q.Tags) > 0 || q.Model != "" ||
		q.ErrorOnly || q.MinDuration > 0 || q.MinCost > 0 || q.Eval != ""
}

// UsesRollups reports whether an hourly rollup answers q.
func (q *StatsQuery) UsesRollups() bool {
	return !q.Filtered() && q.Evaluator == "" && q.Step%time.Hour == 0
}

func parseBy(by string) (string, error) {
	switch {
	case by == "", by == "model", by == "name":
		return by, nil
	case strings.HasPrefix(by, "tag:") && len(by) > len("tag:"):
		return by, nil
	}
	return "", fmt.Errorf("%w: by: want model, name or tag:<key>, got %q", ErrBadStatsQuery, by)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// ---- histogram ----

// Latency histograms are DDSketch-style: a positive value x (ms) falls in
// bucket ceil(log_γ x) with γ = 1.02, whose representative 2γ^i/(γ+1) is
// within (γ-1)/(γ+1) < 1% of every value in the bucket. Values below
// 1 ns go to a zero bucket.
const (
	histGamma   = 1.02
	histZeroIdx = math.MinInt32
	histMin     = 1e-6 // ms
)

var histLnGamma = math.Log(histGamma)

// HistIndex is the bucket of a latency in ms.
func HistIndex(ms float64) int32 {
	if !(ms >= histMin) {
		return histZeroIdx
	}
	return int32(math.Ceil(math.Log(ms) / histLnGamma))
}

func histValue(i int32) float64 {
	if i == histZeroIdx {
		return 0
	}
	return 2 * math.Pow(histGamma, float64(i)) / (histGamma + 1)
}

// Hist is a mergeable latency histogram: its non-zero buckets in index
// order. (A sorted slice, not a map: a 30-day query merges millions of
// buckets, and merging sorted runs is several times faster.)
type Hist []HistBin

// HistBin is one histogram bucket.
type HistBin struct {
	Idx int32
	N   int64
}

func (h *Hist) add(i int32, n int64) {
	if n == 0 {
		return
	}
	s := *h
	j, found := slices.BinarySearchFunc(s, i, func(b HistBin, i int32) int { return cmpInt32(b.Idx, i) })
	switch {
	case found && s[j].N+n == 0:
		*h = slices.Delete(s, j, j+1)
	case found:
		s[j].N += n
	default:
		*h = slices.Insert(s, j, HistBin{i, n})
	}
}

func cmpInt32(a, b int32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Merge adds sign×o into h.
func (h *Hist) Merge(o Hist, sign int64) {
	if len(o) == 0 {
		return
	}
	a := *h
	if len(a) == 0 && sign == 1 {
		*h = slices.Clone(o)
		return
	}
	out := make(Hist, 0, len(a)+len(o))
	i, j := 0, 0
	for i < len(a) || j < len(o) {
		switch {
		case j == len(o) || (i < len(a) && a[i].Idx < o[j].Idx):
			out = append(out, a[i])
			i++
		case i == len(a) || o[j].Idx < a[i].Idx:
			out = append(out, HistBin{o[j].Idx, sign * o[j].N})
			j++
		default:
			if n := a[i].N + sign*o[j].N; n != 0 {
				out = append(out, HistBin{a[i].Idx, n})
			}
			i++
			j++
		}
	}
	*h = out
}

// Percentiles are latency quantiles in ms.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// Percentiles returns the quantiles, or nil for an empty histogram.
func (h Hist) Percentiles() *Percentiles {
	var total int64
	for _, b := range h {
		if b.N > 0 {
			total += b.N
		}
	}
	if total == 0 {
		return nil
	}
	q := func(p float64) float64 {
		// Nearest rank: the ceil(p·n)-th smallest value.
		rank := int64(math.Ceil(p*float64(total))) - 1
		var cum int64
		last := h[len(h)-1].Idx
		for _, b := range h {
			if b.N > 0 {
				cum += b.N
				last = b.Idx
				if cum > rank {
					return round6(histValue(b.Idx))
				}
			}
		}
		return round6(histValue(last))
	}
	return &Percentiles{P50: q(0.50), P95: q(0.95), P99: q(0.99)}
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// ---- aggregates ----

// StatsAgg is the additive aggregate of one bucket of one group.
type StatsAgg struct {
	Traces, ErrorTraces           int64
	Generations, ErrorGenerations int64
	InputTokens, OutputTokens     int64
	CostNano                      int64 // USD × 1e9
	Unpriced                      int64
	TraceHist, GenHist            Hist
	// Verdicts of StatsQuery.Evaluator. Only scans fill them (TraceRollup
	// never adds verdicts), so the rollups' binary form leaves them out.
	EvalRuns, EvalFailures, EvalScored int64
	EvalScoreSum                       float64
}

// Merge adds sign×o into a.
func (a *StatsAgg) Merge(o *StatsAgg, sign int64) {
	a.Traces += sign * o.Traces
	a.ErrorTraces += sign * o.ErrorTraces
	a.Generations += sign * o.Generations
	a.ErrorGenerations += sign * o.ErrorGenerations
	a.InputTokens += sign * o.InputTokens
	a.OutputTokens += sign * o.OutputTokens
	a.CostNano += sign * o.CostNano
	a.Unpriced += sign * o.Unpriced
	a.TraceHist.Merge(o.TraceHist, sign)
	a.GenHist.Merge(o.GenHist, sign)
	a.EvalRuns += sign * o.EvalRuns
	a.EvalFailures += sign * o.EvalFailures
	a.EvalScored += sign * o.EvalScored
	a.EvalScoreSum += float64(sign) * o.EvalScoreSum
}

// IsZero reports whether every count is 0 (a rollup row that can go).
func (a *StatsAgg) IsZero() bool {
	return a.Traces == 0 && a.ErrorTraces == 0 && a.Generations == 0 && a.ErrorGenerations == 0 &&
		a.InputTokens == 0 && a.OutputTokens == 0 && a.CostNano == 0 && a.Unpriced == 0 &&
		len(a.TraceHist) == 0 && len(a.GenHist) == 0 &&
		a.EvalRuns == 0 && a.EvalFailures == 0 && a.EvalScored == 0 && a.EvalScoreSum == 0
}

// present: a group appears in an answer when it counted a trace or a
// generation in the range.
func (a *StatsAgg) present() bool { return a.Traces != 0 || a.Generations != 0 || a.EvalRuns != 0 }

// AppendBinary encodes a (signed varints; histograms as sorted index
// deltas and counts).
func (a *StatsAgg) AppendBinary(b []byte) []byte {
	for _, v := range [...]int64{a.Traces, a.ErrorTraces, a.Generations, a.ErrorGenerations,
		a.InputTokens, a.OutputTokens, a.CostNano, a.Unpriced} {
		b = binary.AppendVarint(b, v)
	}
	b = appendHist(b, a.TraceHist)
	return appendHist(b, a.GenHist)
}

func appendHist(b []byte, h Hist) []byte {
	b = binary.AppendUvarint(b, uint64(len(h)))
	prev := int64(0)
	for _, x := range h {
		b = binary.AppendVarint(b, int64(x.Idx)-prev)
		b = binary.AppendVarint(b, x.N)
		prev = int64(x.Idx)
	}
	return b
}

var errCorruptAgg = errors.New("store: corrupt stats aggregate")

// DecodeStatsAgg decodes AppendBinary's encoding; an empty input is the
// zero aggregate.
func DecodeStatsAgg(b []byte) (StatsAgg, error) {
	var a StatsAgg
	if len(b) == 0 {
		return a, nil
	}
	for _, p := range [...]*int64{&a.Traces, &a.ErrorTraces, &a.Generations, &a.ErrorGenerations,
		&a.InputTokens, &a.OutputTokens, &a.CostNano, &a.Unpriced} {
		v, n := binary.Varint(b)
		if n <= 0 {
			return a, errCorruptAgg
		}
		*p, b = v, b[n:]
	}
	var err error
	if a.TraceHist, b, err = readHist(b); err != nil {
		return a, err
	}
	a.GenHist, _, err = readHist(b)
	return a, err
}

func readHist(b []byte) (Hist, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, nil, errCorruptAgg
	}
	b = b[k:]
	if n == 0 {
		return nil, b, nil
	}
	h := make(Hist, n)
	prev := int64(0)
	for j := uint64(0); j < n; j++ {
		d, k1 := binary.Varint(b)
		if k1 <= 0 {
			return nil, nil, errCorruptAgg
		}
		c, k2 := binary.Varint(b[k1:])
		if k2 <= 0 {
			return nil, nil, errCorruptAgg
		}
		b = b[k1+k2:]
		prev += d
		h[j] = HistBin{int32(prev), c}
	}
	return h, b, nil
}

func costNano(c float64) int64 {
	if math.IsNaN(c) || math.IsInf(c, 0) {
		return 0
	}
	return int64(math.Round(c * 1e9))
}

// ---- contributions ----

// Rollup dimensions.
const (
	DimAll   = ""
	DimModel = "model"
	DimName  = "name"
	// DimTagPrefix + key: the trace's value of that tag (traces without
	// the tag, or with an empty value, are not stored: their group is the
	// total minus the others).
	DimTagPrefix = "tag:"
)

// RollupKey names one hourly rollup row of a repository.
type RollupKey struct {
	Dim  string
	Hour int64 // hours since the Unix epoch (floor)
	Key  string
}

// HourOf is the rollup hour of t.
func HourOf(t time.Time) int64 { return floorDiv(t.UnixNano(), int64(time.Hour)) }

// TraceRollup adds sign × the trace row's contribution to every hourly
// rollup row it touches into out.
func TraceRollup(row *TraceSummary, sign int64, out map[RollupKey]*StatsAgg) {
	hour := func(t time.Time) (int64, bool) { return HourOf(t), true }
	get := func(dim, key string, h int64) *StatsAgg {
		k := RollupKey{Dim: dim, Hour: h, Key: key}
		a := out[k]
		if a == nil {
			a = &StatsAgg{}
			out[k] = a
		}
		return a
	}
	contribute(row, DimAll, "", false, hour, sign, get)
	contribute(row, DimName, "", false, hour, sign, get)
	contribute(row, DimModel, "", false, hour, sign, get)
	for k, v := range row.Tags {
		if v != "" {
			contribute(row, DimTagPrefix+k, "", false, hour, sign, get)
		}
	}
}

// contribute adds sign × row's metrics for dimension dim into the buckets
// bucket assigns, and the verdicts of evaluator when it is set.
// missingTag puts traces without the tag in group "".
func contribute(row *TraceSummary, dim, evaluator string, missingTag bool, bucket func(time.Time) (int64, bool),
	sign int64, get func(dim, key string, b int64) *StatsAgg) {
	addTrace := func(key string) {
		b, ok := bucket(row.Start)
		if !ok {
			return
		}
		a := get(dim, key, b)
		a.Traces += sign
		if row.Error {
			a.ErrorTraces += sign
		}
		if !row.End.IsZero() && row.DurationMs >= 0 {
			a.TraceHist.add(HistIndex(row.DurationMs), sign)
		}
	}
	addGen := func(key string, g *GenerationRow) {
		b, ok := bucket(g.Start)
		if !ok {
			return
		}
		a := get(dim, key, b)
		if g.Generation {
			a.Generations += sign
			if g.Error {
				a.ErrorGenerations += sign
			}
			if g.DurationMs >= 0 {
				a.GenHist.add(HistIndex(g.DurationMs), sign)
			}
		}
		if g.Leaf {
			a.InputTokens += sign * g.InputTokens
			a.OutputTokens += sign * g.OutputTokens
			a.CostNano += sign * costNano(g.Cost)
			if g.Unpriced {
				a.Unpriced += sign
			}
		}
	}
	all := func(key string) {
		addTrace(key)
		for i := range row.Generations {
			addGen(key, &row.Generations[i])
		}
		if evaluator == "" {
			return
		}
		for i := range row.EvalRows {
			e := &row.EvalRows[i]
			if e.Evaluator != evaluator {
				continue
			}
			if b, ok := bucket(e.Time); ok {
				get(dim, key, b).addEval(e, sign)
			}
		}
	}
	switch {
	case dim == DimAll:
		all("")
	case dim == DimName:
		all(row.Name)
	case dim == DimModel:
		var seen []string
		for i := range row.Generations {
			g := &row.Generations[i]
			if !slices.Contains(seen, g.Model) {
				seen = append(seen, g.Model)
				addTrace(g.Model)
			}
			addGen(g.Model, g)
		}
	case strings.HasPrefix(dim, DimTagPrefix):
		v, ok := row.Tags[dim[len(DimTagPrefix):]]
		if ok && v != "" {
			all(v)
		} else if missingTag {
			all("")
		}
	}
}

// StatsScanner answers a stats query by scanning trace rows: backends feed
// it every candidate row (a superset is fine: it applies the filters with
// MatchStats' caller-supplied matcher) and call Result.
type StatsScanner struct {
	q    *StatsQuery
	plan StatsPlan
	aggs map[string][]StatsAgg
}

// NewStatsScanner starts a scan for a planned query.
func NewStatsScanner(q *StatsQuery, plan StatsPlan) *StatsScanner {
	return &StatsScanner{q: q, plan: plan, aggs: map[string][]StatsAgg{}}
}

// ScanRange is the range of trace starts a scan must read: generations of
// traces that started up to StatsLookback before the range are counted.
func (p *StatsPlan) ScanRange() (from, to time.Time) {
	return p.From.Add(-StatsLookback), p.End
}

// Add counts a trace row that matched the query's filters.
func (s *StatsScanner) Add(row *TraceSummary) {
	contribute(row, s.q.By, s.q.Evaluator, true, s.plan.Bucket, 1, func(_, key string, b int64) *StatsAgg {
		g := s.aggs[key]
		if g == nil {
			g = make([]StatsAgg, s.plan.N)
			s.aggs[key] = g
		}
		return &g[b]
	})
}

// Result builds the answer.
func (s *StatsScanner) Result() Stats { return BuildStats(s.q, s.plan, s.aggs) }

// RollupGroups turns the rollup rows of one dimension (read for the plan's
// hours) into per-group dense buckets; for a tag dimension it derives group
// "" from the DimAll rows (total minus the tagged groups).
func RollupGroups(q *StatsQuery, plan StatsPlan, rows map[RollupKey]*StatsAgg, all map[RollupKey]*StatsAgg) map[string][]StatsAgg {
	out := map[string][]StatsAgg{}
	add := func(key string, hour int64, a *StatsAgg, sign int64) {
		b, ok := plan.Bucket(time.Unix(0, hour*int64(time.Hour)))
		if !ok {
			return
		}
		g := out[key]
		if g == nil {
			g = make([]StatsAgg, plan.N)
			out[key] = g
		}
		g[b].Merge(a, sign)
	}
	for k, a := range rows {
		add(k.Key, k.Hour, a, 1)
	}
	if strings.HasPrefix(q.By, DimTagPrefix) {
		for k, a := range all {
			add("", k.Hour, a, 1)
		}
		for k, a := range rows {
			add("", k.Hour, a, -1)
		}
	}
	return out
}

// ---- answer ----

// StatsBucket is one bucket (or a group's totals) of a stats answer.
type StatsBucket struct {
	Start               time.Time    `json:"start"`
	Traces              int64        `json:"traces"`
	ErrorTraces         int64        `json:"errorTraces"`
	Generations         int64        `json:"generations"`
	ErrorGenerations    int64        `json:"errorGenerations"`
	InputTokens         int64        `json:"inputTokens"`
	OutputTokens        int64        `json:"outputTokens"`
	Cost                float64      `json:"cost"`
	UnpricedGenerations int64        `json:"unpricedGenerations"`
	TraceLatencyMs      *Percentiles `json:"traceLatencyMs"`
	GenerationLatencyMs *Percentiles `json:"generationLatencyMs"`
	// Evaluations: StatsQuery.Evaluator's verdicts, when it is set.
	Evaluations *EvalStats `json:"evaluations,omitempty"`
}

// StatsGroup is one group's totals and dense buckets.
type StatsGroup struct {
	Key     string        `json:"key"`
	Totals  StatsBucket   `json:"totals"`
	Buckets []StatsBucket `json:"buckets"`
}

// Stats is a stats answer: [From, To) in Step buckets.
type Stats struct {
	From   time.Time     `json:"from"`
	To     time.Time     `json:"to"`
	Step   time.Duration `json:"-"`
	By     string        `json:"by"`
	Groups []StatsGroup  `json:"groups"`
}

func bucketOf(q *StatsQuery, start time.Time, a *StatsAgg) StatsBucket {
	var ev *EvalStats
	if q.Evaluator != "" {
		ev = evalStatsOf(q.Evaluator, a)
	}
	return StatsBucket{
		Evaluations:         ev,
		Start:               start,
		Traces:              a.Traces,
		ErrorTraces:         a.ErrorTraces,
		Generations:         a.Generations,
		ErrorGenerations:    a.ErrorGenerations,
		InputTokens:         a.InputTokens,
		OutputTokens:        a.OutputTokens,
		Cost:                float64(a.CostNano) / 1e9,
		UnpricedGenerations: a.Unpriced,
		TraceLatencyMs:      a.TraceHist.Percentiles(),
		GenerationLatencyMs: a.GenHist.Percentiles(),
	}
}

// BuildStats turns per-group dense aggregates into the answer: groups
// that counted nothing in the range are dropped, the rest sorted by key;
// the ungrouped answer always has its one group.
func BuildStats(q *StatsQuery, plan StatsPlan, groups map[string][]StatsAgg) Stats {
	st := Stats{From: plan.From, To: plan.End, Step: plan.Step, By: q.By, Groups: []StatsGroup{}}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if q.By == "" && len(keys) == 0 {
		keys = []string{""}
	}
	for _, k := range keys {
		aggs := groups[k]
		if aggs == nil {
			aggs = make([]StatsAgg, plan.N)
		}
		var tot StatsAgg
		for i := range aggs {
			tot.Merge(&aggs[i], 1)
		}
		if q.By != "" && !tot.present() {
			continue
		}
		g := StatsGroup{Key: k, Totals: bucketOf(q, plan.From, &tot), Buckets: make([]StatsBucket, plan.N)}
		for i := range aggs {
			g.Buckets[i] = bucketOf(q, plan.From.Add(time.Duration(i)*plan.Step), &aggs[i])
		}
		st.Groups = append(st.Groups, g)
	}
	return st
}
