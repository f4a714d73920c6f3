// Package indexer turns any store.Backend into a store.Store: after each
// Apply it resolves the changed nodes to their trace and session roots,
// assembles those with the one fold (internal/tree), writes their summary
// rows, publishes the change to live subscribers and advances the backend's
// index checkpoint. On start it catches up from the checkpoint through the
// backend's change log, in the background, so a kill -9 between Apply and
// indexing loses no summary and a restart is not an outage. It also runs
// retention.
//
// On a backend shared by a fleet whose change log is sharded
// (store.ShardedChangeLog: PostgreSQL), each member indexes only the shards
// it leases, so each change is indexed once across the fleet (leases.go),
// and the members pass their changes to each other's live feeds (feed.go).
package indexer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/pricing"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Summarizer computes summary rows from the stored commits. The default
// (TreeSummarizer) assembles the tree with internal/tree; tests may count
// calls with their own.
type Summarizer interface {
	// SummarizeTrace returns the trace's row, or store.ErrNotFound.
	SummarizeTrace(ctx context.Context, r store.Reader, ref commit.NodeRef) (store.TraceSummary, error)
	// SummarizeSession returns the session's row, or store.ErrNotFound.
	SummarizeSession(ctx context.Context, r store.Reader, ref commit.NodeRef) (store.SessionSummary, error)
}

// Settings are the indexer's dependencies.
type Settings struct {
	Logger     *zap.Logger
	Telemetry  Telemetry
	Summarizer Summarizer // nil means the tree package's fold (TreeSummarizer)
	// Prices is the price table computed costs come from (nil: the
	// embedded price data). Every fold and assembly of this store uses it,
	// and readers get it from Prices, so the index rows and the trees a
	// reader assembles agree.
	Prices *pricing.Table
	// Now is the clock (tests move it for retention); nil means time.Now.
	Now func() time.Time
}

// maxParentDepth bounds the walk from a changed node to its roots; a
// deeper chain (or a cycle a buggy client built) stops there.
const maxParentDepth = 256

// Indexer is a store.Store over a Backend.
type Indexer struct {
	store.Backend

	cfg    Config
	logger *zap.Logger
	tel    Telemetry
	sum    Summarizer
	now    func() time.Time
	prices *pricing.Table
	// treeOpts go to every fold and assembly (the price table).
	treeOpts []tree.Option

	kick chan struct{}
	// pendingSince is the UnixNano of the oldest Apply not yet covered by a
	// completed pass (0 = none); it feeds the index-lag gauge.
	pendingSince atomic.Int64
	// flushingSince is the pendingSince a running Flush took over (0 when
	// none runs): those changes lag until it is done.
	flushingSince atomic.Int64
	// lastRev makes summary revisions strictly increasing per indexer.
	lastRev atomic.Int64

	subMu sync.Mutex
	subs  map[*subscriber]struct{}

	// passMu serializes indexing passes (the loop and Flush).
	passMu sync.Mutex
	pos    uint64
	// traces caches what session summaries need of each assembled trace
	// (see session_summary.go); guarded by passMu.
	traces traceCache
	// obs see the traces assembled (observe.go).
	obs observers

	// fleet and feed are set when the backend's change log is sharded
	// (store.ShardedChangeLog): this member then indexes only the shards
	// it leases (leases.go) and shares the live feed with the other
	// members (feed.go).
	fleet *fleet
	feed  *feed

	cancel context.CancelFunc
	wg     sync.WaitGroup

	// shutdownFlush overrides shutdownFlushBudget (tests).
	shutdownFlush time.Duration
}

var _ store.Store = (*Indexer)(nil)

// New wraps b. Call Start to begin indexing (catching up first), Shutdown to stop
// (Shutdown does not close the backend; Close does).
func New(b store.Backend, cfg Config, set Settings) (*Indexer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if set.Logger == nil {
		set.Logger = zap.NewNop()
	}
	if set.Prices == nil {
		set.Prices = pricing.MustDefault()
	}
	treeOpts := []tree.Option{tree.WithPrices(set.Prices)}
	if set.Summarizer == nil {
		set.Summarizer = TreeSummarizer{Options: treeOpts}
	}
	if set.Now == nil {
		set.Now = time.Now
	}
	set.Telemetry.fill()
	ix := &Indexer{
		Backend:  b,
		cfg:      cfg,
		logger:   set.Logger,
		tel:      set.Telemetry,
		sum:      set.Summarizer,
		now:      set.Now,
		prices:   set.Prices,
		treeOpts: treeOpts,
		kick:     make(chan struct{}, 1),
		subs:     map[*subscriber]struct{}{},
	}
	if sc, ok := b.(store.ShardedChangeLog); ok {
		ix.fleet = newFleet(sc, cfg.Lease.TTL, cfg.leaseEvery, set.Logger, &ix.tel, ix.wake)
		ix.feed = newFeed(sc, ix.fleet.owner, set.Logger)
	}
	return ix, nil
}

// wake makes the indexing loop run a pass soon.
func (ix *Indexer) wake() {
	select {
	case ix.kick <- struct{}{}:
	default:
	}
}

// Prices returns the price table this store's trees are priced with.
func (ix *Indexer) Prices() *pricing.Table { return ix.prices }

// Unwrap returns the wrapped backend, for callers that look for optional
// backend capabilities by type assertion.
func (ix *Indexer) Unwrap() store.Backend { return ix.Backend }

// Start loads the checkpoint and starts the background loops; it does not
// wait for the indexer to catch up. After a crash under load the change log
// can hold minutes of unindexed work, and a collector that waited for it in
// Start accepted no data and served no query until it was done. Ingest and
// tree reads do not need the index, so they work at once; search rows lag
// until the catch-up pass is done, which IndexLag reports (the query API
// passes it on) along with the index-lag metric. Retention starts only after
// the first catch-up, since it decides by summary rows that may be stale
// until then.
//
// With fleet indexing the checkpoints are the shards', read as their leases
// are taken: the first round of leases is taken before the catch-up, in the
// background too, and the lease and listen loops start with it.
func (ix *Indexer) Start(ctx context.Context) error {
	var pos uint64
	if ix.fleet == nil {
		var err error
		if pos, err = ix.Backend.IndexCheckpoint(ctx); err != nil {
			return fmt.Errorf("indexer: read checkpoint: %w", err)
		}
		ix.pos = pos
	}
	// Whatever the change log holds past the checkpoint is pending from now.
	ix.pendingSince.CompareAndSwap(0, time.Now().UnixNano())
	runCtx, cancel := context.WithCancel(context.Background())
	ix.cancel = cancel
	if ix.feed != nil {
		ix.wg.Add(2)
		go ix.listenLoop(runCtx)
		go ix.wakeLoop(runCtx)
	}
	ix.wg.Add(1)
	go func() {
		defer ix.wg.Done()
		if ix.fleet != nil {
			ix.fleet.tick(runCtx)
			ix.wg.Add(1)
			go ix.fleet.leaseLoop(runCtx, ix.wg.Done)
		}
		ix.catchUp(runCtx, pos)
		if runCtx.Err() != nil {
			return
		}
		if ix.cfg.Retention.TTL > 0 {
			ix.wg.Add(1)
			go ix.retentionLoop(runCtx)
		}
		ix.wg.Add(1)
		ix.loop(runCtx)
	}()
	return nil
}

// catchUp indexes the change log past the checkpoint, retrying with
// backoff until it succeeds or ctx ends.
func (ix *Indexer) catchUp(ctx context.Context, from uint64) {
	backoff := 100 * time.Millisecond
	for {
		err := ix.Flush(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		ix.logger.Warn("Catching up from the index checkpoint failed; retrying", zap.Uint64("checkpoint", from), zap.Error(err), zap.Duration("backoff", backoff))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// IndexLag is how long the oldest change not yet reflected in the summary
// rows has been waiting (0 when the index is caught up).
func (ix *Indexer) IndexLag() time.Duration {
	since := ix.pendingSince.Load()
	if f := ix.flushingSince.Load(); f != 0 && (since == 0 || f < since) {
		since = f
	}
	if since == 0 {
		return 0
	}
	return max(0, time.Since(time.Unix(0, since)))
}

// shutdownFlushBudget bounds the indexing Shutdown does on its way out.
// Nothing depends on it: the change log and the checkpoint are durable and
// the next Start catches up from there. Without a bound, a collector asked
// to stop after a bulk push (1.66M traces in the bad-input corpus) kept
// indexing for minutes before it exited.
const shutdownFlushBudget = 5 * time.Second

// Shutdown stops the loops, indexes what is left for at most
// shutdownFlushBudget (the rest is caught up on the next Start), gives back
// the fleet's shard leases (the other members take them at their next
// renewal instead of after the TTL), and closes the live feed.
func (ix *Indexer) Shutdown(ctx context.Context) error {
	if ix.cancel != nil {
		ix.cancel()
		ix.wg.Wait()
		ix.cancel = nil
	}
	budget := ix.shutdownFlush
	if budget == 0 {
		budget = shutdownFlushBudget
	}
	flushCtx, cancel := context.WithTimeout(ctx, budget)
	err := ix.Flush(flushCtx)
	cancel()
	if err != nil && ctx.Err() == nil && flushCtx.Err() != nil {
		// Our own budget ran out, not the caller's: not an error.
		fields := []zap.Field{zap.Duration("budget", budget)}
		if ix.fleet == nil {
			// With fleet indexing the checkpoints are the shards' (leases.go).
			fields = append(fields, zap.Uint64("checkpoint", ix.pos))
		}
		ix.logger.Info("Stopped indexing at shutdown; the rest is caught up on the next start", fields...)
		err = nil
	}
	if ix.fleet != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ix.cfg.Lease.TTL)
		if rerr := ix.fleet.releaseAll(rctx); rerr != nil {
			// They expire after the TTL anyway.
			ix.logger.Warn("Giving back index leases at shutdown failed; they expire after the TTL", zap.Error(rerr))
		}
		cancel()
	}
	ix.subMu.Lock()
	for s := range ix.subs {
		ix.dropLocked(s)
	}
	ix.subMu.Unlock()
	return err
}

// Close shuts the indexer down and closes the backend.
func (ix *Indexer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return errors.Join(ix.Shutdown(ctx), ix.Backend.Close())
}

// Apply writes through to the backend and, once durable, wakes the
// indexer without waiting for it: indexing never slows the write path.
func (ix *Indexer) Apply(ctx context.Context, commits []commit.Commit, edges []store.Edge) error {
	start := time.Now()
	err := ix.Backend.Apply(ctx, commits, edges)
	ix.tel.ApplyDuration.Record(ctx, time.Since(start).Seconds(), ix.tel.Attributes)
	if err != nil {
		return err
	}
	ix.tel.CommitsApplied.Add(ctx, int64(len(commits)), ix.tel.Attributes)
	ix.pendingSince.CompareAndSwap(0, start.UnixNano())
	ix.wake()
	if ix.feed != nil {
		// Another member may hold the shards written: wake it (feed.go).
		ix.feed.wrote(commits, edges)
	}
	return nil
}

func (ix *Indexer) loop(ctx context.Context) {
	defer ix.wg.Done()
	poll := time.NewTicker(ix.cfg.PollInterval)
	defer poll.Stop()
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return
		case <-ix.kick:
			// Let the burst finish so one assembly covers it.
			if ix.cfg.Debounce > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(ix.cfg.Debounce):
				}
			}
		case <-poll.C:
		}
		if err := ix.Flush(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			ix.logger.Warn("Indexing pass failed; retrying", zap.Error(err), zap.Duration("backoff", backoff))
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
			select {
			case ix.kick <- struct{}{}:
			default:
			}
			continue
		}
		backoff = 100 * time.Millisecond
	}
}

// Flush indexes every change the backend's change log holds after the
// checkpoint. Tests and Shutdown call it to make summaries current.
func (ix *Indexer) Flush(ctx context.Context) error {
	ix.passMu.Lock()
	defer ix.passMu.Unlock()
	since := ix.pendingSince.Swap(0)
	ix.flushingSince.Store(since)
	defer ix.flushingSince.Store(0)
	for {
		n, err := ix.pass(ctx)
		if err != nil {
			if since != 0 {
				ix.pendingSince.CompareAndSwap(0, since)
			}
			return err
		}
		if n == 0 {
			break
		}
	}
	if since != 0 {
		ix.tel.IndexLag.Record(ctx, time.Since(time.Unix(0, since)).Seconds(), ix.tel.Attributes)
	} else {
		ix.tel.IndexLag.Record(ctx, 0, ix.tel.Attributes)
	}
	return nil
}

// maxPassRefs bounds the changed nodes one pass gathers from the change log
// (a catching-up indexer must not hold the whole log in memory).
//
// A pass reads change-log batches until it is caught up or holds this many
// refs, and summarizes each affected trace once. Reading one BatchSize at a
// time instead made a push of n children cost n/BatchSize assemblies of a
// growing trace — quadratic in the size of the change (issue 16, item 6).
// The bound is also the pass's memory: everything it prefetches is held
// until its rows are written. At 100,000 the collector's RSS under OTLP load
// (loadgen -mode otlp) reached 1.3–1.6 GB; at 20,000 it stays near 580 MB
// with the same throughput, and a change larger than this costs
// n/20,000 assemblies of its trace.
const maxPassRefs = 20_000

// pass indexes what the change log holds after the checkpoint, up to
// maxPassRefs changed nodes; it returns 0 when caught up.
func (ix *Indexer) pass(ctx context.Context) (int, error) {
	if ix.fleet != nil {
		return ix.shardedPass(ctx)
	}
	pos := ix.pos
	entries := 0
	var refs []commit.NodeRef
	seen := map[commit.NodeRef]struct{}{}
	for len(refs) < maxPassRefs {
		batch, next, err := ix.Backend.ChangedSince(ctx, pos, min(ix.cfg.BatchSize, maxPassRefs-len(refs)))
		if err != nil {
			return 0, fmt.Errorf("read change log after %d: %w", pos, err)
		}
		if next == pos {
			break
		}
		entries += len(batch)
		for _, r := range batch {
			if _, dup := seen[r]; !dup {
				seen[r] = struct{}{}
				refs = append(refs, r)
			}
		}
		pos = next
	}
	if pos == ix.pos {
		return 0, nil
	}
	if err := ix.index(ctx, refs); err != nil {
		return 0, err
	}
	if err := ix.Backend.SetIndexCheckpoint(ctx, pos); err != nil {
		return 0, fmt.Errorf("set index checkpoint %d: %w", pos, err)
	}
	ix.pos = pos
	ix.tel.ChangesIndexed.Add(ctx, int64(entries), ix.tel.Attributes)
	return 1, nil
}

// groupNodes is how many tree nodes the trace rows of one publish group may
// cover. A pass summarizes its traces smallest first and writes and
// publishes their rows group by group, so the small traces of one
// repository are searchable and in the live feed before another
// repository's huge trace has been assembled (fairness, issue 16 item 6).
const groupNodes = 10_000

// index re-summarizes the roots of refs and publishes the change.
func (ix *Indexer) index(ctx context.Context, refs []commit.NodeRef) error {
	rs, err := ix.resolve(ctx, refs)
	if err != nil {
		return err
	}
	// Summarizers should set Revision from the commit set (the tree package
	// does). For one that does not, stamp a revision taken before reading:
	// any later pass of this indexer reads at least as much and stamps a
	// higher one.
	rev := ix.nextRevision()
	_, fast := ix.sum.(TreeSummarizer)
	var r store.Reader = ix.Backend
	var p *prefetched
	traces := rs.traces
	if fast {
		if p, err = prefetch(ctx, ix.Backend, rs.traces, rs.sessions); err != nil {
			return err
		}
		r = p
		traces = p.smallestFirst(rs.traces)
	}
	pub := newPublication(refs, rs)
	var (
		trows  []store.TraceSummary
		group  []commit.NodeRef
		budget int
		// fps are the fingerprints of the traces summarized (fast path).
		fps = map[commit.NodeRef]uint64{}
	)
	flushGroup := func() error {
		if len(group) == 0 {
			return nil
		}
		if err := ix.Backend.PutTraceSummaries(ctx, trows); err != nil {
			return fmt.Errorf("write trace summaries: %w", err)
		}
		ix.tel.TracesIndexed.Add(ctx, int64(len(trows)), ix.tel.Attributes)
		ix.publish(ctx, pub.nodesOf(group), group, nil, fps)
		trows, group, budget = trows[:0], group[:0], 0
		return nil
	}
	for _, t := range traces {
		if err := ctx.Err(); err != nil {
			return err
		}
		size := 1
		if p != nil {
			size = p.size[t]
		}
		if budget > 0 && budget+size > groupNodes {
			if err := flushGroup(); err != nil {
				return err
			}
		}
		group = append(group, t)
		budget += size
		var row store.TraceSummary
		var agg traceAgg
		var err error
		if fast {
			var tr *tree.Trace
			row, agg, tr, err = summarizeTraceAgg(ctx, r, t, ix.treeOpts...)
			if err == nil {
				fps[t] = tr.Fingerprint
				ix.obs.observe(t, tr)
			}
		} else {
			row, err = ix.sum.SummarizeTrace(ctx, ix.Backend, t)
		}
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("summarize trace %s/%s: %w", t.Repo, t.ID, err)
		}
		if row.Revision == 0 {
			row.Revision = rev
		}
		if fast {
			agg.revision = row.Revision
			ix.traces.put(t, agg)
		}
		trows = append(trows, row)
	}
	// Trace rows first: the session rows below aggregate them.
	if err := flushGroup(); err != nil {
		return err
	}
	var srows []store.SessionSummary
	for _, s := range rs.sessions {
		var row store.SessionSummary
		var err error
		if fast {
			row, err = ix.summarizeSession(ctx, r, s)
		} else {
			row, err = ix.sum.SummarizeSession(ctx, ix.Backend, s)
		}
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("summarize session %s/%s: %w", s.Repo, s.ID, err)
		}
		if row.Revision == 0 {
			row.Revision = rev
		}
		srows = append(srows, row)
	}
	if err := ix.Backend.PutSessionSummaries(ctx, srows); err != nil {
		return fmt.Errorf("write session summaries: %w", err)
	}
	// The rest: session nodes and orphans whose parent edge has not arrived.
	ix.publish(ctx, pub.rest(), nil, rs.sessions, nil)
	return nil
}

func (ix *Indexer) nextRevision() int64 {
	for {
		last := ix.lastRev.Load()
		r := max(ix.now().UnixNano(), last+1)
		if ix.lastRev.CompareAndSwap(last, r) {
			return r
		}
	}
}

// Roots walks parents from each ref and returns the traces and sessions
// the refs belong to (a trace node is its own root; a trace's sessions are
// found through the session → trace edge). Orphans resolve to nothing until
// their parent edge arrives, which re-triggers indexing.
func (ix *Indexer) Roots(ctx context.Context, refs []commit.NodeRef) (traces, sessions []commit.NodeRef, err error) {
	rs, err := ix.resolve(ctx, refs)
	if err != nil {
		return nil, nil, err
	}
	return rs.traces, rs.sessions, nil
}

// publish sends one Change per repo to that repo's subscribers; empty
// changes are not sent. A trace summarized by the pass's own fold carries
// its commit-set fingerprint from fps (store.Change.Fingerprints).
//
// With fleet indexing the changes also go to the other members (feed.go),
// whether or not this member has subscribers.
func (ix *Indexer) publish(ctx context.Context, refs, traces, sessions []commit.NodeRef, fps map[commit.NodeRef]uint64) {
	if len(refs)+len(traces)+len(sessions) == 0 {
		return
	}
	ix.subMu.Lock()
	local := len(ix.subs) > 0
	ix.subMu.Unlock()
	if !local && ix.feed == nil {
		return
	}
	at := ix.now()
	byRepo := map[string]*store.Change{}
	get := func(repo string) *store.Change {
		c := byRepo[repo]
		if c == nil {
			c = &store.Change{Repo: repo, At: at}
			byRepo[repo] = c
		}
		return c
	}
	for _, r := range refs {
		c := get(r.Repo)
		c.Nodes = append(c.Nodes, r)
	}
	for _, r := range traces {
		c := get(r.Repo)
		c.Traces = append(c.Traces, r.ID)
		if fp, ok := fps[r]; ok {
			if c.Fingerprints == nil {
				c.Fingerprints = map[string]uint64{}
			}
			c.Fingerprints[r.ID] = fp
		}
	}
	for _, r := range sessions {
		c := get(r.Repo)
		c.Sessions = append(c.Sessions, r.ID)
	}
	repos := make([]string, 0, len(byRepo))
	for r := range byRepo {
		repos = append(repos, r)
	}
	slices.Sort(repos)
	changes := make([]store.Change, len(repos))
	for i, repo := range repos {
		changes[i] = *byRepo[repo]
	}
	if local {
		ix.deliver(changes)
	}
	if ix.feed != nil {
		ix.feed.notify(ctx, changes)
	}
}
