package tracetreefeedreceiver

import (
	"context"
	"errors"
	"fmt"
	"regexp"
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

// maxParentDepth bounds the walk from a changed node up to its trace.
const maxParentDepth = 256

// feed follows a store's change log and emits completed traces.
//
// Durability: changes are read from the backend's own change log
// (ChangedSince), not only from the live feed, so nothing written while the
// receiver was down is missed. The saved checkpoint never passes a change
// whose trace is still pending, so after a crash the pending traces are
// found again; emitted traces are recognized by their marker and not sent
// twice (at least once: a crash between the downstream hand-off and the
// marker write re-sends that one trace, with the same span ids).
type feed struct {
	cfg        *Config
	st         store.Store
	next       consumer.Traces
	logger     *zap.Logger
	tel        *metadata.TelemetryBuilder
	receiverID string
	now        func() time.Time
	repos      map[string]bool // nil = every repo

	readPos  uint64 // change log read up to here
	savedPos uint64 // checkpoint persisted
	pending  map[commit.NodeRef]*pendingTrace
}

type pendingTrace struct {
	// resumeFrom is a change-log position at or before the first change
	// of this trace not yet handled.
	resumeFrom uint64
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

// init loads the checkpoint. Without one (first start) the feed starts at
// the end of the change log: forwarding starts with new data instead of
// replaying the store's whole history to a paid vendor.
func (f *feed) init(ctx context.Context) error {
	pos, ok, err := loadCheckpoint(ctx, f.st, f.receiverID)
	if err != nil {
		return err
	}
	if !ok {
		for {
			_, next, err := f.st.ChangedSince(ctx, pos, f.cfg.BatchSize)
			if err != nil {
				return fmt.Errorf("find the end of the change log: %w", err)
			}
			if next == pos {
				break
			}
			pos = next
		}
		if err := saveCheckpoint(ctx, f.st, f.receiverID, pos); err != nil {
			return err
		}
		f.logger.Info("No feed checkpoint: starting at the end of the change log", zap.Uint64("position", pos))
	}
	f.readPos, f.savedPos = pos, pos
	return nil
}

// step reads new changes, emits every trace that is due and saves the
// checkpoint. Errors of single traces are retried on later steps.
func (f *feed) step(ctx context.Context) error {
	if err := f.readChanges(ctx); err != nil {
		return err
	}
	f.emitDue(ctx)
	return f.checkpoint(ctx)
}

func (f *feed) readChanges(ctx context.Context) error {
	for {
		refs, next, err := f.st.ChangedSince(ctx, f.readPos, f.cfg.BatchSize)
		if err != nil {
			return fmt.Errorf("read change log after %d: %w", f.readPos, err)
		}
		if next == f.readPos {
			return nil
		}
		traces, err := f.tracesOf(ctx, refs)
		if err != nil {
			return err
		}
		now := f.now()
		for _, t := range traces {
			p := f.pending[t]
			if p == nil {
				p = &pendingTrace{resumeFrom: f.readPos}
				f.pending[t] = p
				f.tel.TracetreeFeedPendingTraces.Add(ctx, 1)
			}
			p.lastChange = now
		}
		f.readPos = next
	}
}

// tracesOf resolves changed nodes to the traces they belong to by walking
// parent edges. Orphans resolve to nothing; the add-* commit that later
// links them changes the parent, which resolves then.
func (f *feed) tracesOf(ctx context.Context, refs []commit.NodeRef) ([]commit.NodeRef, error) {
	seen := map[commit.NodeRef]bool{}
	var frontier, out []commit.NodeRef
	for _, r := range refs {
		if f.repos != nil && !f.repos[r.Repo] {
			continue
		}
		if !seen[r] {
			seen[r] = true
			frontier = append(frontier, r)
		}
	}
	for depth := 0; len(frontier) > 0 && depth < maxParentDepth; depth++ {
		var next []commit.NodeRef
		for _, r := range frontier {
			switch r.Kind {
			case commit.EntityTrace:
				out = append(out, r)
				continue
			case commit.EntitySession:
				continue // a session is not a trace; its traces carry its id
			}
			ps, err := f.st.Parents(ctx, r)
			if err != nil {
				return nil, fmt.Errorf("parents of %s/%s/%s: %w", r.Repo, r.Kind, r.ID, err)
			}
			for _, p := range ps {
				if !seen[p] {
					seen[p] = true
					next = append(next, p)
				}
			}
		}
		frontier = next
	}
	return out, nil
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
	t, err := tree.AssembleTrace(ctx, f.st, ref)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil // deleted (retention) before it completed
	}
	if err != nil {
		return false, fmt.Errorf("assemble: %w", err)
	}
	if fromOTLP(t) {
		// Its spans went to the vendors on their own OTLP pipeline.
		f.tel.TracetreeFeedTracesSkipped.Add(ctx, 1)
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
			return false, nil // keep waiting for the end
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
	n := tree.Fold(ref, cs[ref])
	return n.Name
}

// checkpoint saves the position before which every change is handled.
func (f *feed) checkpoint(ctx context.Context) error {
	pos := f.readPos
	for _, p := range f.pending {
		pos = min(pos, p.resumeFrom)
	}
	if pos == f.savedPos {
		return nil
	}
	if err := saveCheckpoint(ctx, f.st, f.receiverID, pos); err != nil {
		return err
	}
	f.savedPos = pos
	return nil
}

var (
	otlpTraceID = regexp.MustCompile(`^[0-9a-f]{32}$`)
	otlpSpanID  = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

// fromOTLP reports whether a trace was written from OTLP spans
// (pkg/spancommit), whose spans the vendors already got on the OTLP
// pipeline. spancommit writes no explicit origin marker, so this reads the
// shape it writes: the trace id is the OTLP trace id (32 lowercase hex) and
// every node directly under the trace is a span id (16 lowercase hex). SDK
// ids are UUIDs (with dashes) or user-chosen strings.
func fromOTLP(t *tree.Trace) bool {
	if !otlpTraceID.MatchString(t.Root.ID) || len(t.Root.Children) == 0 {
		return false
	}
	for _, c := range t.Root.Children {
		if !otlpSpanID.MatchString(c.ID) {
			return false
		}
	}
	return true
}
