// Package follow follows a store's live change feed and hands each changed
// trace (or session) to a handler once it has stayed quiet for a while. It
// is the machinery the tracetree_feed receiver (forwarding SDK traces to
// vendors) and the genai_eval receiver (online evaluations) share: a
// pending set with a quiet period and retry backoff, and a durable
// checkpoint with a catch-up over the store's summary rows after a restart
// or lost live changes.
//
// Durability: the store's change log belongs to its indexer (it is trimmed
// once indexed), so a follower keeps its own checkpoint: a time T before
// which every change has been handled. T never passes a ref that is still
// pending. On start, and whenever the live feed reports lost changes
// (resync), the summaries are searched for traces (and, when asked,
// sessions) active after T - catchUpMargin and made pending again; the
// handler must recognize what it already did (at least once).
package follow

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// FarFuture parks a ref until its next change.
var FarFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// catchUpMargin widens every catch-up: a change is published only after
// the store's indexer has summarized it, so a change may already be durable
// (with an older LastActivity) when the checkpoint moves past its time.
const catchUpMargin = 5 * time.Minute

// checkpointEvery throttles checkpoint writes while nothing is pending;
// catch-up re-checks a little more than needed instead.
const checkpointEvery = 10 * time.Second

// Config says what to follow and where the checkpoint lives.
type Config struct {
	// Repos to follow; nil or empty follows every repository.
	Repos []string
	// QuietPeriod is how long a ref must stay unchanged before it is handed
	// to the handler.
	QuietPeriod time.Duration
	// CatchUpWindow bounds catch-up searches on the start time.
	CatchUpWindow time.Duration
	// BatchSize is the page size of catch-up searches.
	BatchSize int
	// Sessions also follows the sessions of the changes (refs of kind
	// session); otherwise only traces.
	Sessions bool
	// Checkpoint names the checkpoint blob (a key of the follower's user's
	// namespace, store.FeedCheckpointKey or store.EvalCheckpointKey).
	Checkpoint store.BlobKey
	// Workers is how many refs the handler is called for at once (0 or 1:
	// one after the other, by repository, a repository's traces before
	// its sessions). With more, every due trace is handled before any due
	// session, so a session still comes after its traces.
	Workers int
}

// Pending is one ref waiting to be handled.
type Pending struct {
	// FirstSeen is at or before the oldest change of this ref not yet
	// handled; the checkpoint never passes it.
	FirstSeen  time.Time
	LastChange time.Time
	// RetryAt holds the ref back until then (a handler parks a ref that is
	// not ready, the follower backs off after an error). A change resets it.
	RetryAt  time.Time
	Failures int
	// Fingerprint is the commit-set fingerprint of the trace in the change
	// that made it pending last (store.Change.Fingerprints); 0 when that
	// change had none, or the ref came from a catch-up.
	Fingerprint uint64
}

// Handler handles a ref whose quiet period has passed. It returns done
// when the ref is no longer pending; when not done it may set p.RetryAt
// (FarFuture waits for the next change). An error retries with backoff.
type Handler func(ctx context.Context, ref commit.NodeRef, p *Pending, now time.Time) (done bool, err error)

// Telemetry receives the follower's counts; nil funcs are skipped.
type Telemetry struct {
	// PendingDelta adds to a gauge of pending refs.
	PendingDelta func(ctx context.Context, delta int64)
	// HandleError counts a failed handling (retried).
	HandleError func(ctx context.Context, ref commit.NodeRef, failures int, backoff time.Duration, err error)
	// AfterStep runs at the end of every Step (gauges such as the lag).
	AfterStep func(ctx context.Context)
}

// Follower follows one store. It is not safe for concurrent use: one
// goroutine calls Start, then Step (or Run); only Wake may be called from
// other goroutines.
type Follower struct {
	cfg    Config
	st     store.Store
	handle Handler
	tel    Telemetry
	logger *zap.Logger
	repos  map[string]bool // nil = every repo

	// Now is the clock; tests replace it.
	Now func() time.Time
	// Pending is the set of refs waiting; exported for tests and gauges,
	// read-only outside the follower and its handler: a change to an
	// entry's LastChange or RetryAt made anywhere else would not reach the
	// due schedule (schedule.go).
	Pending map[commit.NodeRef]*Pending

	changes   <-chan store.Change // nil once closed
	resync    bool
	savedT    time.Time
	haveSaved bool

	// due orders the pending refs by when they become due (schedule.go),
	// so a step takes the due ones without scanning every pending ref: a
	// follower steps on every change, and with thousands of refs parked or
	// in their quiet period that scan was about a tenth of the CPU under
	// evaluation load.
	due dueHeap
	// behind says a pending ref's FirstSeen went before the saved
	// checkpoint, which must move back at the next checkpoint; without it,
	// checkpoint need not scan Pending within checkpointEvery of the last
	// save (see checkpoint).
	behind bool
	// scannedT is when checkpoint last scanned Pending: a ref pending for
	// long (a trace waiting for a busy judge) holds the checkpoint back,
	// and each step rescanned every pending ref to find that out again
	// (a fifth of the collector's CPU under evaluation load, issue 14).
	scannedT time.Time

	// Wake's refs, applied by the next Step; wakeCh (capacity 1) makes Run
	// step.
	wakeMu sync.Mutex
	woken  map[commit.NodeRef]bool
	wakeCh chan struct{}
}

// New returns a follower; call Start.
func New(cfg Config, st store.Store, h Handler, tel Telemetry, logger *zap.Logger) *Follower {
	f := &Follower{cfg: cfg, st: st, handle: h, tel: tel, logger: logger, Now: time.Now,
		Pending: map[commit.NodeRef]*Pending{}, wakeCh: make(chan struct{}, 1)}
	if len(cfg.Repos) > 0 {
		f.repos = map[string]bool{}
		for _, r := range cfg.Repos {
			f.repos[r] = true
		}
	}
	return f
}

// Follows reports whether the follower follows repo's changes (its
// config's Repos). Safe from any goroutine.
func (f *Follower) Follows(repo string) bool {
	return f.repos == nil || f.repos[repo]
}

// Start subscribes (first, so no change falls between catch-up and live
// feed), loads the checkpoint and catches up. Without a checkpoint (first
// start) it starts now: following starts with new data instead of the
// store's whole history. The subscription ends with ctx.
func (f *Follower) Start(ctx context.Context) error {
	// One subscription to every repo ("" in the store's Subscribe), filtered
	// here: one channel to select on, and no forwarding goroutine that
	// could reorder or hold back changes.
	f.Subscribe(ctx) // a Start retried after an error keeps its subscription
	t, ok, err := f.loadCheckpoint(ctx)
	if err != nil {
		return err
	}
	if !ok {
		f.logger.Info("No checkpoint: following starts with new data")
		return f.saveCheckpoint(ctx, f.Now())
	}
	f.savedT, f.haveSaved = t, true
	return f.catchUp(ctx)
}

// Subscribe takes the live subscription, once, until ctx ends. Start
// takes it if it was not taken; Runner takes it before its Start returns,
// because on a first start (no checkpoint, so no catch-up) a change made
// between the receiver's Start and the subscription would be missed for
// good: the collector takes data as soon as every Start has returned.
func (f *Follower) Subscribe(ctx context.Context) {
	if f.changes == nil {
		f.changes, _ = f.st.Subscribe(ctx, "")
	}
}

// Changes is the live feed (nil once the store closed it); Run selects on it.
func (f *Follower) Changes() <-chan store.Change { return f.changes }

// Step applies the changes received so far, hands every due ref to the
// handler and moves the checkpoint. Errors of single refs are retried later.
func (f *Follower) Step(ctx context.Context) error {
	f.drain(ctx)
	f.applyWakes()
	if f.resync {
		if err := f.catchUp(ctx); err != nil {
			return err
		}
	}
	f.handleDue(ctx)
	err := f.checkpoint(ctx)
	if f.tel.AfterStep != nil {
		f.tel.AfterStep(ctx)
	}
	return err
}

// Run steps on every change and every tick until ctx ends; onErr hears the
// errors of Step (a failed catch-up or checkpoint write; it is retried).
func (f *Follower) Run(ctx context.Context, tick time.Duration, onErr func(error)) {
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case c, ok := <-f.changes:
			if !ok {
				f.changes = nil // the store shut down first; keep ticking
				continue
			}
			f.OnChange(ctx, c)
		case <-f.wakeCh:
		case <-ticker.C:
		}
		if err := f.Step(ctx); err != nil && ctx.Err() == nil {
			onErr(err)
		}
	}
}

// Wake makes a pending ref due again (after its quiet period, as ever): a
// handler that parked a ref (RetryAt) while work for it runs on other
// goroutines calls Wake when that work is done, instead of being polled.
// Safe for concurrent use; a ref that is no longer pending is ignored.
func (f *Follower) Wake(ref commit.NodeRef) {
	f.wakeMu.Lock()
	if f.woken == nil {
		f.woken = map[commit.NodeRef]bool{}
	}
	f.woken[ref] = true
	f.wakeMu.Unlock()
	select {
	case f.wakeCh <- struct{}{}:
	default: // a step is already due
	}
}

// applyWakes clears the RetryAt of the woken refs still pending.
func (f *Follower) applyWakes() {
	f.wakeMu.Lock()
	woken := f.woken
	f.woken = nil
	f.wakeMu.Unlock()
	for ref := range woken {
		if p := f.Pending[ref]; p != nil {
			p.RetryAt = time.Time{}
			f.schedule(ref, p)
		}
	}
}

// drain takes every change waiting in the live feed without blocking.
func (f *Follower) drain(ctx context.Context) {
	for {
		select {
		case c, ok := <-f.changes:
			if !ok {
				f.changes = nil // a nil channel never fires
				return
			}
			f.OnChange(ctx, c)
		default:
			return
		}
	}
}

// OnChange makes the change's traces (and sessions) pending.
func (f *Follower) OnChange(ctx context.Context, c store.Change) {
	if len(c.Nodes) == 0 {
		// The store dropped changes for this slow subscriber.
		f.resync = true
		return
	}
	if f.repos != nil && !f.repos[c.Repo] {
		return
	}
	now := f.Now()
	for _, id := range c.Traces {
		ref := commit.NodeRef{Repo: c.Repo, Kind: commit.EntityTrace, ID: id}
		f.Touch(ctx, ref, now, now)
		f.Pending[ref].Fingerprint = c.Fingerprints[id]
	}
	if f.cfg.Sessions {
		for _, id := range c.Sessions {
			f.Touch(ctx, commit.NodeRef{Repo: c.Repo, Kind: commit.EntitySession, ID: id}, now, now)
		}
	}
}

// Touch records a change of ref seen at seen (≤ now).
func (f *Follower) Touch(ctx context.Context, ref commit.NodeRef, seen, now time.Time) {
	p := f.Pending[ref]
	if p == nil {
		p = &Pending{FirstSeen: seen}
		f.Pending[ref] = p
		f.pendingDelta(ctx, 1)
	}
	p.FirstSeen = minTime(p.FirstSeen, seen)
	p.LastChange = now
	p.RetryAt = time.Time{} // a change ends any wait for the end or a retry
	p.Fingerprint = 0       // unknown unless the change says (OnChange)
	f.schedule(ref, p)
	if p.FirstSeen.Before(f.savedT) {
		f.behind = true
	}
}

func (f *Follower) pendingDelta(ctx context.Context, d int64) {
	if f.tel.PendingDelta != nil {
		f.tel.PendingDelta(ctx, d)
	}
}

// Close gives back the pending gauge of this follower (its refs are found
// again by the next start's catch-up: the checkpoint is before them).
func (f *Follower) Close(ctx context.Context) {
	f.pendingDelta(ctx, -int64(len(f.Pending)))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// catchUp makes every trace (and session) active since the checkpoint
// (minus the margin) pending again: what happened while the follower was
// down or while the live feed dropped changes.
func (f *Follower) catchUp(ctx context.Context) error {
	since := f.savedT.Add(-catchUpMargin)
	now := f.Now()
	repos := f.cfg.Repos
	if len(repos) == 0 {
		repos = []string{""}
	}
	found := 0
	for _, repo := range repos {
		q := store.TraceQuery{Repo: repo, From: since.Add(-f.cfg.CatchUpWindow), Limit: f.cfg.BatchSize}
		for {
			page, err := f.st.SearchTraces(ctx, q)
			if err != nil {
				return fmt.Errorf("catch up: search traces of repo %q: %w", repo, err)
			}
			for _, row := range page.Traces {
				if row.LastActivity.After(since) {
					f.Touch(ctx, commit.NodeRef{Repo: row.Repo, Kind: commit.EntityTrace, ID: row.TraceID}, minTime(row.LastActivity, now), now)
					found++
				}
			}
			if page.NextCursor == "" || len(page.Traces) == 0 {
				break
			}
			q.Cursor = page.NextCursor
		}
		if !f.cfg.Sessions {
			continue
		}
		sq := store.SessionQuery{Repo: repo, From: since.Add(-f.cfg.CatchUpWindow), Limit: f.cfg.BatchSize}
		for {
			page, err := f.st.SearchSessions(ctx, sq)
			if err != nil {
				return fmt.Errorf("catch up: search sessions of repo %q: %w", repo, err)
			}
			for _, row := range page.Sessions {
				if row.LastActivity.After(since) {
					f.Touch(ctx, commit.NodeRef{Repo: row.Repo, Kind: commit.EntitySession, ID: row.SessionID}, minTime(row.LastActivity, now), now)
					found++
				}
			}
			if page.NextCursor == "" || len(page.Sessions) == 0 {
				break
			}
			sq.Cursor = page.NextCursor
		}
	}
	f.resync = false
	f.logger.Info("Caught up with the store", zap.Time("since", since), zap.Int("refs", found))
	return nil
}

// handleDue handles every pending ref whose quiet period has passed, in a
// fixed order (or cfg.Workers at a time, handleAll).
func (f *Follower) handleDue(ctx context.Context) {
	now := f.Now()
	due := f.takeDue(now)
	sort.Slice(due, func(i, j int) bool {
		if due[i].Repo != due[j].Repo {
			return due[i].Repo < due[j].Repo
		}
		if due[i].Kind != due[j].Kind {
			return due[i].Kind > due[j].Kind // traces before their sessions
		}
		return due[i].ID < due[j].ID
	})
	results := f.handleAll(ctx, due, now)
	for i, ref := range due {
		r := results[i]
		if !r.handled {
			// Still due (ctx ended): the next step takes them.
			f.schedule(ref, f.Pending[ref])
			continue
		}
		p := f.Pending[ref]
		done, err := r.done, r.err
		if err != nil {
			p.Failures++
			backoff := min(time.Duration(1<<min(p.Failures, 8))*100*time.Millisecond, time.Minute)
			p.RetryAt = now.Add(backoff)
			if f.tel.HandleError != nil {
				f.tel.HandleError(ctx, ref, p.Failures, backoff, err)
			}
		} else if done {
			delete(f.Pending, ref)
			f.pendingDelta(ctx, -1)
			continue
		}
		f.schedule(ref, p) // with the RetryAt the handler or the backoff set
	}
}

// handled is what the handler said of one due ref.
type handled struct {
	handled, done bool
	err           error
}

// handleAll calls the handler for every due ref (in order, or cfg.Workers
// at a time: the traces first, then the sessions) and returns what it said
// of each. Only the handler runs concurrently, each call on its own ref's
// Pending; the follower's own state is changed by the caller afterwards.
func (f *Follower) handleAll(ctx context.Context, due []commit.NodeRef, now time.Time) []handled {
	out := make([]handled, len(due))
	ps := make([]*Pending, len(due))
	for i, ref := range due {
		ps[i] = f.Pending[ref]
	}
	call := func(i int) {
		if ctx.Err() != nil {
			return
		}
		done, err := f.handle(ctx, due[i], ps[i], now)
		out[i] = handled{handled: true, done: done, err: err}
	}
	if f.cfg.Workers <= 1 || len(due) <= 1 {
		for i := range due {
			call(i)
		}
		return out
	}
	for _, sessions := range []bool{false, true} {
		next := make(chan int)
		var wg sync.WaitGroup
		for range f.cfg.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					call(i)
				}
			}()
		}
		for i, ref := range due {
			if (ref.Kind == commit.EntitySession) == sessions {
				next <- i
			}
		}
		close(next)
		wg.Wait()
	}
	return out
}

// checkpoint saves the time before which every change is handled.
func (f *Follower) checkpoint(ctx context.Context) error {
	t := f.Now()
	// Within checkpointEvery of the last save, a save is due only if the
	// checkpoint must move back (t ≤ now, so it cannot have moved on far
	// enough): that is, if a ref is behind it, or the clock went back.
	// Nor need it move on within checkpointEvery of the last scan that
	// found it held back: it moves at most every checkpointEvery anyway.
	if f.haveSaved && !f.behind && !t.Before(f.savedT) && (t.Sub(f.savedT) < checkpointEvery || t.Sub(f.scannedT) < checkpointEvery) {
		return nil
	}
	f.scannedT = t
	for _, p := range f.Pending {
		t = minTime(t, p.FirstSeen)
	}
	if f.haveSaved && t.Sub(f.savedT) < checkpointEvery && !t.Before(f.savedT) {
		return nil
	}
	return f.saveCheckpoint(ctx, t)
}

// Checkpoint is the time before which every change was handled, as saved.
func (f *Follower) Checkpoint() time.Time { return f.savedT }

func (f *Follower) saveCheckpoint(ctx context.Context, t time.Time) error {
	err := f.st.PutBlob(ctx, f.cfg.Checkpoint.Repo, f.cfg.Checkpoint.Name, store.Blob{ContentType: "text/plain", Data: []byte(t.UTC().Format(time.RFC3339Nano))})
	if err != nil {
		return fmt.Errorf("write checkpoint %s: %w", t, err)
	}
	f.savedT, f.haveSaved = t, true
	// t is at or before every pending FirstSeen (checkpoint) or there is
	// none yet (Start).
	f.behind = false
	return nil
}

func (f *Follower) loadCheckpoint(ctx context.Context) (time.Time, bool, error) {
	blob, err := f.st.GetBlob(ctx, f.cfg.Checkpoint.Repo, f.cfg.Checkpoint.Name)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read checkpoint: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, string(blob.Data))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("checkpoint %q: %w", blob.Data, err)
	}
	return t, true, nil
}

// Tick is how often a follower should step for a poll interval and a quiet
// period: fine enough to honour the quiet period closely (half of it), never
// busier than every 20ms. One rule for every component that follows the store.
func Tick(poll, quiet time.Duration) time.Duration {
	t := poll
	if q := quiet / 2; q > 0 && q < t {
		t = q
	}
	return max(t, 20*time.Millisecond)
}
