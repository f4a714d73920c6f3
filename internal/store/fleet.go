package store

import (
	"context"
	"time"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// ShardedChangeLog is an optional Backend capability (found by type
// assertion) for a backend that several processes share: its change log
// is split into a fixed number of shards, each with its own checkpoint and
// lease, so the members of a fleet can index each change once between them
// instead of every member indexing everything. Only pgstore offers it;
// single-process backends (Pebble, memstore) keep the one global change log
// of Backend.
//
// An entry's shard depends only on its node's repository, so one trace,
// its nodes and its session are always in one shard: the lease holder of
// that shard is the only member that summarizes them.
//
// Correctness does not depend on the leases being exclusive. A member that
// lost a lease without noticing (it stalled past the TTL) can still index
// and write a checkpoint: summary rows are revision-guarded (Supersedes) and
// a shard checkpoint only ever passes entries somebody indexed, so overlap
// costs duplicate work, never a lost change.
type ShardedChangeLog interface {
	// ChangeLogShards is the number of shards, fixed by the backend's
	// schema; shards are numbered 0 to ChangeLogShards()-1.
	ChangeLogShards() int
	// ShardOf is the shard that Apply logs a repository's nodes in.
	ShardOf(repo string) int

	// ShardChangedSince is ChangedSince for one shard: the entries of shard
	// after position after, in apply order, at most limit of them, and the
	// position of the last one returned (positions are the global change
	// log's, so they are not dense within a shard).
	ShardChangedSince(ctx context.Context, shard int, after uint64, limit int) (refs []commit.NodeRef, next uint64, err error)
	// SetShardCheckpoint records that every entry of shard at or below pos
	// has been indexed, and may prune them. The checkpoint never moves
	// back: a lower pos than the stored one is ignored.
	SetShardCheckpoint(ctx context.Context, shard int, pos uint64) error

	// IndexLeases returns every shard's lease and the number of live
	// members (those whose heartbeat has not expired), judged by the
	// backend's clock, not the caller's.
	IndexLeases(ctx context.Context) (leases []IndexLease, members int, err error)
	// HeartbeatIndexMember records that owner is a live member for ttl, so
	// that members holding every shard see a newcomer and make room.
	HeartbeatIndexMember(ctx context.Context, owner string, ttl time.Duration) error
	// AcquireIndexLease takes shard for owner for ttl if it is free (never
	// taken, released or expired) or already owner's; of two owners racing
	// for a free shard exactly one wins. It returns whether owner holds
	// the shard now and, if so, the shard's checkpoint.
	AcquireIndexLease(ctx context.Context, shard int, owner string, ttl time.Duration) (held bool, checkpoint uint64, err error)
	// RenewIndexLeases extends owner's leases on shards by ttl and returns
	// the shards it still holds (the others were taken over after they
	// expired).
	RenewIndexLeases(ctx context.Context, owner string, shards []int, ttl time.Duration) ([]int, error)
	// ReleaseIndexLeases frees owner's leases on shards; with shards nil
	// it frees all of them and ends owner's membership.
	ReleaseIndexLeases(ctx context.Context, owner string, shards []int) error

	// NotifyChanges sends each payload to every member listening
	// (ListenChanges), other processes included. A payload must be valid
	// UTF-8 without NUL and at most MaxNotifyPayload bytes.
	NotifyChanges(ctx context.Context, payloads []string) error
	// ListenChanges opens a listener for the payloads NotifyChanges sends
	// from now on.
	ListenChanges(ctx context.Context) (ChangeListener, error)
}

// MaxNotifyPayload bounds one NotifyChanges payload (PostgreSQL refuses a
// NOTIFY payload of 8000 bytes or more).
const MaxNotifyPayload = 7900

// ChangeListener receives NotifyChanges payloads.
type ChangeListener interface {
	// Next blocks until the next payload arrives or ctx ends. After an
	// error other than ctx's, the listener is broken: payloads may have
	// been missed, and the caller closes it and listens anew.
	Next(ctx context.Context) (string, error)
	Close() error
}

// IndexLease is one shard's lease as the backend sees it.
type IndexLease struct {
	Shard int
	// Owner holds the shard while Live; "" when the shard was never
	// taken or was released.
	Owner string
	Live  bool
}
