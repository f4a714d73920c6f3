package indexer

import (
	"context"
	"sync"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// subscriber is one live-feed consumer. Its channel is only sent to and
// closed under Indexer.subMu.
type subscriber struct {
	repo string
	ch   chan store.Change
	// lost is set when a change was dropped; the next send first delivers
	// a resync marker (a Change with no nodes) so the consumer reloads.
	lost bool
}

// send never blocks: a full channel drops the change and marks the
// subscriber for a resync.
func (s *subscriber) send(c store.Change) {
	if s.lost {
		select {
		case s.ch <- store.Change{Repo: c.Repo, At: c.At}:
			s.lost = false
		default:
			return
		}
	}
	select {
	case s.ch <- c:
	default:
		s.lost = true
	}
}

// Subscribe delivers changes for repo ("" = every repo) until ctx ends or
// cancel is called; the channel is closed then.
func (ix *Indexer) Subscribe(ctx context.Context, repo string) (<-chan store.Change, func()) {
	s := &subscriber{repo: repo, ch: make(chan store.Change, ix.cfg.SubscriberBuffer)}
	ix.subMu.Lock()
	ix.subs[s] = struct{}{}
	ix.subMu.Unlock()
	ix.tel.Subscribers.Add(ctx, 1, ix.tel.Attributes)
	var once sync.Once
	done := make(chan struct{})
	cancel := func() {
		once.Do(func() {
			close(done)
			ix.subMu.Lock()
			ix.dropLocked(s)
			ix.subMu.Unlock()
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			cancel()
		case <-done:
		}
	}()
	return s.ch, cancel
}

// dropLocked removes and closes a subscriber once (caller holds subMu).
func (ix *Indexer) dropLocked(s *subscriber) {
	if _, ok := ix.subs[s]; !ok {
		return
	}
	delete(ix.subs, s)
	close(s.ch)
	ix.tel.Subscribers.Add(context.Background(), -1, ix.tel.Attributes)
}
