package store

import (
	"testing"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// The stored names are the keys the users wrote before namespaces existed
// (so old data stays readable), and every key built here classifies back
// to its namespace.
func TestBlobKeysKeepLegacyNamesAndClassify(t *testing.T) {
	sp := commit.NodeRef{Repo: "r1", Kind: commit.EntitySpan, ID: "s1"}
	ll := LargeLogKey("r1", "0b6f")
	link, ok := LargeLogLink(sp, ll)
	if !ok {
		t.Fatal("LargeLogLink refused a large-log key")
	}
	for _, tc := range []struct {
		k        BlobKey
		ns       BlobNamespace
		repo, nm string
	}{
		{AttachmentKey(sp, "original", "a1"), BlobAttachment, "r1", "r1/span/s1/files/original/a1"},
		{ll, BlobLargeLog, "r1", "r1/large-logs/0b6f"},
		{link, BlobLargeLog, "r1", "r1/span/s1/large-logs/0b6f"},
		{PendingKey(ll), BlobPending, "r1", "r1/large-logs/0b6f#mxin-pending"},
		{FeedMarkerKey("tracetree_feed/a", commit.NodeRef{Repo: "r1", Kind: commit.EntityTrace, ID: "t/1"}), BlobFeed, "r1", "_feed/tracetree_feed/a/trace/t%2F1"},
		{FeedCheckpointKey("_tracetree_feed", "tracetree_feed"), BlobFeed, "_tracetree_feed", "_feed/tracetree_feed/checkpoint"},
		{ClientKey("r1/component/state"), BlobStorage, "r1", "r1/component/state"},
		{ClientKey("no-slash"), BlobStorage, "", "no-slash"},
	} {
		if tc.k.NS != tc.ns || tc.k.Repo != tc.repo || tc.k.Name != tc.nm {
			t.Errorf("key %+v; want %s (%q, %q)", tc.k, tc.ns, tc.repo, tc.nm)
		}
		if got := Namespace(tc.k.Repo, tc.k.Name); got != tc.ns {
			t.Errorf("Namespace(%q, %q) = %s, want %s", tc.k.Repo, tc.k.Name, got, tc.ns)
		}
		if tc.k.NS != BlobFeed {
			if got := ClientKey(tc.k.Name); got != tc.k {
				t.Errorf("ClientKey(%q) = %+v, want %+v", tc.k.Name, got, tc.k)
			}
		}
	}
}

func TestOwnedBy(t *testing.T) {
	sp := commit.NodeRef{Repo: "r1", Kind: commit.EntitySpan, ID: "s1"}
	link, _ := LargeLogLink(sp, LargeLogKey("r1", "u"))
	for _, tc := range []struct {
		repo, name string
		want       bool
	}{
		{"r1", AttachmentKey(sp, "original", "a").Name, true},
		{"r1", link.Name, true},
		{"r2", AttachmentKey(sp, "original", "a").Name, false},
		{"r1", "r1/span/s1/large-logs/u/extra", false},
		{"r1", AttachmentKey(commit.NodeRef{Repo: "r1", Kind: commit.EntitySpan, ID: "s1/x"}, "original", "a").Name, false},
		{"r1", AttachmentKey(commit.NodeRef{Repo: "r1", Kind: commit.EntitySpan, ID: "s10"}, "original", "a").Name, false},
		{"r1", "r1/span/s1/state", false},
		{"r1", LargeLogKey("r1", "u").Name, false},
	} {
		if got := OwnedBy(sp, tc.repo, tc.name); got != tc.want {
			t.Errorf("OwnedBy(span s1, %q, %q) = %v, want %v", tc.repo, tc.name, got, tc.want)
		}
		lo, hi := OwnedRange(sp)
		if tc.want && !(tc.name >= lo && tc.name < hi) {
			t.Errorf("%q is owned but outside OwnedRange [%q, %q)", tc.name, lo, hi)
		}
	}
}
