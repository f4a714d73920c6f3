package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// repoInShard returns a repository name whose entries land in shard.
func repoInShard(t *testing.T, shard int, prefix string) string {
	t.Helper()
	for i := range 10_000 {
		r := fmt.Sprintf("%s-%d", prefix, i)
		if ShardOf(r) == shard {
			return r
		}
	}
	t.Fatalf("no repository in shard %d", shard)
	return ""
}

func spanCommit(repo, id string, version int64) commit.Commit {
	c := commit.Commit{Repo: repo, Entity: commit.EntitySpan, EntityID: id, Action: commit.ActionCreate,
		Data: []byte(`{"name":"` + id + `"}`), Version: version}
	c.Seal()
	return c
}

// TestShardedChangeLog: entries go to their repository's shard; each
// shard reads and checkpoints on its own; a checkpoint never moves back and
// prunes only its shard.
func TestShardedChangeLog(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	a, b := repoInShard(t, 3, "a"), repoInShard(t, 11, "b")
	for i := range 5 {
		require.NoError(t, s.Apply(ctx, []commit.Commit{spanCommit(a, fmt.Sprint("a", i), 1), spanCommit(b, fmt.Sprint("b", i), 1)}, nil))
	}
	all, head, err := s.ChangedSince(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, 10)

	got := map[int][]commit.NodeRef{}
	total := 0
	for shard := range ChangeLogShards {
		refs, next, err := s.ShardChangedSince(ctx, shard, 0, 0)
		require.NoError(t, err)
		for _, r := range refs {
			assert.Equal(t, shard, ShardOf(r.Repo), "entry %v in shard %d", r, shard)
		}
		got[shard] = refs
		total += len(refs)
		if len(refs) > 0 {
			assert.LessOrEqual(t, next, head)
		}
	}
	assert.Equal(t, 10, total, "the shards together hold the whole log")
	require.Len(t, got[3], 5)
	require.Len(t, got[11], 5)

	// Read shard 3 in two steps, checkpoint the first.
	first, pos, err := s.ShardChangedSince(ctx, 3, 0, 2)
	require.NoError(t, err)
	require.Len(t, first, 2)
	require.NoError(t, s.SetShardCheckpoint(ctx, 3, pos))
	rest, _, err := s.ShardChangedSince(ctx, 3, 0, 0)
	require.NoError(t, err)
	assert.Len(t, rest, 3, "the checkpointed entries of shard 3 were pruned")
	other, _, err := s.ShardChangedSince(ctx, 11, 0, 0)
	require.NoError(t, err)
	assert.Len(t, other, 5, "shard 11 is not pruned by shard 3's checkpoint")

	// A stale owner's older checkpoint does not move it back.
	require.NoError(t, s.SetShardCheckpoint(ctx, 3, 1))
	held, cp, err := s.AcquireIndexLease(ctx, 3, "m1", time.Minute)
	require.NoError(t, err)
	require.True(t, held)
	assert.Equal(t, pos, cp)
}

// TestIndexLeases: a lease has one owner at a time; renewal keeps it,
// expiry (by the database's clock) and release free it; members are the
// live heartbeats.
func TestIndexLeases(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()

	leases, members, err := s.IndexLeases(ctx)
	require.NoError(t, err)
	require.Len(t, leases, ChangeLogShards)
	assert.Zero(t, members)
	for _, l := range leases {
		assert.False(t, l.Live)
	}

	ok, _, err := s.AcquireIndexLease(ctx, 0, "A", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	ok, _, err = s.AcquireIndexLease(ctx, 0, "B", time.Minute)
	require.NoError(t, err)
	assert.False(t, ok, "a live lease is not taken by another owner")
	ok, _, err = s.AcquireIndexLease(ctx, 0, "A", time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "the owner may take its own lease again")

	renewed, err := s.RenewIndexLeases(ctx, "B", []int{0}, time.Minute)
	require.NoError(t, err)
	assert.Empty(t, renewed, "renewal extends only the owner's leases")
	renewed, err = s.RenewIndexLeases(ctx, "A", []int{0, 1}, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []int{0}, renewed)

	require.NoError(t, s.ReleaseIndexLeases(ctx, "A", []int{0}))
	ok, _, err = s.AcquireIndexLease(ctx, 0, "B", time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "a released lease is free at once")

	// Expiry: a short lease becomes free once the database's clock passes
	// it. It is taken long first, so that "not free before expiry" does
	// not depend on how fast this test runs, then shortened by its owner
	// taking it again.
	ok, _, err = s.AcquireIndexLease(ctx, 1, "A", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	ok, _, err = s.AcquireIndexLease(ctx, 1, "B", time.Minute)
	require.NoError(t, err)
	require.False(t, ok)
	ok, _, err = s.AcquireIndexLease(ctx, 1, "A", 200*time.Millisecond)
	require.NoError(t, err)
	require.True(t, ok)
	require.Eventually(t, func() bool {
		ok, _, err := s.AcquireIndexLease(ctx, 1, "B", time.Minute)
		return err == nil && ok
	}, 10*time.Second, 20*time.Millisecond, "an expired lease is taken over")
	renewed, err = s.RenewIndexLeases(ctx, "A", []int{1}, time.Minute)
	require.NoError(t, err)
	assert.Empty(t, renewed, "the former owner learns that it lost the lease")

	require.NoError(t, s.HeartbeatIndexMember(ctx, "A", time.Minute))
	require.NoError(t, s.HeartbeatIndexMember(ctx, "B", time.Minute))
	leases, members, err = s.IndexLeases(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, members)
	var ownedByB []int
	for _, l := range leases {
		if l.Live && l.Owner == "B" {
			ownedByB = append(ownedByB, l.Shard)
		}
	}
	assert.Equal(t, []int{0, 1}, ownedByB)

	require.NoError(t, s.ReleaseIndexLeases(ctx, "B", nil))
	leases, members, err = s.IndexLeases(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, members, "releasing all leaves the members")
	assert.False(t, slices.ContainsFunc(leases, func(l store.IndexLease) bool { return l.Live }))
}

// TestIndexLeaseRace: of many owners racing for one free shard, exactly
// one wins.
func TestIndexLeaseRace(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	const n = 8
	wins := make(chan string, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			owner := fmt.Sprint("m", i)
			ok, _, err := s.AcquireIndexLease(ctx, 5, owner, time.Minute)
			if err != nil {
				errs <- err
				return
			}
			if ok {
				wins <- owner
			}
			errs <- nil
		}()
	}
	for range n {
		require.NoError(t, <-errs)
	}
	close(wins)
	var winners []string
	for w := range wins {
		winners = append(winners, w)
	}
	assert.Len(t, winners, 1)
}

// TestNotifyListen: a payload sent by one store handle reaches a listener
// of another handle on the same schema, and not one on another schema.
func TestNotifyListen(t *testing.T) {
	requirePostgres(t)
	schema := testSchema()
	a := openTestStore(t, schema, true)
	b := openTestStore(t, schema, false)
	other := newTestStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	lb, err := b.ListenChanges(ctx)
	require.NoError(t, err)
	defer lb.Close()
	lo, err := other.ListenChanges(ctx)
	require.NoError(t, err)
	defer lo.Close()

	require.NoError(t, a.NotifyChanges(ctx, []string{"one", "two"}))
	for _, want := range []string{"one", "two"} {
		got, err := lb.Next(ctx)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	_, err = lo.Next(short)
	assert.Error(t, err, "another schema's listener hears nothing")
}

// TestNoListen: CockroachDB never has LISTEN/NOTIFY; YugabyteDB has it when
// enabled and is told apart by the error it answers otherwise.
func TestNoListen(t *testing.T) {
	notSupported := &pgconn.PgError{Code: "0A000"}
	assert.True(t, (&Store{dialect: dialectCockroach}).noListen(nil))
	assert.False(t, (&Store{dialect: dialectYugabyte}).noListen(nil), "YugabyteDB is tried")
	assert.True(t, (&Store{dialect: dialectYugabyte}).noListen(notSupported))
	assert.True(t, (&Store{dialect: dialectYugabyte}).noListen(fmt.Errorf("exec: %w", &pgconn.PgError{Code: "42883"})))
	assert.False(t, (&Store{dialect: dialectPostgres}).noListen(nil))
	assert.False(t, (&Store{dialect: dialectPostgres}).noListen(&pgconn.PgError{Code: "57P01"}), "a lost connection is not a missing feature")
	err := fmt.Errorf("%w: %w", errNoListen, notSupported)
	assert.ErrorIs(t, err, errors.ErrUnsupported, "the indexer recognizes it")
}
