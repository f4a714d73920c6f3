package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// The cases in this file pin the contract's shared pieces (limits.go,
// order.go, revision.go in internal/store) on every backend.

// testNodeOrder: Children and Parents come back in store.CompareNodes
// order — kind, then id, then repository — whatever the order of the
// edges, the key layout or the database's collation. The expected lists are
// written out, so a backend (or the comparator) that sorted by repository
// first would fail here.
func testNodeOrder(t *testing.T, b store.Backend) {
	ctx := context.Background()
	ref := func(repo string, kind commit.Entity, id string) commit.NodeRef {
		return commit.NodeRef{Repo: repo, Kind: kind, ID: id}
	}
	parent := ref(repo, "trace", "p")
	kids := []commit.NodeRef{ // deliberately not in order
		ref("b-repo", "span", "a"),
		ref(repo, "span", "b"),
		ref("z-repo", "generation", "z"),
		ref(repo, "span", "a"),
		ref("a-repo", "span", "b"),
		ref(repo, "generation", "z"),
		ref(repo, "generation", "Z"), // upper case sorts first in byte order
	}
	var edges []store.Edge
	for _, k := range kids {
		edges = append(edges, store.Edge{Parent: parent, Child: k})
	}
	// Parents of one child, from several kinds and repositories.
	child := ref(repo, "tool_call", "c")
	parents := []commit.NodeRef{ref("a-repo", "span", "s2"), ref(repo, "span", "s1"), ref(repo, "generation", "g"), ref("0-repo", "span", "s1")}
	for _, p := range parents {
		edges = append(edges, store.Edge{Parent: p, Child: child})
	}
	if err := b.Apply(ctx, nil, edges); err != nil {
		t.Fatal(err)
	}
	got, err := b.Children(ctx, []commit.NodeRef{parent})
	if err != nil {
		t.Fatal(err)
	}
	wantKids := []commit.NodeRef{
		ref(repo, "generation", "Z"),
		ref(repo, "generation", "z"),
		ref("z-repo", "generation", "z"),
		ref("b-repo", "span", "a"),
		ref(repo, "span", "a"),
		ref("a-repo", "span", "b"),
		ref(repo, "span", "b"),
	}
	if !reflect.DeepEqual(got[parent], wantKids) {
		t.Errorf("Children order:\n got %v\nwant %v (kind, id, repo)", got[parent], wantKids)
	}
	byChild, err := b.Parents(ctx, []commit.NodeRef{child})
	if err != nil {
		t.Fatal(err)
	}
	gotParents := byChild[child]
	wantParents := []commit.NodeRef{ref(repo, "generation", "g"), ref("0-repo", "span", "s1"), ref(repo, "span", "s1"), ref("a-repo", "span", "s2")}
	if !reflect.DeepEqual(gotParents, wantParents) {
		t.Errorf("Parents order:\n got %v\nwant %v (kind, id, repo)", gotParents, wantParents)
	}
}

// testPageLimits: every backend pages with store.DefaultPageLimit and caps
// at store.MaxPageLimit, for traces, sessions and the change log.
func testPageLimits(t *testing.T, b store.Backend) {
	ctx := context.Background()
	n := store.MaxPageLimit + 1
	base := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	traces := make([]store.TraceSummary, n)
	sessions := make([]store.SessionSummary, n)
	commits := make([]commit.Commit, n)
	for i := range n {
		id := fmt.Sprintf("l%05d", i)
		start := base.Add(time.Duration(i) * time.Second)
		traces[i] = store.TraceSummary{Repo: repo, TraceID: id, Start: start, LastActivity: start, Revision: 1, Counts: map[string]int{}}
		sessions[i] = store.SessionSummary{Repo: repo, SessionID: id, Start: start, LastActivity: start, Revision: 1}
		commits[i] = line(t, `trace{id=`+id+`,action=create,data={}}`, int64(i+1))
	}
	if err := b.PutTraceSummaries(ctx, traces); err != nil {
		t.Fatal(err)
	}
	if err := b.PutSessionSummaries(ctx, sessions); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(ctx, commits, nil); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		limit, want int
	}{
		{0, store.DefaultPageLimit},
		{-1, store.DefaultPageLimit},
		{7, 7},
		{store.MaxPageLimit + 500, store.MaxPageLimit},
	} {
		tp, err := b.SearchTraces(ctx, store.TraceQuery{Repo: repo, Limit: tc.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(tp.Traces) != tc.want || tp.NextCursor == "" {
			t.Errorf("SearchTraces(Limit %d): %d rows, cursor %q; want %d and a cursor", tc.limit, len(tp.Traces), tp.NextCursor, tc.want)
		}
		sp, err := b.SearchSessions(ctx, store.SessionQuery{Repo: repo, Limit: tc.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(sp.Sessions) != tc.want || sp.NextCursor == "" {
			t.Errorf("SearchSessions(Limit %d): %d rows, cursor %q; want %d and a cursor", tc.limit, len(sp.Sessions), sp.NextCursor, tc.want)
		}
	}
	// The capped page's cursor leads to the one row left.
	tp, err := b.SearchTraces(ctx, store.TraceQuery{Repo: repo, Limit: store.MaxPageLimit + 1})
	if err != nil {
		t.Fatal(err)
	}
	tp, err = b.SearchTraces(ctx, store.TraceQuery{Repo: repo, Limit: store.MaxPageLimit + 1, Cursor: tp.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(tp.Traces) != 1 || tp.Traces[0].TraceID != "l00000" || tp.NextCursor != "" {
		t.Errorf("page after the capped one: %d rows, cursor %q", len(tp.Traces), tp.NextCursor)
	}

	refs, _, err := b.ChangedSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != store.MaxPageLimit {
		t.Errorf("ChangedSince(limit 0) returned %d refs; want store.MaxPageLimit (%d)", len(refs), store.MaxPageLimit)
	}
}

// testSessionUpsert: the revision rule (store.Supersedes) on session rows,
// including two rows of one key in a single batch.
func testSessionUpsert(t *testing.T, b store.Backend) {
	ctx := context.Background()
	st := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	row := func(rev int64, name string) store.SessionSummary {
		return store.SessionSummary{Repo: repo, SessionID: "s", Name: name, Start: st, Revision: rev}
	}
	put := func(rows ...store.SessionSummary) {
		t.Helper()
		if err := b.PutSessionSummaries(ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	get := func() string {
		t.Helper()
		p, err := b.SearchSessions(ctx, store.SessionQuery{Repo: repo})
		if err != nil || len(p.Sessions) != 1 {
			t.Fatalf("search: %v %+v", err, p)
		}
		return p.Sessions[0].Name
	}
	put(row(5, "v5"))
	put(row(5, "v5-again"), row(3, "v3"))
	if got := get(); got != "v5" {
		t.Errorf("a row with a lower or equal revision replaced the stored one: %q", got)
	}
	put(row(9, "v9"), row(7, "v7")) // in one batch: the higher revision wins
	if got := get(); got != "v9" {
		t.Errorf("batch of revisions 9 and 7: got %q, want v9", got)
	}
	put(row(10, "v10"), row(11, "v11"))
	if got := get(); got != "v11" {
		t.Errorf("batch of revisions 10 and 11: got %q, want v11", got)
	}
}

// testDeleteOwnedBlobs: Delete of nodes removes the blobs they own — their
// attachments and the large logs linked to them (store.OwnedBy) — and no
// other blob: not another node's, not one of a node whose id extends the
// deleted one's, not a pending marker, feed marker or storage key.
func testDeleteOwnedBlobs(t *testing.T, b store.Backend) {
	ctx := context.Background()
	tr, sp := nref("trace", "t1"), nref("span", "s1")
	other, nested := nref("trace", "t2"), nref("span", "s1/x")
	ll := store.LargeLogKey(repo, "u1")
	link, ok := store.LargeLogLink(sp, ll)
	if !ok {
		t.Fatal("LargeLogLink refused a large-log key")
	}
	otherLL := store.LargeLogKey(repo, "u2")
	gone := []store.BlobKey{
		store.AttachmentKey(tr, "original", "a1"),
		store.AttachmentKey(sp, "original", "a2"),
		ll, link,
	}
	kept := []store.BlobKey{
		store.AttachmentKey(other, "original", "a3"),
		store.AttachmentKey(nested, "original", "a4"),
		otherLL,
		store.PendingKey(otherLL),
		store.FeedMarkerKey("tracetree_feed", tr),
		store.ClientKey(repo + "/some-component/state"),
	}
	for _, k := range append(append([]store.BlobKey(nil), gone...), kept...) {
		if err := b.PutBlob(ctx, k.Repo, k.Name, store.Blob{ContentType: "text/plain", Data: []byte(k.Name)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Delete(ctx, []commit.NodeRef{tr, sp}); err != nil {
		t.Fatal(err)
	}
	for _, k := range gone {
		if _, err := b.GetBlob(ctx, k.Repo, k.Name); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s blob %q survived Delete of its owner: %v", k.NS, k.Name, err)
		}
	}
	for _, k := range kept {
		if got, err := b.GetBlob(ctx, k.Repo, k.Name); err != nil || string(got.Data) != k.Name {
			t.Errorf("%s blob %q was not owned by the deleted nodes but is gone: %v", k.NS, k.Name, err)
		}
	}
}
