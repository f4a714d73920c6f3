package tracetreefeedreceiver

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/receiver/tracetreefeedreceiver/internal/metadata"
)

// farFuture parks a trace until its next change.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// catchUpMargin widens every catch-up: a change is published only after
// the store's indexer has summarized it, so a change may already be durable
// (with an older LastActivity) when the checkpoint moves past its time.
const catchUpMargin = 5 * time.Minute

// feed follows a store's live change feed and emits completed traces.
//
// Durability: the store's change log belongs to its indexer (it is trimmed
// once indexed), so the feed keeps its own checkpoint: a time T before which
// every change has been handled. T never passes a trace that is still
// pending. On start, and whenever the live feed reports lost changes
// (resync), the trace summaries are searched for traces active after
// T - catchUpMargin; emitted traces are recognized by their marker and not
// sent twice (at least once: a crash between the downstream hand-off and
// the marker write re-sends that one trace, with the same span ids).
type feed struct {
	cfg        *Config
	st         store.Store
	next       consumer.Traces
	logger     *zap.Logger
	tel        *metadata.TelemetryBuilder
	receiverID string
	now        func() time.Time
	repos      map[string]bool // nil = every repo

	changes   <-chan store.Change // live feed of every repo; nil once closed
	resync    bool                // changes were lost: catch up from the checkpoint
	savedT    time.Time           // checkpoint persisted
	haveSaved bool
	pending   map[commit.NodeRef]*pendingTrace
}

type pendingTrace struct {
	// firstSeen is at or before the oldest change of this trace not yet
	// handled; the checkpoint never passes it.
	firstSeen  time.Time
	lastChange time.Time
	retryAt    time.Time
	failures   int
}

func newFeed(cfg *Config, st store.Store, next consumer.Traces, logger *zap.Logger, tel *metadata.TelemetryBuilder, receiverID string) *feed {
	f := &feed{cfg: cfg, st: st, next: next, logger: logger, tel: tel, receiverID: receiverID, now: time.Now,
		pending: map[commit.NodeRef]*pendingTrace{}}
	if !cfg.allRepos() {
		f.repos = map[string]bool{}
		for _, r := range cfg.Repos {
			f.repos[r] = true
		}
	}
	return f
}

// start subscribes (first, so no change falls between catch-up and live
// feed), loads the checkpoint and catches up. Without a checkpoint (first
// start) it starts now: forwarding starts with new data instead of
// replaying the store's whole history to a paid vendor. The subscriptions
// end with ctx.
func (f *feed) start(ctx context.Context) error {
	// One subscription to every repo ("" in the store's Subscribe), filtered
	// here: one channel to select on, and no forwarding goroutine that
	// could reorder or hold back changes.
	f.changes, _ = f.st.Subscribe(ctx, "")
	t, ok, err := loadCheckpoint(ctx, f.st, f.receiverID)
	if err != nil {
		return err
	}
	if !ok {
		f.logger.Info("No feed checkpoint: forwarding starts with new data")
		return f.saveCheckpoint(ctx, f.now())
	}
	f.savedT, f.haveSaved = t, true
	return f.catchUp(ctx)
}

// step applies the changes received so far, emits every trace that is due
// and moves the checkpoint. Errors of single traces are retried later.
func (f *feed) step(ctx context.Context) error {
	f.drain(ctx)
	if f.resync {
		if err := f.catchUp(ctx); err != nil {
			return err
		}
	}
	f.emitDue(ctx)
	return f.checkpoint(ctx)
}

// drain takes every change waiting in the live feed without blocking.
func (f *feed) drain(ctx context.Context) {
	for {
		select {
		case c, ok := <-f.changes:
			if !ok {
				f.changes = nil // the store shut down; a nil channel never fires
				return
			}
			f.onChange(ctx, c)
		default:
			return
		}
	}
}

func (f *feed) onChange(ctx context.Context, c store.Change) {
	if len(c.Nodes) == 0 {
		// The store dropped changes for this slow subscriber.
		f.resync = true
		return
	}
	if f.repos != nil && !f.repos[c.Repo] {
		return
	}
	now := f.now()
	for _, id := range c.Traces {
		f.touch(ctx, commit.NodeRef{Repo: c.Repo, Kind: commit.EntityTrace, ID: id}, now, now)
	}
}

func (f *feed) touch(ctx context.Context, ref commit.NodeRef, seen, now time.Time) {
	p := f.pending[ref]
	if p == nil {
		p = &pendingTrace{firstSeen: seen}
		f.pending[ref] = p
		f.tel.TracetreeFeedPendingTraces.Add(ctx, 1)
	}
	p.firstSeen = minTime(p.firstSeen, seen)
	p.lastChange = now
	p.retryAt = time.Time{} // a change ends any wait for the end or a retry
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// catchUp makes every trace active since the checkpoint (minus the margin)
// pending again: what happened while the receiver was down or while the
// live feed dropped changes. Traces already emitted in their current state
// cost one marker read each. The search is bounded by catch_up_window on
// the trace start time.
func (f *feed) catchUp(ctx context.Context) error {
	since := f.savedT.Add(-catchUpMargin)
	now := f.now()
	repos := f.cfg.Repos
	if f.cfg.allRepos() {
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
					f.touch(ctx, commit.NodeRef{Repo: row.Repo, Kind: commit.EntityTrace, ID: row.TraceID}, minTime(row.LastActivity, now), now)
					found++
				}
			}
			if page.NextCursor == "" || len(page.Traces) == 0 {
				break
			}
			q.Cursor = page.NextCursor
		}
	}
	f.resync = false
	f.logger.Info("Caught up with the store", zap.Time("since", since), zap.Int("traces", found))
	return nil
}

// emitDue handles every pending trace whose quiet period has passed.
func (f *feed) emitDue(ctx context.Context) {
	now := f.now()
	var due []commit.NodeRef
	for ref, p := range f.pending {
		if now.Sub(p.lastChange) >= f.cfg.QuietPeriod && !now.Before(p.retryAt) {
			due = append(due, ref)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if due[i].Repo != due[j].Repo {
			return due[i].Repo < due[j].Repo
		}
		return due[i].ID < due[j].ID
	})
	for _, ref := range due {
		if ctx.Err() != nil {
			return
		}
		p := f.pending[ref]
		done, err := f.handle(ctx, ref, p, now)
		if err != nil {
			p.failures++
			backoff := min(time.Duration(1<<min(p.failures, 8))*100*time.Millisecond, time.Minute)
			p.retryAt = now.Add(backoff)
			f.tel.TracetreeFeedErrors.Add(ctx, 1)
			f.logger.Warn("Forwarding an SDK trace failed; will retry", zap.String("repo", ref.Repo), zap.String("trace", ref.ID),
				zap.Int("failures", p.failures), zap.Duration("backoff", backoff), zap.Error(err))
			continue
		}
		if done {
			delete(f.pending, ref)
			f.tel.TracetreeFeedPendingTraces.Add(ctx, -1)
		}
	}
}

// handle emits one trace if it is due. It reports whether the trace is
// done (no longer pending).
func (f *feed) handle(ctx context.Context, ref commit.NodeRef, p *pendingTrace, now time.Time) (bool, error) {
	t, err := tree.AssembleTrace(ctx, f.st, ref, tree.WithPrices(f.st.Prices()))
	if errors.Is(err, store.ErrNotFound) {
		return true, nil // deleted (retention) before it completed
	}
	if err != nil {
		return false, fmt.Errorf("assemble: %w", err)
	}
	if fromOTLP(t) {
		// Its spans went to the vendors on their own OTLP pipeline.
		f.tel.TracetreeFeedTracesSkipped.Add(ctx, 1)
		f.logger.Debug("Trace came in over OTLP; not forwarded again", zap.String("repo", ref.Repo), zap.String("trace", ref.ID))
		return true, nil
	}
	prev, err := loadMarker(ctx, f.st, f.receiverID, ref)
	if err != nil {
		return false, err
	}
	mode := metadata.ModeComplete
	switch {
	case prev != nil && prev.LastVersion == t.LastVersion && prev.CommitCount == t.CommitCount:
		return true, nil // already emitted in this state (e.g. replay after a restart)
	case prev != nil && f.cfg.LateUpdates == LateUpdatesDrop:
		return true, nil
	case prev != nil:
		mode = metadata.ModeLateUpdate
	case !t.Root.Ended:
		if f.cfg.IncompleteTimeout == 0 || now.Sub(p.lastChange) < f.cfg.IncompleteTimeout {
			// Do not assemble it again until it changes or times out.
			p.retryAt = farFuture
			if f.cfg.IncompleteTimeout > 0 {
				p.retryAt = p.lastChange.Add(f.cfg.IncompleteTimeout)
			}
			f.logger.Debug("Trace not ended yet; waiting", zap.String("repo", ref.Repo), zap.String("trace", ref.ID))
			return false, nil
		}
		mode = metadata.ModeIncomplete
	}
	cv := converter{serviceName: f.cfg.ServiceName, sessionName: f.sessionName(ctx, t)}
	em := cv.convert(t, prev, t.Root.Ended, now)
	if em.spans > 0 {
		if err := f.next.ConsumeTraces(ctx, em.traces); err != nil {
			return false, fmt.Errorf("hand %d spans to the pipeline: %w", em.spans, err)
		}
		f.tel.TracetreeFeedTracesEmitted.Add(ctx, 1, metric.WithAttributes(mode))
		f.tel.TracetreeFeedSpansEmitted.Add(ctx, int64(em.spans))
	}
	if err := saveMarker(ctx, f.st, f.receiverID, ref, em.marker); err != nil {
		return false, err
	}
	f.logger.Debug("Forwarded SDK trace", zap.String("repo", ref.Repo), zap.String("trace", ref.ID),
		zap.String("mode", mode.Value.AsString()), zap.Int("spans", em.spans))
	return true, nil
}

// sessionName reads the trace's session name (best effort: a session that
// cannot be read only costs the attribute).
func (f *feed) sessionName(ctx context.Context, t *tree.Trace) string {
	sid := t.Root.SessionID
	if sid == "" {
		return ""
	}
	ref := commit.NodeRef{Repo: t.Repo, Kind: commit.EntitySession, ID: sid}
	cs, err := f.st.Commits(ctx, []commit.NodeRef{ref})
	if err != nil || len(cs[ref]) == 0 {
		return ""
	}
	n := tree.Fold(ref, cs[ref], tree.WithPrices(f.st.Prices()))
	return n.Name
}

// checkpointEvery throttles checkpoint writes while nothing is pending;
// catch-up re-checks a little more than needed instead (cheap: a marker read).
const checkpointEvery = 10 * time.Second

// checkpoint saves the time before which every change is handled.
func (f *feed) checkpoint(ctx context.Context) error {
	t := f.now()
	for _, p := range f.pending {
		t = minTime(t, p.firstSeen)
	}
	if f.haveSaved && t.Sub(f.savedT) < checkpointEvery && !t.Before(f.savedT) {
		return nil
	}
	return f.saveCheckpoint(ctx, t)
}

func (f *feed) saveCheckpoint(ctx context.Context, t time.Time) error {
	if err := saveCheckpoint(ctx, f.st, f.receiverID, t); err != nil {
		return err
	}
	f.savedT, f.haveSaved = t, true
	return nil
}

// fromOTLP reports whether a trace was written from OTLP spans, whose
// spans the vendors already got on the OTLP pipeline: pkg/spancommit
// records that origin on the trace from every span it converts.
func fromOTLP(t *tree.Trace) bool {
	return t.Root.Origin == commit.OriginOTLP
}
