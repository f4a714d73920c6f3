package indexer

import (
	"context"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TreeSummarizer summarizes with the one fold: tree.AssembleTrace +
// tree.SummarizeTrace (and the session equivalents). The tree package sets
// Revision from the commit set (last version + commit count), which only
// grows as commits arrive, so concurrent indexers agree on which row is
// newer.
type TreeSummarizer struct {
	// Options go to every assembly (the price table).
	Options []tree.Option
}

// SummarizeTrace assembles the trace and summarizes it.
func (s TreeSummarizer) SummarizeTrace(ctx context.Context, r store.Reader, ref commit.NodeRef) (store.TraceSummary, error) {
	t, err := tree.AssembleTrace(ctx, r, ref, s.Options...)
	if err != nil {
		return store.TraceSummary{}, err
	}
	return tree.SummarizeTrace(t), nil
}

// SummarizeSession assembles the session and summarizes it.
func (s TreeSummarizer) SummarizeSession(ctx context.Context, r store.Reader, ref commit.NodeRef) (store.SessionSummary, error) {
	ss, err := tree.AssembleSession(ctx, r, ref, s.Options...)
	if err != nil {
		return store.SessionSummary{}, err
	}
	return tree.SummarizeSession(ss), nil
}
