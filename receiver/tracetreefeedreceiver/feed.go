package tracetreefeedreceiver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/follow"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/receiver/tracetreefeedreceiver/internal/metadata"
)

// feedWorkers is how many traces the feed emits at once. Each emission
// ends with a synced marker write; one at a time, the feed spent most of
// its time waiting for fsync (25 of 30 goroutine dumps under SDK load) and
// fell behind ingest, while concurrent writes share one fsync.
const feedWorkers = 8

// feed follows a store's live change feed (internal/follow) and emits
// completed traces. Emitted traces are recognized by their marker and not
// sent twice (at least once: a crash between the downstream hand-off and
// the marker write re-sends that one trace, with the same span ids).
type feed struct {
	cfg        *Config
	st         store.Store
	next       consumer.Traces
	logger     *zap.Logger
	tel        *metadata.TelemetryBuilder
	receiverID string
	fl         *follow.Follower
}

func newFeed(cfg *Config, st store.Store, next consumer.Traces, logger *zap.Logger, tel *metadata.TelemetryBuilder, receiverID string) *feed {
	f := &feed{cfg: cfg, st: st, next: next, logger: logger, tel: tel, receiverID: receiverID}
	fc := cfg.FollowerConfig(checkpointKey(receiverID), false)
	fc.Workers = feedWorkers
	f.fl = follow.New(fc, st, f.handle, follow.Telemetry{
		PendingDelta: func(ctx context.Context, d int64) { tel.TracetreeFeedPendingTraces.Add(ctx, d) },
		HandleError: func(ctx context.Context, ref commit.NodeRef, failures int, backoff time.Duration, err error) {
			tel.TracetreeFeedErrors.Add(ctx, 1)
			logger.Warn("Forwarding an SDK trace failed; will retry", zap.String("repo", ref.Repo), zap.String("trace", ref.ID),
				zap.Int("failures", failures), zap.Duration("backoff", backoff), zap.Error(err))
		},
	}, logger)
	return f
}

// start subscribes, loads the checkpoint and catches up (follow.Start).
func (f *feed) start(ctx context.Context) error { return f.fl.Start(ctx) }

// step emits every trace that is due (follow.Step).
func (f *feed) step(ctx context.Context) error { return f.fl.Step(ctx) }

// handle emits one trace if it is due. It reports whether the trace is
// done (no longer pending).
func (f *feed) handle(ctx context.Context, ref commit.NodeRef, p *follow.Pending, now time.Time) (bool, error) {
	// The origin is a field of the trace node itself: decide it from that
	// node's commits before assembling the whole tree. Under OTLP load every
	// trace is an OTLP trace, and assembling each one only to skip it cost
	// about a tenth of the collector's CPU.
	own, err := f.st.Commits(ctx, []commit.NodeRef{ref})
	if err != nil {
		return false, fmt.Errorf("read trace node: %w", err)
	}
	if len(own[ref]) == 0 {
		return true, nil // deleted (retention) before it completed
	}
	if root := tree.Fold(ref, own[ref]); fromOTLP(&root) {
		// Its spans went to the vendors on their own OTLP pipeline.
		f.tel.TracetreeFeedTracesSkipped.Add(ctx, 1)
		f.logger.Debug("Trace came in over OTLP; not forwarded again", zap.String("repo", ref.Repo), zap.String("trace", ref.ID))
		return true, nil
	}
	t, err := tree.AssembleTrace(ctx, readRoot{Reader: f.st, ref: ref, commits: own}, ref, tree.WithPrices(f.st.Prices()))
	if errors.Is(err, store.ErrNotFound) {
		return true, nil // deleted (retention) before it completed
	}
	if err != nil {
		return false, fmt.Errorf("assemble: %w", err)
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
		if f.cfg.IncompleteTimeout == 0 || now.Sub(p.LastChange) < f.cfg.IncompleteTimeout {
			// Do not assemble it again until it changes or times out.
			p.RetryAt = follow.FarFuture
			if f.cfg.IncompleteTimeout > 0 {
				p.RetryAt = p.LastChange.Add(f.cfg.IncompleteTimeout)
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

// readRoot is the store with the trace node's commits already read: the
// origin check above reads them, and the assembly that follows starts
// with the same read (of the root alone). Serving it from the first read
// saves one store read per emitted trace; every other read goes to the
// store. A commit that lands on the trace node after the first read is not
// in this emission's tree: its change makes the trace pending again and
// the next emission carries it, as for any commit that lands while a tree
// is assembled (no read here is a snapshot).
type readRoot struct {
	store.Reader
	ref     commit.NodeRef
	commits map[commit.NodeRef][]commit.Commit
}

func (r readRoot) Commits(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.Commit, error) {
	if len(refs) == 1 && refs[0] == r.ref {
		return r.commits, nil
	}
	return r.Reader.Commits(ctx, refs)
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

// fromOTLP reports whether a trace was written from OTLP spans, whose
// spans the vendors already got on the OTLP pipeline: pkg/spancommit
// records that origin on the trace from every span it converts.
func fromOTLP(root *tree.Node) bool {
	return root.Origin == commit.OriginOTLP
}
