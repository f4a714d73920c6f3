package indexer

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Fleet indexing. With a backend whose change log is sharded
// (store.ShardedChangeLog: PostgreSQL shared by a gateway fleet), every
// member takes leases on a fair share of the shards and indexes only those,
// each from its own checkpoint, so each change is indexed once across the
// fleet instead of once per member.
//
//   - Fair share: ceil(shards / live members), members being those whose
//     heartbeat (renewed with the leases) has not expired. A member takes
//     free or expired shards up to its share, and releases what it holds
//     beyond it, so a newcomer finds shards to take after one renewal
//     round of the others.
//   - Leases last Lease.TTL and are renewed every TTL/3; expiry is judged
//     by the database's clock. A member that cannot renew stops indexing a
//     shard once TTL has passed since its last renewal was sent (its local
//     deadline, which comes before the database's), and a member that finds
//     a lease taken over drops it and cancels a pass that covers it.
//   - Shards are released between passes (a pass holds passMu), so a
//     rebalance never makes two members index the same entries; a takeover
//     after expiry may, which costs duplicate work, not correctness (see
//     store.ShardedChangeLog).
//   - Shutdown indexes what is left of its shards, then releases them all,
//     so the others take them at their next renewal instead of after the
//     TTL.

// fleet is one member's share of fleet indexing.
type fleet struct {
	sc    store.ShardedChangeLog
	owner string
	ttl   time.Duration
	// every is how often leases are renewed, taken and given back: TTL/3,
	// or less in tests (Config.leaseEvery).
	every  time.Duration
	logger *zap.Logger
	tel    *Telemetry
	// kick wakes the indexing loop when a shard was taken.
	kick func()

	mu   sync.Mutex
	held map[int]*lease
	// passCancel cancels the running pass, which covers passShards; set
	// only while a pass runs.
	passCancel context.CancelFunc
	passShards []int
}

// lease is a shard this member holds.
type lease struct {
	// pos is the position in the change log up to which this member
	// indexed the shard (its checkpoint).
	pos uint64
	// deadline is when the lease may have expired in the database: the
	// local time the last successful renewal was sent, plus the TTL.
	deadline time.Time
	// draining marks a shard above the fair share; the next pass releases
	// it instead of indexing it.
	draining bool
}

// newOwnerID names this process in the lease table: unique per process
// (host, pid and random bytes, so two indexers in one process differ too)
// and readable for an operator looking at index_shards.
func newOwnerID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	var b [4]byte
	_, _ = crand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

func newFleet(sc store.ShardedChangeLog, ttl, every time.Duration, logger *zap.Logger, tel *Telemetry, kick func()) *fleet {
	if every <= 0 || every > ttl/3 {
		every = ttl / 3
	}
	return &fleet{
		sc:     sc,
		owner:  newOwnerID(),
		ttl:    ttl,
		every:  every,
		logger: logger,
		tel:    tel,
		kick:   kick,
		held:   map[int]*lease{},
	}
}

// leaseLoop renews, takes and gives back leases every TTL/3 until ctx ends.
func (f *fleet) leaseLoop(ctx context.Context, done func()) {
	defer done()
	t := time.NewTicker(f.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f.tick(ctx)
	}
}

// tick is one round of lease upkeep. Its database calls are bounded by
// TTL/3 so that a hanging database cannot keep the member indexing past its
// deadlines: those are checked whatever the calls return.
func (f *fleet) tick(ctx context.Context) {
	start := time.Now()
	tctx, cancel := context.WithTimeout(ctx, f.every)
	defer cancel()
	defer f.recordHeld(ctx)
	if err := f.renew(tctx, start); err != nil {
		if ctx.Err() == nil {
			f.logger.Warn("Renewing index leases failed", zap.Error(err))
		}
		f.expire(time.Now())
		return
	}
	f.expire(time.Now())
	leases, members, err := f.sc.IndexLeases(tctx)
	if err != nil {
		if ctx.Err() == nil {
			f.logger.Warn("Reading index leases failed", zap.Error(err))
		}
		return
	}
	if err := f.rebalance(tctx, start, leases, members); err != nil && ctx.Err() == nil {
		f.logger.Warn("Taking index leases failed", zap.Error(err))
	}
}

// renew sends the member's heartbeat and extends its leases; a shard the
// database no longer reports as this member's was taken over and is
// dropped.
func (f *fleet) renew(ctx context.Context, start time.Time) error {
	if err := f.sc.HeartbeatIndexMember(ctx, f.owner, f.ttl); err != nil {
		return err
	}
	shards := f.shards(false)
	if len(shards) == 0 {
		return nil
	}
	renewed, err := f.sc.RenewIndexLeases(ctx, f.owner, shards, f.ttl)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var lost []int
	for _, s := range shards {
		l := f.held[s]
		if l == nil {
			continue // released meanwhile
		}
		switch {
		case slices.Contains(renewed, s):
			l.deadline = start.Add(f.ttl)
		case l.draining:
			// Released by a pass while this renewal was on its way.
			delete(f.held, s)
		default:
			lost = append(lost, s)
		}
	}
	if len(lost) > 0 {
		f.logger.Warn("Index leases were taken over by another member", zap.Ints("shards", lost))
		f.dropLocked(lost)
	}
	return nil
}

// expire drops the leases whose deadline has passed: the database may
// have given them to another member already.
func (f *fleet) expire(now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var lost []int
	for s, l := range f.held {
		if !now.Before(l.deadline) {
			lost = append(lost, s)
		}
	}
	if len(lost) > 0 {
		slices.Sort(lost)
		f.logger.Warn("Index leases expired without renewal; stopped indexing their shards", zap.Ints("shards", lost))
		f.dropLocked(lost)
	}
}

// dropLocked forgets shards and cancels the running pass if it covers one.
func (f *fleet) dropLocked(shards []int) {
	for _, s := range shards {
		delete(f.held, s)
		if f.passCancel != nil && slices.Contains(f.passShards, s) {
			f.passCancel()
		}
	}
}

// rebalance moves this member's holding toward its fair share: it marks
// shards above the share for release, or takes free ones up to it; and it
// takes back or gives back the leases it holds without knowing (strays).
func (f *fleet) rebalance(ctx context.Context, start time.Time, leases []store.IndexLease, members int) error {
	// This member's heartbeat was just written, so members >= 1 unless it
	// expired in between; never divide by less than one.
	share := (len(leases) + max(members, 1) - 1) / max(members, 1)
	// Strays are shards the database says this member holds but it does
	// not: an acquire whose answer was lost (this round's timeout cut it
	// short after the UPDATE committed), or a lease dropped at its local
	// deadline while its renewal was on its way. They are not renewed,
	// yet nobody else may take them before they expire, so they are taken
	// back first or, above the share, given back: left alone, their
	// shards would go unindexed for up to a TTL.
	var stray, free []int
	for _, l := range leases {
		switch {
		case f.holds(l.Shard):
		case l.Live && l.Owner == f.owner:
			stray = append(stray, l.Shard)
		case !l.Live:
			free = append(free, l.Shard)
		}
	}
	took, err := f.take(ctx, start, share, members, stray, free)
	if err != nil {
		// The strays not tried yet are looked at again next round.
		return err
	}
	var back []int
	for _, s := range stray {
		if !slices.Contains(took, s) {
			back = append(back, s)
		}
	}
	if len(back) == 0 {
		return nil
	}
	if err := f.sc.ReleaseIndexLeases(ctx, f.owner, back); err != nil {
		return fmt.Errorf("give back stray index leases %v: %w", back, err)
	}
	f.logger.Info("Gave back index leases this member did not know it held", zap.Ints("shards", back))
	return nil
}

// take marks shards above the share for release, or takes the strays and
// then free shards up to it, and returns the shards it took.
func (f *fleet) take(ctx context.Context, start time.Time, share, members int, stray, free []int) ([]int, error) {
	f.mu.Lock()
	keep := 0
	var active []int
	for s, l := range f.held {
		if !l.draining {
			keep++
			active = append(active, s)
		}
	}
	if keep > share {
		// Give back the highest-numbered ones: any choice is fair, and a
		// fixed one makes the fleet's assignment easy to read.
		slices.Sort(active)
		for _, s := range active[share:] {
			f.held[s].draining = true
		}
		f.logger.Info("Giving back index leases above the fair share",
			zap.Ints("shards", active[share:]), zap.Int("share", share), zap.Int("members", members))
		f.mu.Unlock()
		// The next pass releases them; run one now rather than at the
		// next poll.
		f.kick()
		return nil, nil
	}
	f.mu.Unlock()
	if keep == share {
		return nil, nil
	}
	// Members racing for the same free shards would mostly collide if
	// they all tried in shard order.
	rand.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
	var took []int
	for _, s := range slices.Concat(stray, free) {
		if keep >= share {
			break
		}
		ok, cp, err := f.sc.AcquireIndexLease(ctx, s, f.owner, f.ttl)
		if err != nil {
			return took, err
		}
		if !ok {
			continue
		}
		f.mu.Lock()
		f.held[s] = &lease{pos: cp, deadline: start.Add(f.ttl)}
		f.mu.Unlock()
		took = append(took, s)
		keep++
	}
	if len(took) > 0 {
		slices.Sort(took)
		f.logger.Info("Took index leases", zap.Ints("shards", took), zap.Int("share", share), zap.Int("members", members))
		f.kick()
	}
	return took, nil
}

func (f *fleet) holds(shard int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.held[shard]
	return ok
}

// shards returns the held shards, sorted; with activeOnly, without the
// draining ones.
func (f *fleet) shards(activeOnly bool) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]int, 0, len(f.held))
	for s, l := range f.held {
		if !activeOnly || !l.draining {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func (f *fleet) recordHeld(ctx context.Context) {
	f.mu.Lock()
	n := len(f.held)
	f.mu.Unlock()
	f.tel.ShardsHeld.Record(ctx, int64(n), f.tel.Attributes)
}

// releaseDraining gives back the shards marked for release. Passes call
// it first, under passMu, so no pass of this member still indexes them.
func (f *fleet) releaseDraining(ctx context.Context) error {
	f.mu.Lock()
	var drain []int
	for s, l := range f.held {
		if l.draining {
			drain = append(drain, s)
		}
	}
	f.mu.Unlock()
	if len(drain) == 0 {
		return nil
	}
	slices.Sort(drain)
	if err := f.sc.ReleaseIndexLeases(ctx, f.owner, drain); err != nil {
		return fmt.Errorf("release index leases %v: %w", drain, err)
	}
	f.mu.Lock()
	for _, s := range drain {
		delete(f.held, s)
	}
	f.mu.Unlock()
	f.recordHeld(ctx)
	return nil
}

// releaseAll gives back every lease and leaves the members (Shutdown).
func (f *fleet) releaseAll(ctx context.Context) error {
	f.mu.Lock()
	clear(f.held)
	f.mu.Unlock()
	f.recordHeld(ctx)
	if err := f.sc.ReleaseIndexLeases(ctx, f.owner, nil); err != nil {
		return fmt.Errorf("release index leases: %w", err)
	}
	return nil
}

// shardWork is one shard of a pass: where it starts and how far it got.
type shardWork struct {
	shard    int
	from, to uint64
	entries  int
	caughtUp bool
}

// beginPass returns the shards a pass may index (held, not draining, not
// past their deadline) and a context that is cancelled when one of them is
// lost; end must be called when the pass is done.
func (f *fleet) beginPass(ctx context.Context) (work []*shardWork, passCtx context.Context, end func()) {
	passCtx, cancel := context.WithCancel(ctx)
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for s, l := range f.held {
		if l.draining || !now.Before(l.deadline) {
			continue
		}
		work = append(work, &shardWork{shard: s, from: l.pos, to: l.pos})
		f.passShards = append(f.passShards, s)
	}
	slices.SortFunc(work, func(a, b *shardWork) int { return a.shard - b.shard })
	f.passCancel = cancel
	return work, passCtx, func() {
		f.mu.Lock()
		f.passCancel, f.passShards = nil, f.passShards[:0]
		f.mu.Unlock()
		cancel()
	}
}

// advance records a shard's new checkpoint if the member still holds it.
func (f *fleet) advance(shard int, pos uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l := f.held[shard]; l != nil && l.pos < pos {
		l.pos = pos
	}
}

// shardedPass is pass for fleet indexing: it first gives back the shards
// marked for release, then reads the shards this member holds, each from
// its own position, in turns of one batch so that a shard with a long
// backlog does not starve the others, until it holds maxPassRefs changed
// nodes or all are caught up; it indexes them together (one resolve, one
// prefetch) and then writes each shard's checkpoint. It returns 0 when
// caught up.
func (ix *Indexer) shardedPass(ctx context.Context) (int, error) {
	f := ix.fleet
	if err := f.releaseDraining(ctx); err != nil {
		return 0, err
	}
	work, passCtx, end := f.beginPass(ctx)
	defer end()
	var refs []commit.NodeRef
	seen := map[commit.NodeRef]struct{}{}
	for more := true; more && len(refs) < maxPassRefs; {
		more = false
		for _, w := range work {
			if w.caughtUp || len(refs) >= maxPassRefs {
				continue
			}
			batch, next, err := f.sc.ShardChangedSince(passCtx, w.shard, w.to, min(ix.cfg.BatchSize, maxPassRefs-len(refs)))
			if err != nil {
				return ix.lostMidPass(ctx, passCtx, fmt.Errorf("read change log shard %d after %d: %w", w.shard, w.to, err))
			}
			if next == w.to {
				w.caughtUp = true
				continue
			}
			more = true
			w.entries += len(batch)
			w.to = next
			for _, r := range batch {
				if _, dup := seen[r]; !dup {
					seen[r] = struct{}{}
					refs = append(refs, r)
				}
			}
		}
	}
	entries := 0
	for _, w := range work {
		entries += w.entries
	}
	if entries == 0 {
		return 0, nil
	}
	if err := ix.index(passCtx, refs); err != nil {
		return ix.lostMidPass(ctx, passCtx, err)
	}
	for _, w := range work {
		if w.to == w.from {
			continue
		}
		// Every entry of the shard up to w.to was indexed above: the
		// checkpoint invariant of store.ShardedChangeLog holds even if
		// the lease was lost meanwhile.
		if err := f.sc.SetShardCheckpoint(passCtx, w.shard, w.to); err != nil {
			return ix.lostMidPass(ctx, passCtx, fmt.Errorf("set checkpoint %d of shard %d: %w", w.to, w.shard, err))
		}
		f.advance(w.shard, w.to)
		ix.tel.ChangesIndexed.Add(ctx, int64(w.entries), ix.tel.Attributes)
	}
	return 1, nil
}

// lostMidPass turns the cancellation of a pass whose shard was lost (not of
// the indexer) into "run another pass": the next one covers the shards
// still held. Other errors are returned.
func (ix *Indexer) lostMidPass(ctx, passCtx context.Context, err error) (int, error) {
	if ctx.Err() == nil && passCtx.Err() != nil {
		ix.logger.Info("Stopped an indexing pass: one of its shards was lost", zap.Error(err))
		return 1, nil
	}
	return 0, err
}
