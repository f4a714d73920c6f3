package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Fleet indexing (store.ShardedChangeLog): the change log is split into
// ChangeLogShards shards by repository; index_shards holds each shard's
// checkpoint and lease, index_members the members' heartbeats. README.md
// ("Fleet indexing") describes the protocol.

// ChangeLogShards is the fixed number of change-log shards. Schema version
// 6 creates this many index_shards rows; changing it needs a migration that
// re-shards the log's rows and checkpoints.
const ChangeLogShards = 16

var _ store.ShardedChangeLog = (*Store)(nil)

// ShardOf is the change-log shard of a repository's entries. Sharding by
// repository, not by trace, is what lets one member own a whole trace:
// a trace, its nodes and its session always share a repository, and the
// indexer resolves a changed node to its roots by reading its parents, so
// a shard of nodes keyed by anything finer would make two members summarize
// the same trace. The price is that a single-repository fleet indexes on
// one member at a time.
func ShardOf(repo string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(repo))
	return int(h.Sum32() % ChangeLogShards)
}

type fleetStatements struct {
	changedSince, setCheckpoint, prune            string
	leases, heartbeat, acquire, renew, release    string
	releaseAll, leaveMembers, notify, channelName string
}

// notifyChannelPrefix names the NOTIFY channel of a schema's live feed.
const notifyChannelPrefix = "genai_changes_"

func buildFleetStatements(q, schema string) fleetStatements {
	// A channel name is an identifier of at most 63 bytes; a long schema
	// name is hashed.
	channel := notifyChannelPrefix + schema
	if len(channel) > 63 {
		h := fnv.New64a()
		_, _ = h.Write([]byte(schema))
		channel = fmt.Sprintf("%s%016x", notifyChannelPrefix, h.Sum64())
	}
	// until is set from the database's now() and compared with it: lease
	// expiry never depends on the members' clocks agreeing.
	const ttl = `now() + $%d::int8 * interval '1 microsecond'`
	return fleetStatements{
		changedSince: `SELECT seq, repo, kind, entity_id FROM ` + q + `.change_log
			WHERE shard = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		// greatest: see SetShardCheckpoint.
		setCheckpoint: `UPDATE ` + q + `.index_shards SET checkpoint = greatest(checkpoint, $2::int8) WHERE shard = $1`,
		prune:         `DELETE FROM ` + q + `.change_log WHERE shard = $1 AND seq <= $2`,
		leases: `SELECT shard, owner, owner <> '' AND until > now(),
				(SELECT count(*) FROM ` + q + `.index_members WHERE until > now())
			FROM ` + q + `.index_shards ORDER BY shard`,
		heartbeat: `INSERT INTO ` + q + `.index_members (owner, until) VALUES ($1, ` + fmt.Sprintf(ttl, 2) + `)
			ON CONFLICT (owner) DO UPDATE SET until = excluded.until`,
		// One statement: the row lock makes two members racing for a free
		// shard take turns, and the second re-checks the WHERE against
		// the first one's row and fails.
		acquire: `UPDATE ` + q + `.index_shards SET owner = $2, until = ` + fmt.Sprintf(ttl, 3) + `
			WHERE shard = $1 AND (owner = $2 OR owner = '' OR until <= now())
			RETURNING checkpoint`,
		renew: `UPDATE ` + q + `.index_shards SET until = ` + fmt.Sprintf(ttl, 3) + `
			WHERE owner = $1 AND shard = ANY($2::int4[]) RETURNING shard`,
		release:    `UPDATE ` + q + `.index_shards SET owner = '', until = now() WHERE owner = $1 AND shard = ANY($2::int4[])`,
		releaseAll: `UPDATE ` + q + `.index_shards SET owner = '', until = now() WHERE owner = $1`,
		// Leaving also forgets members dead for an hour, so the table stays
		// as small as the fleet.
		leaveMembers: `DELETE FROM ` + q + `.index_members WHERE owner = $1 OR until < now() - interval '1 hour'`,
		notify:       `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`,
		channelName:  channel,
	}
}

// ChangeLogShards returns the number of change-log shards.
func (s *Store) ChangeLogShards() int { return ChangeLogShards }

// ShardOf returns the change-log shard of repo's entries.
func (s *Store) ShardOf(repo string) int { return ShardOf(repo) }

// ShardChangedSince returns the entries of one shard after position after.
func (s *Store) ShardChangedSince(ctx context.Context, shard int, after uint64, limit int) ([]commit.NodeRef, uint64, error) {
	limit = store.ChangeBatchLimit(limit)
	var refs []commit.NodeRef
	next := after
	err := s.retry.do(ctx, "shard_changed_since", func(ctx context.Context) error {
		refs, next = refs[:0], after
		rows, err := s.pool.Query(ctx, s.fleet.changedSince, int32(shard), int64(after), limit)
		if err != nil {
			return fmt.Errorf("pgstore: read change log shard %d: %w", shard, err)
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			var repo, kind, id []byte
			if err := rows.Scan(&seq, &repo, &kind, &id); err != nil {
				return fmt.Errorf("pgstore: scan change log shard %d: %w", shard, err)
			}
			next = uint64(seq)
			refs = append(refs, commit.NodeRef{Repo: string(repo), Kind: commit.Entity(kind), ID: string(id)})
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("pgstore: read change log shard %d: %w", shard, err)
		}
		return nil
	})
	if err != nil {
		return nil, after, err
	}
	return refs, next, nil
}

// SetShardCheckpoint records shard's checkpoint and prunes its entries up
// to pos.
//
// Invariant: a member writes pos only after it indexed every entry of the
// shard at or below pos (positions become visible in commit order, so it
// saw them all). Every stored checkpoint therefore only passes indexed
// entries, and so does their maximum: greatest() keeps a stale owner (one
// whose lease was taken over while it was still indexing) from moving the
// checkpoint back, and if it writes a higher one, that one is true too.
// Pruning up to the checkpoint removes only indexed entries, so a member
// that takes a shard over from a checkpoint older than the prune point
// merely finds fewer entries to re-index; summary upserts are
// revision-guarded (excluded.revision > t.revision), so re-indexing never
// moves a row back.
func (s *Store) SetShardCheckpoint(ctx context.Context, shard int, pos uint64) error {
	return s.inTx(ctx, "set_shard_checkpoint", func(ctx context.Context, tx pgx.Tx) error {
		batch := &pgx.Batch{}
		batch.Queue(s.fleet.setCheckpoint, int32(shard), int64(pos))
		batch.Queue(s.fleet.prune, int32(shard), int64(pos))
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("pgstore: write checkpoint of shard %d: %w", shard, err)
		}
		return nil
	})
}

// IndexLeases returns every shard's lease and the number of live members.
func (s *Store) IndexLeases(ctx context.Context) ([]store.IndexLease, int, error) {
	var out []store.IndexLease
	var members int64
	err := s.retry.do(ctx, "index_leases", func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.pool.Query(ctx, s.fleet.leases)
		if err != nil {
			return fmt.Errorf("pgstore: read index leases: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var l store.IndexLease
			var shard int32
			if err := rows.Scan(&shard, &l.Owner, &l.Live, &members); err != nil {
				return fmt.Errorf("pgstore: scan index lease: %w", err)
			}
			l.Shard = int(shard)
			out = append(out, l)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("pgstore: read index leases: %w", err)
		}
		return nil
	})
	return out, int(members), err
}

// HeartbeatIndexMember records owner as a live member for ttl.
func (s *Store) HeartbeatIndexMember(ctx context.Context, owner string, ttl time.Duration) error {
	return s.retry.do(ctx, "index_heartbeat", func(ctx context.Context) error {
		if _, err := s.pool.Exec(ctx, s.fleet.heartbeat, owner, ttl.Microseconds()); err != nil {
			return fmt.Errorf("pgstore: index member heartbeat: %w", err)
		}
		return nil
	})
}

// AcquireIndexLease takes shard for owner if it is free or owner's.
func (s *Store) AcquireIndexLease(ctx context.Context, shard int, owner string, ttl time.Duration) (bool, uint64, error) {
	var held bool
	var cp int64
	err := s.retry.do(ctx, "acquire_index_lease", func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, s.fleet.acquire, int32(shard), owner, ttl.Microseconds()).Scan(&cp)
		if errors.Is(err, pgx.ErrNoRows) {
			held = false
			return nil
		}
		if err != nil {
			return fmt.Errorf("pgstore: acquire lease on shard %d: %w", shard, err)
		}
		held = true
		return nil
	})
	return held, uint64(cp), err
}

// RenewIndexLeases extends owner's leases and returns the shards it holds.
func (s *Store) RenewIndexLeases(ctx context.Context, owner string, shards []int, ttl time.Duration) ([]int, error) {
	if len(shards) == 0 {
		return nil, nil
	}
	var held []int
	err := s.retry.do(ctx, "renew_index_leases", func(ctx context.Context) error {
		held = held[:0]
		rows, err := s.pool.Query(ctx, s.fleet.renew, owner, int32s(shards), ttl.Microseconds())
		if err != nil {
			return fmt.Errorf("pgstore: renew index leases: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var shard int32
			if err := rows.Scan(&shard); err != nil {
				return fmt.Errorf("pgstore: scan renewed lease: %w", err)
			}
			held = append(held, int(shard))
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("pgstore: renew index leases: %w", err)
		}
		return nil
	})
	return held, err
}

// ReleaseIndexLeases frees owner's leases on shards (nil: all of them, and
// owner leaves the members).
func (s *Store) ReleaseIndexLeases(ctx context.Context, owner string, shards []int) error {
	if shards != nil && len(shards) == 0 {
		return nil
	}
	return s.retry.do(ctx, "release_index_leases", func(ctx context.Context) error {
		if shards != nil {
			if _, err := s.pool.Exec(ctx, s.fleet.release, owner, int32s(shards)); err != nil {
				return fmt.Errorf("pgstore: release index leases: %w", err)
			}
			return nil
		}
		batch := &pgx.Batch{}
		batch.Queue(s.fleet.releaseAll, owner)
		batch.Queue(s.fleet.leaveMembers, owner)
		if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("pgstore: release index leases: %w", err)
		}
		return nil
	})
}

func int32s(in []int) []int32 {
	out := make([]int32, len(in))
	for i, v := range in {
		out[i] = int32(v)
	}
	return out
}

// errNoListen is returned on databases without LISTEN/NOTIFY: CockroachDB
// (cockroach#41522), and YugabyteDB unless ysql_yb_enable_listen_notify is
// on (early access since 2025.2.3). The live feed then carries only a
// member's own indexing.
var errNoListen = fmt.Errorf("pgstore: LISTEN/NOTIFY: %w", errors.ErrUnsupported)

// noListen tells a database without LISTEN/NOTIFY: CockroachDB by its
// dialect, YugabyteDB (which has it when enabled) by the error it answers,
// feature_not_supported or an unknown pg_notify.
func (s *Store) noListen(err error) bool {
	if s.dialect == dialectCockroach {
		return true
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "0A000" || pgErr.Code == "42883")
}

// NotifyChanges sends the payloads on the schema's channel, in one
// statement (so in one transaction: PostgreSQL delivers them in order, and
// collapses identical payloads, which are redundant anyway).
func (s *Store) NotifyChanges(ctx context.Context, payloads []string) error {
	if s.noListen(nil) {
		return errNoListen
	}
	if len(payloads) == 0 {
		return nil
	}
	return s.retry.do(ctx, "notify_changes", func(ctx context.Context) error {
		if _, err := s.pool.Exec(ctx, s.fleet.notify, s.fleet.channelName, payloads); err != nil {
			if s.noListen(err) {
				return fmt.Errorf("%w: %w", errNoListen, err)
			}
			return fmt.Errorf("pgstore: notify %d changes: %w", len(payloads), err)
		}
		return nil
	})
}

// ListenChanges opens a dedicated connection (a pooled one would go back
// to the pool still listening) and LISTENs on the schema's channel.
func (s *Store) ListenChanges(ctx context.Context) (store.ChangeListener, error) {
	if s.noListen(nil) {
		return nil, errNoListen
	}
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("pgstore: connect for LISTEN: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{s.fleet.channelName}.Sanitize()); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		if s.noListen(err) {
			return nil, fmt.Errorf("%w: %w", errNoListen, err)
		}
		return nil, fmt.Errorf("pgstore: LISTEN %s: %w", s.fleet.channelName, err)
	}
	return &listener{conn: conn, channel: s.fleet.channelName}, nil
}

type listener struct {
	conn    *pgx.Conn
	channel string
}

func (l *listener) Next(ctx context.Context) (string, error) {
	for {
		n, err := l.conn.WaitForNotification(ctx)
		if err != nil {
			return "", fmt.Errorf("pgstore: wait for notification: %w", err)
		}
		if n.Channel == l.channel {
			return n.Payload, nil
		}
	}
}

func (l *listener) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return l.conn.Close(ctx)
}
