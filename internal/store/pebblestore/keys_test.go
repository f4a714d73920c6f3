package pebblestore

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"unsafe"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Refs round-trip through the key encoding, NUL bytes and empty strings
// included, and decoding one ref from a long buffer leaves the rest intact.
func TestRefEncodingRoundTrip(t *testing.T) {
	refs := []commit.NodeRef{
		{Repo: "r", Kind: commit.EntitySpan, ID: "s1"},
		{Repo: "", Kind: commit.EntityTrace, ID: ""},
		{Repo: "r", Kind: "", ID: "z"},
		{Repo: "a\x00b", Kind: commit.EntityGeneration, ID: "\x00\x00x\x00"},
		{Repo: "ü", Kind: commit.EntityToolCall, ID: "\xff\x01\x00\x01"},
	}
	var buf []byte
	for _, r := range refs {
		buf = appendRef(buf, r)
	}
	rest := buf
	for i, want := range refs {
		got, next, err := readRef(rest)
		if err != nil {
			t.Fatalf("ref %d: %v", i, err)
		}
		if got != want {
			t.Fatalf("ref %d = %q, want %q", i, got, want)
		}
		rest = next
	}
	if len(rest) != 0 {
		t.Fatalf("%d bytes left after the last ref", len(rest))
	}
	for _, bad := range [][]byte{{'a'}, {'a', 0}, {'a', 0, 7}} {
		if _, _, err := readString(bad); err == nil {
			t.Errorf("readString(%q) accepted a corrupt component", bad)
		}
	}
}

// readRefIn decodes exactly what readRef does whatever the repo hint: the
// hint's string is reused only when the component is that repo (not a
// longer repo it prefixes, not a repo with NUL bytes, whose encoding
// differs from its bytes), and known kinds share the entity constants.
func TestReadRefInIsReadRef(t *testing.T) {
	refs := []commit.NodeRef{
		{Repo: "r", Kind: commit.EntitySpan, ID: "s1"},
		{Repo: "r2", Kind: commit.EntityGeneration, ID: "g"},
		{Repo: "", Kind: commit.EntityTrace, ID: ""},
		{Repo: "r", Kind: "", ID: "z"},
		{Repo: "r\x00", Kind: "custom_kind", ID: "x"},
		{Repo: "r\x00\x01", Kind: commit.EntityToolCall, ID: "\x00"},
	}
	for _, hint := range []string{"", "r", "r2", "r\x00", "r\x00\x01", "other"} {
		for _, want := range refs {
			buf := append(appendRef(nil, want), "tail"...)
			got, rest, err := readRefIn(buf, hint)
			if err != nil || got != want || string(rest) != "tail" {
				t.Errorf("readRefIn(%q, hint %q) = %q, %q, %v", appendRef(nil, want), hint, got, rest, err)
			}
		}
	}
	got, _, _ := readRefIn(appendRef(nil, refs[0]), "r")
	if unsafe.StringData(string(got.Kind)) != unsafe.StringData(string(commit.EntitySpan)) {
		t.Error("a known kind was decoded into a new string")
	}
}

// Decoding a change-log entry of n refs must allocate O(n) bytes: each
// component is copied alone, never sized by the rest of the entry (the old
// sizing allocated ~n²/2 bytes per component kind). Bytes allocated do not
// depend on timing, so this checks the complexity without measuring speed.
func TestReadRefAllocatesOnlyTheRef(t *testing.T) {
	const n = 10_000
	ref := commit.NodeRef{Repo: "repo-a", Kind: commit.EntitySpan, ID: "span-id-0123456789"}
	var entry []byte
	for range n {
		entry = appendRef(entry, ref)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rest := entry
	for len(rest) > 0 {
		var err error
		if _, rest, err = readRef(rest); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	// The three strings of a ref are 30 bytes; allow generous size-class
	// rounding and the runtime's own small allocations.
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(n*128+1<<20); got > limit {
		t.Fatalf("decoding %d refs allocated %d bytes, want ≤ %d", n, got, limit)
	}
}

// Reading nodes that have no commits must not resolve a neighbour's merge
// operands: the children of a wide trace are span nodes known only by their
// edges, and each of their keys sorts just before the trace's. Bytes
// allocated do not depend on timing: resolving the trace's 5,000-record set
// once per missing child allocated gigabytes.
func TestCommitsOfMissingNodesSkipNeighbours(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	const n = 5_000
	var cs []commit.Commit
	var missing []commit.NodeRef
	cs = append(cs, mk("r", commit.EntityTrace, "wide", commit.ActionCreate, `{"name":"wide"}`, 1))
	for i := range n {
		id := fmt.Sprintf("s%05d", i)
		cs = append(cs, mk("r", commit.EntityTrace, "wide", commit.ActionAddSpan, fmt.Sprintf(`{"id":%q}`, id), int64(i+2)))
		missing = append(missing, commit.NodeRef{Repo: "r", Kind: commit.EntitySpan, ID: id})
	}
	if err := s.Apply(ctx, cs, nil); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := s.Commits(ctx, missing)
	runtime.ReadMemStats(&after)
	if err != nil || len(got) != 0 {
		t.Fatalf("Commits of edge-only nodes = %d sets, %v", len(got), err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Fatalf("reading %d missing nodes allocated %d bytes: the neighbouring trace's commit set was merged per seek", n, alloc)
	}
	if wide, err := s.Commits(ctx, []commit.NodeRef{{Repo: "r", Kind: commit.EntityTrace, ID: "wide"}}); err != nil || len(wide[commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "wide"}]) != n+1 {
		t.Fatalf("the trace itself reads %d commits, %v", len(wide), err)
	}
}
