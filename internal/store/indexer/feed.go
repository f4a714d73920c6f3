package indexer

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// The live feed across a fleet. With fleet indexing a change is indexed by
// one member only, but a subscriber of any member must see it: the indexing
// member publishes to its own subscribers and sends the change to the
// others through the backend (PostgreSQL NOTIFY); every member listens and
// hands the other members' changes to its subscribers.
//
// A payload is a wireChange in JSON, at most store.MaxNotifyPayload bytes: a
// larger change is split by nodes, each part repeating the change's traces
// and sessions (the query API's feed narrows by them). What cannot be sent
// that way (names that are not UTF-8, which a NOTIFY payload cannot carry;
// more traces than fit in half a payload) goes as a resync marker, which
// subscribers already treat as "reload".

// The same channel wakes the holder of a shard that another member wrote
// to: a member's Apply kicks only its own indexing loop, and the holder
// would otherwise see the write at its next poll (indexer.poll_interval,
// 1 s by default, where a member indexing everything used to take the
// debounce, 50 ms). Wake-ups are sent after Apply returned, from a
// goroutine that coalesces the shards of the Applies made while it was
// sending, so the write path does not wait for them and a busy member sends
// about one per round trip.

// wireChange is a store.Change on the wire, with short keys to save
// payload bytes.
type wireChange struct {
	// Owner is the sending member; its own changes are not delivered
	// twice.
	Owner    string      `json:"o"`
	Repo     string      `json:"r,omitempty"`
	At       int64       `json:"a,omitempty"`
	Traces   []string    `json:"t,omitempty"`
	Sessions []string    `json:"s,omitempty"`
	Nodes    [][2]string `json:"n,omitempty"`
	// Resync is a resync marker: resyncRepo for Repo's subscribers,
	// resyncAll for everyone.
	Resync int `json:"x,omitempty"`
	// Wake lists shards the sender wrote to: not a change, a request to
	// their holders to run a pass.
	Wake []int `json:"w,omitempty"`
}

const (
	resyncRepo = 1
	resyncAll  = 2
)

// feed is one member's side of the fleet live feed.
type feed struct {
	sc     store.ShardedChangeLog
	owner  string
	logger *zap.Logger
	// off is set when the backend cannot notify (no LISTEN/NOTIFY on
	// CockroachDB and YugabyteDB); it is logged once.
	off atomic.Bool

	// wakeMu guards toWake, the shards written since the last wake-up
	// was sent; wakeReady signals the sender.
	wakeMu    sync.Mutex
	toWake    map[int]struct{}
	wakeReady chan struct{}
}

func newFeed(sc store.ShardedChangeLog, owner string, logger *zap.Logger) *feed {
	return &feed{sc: sc, owner: owner, logger: logger, toWake: map[int]struct{}{}, wakeReady: make(chan struct{}, 1)}
}

// wrote notes the shards an Apply wrote to, for wakeLoop; it never blocks.
func (f *feed) wrote(commits []commit.Commit, edges []store.Edge) {
	if f.off.Load() {
		return
	}
	f.wakeMu.Lock()
	last := ""
	for i := range commits {
		if r := commits[i].Repo; r != last {
			f.toWake[f.sc.ShardOf(r)] = struct{}{}
			last = r
		}
	}
	for i := range edges {
		if r := edges[i].Child.Repo; r != last {
			f.toWake[f.sc.ShardOf(r)] = struct{}{}
			last = r
		}
	}
	f.wakeMu.Unlock()
	select {
	case f.wakeReady <- struct{}{}:
	default:
	}
}

// wakeLoop sends the wake-ups wrote collects, for the shards this member
// does not hold (its own loop was kicked already), until ctx ends.
func (ix *Indexer) wakeLoop(ctx context.Context) {
	defer ix.wg.Done()
	f := ix.feed
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wakeReady:
		}
		f.wakeMu.Lock()
		var shards []int
		for s := range f.toWake {
			if !ix.fleet.holds(s) {
				shards = append(shards, s)
			}
		}
		clear(f.toWake)
		f.wakeMu.Unlock()
		if len(shards) == 0 {
			continue
		}
		slices.Sort(shards)
		p := mustJSON(wireChange{Owner: f.owner, Wake: shards})
		sctx, cancel := context.WithTimeout(ctx, notifyTimeout)
		if err := f.sc.NotifyChanges(sctx, []string{p}); err != nil && ctx.Err() == nil {
			// The holder sees the write at its next poll.
			if errors.Is(err, errors.ErrUnsupported) {
				f.off.Store(true)
			}
			f.logger.Debug("Waking the holders of written shards failed", zap.Ints("shards", shards), zap.Error(err))
		}
		cancel()
	}
}

// notifyTimeout bounds sending one pass's notifications: the rows are
// written already, and a feed that cannot be sent must not hold up
// indexing for long.
const notifyTimeout = 5 * time.Second

// notify sends changes to the other members, within ctx (the pass's: a
// Shutdown does not wait notifyTimeout for an unreachable database).
// Failures are logged, not returned: the summary rows are written, only
// other members' live subscribers miss the change.
func (f *feed) notify(ctx context.Context, changes []store.Change) {
	if f.off.Load() || len(changes) == 0 {
		return
	}
	var payloads []string
	for i := range changes {
		payloads = f.encode(payloads, &changes[i])
	}
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	if err := f.sc.NotifyChanges(ctx, payloads); err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			if !f.off.Swap(true) {
				f.logger.Warn("The backend cannot notify other members; their live feeds miss the changes this member indexes", zap.Error(err))
			}
			return
		}
		f.logger.Warn("Sending the live feed to other members failed", zap.Int("payloads", len(payloads)), zap.Error(err))
	}
}

// encode appends c's payloads (see the package comment of feed.go).
func (f *feed) encode(out []string, c *store.Change) []string {
	w := wireChange{Owner: f.owner, Repo: c.Repo, At: c.At.UnixNano(), Traces: c.Traces, Sessions: c.Sessions}
	marker := func(kind int) []string {
		m := wireChange{Owner: f.owner, At: w.At, Resync: kind}
		if kind == resyncRepo {
			m.Repo = c.Repo
		}
		return append(out, mustJSON(m))
	}
	// The repository goes into every payload, the resyncRepo marker too,
	// JSON-escaped: a control character, '<', '>', '&' or U+2028 takes six
	// bytes there, so its bytes do not bound it (a resyncRepo marker of a
	// 1,400-byte name of '<' exceeded the limit, and one payload over it
	// fails the NOTIFY of all sent with it).
	if !utf8.ValidString(c.Repo) || len(mustJSON(c.Repo)) > store.MaxNotifyPayload/2 {
		return marker(resyncAll)
	}
	if !allUTF8(c.Traces) || !allUTF8(c.Sessions) {
		return marker(resyncRepo)
	}
	w.Nodes = make([][2]string, 0, len(c.Nodes))
	for _, n := range c.Nodes {
		if !utf8.ValidString(string(n.Kind)) || !utf8.ValidString(n.ID) {
			return marker(resyncRepo)
		}
		w.Nodes = append(w.Nodes, [2]string{string(n.Kind), n.ID})
	}
	if s := mustJSON(w); len(s) <= store.MaxNotifyPayload {
		return append(out, s)
	}
	nodes := w.Nodes
	w.Nodes = nil
	base := len(mustJSON(w)) + len(`,"n":[]`)
	if base > store.MaxNotifyPayload/2 {
		return marker(resyncRepo)
	}
	size := base
	var part [][2]string
	for _, n := range nodes {
		nb := len(mustJSON(n)) + 1 // and a comma
		if base+nb > store.MaxNotifyPayload {
			return marker(resyncRepo)
		}
		if size+nb > store.MaxNotifyPayload {
			w.Nodes = part
			out = append(out, mustJSON(w))
			part, size = nil, base
		}
		part = append(part, n)
		size += nb
	}
	if len(part) > 0 {
		w.Nodes = part
		out = append(out, mustJSON(w))
	}
	return out
}

func allUTF8(ss []string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Strings, ints and slices of them always encode.
		panic(err)
	}
	return string(b)
}

// listenLoop hands other members' changes to the local subscribers until
// ctx ends. A lost connection is reopened with backoff; since changes may
// have been missed meanwhile, every subscriber then gets a resync marker.
func (ix *Indexer) listenLoop(ctx context.Context) {
	defer ix.wg.Done()
	f := ix.feed
	backoff := 100 * time.Millisecond
	reconnect := false
	for ctx.Err() == nil {
		l, err := f.sc.ListenChanges(ctx)
		if errors.Is(err, errors.ErrUnsupported) {
			f.logger.Warn("The backend cannot listen to other members; the live feed carries only the changes this member indexes", zap.Error(err))
			return
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			f.logger.Warn("Listening to other members' changes failed; retrying", zap.Error(err), zap.Duration("backoff", backoff))
			if !sleepCtx(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, 10*time.Second)
			continue
		}
		if reconnect {
			ix.resyncAll()
			f.logger.Info("Listening to other members' changes again; subscribers were told to resync")
		}
		reconnect = true
		connected := time.Now()
		for {
			p, err := l.Next(ctx)
			if err != nil {
				if ctx.Err() == nil {
					f.logger.Warn("Lost the connection listening to other members' changes", zap.Error(err))
				}
				break
			}
			ix.receive(p)
		}
		_ = l.Close()
		// The backoff starts over only after a connection that lasted: one
		// lost as soon as it is made (a proxy or server dropping it at
		// once) would otherwise make this a busy loop of connections, each
		// sending every subscriber a resync marker.
		if time.Since(connected) >= listenStable {
			backoff = 100 * time.Millisecond
			continue
		}
		if !sleepCtx(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// listenStable is how long a LISTEN connection must have lasted for its
// loss to be retried at once.
const listenStable = 10 * time.Second

// receive delivers one payload from another member.
func (ix *Indexer) receive(payload string) {
	var w wireChange
	if err := json.Unmarshal([]byte(payload), &w); err != nil {
		ix.logger.Warn("Ignoring a malformed live-feed payload from another member", zap.Error(err))
		return
	}
	if w.Owner == ix.feed.owner {
		return
	}
	if len(w.Wake) > 0 {
		for _, s := range w.Wake {
			if ix.fleet.holds(s) {
				ix.pendingSince.CompareAndSwap(0, time.Now().UnixNano())
				ix.wake()
				break
			}
		}
		return
	}
	at := time.Unix(0, w.At)
	switch w.Resync {
	case resyncAll:
		ix.resyncAll()
		return
	case resyncRepo:
		ix.deliver([]store.Change{{Repo: w.Repo, At: at}})
		return
	}
	c := store.Change{Repo: w.Repo, At: at, Traces: w.Traces, Sessions: w.Sessions}
	c.Nodes = make([]commit.NodeRef, len(w.Nodes))
	for i, n := range w.Nodes {
		c.Nodes[i] = commit.NodeRef{Repo: w.Repo, Kind: commit.Entity(n[0]), ID: n[1]}
	}
	ix.deliver([]store.Change{c})
}

// deliver sends changes to the local subscribers of their repositories.
func (ix *Indexer) deliver(changes []store.Change) {
	ix.subMu.Lock()
	defer ix.subMu.Unlock()
	for s := range ix.subs {
		for i := range changes {
			if s.repo == "" || s.repo == changes[i].Repo {
				s.send(changes[i])
			}
		}
	}
}

// resyncAll sends every local subscriber a resync marker.
func (ix *Indexer) resyncAll() {
	at := ix.now()
	ix.subMu.Lock()
	defer ix.subMu.Unlock()
	for s := range ix.subs {
		s.send(store.Change{Repo: s.repo, At: at})
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
