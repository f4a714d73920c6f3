package indexer

import (
	"sync"

	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// TraceObserver sees each trace the indexer assembled for its summary row,
// on the indexing goroutine, before the pass publishes the change: a
// reader that follows the live feed and needs something of the tree (the
// genai_eval receiver: what to judge) takes it from there instead of
// assembling the same tree again a moment later. t is shared and must not
// be changed, and should not be kept: a held tree pins the read chunks of
// its whole pass, and holding the trees of a quiet period's worth of
// ingest cost more memory than the reads it saved. An observer must be
// quick; the pass waits for it.
type TraceObserver func(ref commit.NodeRef, t *tree.Trace)

// observers is the set of TraceObservers of one indexer.
type observers struct {
	mu   sync.RWMutex
	list []*TraceObserver
}

// ObserveTraces adds fn until stop is called. Only this process's passes
// are seen: in a fleet, the traces of shards another member leases are
// not, and neither is a trace whose assembly failed.
func (ix *Indexer) ObserveTraces(fn TraceObserver) (stop func()) {
	o := &fn
	ix.obs.mu.Lock()
	ix.obs.list = append(ix.obs.list, o)
	ix.obs.mu.Unlock()
	return func() {
		ix.obs.mu.Lock()
		defer ix.obs.mu.Unlock()
		for i, x := range ix.obs.list {
			if x == o {
				ix.obs.list = append(ix.obs.list[:i:i], ix.obs.list[i+1:]...)
				return
			}
		}
	}
}

// observe hands t to every observer.
func (ob *observers) observe(ref commit.NodeRef, t *tree.Trace) {
	ob.mu.RLock()
	defer ob.mu.RUnlock()
	for _, fn := range ob.list {
		(*fn)(ref, t)
	}
}
