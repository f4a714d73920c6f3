package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TestArbitraryBytesInKeys: SDK entity ids are arbitrary bytes (a raw NUL,
// invalid UTF-8, or "\u0000" in a JSON child id), and so may repos, names
// and blob keys be. PostgreSQL text would refuse them and fail the whole
// batch for ever; the store must keep them exactly.
func TestArbitraryBytesInKeys(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	repo := "re\x00po\xff"
	ids := []string{"nul\x00id", "bad\xfe\xffutf8", "plain", "é-ü"}
	var cs []commit.Commit
	var edges []store.Edge
	root := commit.NodeRef{Repo: repo, Kind: commit.EntityTrace, ID: ids[0]}
	for i, id := range ids {
		c := commit.Commit{Repo: repo, Entity: commit.EntitySpan, EntityID: id, Action: commit.Action("upd\x00ate"),
			Data: json.RawMessage(`{"name":"x\u0000y"}`), Version: int64(i + 1)}
		c.Seal()
		cs = append(cs, c)
		edges = append(edges, store.Edge{Parent: root, Child: c.Node()})
	}
	if err := s.Apply(ctx, cs, edges); err != nil {
		t.Fatalf("Apply with arbitrary bytes: %v", err)
	}
	var refs []commit.NodeRef
	for _, c := range cs {
		refs = append(refs, c.Node())
	}
	got, err := s.Commits(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if !reflect.DeepEqual(got[c.Node()], []commit.Commit{c}) {
			t.Errorf("%q: got %+v want %+v", c.EntityID, got[c.Node()], c)
		}
	}
	kids, err := s.Children(ctx, []commit.NodeRef{root})
	if err != nil || len(kids[root]) != len(ids) {
		t.Fatalf("children: %v %v", kids, err)
	}
	// Bytewise (Go string) order, the Reader contract.
	for i := 1; i < len(kids[root]); i++ {
		if kids[root][i-1].ID >= kids[root][i].ID {
			t.Fatalf("children not in byte order: %q", kids[root])
		}
	}
	byChild, err := s.Parents(ctx, []commit.NodeRef{cs[1].Node()})
	if parents := byChild[cs[1].Node()]; err != nil || !reflect.DeepEqual(parents, []commit.NodeRef{root}) {
		t.Fatalf("parents: %v %v", parents, err)
	}
	changed, _, err := s.ChangedSince(ctx, 0, 100)
	if err != nil || len(changed) != len(ids)+1 {
		t.Fatalf("change log: %q %v", changed, err)
	}

	start := time.Date(2026, 11, 22, 1, 2, 3, 4, time.UTC)
	var rows []store.TraceSummary
	for i, id := range ids {
		rows = append(rows, store.TraceSummary{Repo: repo, TraceID: id, Name: "n\x00ame", SessionID: "s\xff",
			Start: start, Tags: map[string]string{"k\x00": "v\x00", "env": "prod"}, Models: []string{"m\x00", "gpt"},
			Counts: map[string]int{}, Revision: int64(i + 1)})
	}
	if err := s.PutTraceSummaries(ctx, rows); err != nil {
		t.Fatalf("summaries with arbitrary bytes: %v", err)
	}
	q := store.TraceQuery{Repo: repo, Name: "n\x00ame", SessionID: "s\xff", Tags: map[string]string{"k\x00": "v\x00"}, Model: "m\x00", Limit: 1}
	var seen []string
	for range 10 {
		page, err := s.SearchTraces(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Traces {
			seen = append(seen, r.TraceID)
			if r.Repo != repo || r.Name != "n\x00ame" || r.SessionID != "s\xff" {
				t.Fatalf("row keys not exact: %+v", r)
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	// Same start: newest-first ties go by id descending, byte order.
	want := []string{"é-ü", "plain", "nul\x00id", "bad\xfe\xffutf8"}
	if !reflect.DeepEqual(seen, want) {
		t.Fatalf("paged ids %q, want %q", seen, want)
	}

	if err := s.PutBlob(ctx, repo, "key\x00\xff", store.Blob{ContentType: "a/b\x00", Data: []byte{0, 1, 2}}); err != nil {
		t.Fatal(err)
	}
	bl, err := s.GetBlob(ctx, repo, "key\x00\xff")
	if err != nil || bl.ContentType != "a/b\x00" || !reflect.DeepEqual(bl.Data, []byte{0, 1, 2}) {
		t.Fatalf("blob: %+v %v", bl, err)
	}
	if err := s.Delete(ctx, refs); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Commits(ctx, refs); err != nil || len(got) != 0 {
		t.Fatalf("after delete: %v %v", got, err)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range []cursor{{}, {Start: -5, Repo: "r", ID: "i"}, {Start: 1 << 62, Repo: "\x00\xff", ID: ""}, {Repo: "", ID: "x\x00"}} {
		got, err := decodeCursor(encodeCursor(c), c.ByCost)
		if err != nil || got != c {
			t.Errorf("%+v: got %+v %v", c, got, err)
		}
	}
	for _, bad := range []string{"", "!!", "AAAA", encodeCursor(cursor{Repo: "abc"})[:14]} {
		if _, err := decodeCursor(bad, false); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestChunkCommits(t *testing.T) {
	mk := func(n int) *commit.Commit { return &commit.Commit{Data: make([]byte, n)} }
	cs := []*commit.Commit{mk(100), mk(100), mk(1000), mk(10), mk(10)}
	chunks := chunkCommits(cs, 300)
	var sizes []int
	total := 0
	for _, ch := range chunks {
		sizes = append(sizes, len(ch))
		total += len(ch)
	}
	// 100+64, 100+64 > 300 → split; the 1000-byte commit alone; the two
	// small ones together.
	if !reflect.DeepEqual(sizes, []int{1, 1, 1, 2}) || total != len(cs) {
		t.Fatalf("chunk sizes %v", sizes)
	}
	if got := chunkCommits(nil, 300); len(got) != 0 {
		t.Fatalf("empty input gave %d chunks", len(got))
	}
}

// TestApplyLargeCommitsInChunks applies more commit data than one chunk
// holds, in one Apply: every commit lands, in one transaction.
func TestApplyLargeCommitsInChunks(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	big := `{"output":"` + strings.Repeat("x", 900_000) + `"}`
	var cs []commit.Commit
	for i := range 40 { // ~36 MB: more than one 32 MB chunk
		c := commit.Commit{Repo: "r", Entity: commit.EntityGeneration, EntityID: fmt.Sprintf("g%d", i),
			Action: commit.ActionResult, Data: json.RawMessage(big), Version: int64(i)}
		c.Seal()
		cs = append(cs, c)
	}
	if err := s.Apply(ctx, cs, nil); err != nil {
		t.Fatal(err)
	}
	var refs []commit.NodeRef
	for _, c := range cs {
		refs = append(refs, c.Node())
	}
	got, err := s.Commits(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cs) {
		t.Fatalf("%d of %d nodes stored", len(got), len(cs))
	}
	for _, c := range cs {
		if g := got[c.Node()]; len(g) != 1 || len(g[0].Data) != len(big) {
			t.Fatalf("%s not stored whole", c.EntityID)
		}
	}
}
