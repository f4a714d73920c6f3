package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

func mkCommit(repo string, e commit.Entity, id string, a commit.Action, data string, version int64) commit.Commit {
	c := commit.Commit{Repo: repo, Entity: e, EntityID: id, Action: a, Data: json.RawMessage(data), Version: version}
	c.Seal()
	return c
}

func edge(p, c commit.NodeRef) store.Edge { return store.Edge{Parent: p, Child: c} }

func TestApplyUnionKeepsLowerVersion(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	ref := commit.NodeRef{Repo: "r1", Kind: commit.EntityTrace, ID: "t1"}
	a := mkCommit("r1", commit.EntityTrace, "t1", commit.ActionCreate, `{"name":"a"}`, 20)
	b := mkCommit("r1", commit.EntityTrace, "t1", commit.ActionUpdate, `{"name":"b"}`, 30)
	aLow := a
	aLow.Version = 10
	aHigh := a
	aHigh.Version = 40

	// Duplicates inside one Apply and across Applies, in any order.
	if err := s.Apply(ctx, []commit.Commit{b, a, aHigh}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, []commit.Commit{aLow, b}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, []commit.Commit{aHigh}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Commits(ctx, []commit.NodeRef{ref, ref, {Repo: "r1", Kind: commit.EntitySpan, ID: "missing"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("want 1 node, got %d: %v", len(got), got)
	}
	want := []commit.Commit{aLow, b}
	if !reflect.DeepEqual(got[ref], want) {
		t.Fatalf("commit set:\n got %+v\nwant %+v", got[ref], want)
	}
	if string(got[ref][0].Data) != `{"name":"a"}` {
		t.Fatalf("data not kept verbatim: %q", got[ref][0].Data)
	}
}

func TestApplySealsUnsealed(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	c := commit.Commit{Repo: "r", Entity: commit.EntityTrace, EntityID: "x", Action: commit.ActionCreate, Data: json.RawMessage(`{}`), Version: 5}
	if err := s.Apply(ctx, []commit.Commit{c}, nil); err != nil {
		t.Fatal(err)
	}
	if !c.ID.IsZero() {
		t.Fatal("Apply modified the caller's commit")
	}
	got, err := s.Commits(ctx, []commit.NodeRef{c.Node()})
	if err != nil {
		t.Fatal(err)
	}
	want := c
	want.Seal()
	if !reflect.DeepEqual(got[c.Node()], []commit.Commit{want}) {
		t.Fatalf("got %+v want %+v", got[c.Node()], want)
	}
}

func TestEdgesChildrenParents(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	tr := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "t"}
	sess := commit.NodeRef{Repo: "r", Kind: commit.EntitySession, ID: "s"}
	sp := commit.NodeRef{Repo: "r", Kind: commit.EntitySpan, ID: "b"}
	gen := commit.NodeRef{Repo: "r", Kind: commit.EntityGeneration, ID: "z"}
	sp2 := commit.NodeRef{Repo: "r", Kind: commit.EntitySpan, ID: "a"}
	edges := []store.Edge{edge(tr, sp), edge(tr, gen), edge(tr, sp2), edge(sess, tr), edge(tr, sp)}
	if err := s.Apply(ctx, nil, edges); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, nil, edges[:2]); err != nil {
		t.Fatal(err)
	}
	kids, err := s.Children(ctx, []commit.NodeRef{tr, sess, sp})
	if err != nil {
		t.Fatal(err)
	}
	if want := []commit.NodeRef{gen, sp2, sp}; !reflect.DeepEqual(kids[tr], want) {
		t.Fatalf("children of trace: got %v want %v", kids[tr], want)
	}
	if want := []commit.NodeRef{tr}; !reflect.DeepEqual(kids[sess], want) {
		t.Fatalf("children of session: got %v want %v", kids[sess], want)
	}
	if _, ok := kids[sp]; ok {
		t.Fatalf("leaf has children: %v", kids[sp])
	}
	parents, err := s.Parents(ctx, []commit.NodeRef{tr, sess})
	if err != nil {
		t.Fatal(err)
	}
	if want := []commit.NodeRef{sess}; !reflect.DeepEqual(parents[tr], want) {
		t.Fatalf("parents: got %v want %v", parents[tr], want)
	}
	if none := parents[sess]; len(none) != 0 {
		t.Fatalf("root parents: %v %v", none, err)
	}
}

func TestChangeLogAndCheckpoint(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	if pos, err := s.IndexCheckpoint(ctx); err != nil || pos != 0 {
		t.Fatalf("fresh checkpoint: %d %v", pos, err)
	}
	n1 := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "1"}
	n2 := commit.NodeRef{Repo: "r", Kind: commit.EntitySpan, ID: "2"}
	n3 := commit.NodeRef{Repo: "r", Kind: commit.EntityGeneration, ID: "3"}
	c1 := mkCommit("r", commit.EntityTrace, "1", commit.ActionCreate, `{}`, 10)
	if err := s.Apply(ctx, []commit.Commit{c1, c1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, nil, []store.Edge{edge(n2, n3)}); err != nil {
		t.Fatal(err)
	}
	// Nothing new: no change-log entry (the data and its log entry commit
	// together, so a resend never needs one).
	if err := s.Apply(ctx, []commit.Commit{c1}, []store.Edge{edge(n2, n3)}); err != nil {
		t.Fatal(err)
	}
	refs, next, err := s.ChangedSince(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if want := []commit.NodeRef{n1, n2, n3}; !reflect.DeepEqual(refs, want) {
		t.Fatalf("changed: got %v want %v", refs, want)
	}
	if next != 3 {
		t.Fatalf("next = %d, want 3", next)
	}
	// Paging: a small limit advances entry by entry.
	refs, next1, err := s.ChangedSince(ctx, 0, 1)
	if err != nil || next1 != 1 || !reflect.DeepEqual(refs, []commit.NodeRef{n1}) {
		t.Fatalf("page 1: %v %d %v", refs, next1, err)
	}
	refs, next2, err := s.ChangedSince(ctx, next1, 2)
	if err != nil || next2 != 3 || !reflect.DeepEqual(refs, []commit.NodeRef{n2, n3}) {
		t.Fatalf("page 2: %v %d %v", refs, next2, err)
	}
	if err := s.SetIndexCheckpoint(ctx, next2); err != nil {
		t.Fatal(err)
	}
	if pos, err := s.IndexCheckpoint(ctx); err != nil || pos != next2 {
		t.Fatalf("checkpoint: %d %v", pos, err)
	}
	refs, next, err = s.ChangedSince(ctx, next2, 100)
	if err != nil || next != next2 || len(refs) != 0 {
		t.Fatalf("at head: %v %d %v", refs, next, err)
	}
	// A lower version of a known commit changes the fold: logged.
	low := c1
	low.Version = 1
	if err := s.Apply(ctx, []commit.Commit{low}, nil); err != nil {
		t.Fatal(err)
	}
	refs, next, err = s.ChangedSince(ctx, next2, 100)
	if err != nil || next != 4 || !reflect.DeepEqual(refs, []commit.NodeRef{n1}) {
		t.Fatalf("after lower version: %v %d %v", refs, next, err)
	}
	// The checkpoint survives a reopen (it is a row, not process state).
	s2 := openTestStore(t, s.schema, false)
	if pos, err := s2.IndexCheckpoint(ctx); err != nil || pos != next2 {
		t.Fatalf("checkpoint after reopen: %d %v", pos, err)
	}
}

func TestBlobs(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	if _, err := s.GetBlob(ctx, "r", "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing blob: %v", err)
	}
	data := make([]byte, 256)
	for i := range data {
		data[i] = byte(i)
	}
	if err := s.PutBlob(ctx, "r", "k", store.Blob{ContentType: "application/octet-stream", Data: data}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlob(ctx, "r2", "k", store.Blob{ContentType: "text/plain", Data: []byte("other repo")}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetBlob(ctx, "r", "k")
	if err != nil || got.ContentType != "application/octet-stream" || !reflect.DeepEqual(got.Data, data) {
		t.Fatalf("blob: %+v %v", got, err)
	}
	if err := s.PutBlob(ctx, "r", "k", store.Blob{ContentType: "text/plain", Data: []byte("v2")}); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetBlob(ctx, "r", "k")
	if err != nil || got.ContentType != "text/plain" || string(got.Data) != "v2" {
		t.Fatalf("replaced blob: %+v %v", got, err)
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := context.Background()
	tr := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "t"}
	sp := commit.NodeRef{Repo: "r", Kind: commit.EntitySpan, ID: "s"}
	keep := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "keep"}
	cs := []commit.Commit{
		mkCommit("r", commit.EntityTrace, "t", commit.ActionCreate, `{}`, 1),
		mkCommit("r", commit.EntitySpan, "s", commit.ActionCreate, `{}`, 2),
		mkCommit("r", commit.EntityTrace, "keep", commit.ActionCreate, `{}`, 3),
	}
	if err := s.Apply(ctx, cs, []store.Edge{edge(tr, sp), edge(keep, sp)}); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0).UTC()
	if err := s.PutTraceSummaries(ctx, []store.TraceSummary{
		{Repo: "r", TraceID: "t", Start: now, Revision: 1, Counts: map[string]int{}},
		{Repo: "r", TraceID: "keep", Start: now, Revision: 1, Counts: map[string]int{}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, []commit.NodeRef{tr, sp, {Repo: "r", Kind: commit.EntitySpan, ID: "unknown"}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Commits(ctx, []commit.NodeRef{tr, sp, keep})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got[tr]; ok || len(got) != 1 || len(got[keep]) != 1 {
		t.Fatalf("after delete: %v", got)
	}
	kids, err := s.Children(ctx, []commit.NodeRef{keep, tr})
	if err != nil || len(kids) != 0 {
		t.Fatalf("edges into deleted node survive: %v %v", kids, err)
	}
	page, err := s.SearchTraces(ctx, store.TraceQuery{Repo: "r"})
	if err != nil || len(page.Traces) != 1 || page.Traces[0].TraceID != "keep" {
		t.Fatalf("summaries after delete: %+v %v", page, err)
	}
}

func TestMigrationIdempotentConcurrent(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	schema := testSchema()
	errs := make(chan error, 4)
	stores := make(chan *Store, 4)
	for range 4 {
		go func() {
			s, err := New(context.Background(), testConfig(schema), nil)
			errs <- err
			stores <- s
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent New: %v", err)
		}
	}
	var first *Store
	for range 4 {
		s := <-stores
		if s == nil {
			continue
		}
		if first == nil {
			first = s
			continue
		}
		_ = s.Close()
	}
	if first == nil {
		t.Fatal("no store opened")
	}
	defer func() {
		_ = first.Drop(context.Background())
		_ = first.Close()
	}()
	var n int
	if err := first.pool.QueryRow(context.Background(),
		fmt.Sprintf(`SELECT count(*) FROM %s.schema_migrations`, first.q)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(migrations))
	}
	// Key columns are bytea: bytewise order and any bytes, on every dialect.
	var typ string
	if err := first.pool.QueryRow(context.Background(), `SELECT data_type FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = 'trace_summaries' AND column_name = 'trace_id'`, first.schema).Scan(&typ); err != nil || typ != "bytea" {
		t.Fatalf("trace_id type = %q (%v), want bytea", typ, err)
	}
	// The store works after racing migrations.
	c := mkCommit("r", commit.EntityTrace, "t", commit.ActionCreate, `{}`, 1)
	if err := first.Apply(context.Background(), []commit.Commit{c}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestStatementwiseMigration runs the CockroachDB/YugabyteDB migration path
// (one autocommitted statement at a time, no advisory lock) from three
// stores at once on PostgreSQL: it must converge to one recorded version
// and a working schema.
func TestStatementwiseMigration(t *testing.T) {
	t.Parallel()
	requirePostgres(t)
	ctx := context.Background()
	schema := testSchema()
	base := openTestStore(t, schema+"_probe", true) // for its pool and logger only
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s := &Store{pool: base.pool, logger: base.logger, retry: base.retry, schema: schema,
				q: `"` + schema + `"`, dialect: dialectCockroach}
			s.sql = buildStatements(s.q)
			errs <- s.migrate(ctx)
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatalf("statementwise migration: %v", err)
		}
	}
	s := &Store{pool: base.pool, logger: base.logger, retry: base.retry, schema: schema, q: `"` + schema + `"`, dialect: dialectCockroach}
	s.sql = buildStatements(s.q)
	defer func() { _ = s.Drop(ctx) }()
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+s.q+`.schema_migrations`).Scan(&n); err != nil || n != len(migrations) {
		t.Fatalf("schema_migrations rows: %d %v", n, err)
	}
	c := mkCommit("r", commit.EntityTrace, "t", commit.ActionCreate, `{}`, 1)
	if err := s.Apply(ctx, []commit.Commit{c}, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Commits(ctx, []commit.NodeRef{c.Node()}); err != nil || len(got[c.Node()]) != 1 {
		t.Fatalf("schema not usable: %v %v", got, err)
	}
	// Version 6 converged too: one lease row per shard, once, and the
	// entry is in its repository's shard.
	s.fleet = buildFleetStatements(s.q, schema)
	leases, _, err := s.IndexLeases(ctx)
	if err != nil || len(leases) != ChangeLogShards {
		t.Fatalf("index_shards: %d rows, %v", len(leases), err)
	}
	if refs, _, err := s.ShardChangedSince(ctx, ShardOf("r"), 0, 0); err != nil || len(refs) != 1 {
		t.Fatalf("shard of repo r: %v %v", refs, err)
	}
}
