package pebblestore

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/memstore"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

func openTest(t testing.TB, dir string) *Store {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Directory = dir
	cfg.CacheSizeMiB = 8
	cfg.MemTableSizeMiB = 4
	s, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mk(repo string, e commit.Entity, id string, a commit.Action, data string, version int64) commit.Commit {
	c := commit.Commit{Repo: repo, Entity: e, EntityID: id, Action: a, Data: json.RawMessage(data), Version: version}
	c.Seal()
	return c
}

func TestCommitSetUnionAnyOrder(t *testing.T) {
	ctx := context.Background()
	var cs []commit.Commit
	for i := range 20 {
		cs = append(cs, mk("r", commit.EntityTrace, "t1", commit.ActionUpdate, fmt.Sprintf(`{"n":%d}`, i), int64(100+i)))
	}
	ref := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "t1"}
	var want []commit.Commit
	for seed := range uint64(4) {
		s := openTest(t, t.TempDir())
		// Shuffle, duplicate, and split across Apply calls; a duplicate with a
		// higher version must lose to the original's lower version.
		in := append([]commit.Commit(nil), cs...)
		dup := cs[3]
		dup.Version = 999
		in = append(in, dup, cs[7])
		r := rand.New(rand.NewPCG(seed, 1))
		r.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		for len(in) > 0 {
			n := 1 + r.IntN(len(in))
			if err := s.Apply(ctx, in[:n], nil); err != nil {
				t.Fatal(err)
			}
			in = in[n:]
		}
		got, err := s.Commits(ctx, []commit.NodeRef{ref})
		if err != nil {
			t.Fatal(err)
		}
		if len(got[ref]) != len(cs) {
			t.Fatalf("seed %d: %d commits, want %d", seed, len(got[ref]), len(cs))
		}
		if !reflect.DeepEqual(got[ref], cs) {
			t.Fatalf("seed %d: commit set differs from input sorted by version", seed)
		}
		if want == nil {
			want = got[ref]
		}
		// Compaction runs the merge operator with partial operand sets; the
		// result must stay the same.
		if err := s.db.Compact(ctx, []byte{pNode}, []byte{pNode + 1}, true); err != nil {
			t.Fatal(err)
		}
		got, err = s.Commits(ctx, []commit.NodeRef{ref})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got[ref], want) {
			t.Fatalf("seed %d: commit set changed after compaction", seed)
		}
		_ = s.Close()
	}
}

func TestEdgesBothDirections(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	tr := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "t"}
	sp := commit.NodeRef{Repo: "r", Kind: commit.EntitySpan, ID: "s\x00weird"}
	ge := commit.NodeRef{Repo: "r", Kind: commit.EntityGeneration, ID: "g"}
	se := commit.NodeRef{Repo: "r", Kind: commit.EntitySession, ID: "sess"}
	edges := []store.Edge{{Parent: tr, Child: sp}, {Parent: tr, Child: ge}, {Parent: se, Child: tr}, {Parent: tr, Child: sp}}
	if err := s.Apply(ctx, nil, edges); err != nil {
		t.Fatal(err)
	}
	kids, err := s.Children(ctx, []commit.NodeRef{tr, sp})
	if err != nil {
		t.Fatal(err)
	}
	if want := []commit.NodeRef{ge, sp}; !reflect.DeepEqual(kids[tr], want) {
		t.Fatalf("children = %v, want %v", kids[tr], want)
	}
	if _, ok := kids[sp]; ok {
		t.Fatalf("leaf has children: %v", kids[sp])
	}
	ps, err := s.Parents(ctx, []commit.NodeRef{tr})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ps[tr], []commit.NodeRef{se}) {
		t.Fatalf("parents = %v", ps[tr])
	}
	// Deleting the trace removes the edges in both directions.
	if err := s.Delete(ctx, []commit.NodeRef{tr}); err != nil {
		t.Fatal(err)
	}
	if ps, _ := s.Parents(ctx, []commit.NodeRef{sp}); len(ps[sp]) != 0 {
		t.Fatalf("parents of span after delete = %v", ps)
	}
	if kids, _ := s.Children(ctx, []commit.NodeRef{se}); len(kids[se]) != 0 {
		t.Fatalf("children of session after delete = %v", kids[se])
	}
}

func TestRestartKeepsDataAndSequence(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir)
	c1 := mk("r", commit.EntityTrace, "t1", commit.ActionCreate, `{"name":"a"}`, 1)
	c2 := mk("r", commit.EntitySpan, "s1", commit.ActionCreate, `{}`, 2)
	if err := s.Apply(ctx, []commit.Commit{c1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, []commit.Commit{c2}, []store.Edge{{Parent: c1.Node(), Child: c2.Node()}}); err != nil {
		t.Fatal(err)
	}
	refs, next, err := s.ChangedSince(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if next != position(3, 0) || len(refs) != 2 || refs[0] != c1.Node() || refs[1] != c2.Node() {
		t.Fatalf("ChangedSince(0) = %v, %d", refs, next)
	}
	if err := s.SetIndexCheckpoint(ctx, position(2, 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlob(ctx, "r", "large-logs/x", store.Blob{ContentType: "text/plain", Data: []byte("hello")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTest(t, dir)
	defer s.Close()
	cp, err := s.IndexCheckpoint(ctx)
	if err != nil || cp != position(2, 0) {
		t.Fatalf("checkpoint = %d, %v", cp, err)
	}
	refs, next, err = s.ChangedSince(ctx, cp, 100)
	if err != nil {
		t.Fatal(err)
	}
	if next != position(3, 0) || len(refs) != 2 || refs[0] != c2.Node() || refs[1] != c1.Node() {
		t.Fatalf("ChangedSince(1) after restart = %v, %d", refs, next)
	}
	got, err := s.Commits(ctx, []commit.NodeRef{c1.Node(), c2.Node()})
	if err != nil || len(got) != 2 || !reflect.DeepEqual(got[c1.Node()][0], c1) {
		t.Fatalf("commits after restart = %v, %v", got, err)
	}
	b, err := s.GetBlob(ctx, "r", "large-logs/x")
	if err != nil || string(b.Data) != "hello" || b.ContentType != "text/plain" {
		t.Fatalf("blob after restart = %+v, %v", b, err)
	}
	// The sequence resumes after the last entry: a new Apply is position 3.
	if err := s.Apply(ctx, []commit.Commit{mk("r", commit.EntityTrace, "t2", commit.ActionCreate, `{}`, 3)}, nil); err != nil {
		t.Fatal(err)
	}
	refs, next, _ = s.ChangedSince(ctx, position(3, 0), 100)
	if next != position(4, 0) || len(refs) != 1 || refs[0].ID != "t2" {
		t.Fatalf("ChangedSince(2) = %v, %d", refs, next)
	}
	// After the checkpoint passes everything and the log is trimmed, a
	// restart must not reuse positions.
	if err := s.SetIndexCheckpoint(ctx, position(4, 0)); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s = openTest(t, dir)
	defer s.Close()
	if err := s.Apply(ctx, []commit.Commit{mk("r", commit.EntityTrace, "t3", commit.ActionCreate, `{}`, 4)}, nil); err != nil {
		t.Fatal(err)
	}
	refs, next, _ = s.ChangedSince(ctx, position(4, 0), 100)
	if next != position(5, 0) || len(refs) != 1 || refs[0].ID != "t3" {
		t.Fatalf("after trim+restart ChangedSince(3) = %v, %d", refs, next)
	}
	if _, err := s.GetBlob(ctx, "r", "missing"); err != store.ErrNotFound {
		t.Fatalf("missing blob err = %v", err)
	}
}

// TestChangedSinceNeverSkipsInFlight applies concurrently while reading the
// change log like the indexer does; every applied node must be seen.
func TestChangedSinceNeverSkipsInFlight(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	const writers, per = 4, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				c := mk("r", commit.EntityTrace, fmt.Sprintf("w%d-%d", w, i), commit.ActionCreate, `{}`, int64(i))
				if err := s.Apply(ctx, []commit.Commit{c}, nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[string]bool{}
	var pos uint64
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		refs, next, err := s.ChangedSince(ctx, pos, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range refs {
			seen[r.ID] = true
		}
		pos = next
		if finished && len(refs) == 0 {
			break
		}
	}
	if len(seen) != writers*per {
		t.Fatalf("saw %d nodes, want %d", len(seen), writers*per)
	}
}

func summary(repo, id string, start time.Time, rev int64) store.TraceSummary {
	return store.TraceSummary{Repo: repo, TraceID: id, Start: start, LastActivity: start, Revision: rev, Counts: map[string]int{}}
}

func TestSearchTraces(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var rows []store.TraceSummary
	for i := range 100 {
		r := summary("r", fmt.Sprintf("t%03d", i), base.Add(time.Duration(i)*time.Minute), 1)
		r.Name = []string{"chat", "search"}[i%2]
		r.SessionID = fmt.Sprintf("s%d", i%5)
		r.Tags = map[string]string{"env": []string{"prod", "dev"}[i%3%2]}
		r.Models = []string{[]string{"gpt-4o", "claude"}[i%4/2]}
		r.Error = i%10 == 0
		r.DurationMs = float64(i * 100)
		rows = append(rows, r)
	}
	rows = append(rows, summary("other", "x", base, 1))
	if err := s.PutTraceSummaries(ctx, rows); err != nil {
		t.Fatal(err)
	}
	want := func(q store.TraceQuery) []string {
		var ids []string
		for i := len(rows) - 2; i >= 0; i-- {
			if memstore.MatchTrace(&rows[i], &q) {
				ids = append(ids, rows[i].TraceID)
			}
		}
		return ids
	}
	queries := []store.TraceQuery{
		{Repo: "r"},
		{Repo: "r", Name: "chat"},
		{Repo: "r", SessionID: "s3"},
		{Repo: "r", Tags: map[string]string{"env": "dev"}, Name: "search"},
		{Repo: "r", Model: "claude", ErrorOnly: true},
		{Repo: "r", ErrorOnly: true},
		{Repo: "r", MinDuration: 5 * time.Second},
		{Repo: "r", From: base.Add(10 * time.Minute), To: base.Add(30 * time.Minute)},
		{Repo: "r", Name: "chat", From: base.Add(10 * time.Minute), To: base.Add(31 * time.Minute)},
		{Repo: "r", InactiveBefore: base.Add(20 * time.Minute)},
		{Repo: "r", Tags: map[string]string{"env": "prod", "missing": "x"}},
		{Name: "chat", Model: "claude", MinDuration: 3 * time.Second},
	}
	for _, q := range queries {
		for _, limit := range []int{1, 7, 1000} {
			q.Limit = limit
			var got []string
			q.Cursor = ""
			for pages := 0; ; pages++ {
				p, err := s.SearchTraces(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Traces) > limit {
					t.Fatalf("page of %d > limit %d", len(p.Traces), limit)
				}
				for _, tr := range p.Traces {
					got = append(got, tr.TraceID)
				}
				if p.NextCursor == "" {
					break
				}
				if len(p.Traces) == 0 {
					t.Fatalf("%+v: empty page with a cursor", q)
				}
				q.Cursor = p.NextCursor
			}
			if w := want(q); !reflect.DeepEqual(got, w) {
				t.Fatalf("%+v:\n got %v\nwant %v", q, got, w)
			}
		}
	}
	// All repos: the global index.
	p, err := s.SearchTraces(ctx, store.TraceQuery{Limit: 1000})
	if err != nil || len(p.Traces) != 101 {
		t.Fatalf("all repos: %d, %v", len(p.Traces), err)
	}

	// A lower revision never replaces a row; a higher one replaces it and
	// its index entries.
	old := rows[5]
	old.Name = "stale"
	old.Revision = 0
	upd := rows[6]
	upd.Name = "renamed"
	upd.Revision = 2
	if err := s.PutTraceSummaries(ctx, []store.TraceSummary{old, upd}); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.SearchTraces(ctx, store.TraceQuery{Repo: "r", Name: "stale"}); len(p.Traces) != 0 {
		t.Fatalf("lower revision replaced the row: %v", p.Traces)
	}
	p, _ = s.SearchTraces(ctx, store.TraceQuery{Repo: "r", Name: "renamed"})
	if len(p.Traces) != 1 || p.Traces[0].TraceID != "t006" || p.Traces[0].Revision != 2 {
		t.Fatalf("renamed = %v", p.Traces)
	}
	for _, tr := range mustSearch(t, s, store.TraceQuery{Repo: "r", Name: "chat", Limit: 1000}) {
		if tr.TraceID == "t006" {
			t.Fatal("old name index entry survived the update")
		}
	}
	// Delete removes the row and all its index entries.
	if err := s.Delete(ctx, []commit.NodeRef{{Repo: "r", Kind: commit.EntityTrace, ID: "t006"}}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []store.TraceQuery{{Repo: "r", Name: "renamed"}, {Repo: "r", SessionID: "s1", Limit: 1000}, {Limit: 1000}} {
		for _, tr := range mustSearch(t, s, q) {
			if tr.TraceID == "t006" {
				t.Fatalf("%+v: deleted trace still found", q)
			}
		}
	}
}

func mustSearch(t *testing.T, s *Store, q store.TraceQuery) []store.TraceSummary {
	t.Helper()
	p, err := s.SearchTraces(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return p.Traces
}

func TestSearchSessions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var rows []store.SessionSummary
	for i := range 30 {
		rows = append(rows, store.SessionSummary{Repo: "r", SessionID: fmt.Sprintf("s%02d", i), Start: base.Add(time.Duration(i) * time.Hour), Revision: 1})
	}
	if err := s.PutSessionSummaries(ctx, rows); err != nil {
		t.Fatal(err)
	}
	var got []string
	q := store.SessionQuery{Repo: "r", Limit: 4, From: base.Add(5 * time.Hour), To: base.Add(15 * time.Hour)}
	for {
		p, err := s.SearchSessions(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range p.Sessions {
			got = append(got, x.SessionID)
		}
		if p.NextCursor == "" {
			break
		}
		q.Cursor = p.NextCursor
	}
	var want []string
	for i := 14; i >= 5; i-- {
		want = append(want, fmt.Sprintf("s%02d", i))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	if err := s.Delete(ctx, []commit.NodeRef{{Repo: "r", Kind: commit.EntitySession, ID: "s10"}}); err != nil {
		t.Fatal(err)
	}
	p, _ := s.SearchSessions(ctx, store.SessionQuery{Limit: 100})
	if len(p.Sessions) != 29 {
		t.Fatalf("after delete: %d sessions", len(p.Sessions))
	}
}

func TestLargeNode(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	big := make([]byte, 2<<20)
	for i := range big {
		big[i] = 'a' + byte(i%26)
	}
	c := mk("r", commit.EntityGeneration, "g", commit.ActionResult, `"`+string(big)+`"`, 1)
	small := mk("r", commit.EntityGeneration, "g", commit.ActionUpdate, `{}`, 2)
	if err := s.Apply(ctx, []commit.Commit{c}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, []commit.Commit{small, c}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Commits(ctx, []commit.NodeRef{c.Node()})
	if err != nil {
		t.Fatal(err)
	}
	if cs := got[c.Node()]; len(cs) != 2 || len(cs[0].Data) != len(c.Data) || cs[0].ID != c.ID {
		t.Fatalf("large node read back wrong: %d commits", len(cs))
	}
}

// TestChangedSincePagesInsideOneApply pages with a limit smaller than one
// Apply's node count, across a restart with a mid-entry checkpoint.
func TestChangedSincePagesInsideOneApply(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir)
	var cs []commit.Commit
	for i := range 5 {
		cs = append(cs, mk("r", commit.EntitySpan, fmt.Sprintf("s%d", i), commit.ActionCreate, `{}`, int64(i)))
	}
	if err := s.Apply(ctx, cs, nil); err != nil {
		t.Fatal(err)
	}
	refs, pos, err := s.ChangedSince(ctx, 0, 2)
	if err != nil || len(refs) != 2 || refs[0].ID != "s0" || refs[1].ID != "s1" {
		t.Fatalf("first page = %v, %v", refs, err)
	}
	if err := s.SetIndexCheckpoint(ctx, pos); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s = openTest(t, dir)
	defer s.Close()
	cp, _ := s.IndexCheckpoint(ctx)
	var got []string
	for {
		refs, next, err := s.ChangedSince(ctx, cp, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) == 0 {
			if next != cp {
				t.Fatalf("empty page moved %d -> %d", cp, next)
			}
			break
		}
		for _, r := range refs {
			got = append(got, r.ID)
		}
		cp = next
	}
	if fmt.Sprint(got) != "[s2 s3 s4]" {
		t.Fatalf("after restart got %v", got)
	}
	// A new Apply after the restart gets a new entry, not a reused one.
	if err := s.Apply(ctx, []commit.Commit{mk("r", commit.EntityTrace, "t", commit.ActionCreate, `{}`, 9)}, nil); err != nil {
		t.Fatal(err)
	}
	refs, _, _ = s.ChangedSince(ctx, cp, 10)
	if len(refs) != 1 || refs[0].ID != "t" {
		t.Fatalf("after new apply: %v", refs)
	}
}

// TestCompactionKeepsEveryNodesCommits: the merge operator reuses its
// buffers, handing each back only when Pebble closes the merged value; a
// buffer reused too early would show here as one node's commit set written
// with another's bytes. Operands of 300 nodes are spread over three
// flushed tables (and one node over the pooling bound), then compacted.
func TestCompactionKeepsEveryNodesCommits(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	want := map[commit.NodeRef][]commit.Commit{}
	var refs []commit.NodeRef
	for round := range 3 {
		var batch []commit.Commit
		for n := range 300 {
			id := fmt.Sprintf("node-%03d", n)
			pad := strings.Repeat("x", (n*37+round*11)%900)
			if n == 7 && round == 1 {
				pad = strings.Repeat("y", 300<<10)
			}
			c := mk("r", commit.EntitySpan, id, commit.ActionUpdate, fmt.Sprintf(`{"round":%d,"pad":%q}`, round, pad), int64(1000*round+n))
			batch = append(batch, c)
			ref := c.Node()
			if round == 0 {
				refs = append(refs, ref)
			}
			want[ref] = append(want[ref], c)
		}
		if err := s.Apply(ctx, batch, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		got, err := s.Commits(ctx, refs)
		if err != nil {
			t.Fatal(err)
		}
		for _, ref := range refs {
			if !reflect.DeepEqual(got[ref], want[ref]) {
				t.Fatalf("%s: %s has %d commits, not the %d written (or other bytes)", when, ref.ID, len(got[ref]), len(want[ref]))
			}
		}
	}
	check("before compaction")
	if err := s.db.Compact(ctx, []byte{pNode}, []byte{pNode + 1}, true); err != nil {
		t.Fatal(err)
	}
	check("after compaction")
}
