package indexer

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// retentionPage is how many traces one retention step deletes.
const retentionPage = 200

func (ix *Indexer) retentionLoop(ctx context.Context) {
	defer ix.wg.Done()
	t := time.NewTicker(ix.cfg.Retention.Interval)
	defer t.Stop()
	for {
		if n, err := ix.RunRetention(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			ix.logger.Warn("Retention pass failed", zap.Error(err))
		} else if n > 0 {
			ix.logger.Info("Retention deleted idle traces and sessions", zap.Int("nodes", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunRetention deletes every trace (with all nodes below it) and every
// session whose LastActivity is older than the TTL, and returns how many
// nodes it deleted. Orphan nodes that never attached to a trace are not
// reached (see README).
func (ix *Indexer) RunRetention(ctx context.Context) (int, error) {
	if ix.cfg.Retention.TTL <= 0 {
		return 0, nil
	}
	cutoff := ix.now().Add(-ix.cfg.Retention.TTL)
	deleted := 0
	var lastFirst string
	for {
		// Always the first page: the previous page is gone.
		refs, err := ix.idleTraces(ctx, cutoff)
		if err != nil {
			return deleted, fmt.Errorf("find idle traces: %w", err)
		}
		if len(refs) == 0 {
			break
		}
		first := refs[0].Repo + "\x00" + refs[0].ID
		if first == lastFirst {
			return deleted, fmt.Errorf("trace %q survived deletion", refs[0].ID)
		}
		lastFirst = first
		for _, t := range refs {
			nodes, err := ix.subtree(ctx, t)
			if err != nil {
				return deleted, err
			}
			if err := ix.Backend.Delete(ctx, nodes); err != nil {
				return deleted, fmt.Errorf("delete trace %s/%s: %w", t.Repo, t.ID, err)
			}
			deleted += len(nodes)
			ix.tel.RetentionDeleted.Add(ctx, int64(len(nodes)), ix.tel.Attributes)
		}
	}
	// Sessions have no idle filter in SessionQuery; they are few compared
	// with traces, so page through all and pick the idle ones.
	var idle []commit.NodeRef
	q := store.SessionQuery{Limit: 1000}
	for {
		page, err := ix.Backend.SearchSessions(ctx, q)
		if err != nil {
			return deleted, fmt.Errorf("find idle sessions: %w", err)
		}
		for _, s := range page.Sessions {
			if s.LastActivity.Before(cutoff) {
				idle = append(idle, commit.NodeRef{Repo: s.Repo, Kind: commit.EntitySession, ID: s.SessionID})
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	for i := 0; i < len(idle); i += retentionPage {
		chunk := idle[i:min(i+retentionPage, len(idle))]
		if err := ix.Backend.Delete(ctx, chunk); err != nil {
			return deleted, fmt.Errorf("delete sessions: %w", err)
		}
		deleted += len(chunk)
		ix.tel.RetentionDeleted.Add(ctx, int64(len(chunk)), ix.tel.Attributes)
	}
	return deleted, nil
}

// idleLister is the optional backend capability of listing idle traces
// from an activity index (pebblestore has it).
type idleLister interface {
	IdleTraces(ctx context.Context, before time.Time, limit int) ([]commit.NodeRef, error)
}

// idleTraces returns up to one page of traces idle since before cutoff.
func (ix *Indexer) idleTraces(ctx context.Context, cutoff time.Time) ([]commit.NodeRef, error) {
	if l, ok := ix.Backend.(idleLister); ok {
		return l.IdleTraces(ctx, cutoff, retentionPage)
	}
	page, err := ix.Backend.SearchTraces(ctx, store.TraceQuery{InactiveBefore: cutoff, Limit: retentionPage})
	if err != nil {
		return nil, err
	}
	refs := make([]commit.NodeRef, 0, len(page.Traces))
	for _, t := range page.Traces {
		refs = append(refs, commit.NodeRef{Repo: t.Repo, Kind: commit.EntityTrace, ID: t.TraceID})
	}
	return refs, nil
}

// subtree returns root and every node reachable through child edges.
func (ix *Indexer) subtree(ctx context.Context, root commit.NodeRef) ([]commit.NodeRef, error) {
	seen := map[commit.NodeRef]bool{root: true}
	out := []commit.NodeRef{root}
	frontier := []commit.NodeRef{root}
	for len(frontier) > 0 {
		kids, err := ix.Backend.Children(ctx, frontier)
		if err != nil {
			return nil, fmt.Errorf("children of %s/%s: %w", root.Repo, root.ID, err)
		}
		var next []commit.NodeRef
		for _, p := range frontier {
			for _, k := range kids[p] {
				if !seen[k] {
					seen[k] = true
					out = append(out, k)
					next = append(next, k)
				}
			}
		}
		frontier = next
	}
	return out, nil
}
