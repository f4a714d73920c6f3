package pebblestore

import (
	"runtime"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Refs round-trip through the key encoding, NUL bytes and empty strings
// included, and decoding one ref from a long buffer leaves the rest intact.
func TestRefEncodingRoundTrip(t *testing.T) {
	refs := []commit.NodeRef{
		{Repo: "r", Kind: commit.EntitySpan, ID: "s1"},
		{Repo: "", Kind: commit.EntityTrace, ID: ""},
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
