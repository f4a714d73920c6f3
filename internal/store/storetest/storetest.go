// Package storetest is the conformance suite every store.Backend must pass
// (memstore, pebblestore, pgstore): set semantics of commit sets, edges,
// the change log and checkpoint, Delete, summary upserts by Revision, trace
// and session search with every filter and cursor pagination, blobs,
// ErrNotFound, and — through the backend and the one fold in internal/tree —
// byte-identical trees for permuted, duplicated, split and children-first
// deliveries of random traces.
//
// Size knob: STORETEST_CASES (random invariance cases, default 25) and
// STORETEST_SEED (first seed; default derived from the time and printed on
// failure so a failing case can be replayed).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// RunBackendTests runs the whole suite. newBackend must return an empty,
// open backend and arrange its own cleanup (t.Cleanup); it is called many
// times per run.
func RunBackendTests(t *testing.T, newBackend func(t *testing.T) store.Backend) {
	t.Run("CommitSetSemantics", func(t *testing.T) { testCommitSets(t, newBackend(t)) })
	t.Run("Edges", func(t *testing.T) { testEdges(t, newBackend(t)) })
	t.Run("NodeOrder", func(t *testing.T) { testNodeOrder(t, newBackend(t)) })
	t.Run("PageLimits", func(t *testing.T) { testPageLimits(t, newBackend(t)) })
	t.Run("SessionUpsert", func(t *testing.T) { testSessionUpsert(t, newBackend(t)) })
	t.Run("ChangeLogAndCheckpoint", func(t *testing.T) { testChangeLog(t, newBackend(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, newBackend(t)) })
	t.Run("DeleteOwnedBlobs", func(t *testing.T) { testDeleteOwnedBlobs(t, newBackend(t)) })
	t.Run("TraceSummaryUpsert", func(t *testing.T) { testTraceUpsert(t, newBackend(t)) })
	t.Run("SearchTracesFilters", func(t *testing.T) { testSearchFilters(t, newBackend(t)) })
	t.Run("SearchTracesPagination", func(t *testing.T) { testSearchPagination(t, newBackend(t)) })
	t.Run("SearchTracesByCost", func(t *testing.T) { testSearchByCost(t, newBackend(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, newBackend(t)) })
	t.Run("Stats", func(t *testing.T) { testStats(t, newBackend(t)) })
	t.Run("StatsRandom", func(t *testing.T) { testStatsRandom(t, newBackend(t)) })
	t.Run("Evaluations", func(t *testing.T) { testEvaluations(t, newBackend(t)) })
	t.Run("Blobs", func(t *testing.T) { testBlobs(t, newBackend(t)) })
	t.Run("Claims", func(t *testing.T) { testClaims(t, newBackend(t)) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, newBackend(t)) })
	t.Run("ConcurrentApply", func(t *testing.T) { testConcurrent(t, newBackend(t)) })
	t.Run("OrphanAttachesWhenEdgeArrives", func(t *testing.T) { testOrphan(t, newBackend(t)) })
	t.Run("Invariance", func(t *testing.T) {
		seed, n := Knobs(25)
		t.Logf("invariance: %d cases from STORETEST_SEED=%d", n, seed)
		RunInvariance(t, seed, n, treegen.DefaultOptions, newBackend)
	})
}

// Knobs reads STORETEST_SEED and STORETEST_CASES (defaultCases if unset).
func Knobs(defaultCases int) (seed uint64, cases int) {
	seed = uint64(time.Now().UnixNano())
	if s := os.Getenv("STORETEST_SEED"); s != "" {
		if v, err := strconv.ParseUint(s, 10, 64); err == nil {
			seed = v
		}
	}
	cases = defaultCases
	if s := os.Getenv("STORETEST_CASES"); s != "" {
		if v, err := strconv.Atoi(s); err == nil && v > 0 {
			cases = v
		}
	}
	return seed, cases
}

const repo = "conf-repo"

func line(t *testing.T, s string, version int64) commit.Commit {
	t.Helper()
	c, err := commit.ParseLine(repo, []byte(s), version)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func nref(kind commit.Entity, id string) commit.NodeRef {
	return commit.NodeRef{Repo: repo, Kind: kind, ID: id}
}

func apply(t *testing.T, b store.Backend, cs ...commit.Commit) {
	t.Helper()
	if err := b.Apply(context.Background(), cs, tree.EdgesOfAll(cs)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func testCommitSets(t *testing.T, b store.Backend) {
	ctx := context.Background()
	a := line(t, `trace{id=t1,action=create,data={"name": "x", "n": 1}}`, 30)
	c := line(t, `trace{id=t1,action=update,data={"output":"o"}}`, 20)
	d := line(t, `trace{id=t1,action=end,data={}}`, 20) // same version as c: order by id
	apply(t, b, a, c)
	apply(t, b, a, c, d) // re-applying held commits is a no-op
	lower := a
	lower.Version = 10 // the same commit seen again with a lower version
	apply(t, b, lower)
	higher := d
	higher.Version = 99 // ... and with a higher one: ignored
	apply(t, b, higher)

	got, err := b.Commits(ctx, []commit.NodeRef{nref("trace", "t1"), nref("trace", "absent")})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got[nref("trace", "absent")]; ok {
		t.Error("a node without commits must be absent from the map")
	}
	list := got[nref("trace", "t1")]
	if len(list) != 3 {
		t.Fatalf("want 3 distinct commits, got %d", len(list))
	}
	want := []commit.Commit{lower, c, d}
	sort.Slice(want, func(i, j int) bool { return commit.Less(&want[i], &want[j]) })
	for i := range want {
		if list[i].ID != want[i].ID || list[i].Version != want[i].Version {
			t.Errorf("commit %d: got %s@%d want %s@%d (sorted by commit.Less, lower version kept)",
				i, list[i].ID, list[i].Version, want[i].ID, want[i].Version)
		}
		if string(list[i].Data) != string(want[i].Data) || list[i].Repo != repo ||
			list[i].Entity != want[i].Entity || list[i].EntityID != want[i].EntityID || list[i].Action != want[i].Action {
			t.Errorf("commit %d content not preserved: %+v", i, list[i])
		}
	}
	// Repos are separate namespaces.
	other := a
	other.Repo = "other-repo"
	other.Seal()
	if err := b.Apply(ctx, []commit.Commit{other}, nil); err != nil {
		t.Fatal(err)
	}
	got, _ = b.Commits(ctx, []commit.NodeRef{nref("trace", "t1")})
	if len(got[nref("trace", "t1")]) != 3 {
		t.Error("a commit of another repo leaked into this repo's node")
	}
}

func testEdges(t *testing.T, b store.Backend) {
	ctx := context.Background()
	apply(t, b,
		line(t, `trace{id=t1,action=add-span,data={"id":"s2"}}`, 1),
		line(t, `trace{id=t1,action=add-span,data={"id":"s1"}}`, 2),
		line(t, `trace{id=t1,action=add-generation,data={"id":"g1"}}`, 3),
		line(t, `span{id=s1,action=add-tool-call,data={"id":"c1"}}`, 4),
	)
	// Explicit duplicate edges are no-ops.
	if err := b.Apply(ctx, nil, []store.Edge{{Parent: nref("trace", "t1"), Child: nref("span", "s1")}}); err != nil {
		t.Fatal(err)
	}
	kids, err := b.Children(ctx, []commit.NodeRef{nref("trace", "t1"), nref("span", "s1"), nref("span", "s2")})
	if err != nil {
		t.Fatal(err)
	}
	want := []commit.NodeRef{nref("generation", "g1"), nref("span", "s1"), nref("span", "s2")}
	if !reflect.DeepEqual(kids[nref("trace", "t1")], want) {
		t.Errorf("Children(t1) = %v, want %v (sorted by kind, id; no duplicates)", kids[nref("trace", "t1")], want)
	}
	if !reflect.DeepEqual(kids[nref("span", "s1")], []commit.NodeRef{nref("tool_call", "c1")}) {
		t.Errorf("Children(s1) = %v", kids[nref("span", "s1")])
	}
	if len(kids[nref("span", "s2")]) != 0 {
		t.Errorf("leaf has children: %v", kids[nref("span", "s2")])
	}
	// A second parent for the same child.
	apply(t, b, line(t, `span{id=s2,action=add-tool-call,data={"id":"c1"}}`, 5))
	// One call for several nodes, a duplicate and an unknown one among them.
	ps, err := b.Parents(ctx, []commit.NodeRef{nref("tool_call", "c1"), nref("span", "nobody"), nref("span", "s2"), nref("tool_call", "c1")})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ps[nref("tool_call", "c1")], []commit.NodeRef{nref("span", "s1"), nref("span", "s2")}) {
		t.Errorf("Parents(c1) = %v", ps[nref("tool_call", "c1")])
	}
	if got, ok := ps[nref("span", "nobody")]; ok {
		t.Errorf("Parents of unknown node = %v, want no entry", got)
	}
	if got := ps[nref("span", "s2")]; len(got) != 1 || got[0].Kind != commit.EntityTrace {
		t.Errorf("Parents(s2) = %v, want its trace", got)
	}
}

func testChangeLog(t *testing.T, b store.Backend) {
	ctx := context.Background()
	cp, err := b.IndexCheckpoint(ctx)
	if err != nil || cp != 0 {
		t.Fatalf("fresh checkpoint = %d, %v; want 0", cp, err)
	}
	refs, next, err := b.ChangedSince(ctx, 0, 100)
	if err != nil || len(refs) != 0 {
		t.Fatalf("fresh change log = %v, %v", refs, err)
	}
	start := next
	apply(t, b, line(t, `trace{id=a,action=create,data={}}`, 1))
	apply(t, b, line(t, `trace{id=b,action=create,data={}}`, 2), line(t, `trace{id=b,action=add-span,data={"id":"sp"}}`, 3))
	apply(t, b, line(t, `trace{id=c,action=create,data={}}`, 4))

	// Page through with a small limit: nothing skipped, order kept.
	var seen []commit.NodeRef
	pos := start
	for i := 0; i < 100; i++ {
		page, nx, err := b.ChangedSince(ctx, pos, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			if nx != pos {
				t.Errorf("empty page moved the position from %d to %d", pos, nx)
			}
			break
		}
		if len(page) > 1 {
			t.Errorf("limit 1 returned %d refs", len(page))
		}
		if nx <= pos {
			t.Fatalf("position did not advance: %d -> %d", pos, nx)
		}
		seen = append(seen, page...)
		pos = nx
	}
	idx := func(r commit.NodeRef) int {
		for i, s := range seen {
			if s == r {
				return i
			}
		}
		return -1
	}
	ia, ib, ic := idx(nref("trace", "a")), idx(nref("trace", "b")), idx(nref("trace", "c"))
	if ia < 0 || ib < 0 || ic < 0 {
		t.Fatalf("change log %v misses a touched trace", seen)
	}
	if !(ia < ib && ib < ic) {
		t.Errorf("change log not in apply order: %v", seen)
	}
	// Resuming from the end yields nothing new; a later Apply shows up.
	if refs, _, _ := b.ChangedSince(ctx, pos, 100); len(refs) != 0 {
		t.Errorf("nothing applied but ChangedSince returned %v", refs)
	}
	apply(t, b, line(t, `trace{id=d,action=create,data={}}`, 5))
	refs, _, err = b.ChangedSince(ctx, pos, 100)
	if err != nil || len(refs) == 0 || refs[len(refs)-1] != nref("trace", "d") {
		t.Errorf("after a new Apply: %v, %v", refs, err)
	}
	if err := b.SetIndexCheckpoint(ctx, pos); err != nil {
		t.Fatal(err)
	}
	if cp, err := b.IndexCheckpoint(ctx); err != nil || cp != pos {
		t.Errorf("checkpoint = %d, %v; want %d", cp, err, pos)
	}
}

func testDelete(t *testing.T, b store.Backend) {
	ctx := context.Background()
	apply(t, b,
		line(t, `session{id=S,action=create,data={}}`, 1),
		line(t, `trace{id=t1,action=create,data={"sessionId":"S"}}`, 2),
		line(t, `trace{id=t1,action=add-span,data={"id":"s1"}}`, 3),
		line(t, `span{id=s1,action=end,data={}}`, 4),
		line(t, `trace{id=t2,action=create,data={}}`, 5),
	)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := b.PutTraceSummaries(ctx, []store.TraceSummary{
		{Repo: repo, TraceID: "t1", Start: now, Revision: 1, Counts: map[string]int{}},
		{Repo: repo, TraceID: "t2", Start: now, Revision: 1, Counts: map[string]int{}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.PutSessionSummaries(ctx, []store.SessionSummary{{Repo: repo, SessionID: "S", Start: now, Revision: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, []commit.NodeRef{nref("trace", "t1"), nref("session", "S"), nref("trace", "never")}); err != nil {
		t.Fatal(err)
	}
	got, _ := b.Commits(ctx, []commit.NodeRef{nref("trace", "t1"), nref("span", "s1"), nref("trace", "t2")})
	if _, ok := got[nref("trace", "t1")]; ok {
		t.Error("deleted node still has commits")
	}
	if len(got[nref("span", "s1")]) != 1 || len(got[nref("trace", "t2")]) != 1 {
		t.Error("Delete removed nodes it was not given")
	}
	kids, _ := b.Children(ctx, []commit.NodeRef{nref("trace", "t1"), nref("session", "S")})
	if len(kids[nref("trace", "t1")]) != 0 || len(kids[nref("session", "S")]) != 0 {
		t.Errorf("edges out of deleted nodes remain: %v", kids)
	}
	if ps, _ := b.Parents(ctx, []commit.NodeRef{nref("span", "s1")}); len(ps[nref("span", "s1")]) != 0 {
		t.Errorf("edges into the child of a deleted node remain: %v", ps)
	}
	page, err := b.SearchTraces(ctx, store.TraceQuery{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Traces) != 1 || page.Traces[0].TraceID != "t2" {
		t.Errorf("trace summaries after Delete: %+v", page.Traces)
	}
	sp, _ := b.SearchSessions(ctx, store.SessionQuery{Repo: repo})
	if len(sp.Sessions) != 0 {
		t.Errorf("session summary survived Delete: %+v", sp.Sessions)
	}
	if _, err := tree.AssembleTrace(ctx, b, nref("trace", "t1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted trace assembles: %v", err)
	}
}

func testTraceUpsert(t *testing.T, b store.Backend) {
	ctx := context.Background()
	st := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	row := store.TraceSummary{Repo: repo, TraceID: "t", Name: "v5", Start: st, Revision: 5, Counts: map[string]int{"span": 1}}
	put := func(r store.TraceSummary) {
		if err := b.PutTraceSummaries(ctx, []store.TraceSummary{r}); err != nil {
			t.Fatal(err)
		}
	}
	put(row)
	older := row
	older.Name, older.Revision = "v3", 3
	put(older)
	equal := row
	equal.Name = "v5-again"
	put(equal)
	get := func() store.TraceSummary {
		p, err := b.SearchTraces(ctx, store.TraceQuery{Repo: repo})
		if err != nil || len(p.Traces) != 1 {
			t.Fatalf("search: %v %+v", err, p)
		}
		return p.Traces[0]
	}
	if got := get(); got.Name != "v5" {
		t.Errorf("a row with a lower or equal Revision replaced a newer one: %q", got.Name)
	}
	newer := row
	newer.Name, newer.Revision, newer.Counts = "v9", 9, map[string]int{"span": 2, "generation": 1}
	put(newer)
	got := get()
	if got.Name != "v9" || got.Counts["generation"] != 1 {
		t.Errorf("higher Revision did not replace: %+v", got)
	}

	// A rewrite that keeps some index keys and drops others (a verdict
	// landing, a tag gone): the kept entries answer with the new row, the
	// dropped ones no longer answer.
	tagged := newer
	tagged.Revision, tagged.Tags = 10, map[string]string{"env": "prod", "team": "x"}
	put(tagged)
	judged := tagged
	judged.Revision, judged.Tags = 11, map[string]string{"env": "prod"}
	judged.Evaluations = []store.EvalVerdict{{Evaluator: "pii", Runs: 1, Failures: 1}}
	put(judged)
	find := func(q store.TraceQuery) int {
		q.Repo = repo
		p, err := b.SearchTraces(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Traces)
	}
	if n := find(store.TraceQuery{Tags: map[string]string{"env": "prod"}, Eval: "pii"}); n != 1 {
		t.Errorf("kept tag index after a rewrite: %d rows with the new verdict, want 1", n)
	}
	if n := find(store.TraceQuery{Tags: map[string]string{"team": "x"}}); n != 0 {
		t.Errorf("dropped tag still finds %d rows after a rewrite", n)
	}
	if n := find(store.TraceQuery{Name: "v9"}); n != 1 {
		t.Errorf("kept name index after a rewrite: %d rows, want 1", n)
	}
}

func testSearchFilters(t *testing.T, b store.Backend) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := []store.TraceSummary{
		{TraceID: "a", Name: "chat", SessionID: "S1", Start: base, End: base.Add(2 * time.Second), DurationMs: 2000,
			Tags: map[string]string{"env": "prod", "team": "x"}, Models: []string{"gpt-4o"}, LastActivity: base.Add(time.Hour)},
		{TraceID: "b", Name: "chat", SessionID: "S2", Start: base.Add(time.Minute), DurationMs: 10, Error: true,
			Tags: map[string]string{"env": "dev"}, Models: []string{"gpt-4o", "claude"}, LastActivity: base.Add(2 * time.Hour)},
		{TraceID: "c", Name: "index", Start: base.Add(2 * time.Minute), DurationMs: 500,
			Tags: map[string]string{"env": "prod"}, LastActivity: base.Add(3 * time.Hour)},
		{TraceID: "d", Name: "chat", Start: base.Add(3 * time.Minute), LastActivity: base.Add(4 * time.Hour)},
	}
	for i := range rows {
		rows[i].Repo = repo
		rows[i].Revision = 1
		rows[i].Counts = map[string]int{"trace": 1}
	}
	other := rows[0]
	other.Repo, other.TraceID = "other-repo", "z"
	if err := b.PutTraceSummaries(ctx, append(rows, other)); err != nil {
		t.Fatal(err)
	}
	ids := func(q store.TraceQuery) []string {
		q.Repo = repo
		p, err := b.SearchTraces(ctx, q)
		if err != nil {
			t.Fatalf("SearchTraces(%+v): %v", q, err)
		}
		var out []string
		for _, r := range p.Traces {
			out = append(out, r.TraceID)
		}
		return out
	}
	cases := []struct {
		name string
		q    store.TraceQuery
		want []string
	}{
		{"all newest first", store.TraceQuery{}, []string{"d", "c", "b", "a"}},
		{"From inclusive", store.TraceQuery{From: base.Add(time.Minute)}, []string{"d", "c", "b"}},
		{"To exclusive", store.TraceQuery{To: base.Add(2 * time.Minute)}, []string{"b", "a"}},
		{"SessionID", store.TraceQuery{SessionID: "S2"}, []string{"b"}},
		{"Name exact", store.TraceQuery{Name: "chat"}, []string{"d", "b", "a"}},
		{"Name no prefix match", store.TraceQuery{Name: "cha"}, nil},
		{"Tags all must match", store.TraceQuery{Tags: map[string]string{"env": "prod", "team": "x"}}, []string{"a"}},
		{"Tags one", store.TraceQuery{Tags: map[string]string{"env": "prod"}}, []string{"c", "a"}},
		{"Model", store.TraceQuery{Model: "claude"}, []string{"b"}},
		{"ErrorOnly", store.TraceQuery{ErrorOnly: true}, []string{"b"}},
		{"MinDuration", store.TraceQuery{MinDuration: 500 * time.Millisecond}, []string{"c", "a"}},
		{"InactiveBefore", store.TraceQuery{InactiveBefore: base.Add(2*time.Hour + time.Second)}, []string{"b", "a"}},
		{"combined", store.TraceQuery{Name: "chat", Tags: map[string]string{"env": "prod"}, MinDuration: time.Second}, []string{"a"}},
	}
	for _, tc := range cases {
		if got := ids(tc.q); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v want %v", tc.name, got, tc.want)
		}
	}
	p, _ := b.SearchTraces(ctx, store.TraceQuery{Repo: repo, Limit: 1})
	if len(p.Traces) != 1 || p.NextCursor == "" {
		t.Errorf("Limit 1: %d rows, cursor %q", len(p.Traces), p.NextCursor)
	}
	got := p.Traces[0]
	if got.TraceID != "d" || !got.Start.Equal(rows[3].Start) || got.Counts["trace"] != 1 || !got.LastActivity.Equal(rows[3].LastActivity) {
		t.Errorf("row fields not preserved: %+v", got)
	}
}

func testSearchPagination(t *testing.T, b store.Backend) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var rows []store.TraceSummary
	for i := 0; i < 57; i++ {
		// Every third row shares a start time with its neighbour: ties must
		// neither skip nor repeat across pages.
		st := base.Add(time.Duration(i-i%3) * time.Second)
		rows = append(rows, store.TraceSummary{Repo: repo, TraceID: fmt.Sprintf("t%03d", i), Start: st, Revision: 1,
			Counts: map[string]int{}, Tags: map[string]string{"odd": strconv.FormatBool(i%2 == 1)}})
	}
	if err := b.PutTraceSummaries(ctx, rows); err != nil {
		t.Fatal(err)
	}
	for _, q := range []store.TraceQuery{{Repo: repo, Limit: 7}, {Repo: repo, Limit: 10, Tags: map[string]string{"odd": "true"}}} {
		seen := map[string]bool{}
		var prev time.Time
		cursor := ""
		pages := 0
		for {
			q.Cursor = cursor
			p, err := b.SearchTraces(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Traces) > q.Limit {
				t.Fatalf("page of %d rows exceeds Limit %d", len(p.Traces), q.Limit)
			}
			for _, r := range p.Traces {
				if seen[r.TraceID] {
					t.Fatalf("row %s repeated across pages", r.TraceID)
				}
				seen[r.TraceID] = true
				if !prev.IsZero() && r.Start.After(prev) {
					t.Fatalf("not newest first: %s after %s", r.Start, prev)
				}
				prev = r.Start
			}
			pages++
			if p.NextCursor == "" || pages > 100 {
				break
			}
			cursor = p.NextCursor
		}
		want := 57
		if q.Tags != nil {
			want = 28
		}
		if len(seen) != want {
			t.Errorf("pagination (%+v) returned %d distinct rows, want %d", q.Tags, len(seen), want)
		}
	}
	// A cursor no backend issued is the caller's mistake: an error that
	// names the cursor (the query API answers it with 400), never a page
	// from wherever the garbage happens to point.
	for _, c := range []string{"not-a-cursor", "%%garbage"} {
		for _, q := range []store.TraceQuery{{Repo: repo, Cursor: c}, {Repo: repo, Cursor: c, Sort: store.SortCost}} {
			if _, err := b.SearchTraces(ctx, q); err == nil || !strings.Contains(err.Error(), "cursor") {
				t.Errorf("SearchTraces with cursor %q (sort %q): %v, want an error naming the cursor", c, q.Sort, err)
			}
		}
		if _, err := b.SearchSessions(ctx, store.SessionQuery{Repo: repo, Cursor: c}); err == nil || !strings.Contains(err.Error(), "cursor") {
			t.Errorf("SearchSessions with cursor %q: %v, want an error naming the cursor", c, err)
		}
	}
}

// testSearchByCost pins min_cost and sort=cost: most expensive first, ties
// (equal costs, including negative costs, which order as 0) newest first then by id, pages that neither skip nor repeat, a
// summary rewritten with a new cost moving in the order, and the time
// range and other filters still applied.
func testSearchByCost(t *testing.T, b store.Backend) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var rows []store.TraceSummary
	for i := 0; i < 41; i++ {
		cost := float64(i%7) * 0.0125 // seven distinct costs, ties within each
		if i == 5 {
			cost = -1 // a client may send one; it orders as 0
		}
		rows = append(rows, store.TraceSummary{Repo: repo, TraceID: fmt.Sprintf("c%03d", i), Start: base.Add(time.Duration(i%5) * time.Second),
			Cost: cost, Revision: 1, Counts: map[string]int{}, Tags: map[string]string{"even": strconv.FormatBool(i%2 == 0)}})
	}
	other := rows[0]
	other.Repo, other.TraceID, other.Cost = "other-repo", "z", 99
	if err := b.PutTraceSummaries(ctx, append(append([]store.TraceSummary{}, rows...), other)); err != nil {
		t.Fatal(err)
	}
	sortable := func(c float64) float64 {
		if !(c > 0) {
			return 0
		}
		return c
	}
	wantOrder := func(keep func(r store.TraceSummary) bool) []string {
		var sel []store.TraceSummary
		for _, r := range rows {
			if keep(r) {
				sel = append(sel, r)
			}
		}
		sort.SliceStable(sel, func(i, j int) bool {
			ci, cj := sortable(sel[i].Cost), sortable(sel[j].Cost)
			if ci != cj {
				return ci > cj
			}
			if !sel[i].Start.Equal(sel[j].Start) {
				return sel[i].Start.After(sel[j].Start)
			}
			return sel[i].TraceID > sel[j].TraceID
		})
		var ids []string
		for _, r := range sel {
			ids = append(ids, r.TraceID)
		}
		return ids
	}
	all := func(q store.TraceQuery) []string {
		var ids []string
		for pages := 0; pages < 100; pages++ {
			p, err := b.SearchTraces(ctx, q)
			if err != nil {
				t.Fatalf("SearchTraces(%+v): %v", q, err)
			}
			for _, r := range p.Traces {
				ids = append(ids, r.TraceID)
			}
			if p.NextCursor == "" {
				break
			}
			q.Cursor = p.NextCursor
		}
		return ids
	}
	cases := []struct {
		name string
		q    store.TraceQuery
		keep func(r store.TraceSummary) bool
	}{
		{"sort=cost pages of 4", store.TraceQuery{Repo: repo, Sort: store.SortCost, Limit: 4}, func(store.TraceSummary) bool { return true }},
		{"sort=cost with a tag", store.TraceQuery{Repo: repo, Sort: store.SortCost, Limit: 3, Tags: map[string]string{"even": "true"}},
			func(r store.TraceSummary) bool { return r.Tags["even"] == "true" }},
		{"sort=cost in a time range", store.TraceQuery{Repo: repo, Sort: store.SortCost, From: base.Add(time.Second), To: base.Add(3 * time.Second)},
			func(r store.TraceSummary) bool {
				return !r.Start.Before(base.Add(time.Second)) && r.Start.Before(base.Add(3*time.Second))
			}},
		{"min_cost sorted by cost", store.TraceQuery{Repo: repo, Sort: store.SortCost, MinCost: 0.05, Limit: 5},
			func(r store.TraceSummary) bool { return r.Cost >= 0.05 }},
	}
	for _, tc := range cases {
		if got, want := all(tc.q), wantOrder(tc.keep); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, want)
		}
	}
	// min_cost on the default order: newest first.
	p, err := b.SearchTraces(ctx, store.TraceQuery{Repo: repo, MinCost: 0.075, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range p.Traces {
		if r.Cost < 0.075 {
			t.Fatalf("min_cost kept %s (cost %v)", r.TraceID, r.Cost)
		}
		if i > 0 && r.Start.After(p.Traces[i-1].Start) {
			t.Fatalf("min_cost without sort is not newest first")
		}
	}
	want := 0
	for _, r := range rows {
		if r.Cost >= 0.075 {
			want++
		}
	}
	if want == 0 || len(p.Traces) != want {
		t.Fatalf("min_cost: %d rows, want %d", len(p.Traces), want)
	}
	// A rewritten summary moves: the cheapest row becomes the most expensive.
	moved := rows[0]
	moved.Cost, moved.Revision = 1, 2
	if err := b.PutTraceSummaries(ctx, []store.TraceSummary{moved}); err != nil {
		t.Fatal(err)
	}
	p, err = b.SearchTraces(ctx, store.TraceQuery{Repo: repo, Sort: store.SortCost, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Traces) != 2 || p.Traces[0].TraceID != moved.TraceID || p.Traces[1].TraceID == moved.TraceID {
		t.Fatalf("after rewrite: %+v", p.Traces)
	}
	if _, err := b.SearchTraces(ctx, store.TraceQuery{Sort: store.SortCost}); !errors.Is(err, store.ErrSortNeedsRepo) {
		t.Fatalf("sort=cost without repo: err = %v, want ErrSortNeedsRepo", err)
	}
}

func testSessions(t *testing.T, b store.Backend) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var rows []store.SessionSummary
	for i := 0; i < 12; i++ {
		rows = append(rows, store.SessionSummary{Repo: repo, SessionID: fmt.Sprintf("s%02d", i), Start: base.Add(time.Duration(i) * time.Minute),
			TraceCount: i, Revision: 1, Tags: map[string]string{"k": "v"}})
	}
	rows = append(rows, store.SessionSummary{Repo: "other-repo", SessionID: "x", Start: base, Revision: 1})
	if err := b.PutSessionSummaries(ctx, rows); err != nil {
		t.Fatal(err)
	}
	// Upsert by Revision.
	up := rows[0]
	up.TraceCount, up.Revision = 99, 2
	stale := rows[0]
	stale.TraceCount, stale.Revision = 42, 1
	if err := b.PutSessionSummaries(ctx, []store.SessionSummary{up, stale}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]store.SessionSummary{}
	var order []string
	cursor := ""
	for pages := 0; pages < 20; pages++ {
		p, err := b.SearchSessions(ctx, store.SessionQuery{Repo: repo, Limit: 5, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Sessions {
			if _, dup := seen[s.SessionID]; dup {
				t.Fatalf("session %s repeated", s.SessionID)
			}
			seen[s.SessionID] = s
			order = append(order, s.SessionID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(seen) != 12 || order[0] != "s11" || order[11] != "s00" {
		t.Errorf("sessions: %v", order)
	}
	if seen["s00"].TraceCount != 99 {
		t.Errorf("session upsert by Revision: TraceCount %d", seen["s00"].TraceCount)
	}
	p, err := b.SearchSessions(ctx, store.SessionQuery{Repo: repo, From: base.Add(3 * time.Minute), To: base.Add(5 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sessions) != 2 || p.Sessions[0].SessionID != "s04" || p.Sessions[1].SessionID != "s03" {
		t.Errorf("session From/To: %+v", p.Sessions)
	}
}

func testBlobs(t *testing.T, b store.Backend) {
	ctx := context.Background()
	data := []byte{0, 1, 2, 255, 'x'}
	if err := b.PutBlob(ctx, repo, "trace/t/files/original/a1", store.Blob{ContentType: "image/png", Data: data}); err != nil {
		t.Fatal(err)
	}
	data[0] = 9 // the store must have copied
	got, err := b.GetBlob(ctx, repo, "trace/t/files/original/a1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ContentType != "image/png" || string(got.Data) != string([]byte{0, 1, 2, 255, 'x'}) {
		t.Errorf("blob = %+v", got)
	}
	if _, err := b.GetBlob(ctx, "other-repo", "trace/t/files/original/a1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("blob visible from another repo: %v", err)
	}
	if err := b.PutBlob(ctx, repo, "trace/t/files/original/a1", store.Blob{ContentType: "text/plain", Data: []byte("v2")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.GetBlob(ctx, repo, "trace/t/files/original/a1"); string(got.Data) != "v2" {
		t.Errorf("PutBlob did not overwrite: %q", got.Data)
	}
	big := make([]byte, 2<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	if err := b.PutBlob(ctx, repo, "large-logs/u", store.Blob{ContentType: "text/plain", Data: big}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.GetBlob(ctx, repo, "large-logs/u"); err != nil || !reflect.DeepEqual(got.Data, big) {
		t.Errorf("2 MiB blob did not round-trip: %v", err)
	}
}

func testNotFound(t *testing.T, b store.Backend) {
	ctx := context.Background()
	if _, err := b.GetBlob(ctx, repo, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetBlob unknown: %v, want ErrNotFound", err)
	}
	if _, err := tree.AssembleTrace(ctx, b, nref("trace", "nope")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AssembleTrace unknown: %v, want ErrNotFound", err)
	}
	if _, err := tree.AssembleSession(ctx, b, nref("session", "nope")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AssembleSession unknown: %v, want ErrNotFound", err)
	}
	got, err := b.Commits(ctx, []commit.NodeRef{nref("trace", "nope")})
	if err != nil || len(got) != 0 {
		t.Errorf("Commits of unknown node: %v, %v", got, err)
	}
	p, err := b.SearchTraces(ctx, store.TraceQuery{Repo: repo})
	if err != nil || len(p.Traces) != 0 || p.NextCursor != "" {
		t.Errorf("empty search: %+v, %v", p, err)
	}
}

func testConcurrent(t *testing.T, b store.Backend) {
	ctx := context.Background()
	const writers, per = 4, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				// Every writer also re-sends writer 0's commits: duplicates race.
				c, _ := commit.ParseLine(repo, []byte(fmt.Sprintf(`trace{id=t,action=add-span,data={"id":"s%d-%d"}}`, w, i)), int64(w*per+i+1))
				d, _ := commit.ParseLine(repo, []byte(fmt.Sprintf(`trace{id=t,action=add-span,data={"id":"s0-%d"}}`, i)), int64(i+1))
				cs := []commit.Commit{c, d}
				if err := b.Apply(ctx, cs, tree.EdgesOfAll(cs)); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, _ := b.Commits(ctx, []commit.NodeRef{nref("trace", "t")})
	if n := len(got[nref("trace", "t")]); n != writers*per {
		t.Errorf("concurrent Apply: %d commits, want %d", n, writers*per)
	}
	kids, _ := b.Children(ctx, []commit.NodeRef{nref("trace", "t")})
	if n := len(kids[nref("trace", "t")]); n != writers*per {
		t.Errorf("concurrent Apply: %d children, want %d", n, writers*per)
	}
}

func testOrphan(t *testing.T, b store.Backend) {
	ctx := context.Background()
	// The generation's own commits arrive first, from another process.
	apply(t, b,
		line(t, `trace{id=t,action=create,data={"name":"x","startTimestamp":"2026-01-01T00:00:00Z"}}`, 1),
		line(t, `generation{id=g,action=result,data={"result":{"object":"chat.completion","usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}}}`, 3),
	)
	tr, err := tree.AssembleTrace(ctx, b, nref("trace", "t"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Root.Children) != 0 || tr.Root.Totals.TotalTokens != 0 {
		t.Fatalf("orphan attached before its edge: %+v", tr.Root.Children)
	}
	apply(t, b, line(t, `trace{id=t,action=add-generation,data={"id":"g","model":"m","messages":[{"role":"user","content":"hi"}]}}`, 2))
	tr, err = tree.AssembleTrace(ctx, b, nref("trace", "t"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Root.Children) != 1 {
		t.Fatalf("orphan not attached once its edge arrived")
	}
	g := tr.Root.Children[0]
	if g.Model != "m" || len(g.Messages) != 1 || g.Usage == nil || g.Usage.TotalTokens != 7 || tr.Root.Totals.TotalTokens != 7 {
		t.Errorf("attached orphan not folded with its seed: %+v", g.Node)
	}
}
