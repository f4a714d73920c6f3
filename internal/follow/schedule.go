package follow

import (
	"container/heap"
	"time"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// The due schedule. A pending ref is due once its quiet period has passed
// and its retry time has come (dueAt). Follower.due holds an entry (ref,
// at) for every pending ref whose dueAt is not FarFuture, at == dueAt:
// whatever changes a ref's LastChange or RetryAt (Touch, a wake, a
// handling, a failure) schedules it again. Older entries of the ref stay in
// the heap and are dropped when they come up (their at no longer matches),
// so a step pops exactly the due refs and a few stale entries, instead of
// visiting every pending ref.

// dueAt is when p's quiet period has passed and its retry time come.
func (f *Follower) dueAt(p *Pending) time.Time {
	at := p.LastChange.Add(f.cfg.QuietPeriod)
	if p.RetryAt.After(at) {
		return p.RetryAt
	}
	return at
}

// schedule records ref's current dueAt; a ref parked until its next change
// (FarFuture) needs no entry: only Touch or a wake can make it due.
func (f *Follower) schedule(ref commit.NodeRef, p *Pending) {
	if at := f.dueAt(p); at.Before(FarFuture) {
		heap.Push(&f.due, dueEntry{at: at, ref: ref})
	}
}

// takeDue pops the refs due at now, each once, dropping stale entries.
func (f *Follower) takeDue(now time.Time) []commit.NodeRef {
	var out []commit.NodeRef
	var taken map[commit.NodeRef]bool
	for len(f.due) > 0 && !now.Before(f.due[0].at) {
		e := heap.Pop(&f.due).(dueEntry)
		p := f.Pending[e.ref]
		if p == nil || !f.dueAt(p).Equal(e.at) || taken[e.ref] {
			continue // handled and gone, rescheduled since, or a twin entry
		}
		if taken == nil {
			taken = map[commit.NodeRef]bool{}
		}
		taken[e.ref] = true
		out = append(out, e.ref)
	}
	return out
}

type dueEntry struct {
	at  time.Time
	ref commit.NodeRef
}

// dueHeap is a min-heap of entries by at (container/heap).
type dueHeap []dueEntry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueEntry)) }
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
