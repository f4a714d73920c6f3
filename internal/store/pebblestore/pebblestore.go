// Package pebblestore is a store.Backend on an embedded Pebble database: the
// default backend of an agent or a single-node collector.
//
// Writes never read first: a node's commit set is written with a Pebble
// Merge and unioned by the commitset merge operator when read or compacted;
// edges are plain keys in both directions; the change log is one key per
// Apply, numbered by a local sequence. Summary rows are stored with their
// secondary index entries (each carrying a copy of the row) so a search page
// is one range scan. See keys.go for the layout.
package pebblestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Store is a store.Backend on Pebble.
type Store struct {
	db     *pebble.DB
	wo     *pebble.WriteOptions
	logger *zap.Logger

	// seqMu guards the change-log sequence and the set of sequences whose
	// batches are still being committed. Concurrent Apply calls commit in
	// any order (group commit), so ChangedSince must not hand out a
	// sequence while a lower one is still in flight, or the indexer's
	// checkpoint could pass an entry that becomes visible later.
	seqMu    sync.Mutex
	seq      uint64
	inflight map[uint64]struct{}

	// summaryMu serializes summary upserts and deletes: they read the old
	// row to replace its index entries and to compare revisions.
	summaryMu sync.Mutex

	// claimMu makes Claim's read-then-write atomic.
	claimMu sync.Mutex

	// trimMu guards trimmed: the change-log sequence below which every
	// entry is deleted (SetIndexCheckpoint).
	trimMu  sync.Mutex
	trimmed uint64

	// life guards the database handle: every operation holds it shared,
	// Close exclusively, so no operation touches a closed Pebble (which
	// panics) and Close waits for operations in flight.
	life   sync.RWMutex
	closed bool
}

// ErrClosed is returned by operations on a closed Store.
var ErrClosed = errors.New("pebblestore: closed")

// acquire holds the database open for one operation; call release after.
func (s *Store) acquire() error {
	s.life.RLock()
	if s.closed {
		s.life.RUnlock()
		return ErrClosed
	}
	return nil
}

func (s *Store) release() { s.life.RUnlock() }

var _ store.Backend = (*Store)(nil)

// Open opens (or creates) the database in cfg.Directory.
func Open(cfg Config, logger *zap.Logger) (*Store, error) {
	return open(cfg, logger, nil)
}

// open takes the filesystem as a parameter so tests can simulate a crash
// (Pebble's crashable in-memory FS keeps only what was synced).
func open(cfg Config, logger *zap.Logger, fs vfs.FS) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	cache := pebble.NewCache(cfg.CacheSizeMiB << 20)
	defer cache.Unref()
	opts := &pebble.Options{
		Cache:  cache,
		Merger: commitSetMerger,
		Logger: zapPebbleLogger{logger.Sugar()},
		FS:     fs,
	}
	if cfg.MemTableSizeMiB > 0 {
		opts.MemTableSize = uint64(cfg.MemTableSizeMiB) << 20
	}
	db, err := pebble.Open(cfg.Directory, opts)
	if err != nil {
		return nil, fmt.Errorf("pebblestore: open %q: %w", cfg.Directory, err)
	}
	s := &Store{db: db, wo: pebble.NoSync, logger: logger, inflight: map[uint64]struct{}{}}
	if cfg.Sync {
		s.wo = pebble.Sync
	}
	if err := s.recoverSeq(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// recoverSeq restarts the change-log sequence after the last log key, or
// after the checkpoint when the log was trimmed empty by a full catch-up.
func (s *Store) recoverSeq() error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pLog}, UpperBound: []byte{pLog + 1}})
	if err != nil {
		return fmt.Errorf("pebblestore: recover sequence: %w", err)
	}
	if it.Last() {
		s.seq = binary.BigEndian.Uint64(it.Key()[1:])
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("pebblestore: recover sequence: %w", err)
	}
	cp, err := s.IndexCheckpoint(context.Background())
	if err != nil {
		return err
	}
	// Entries below cp's sequence are consumed (and may be trimmed); the
	// next Apply must number after them.
	if cpSeq := cp >> offBits; cpSeq > 0 {
		s.seq = max(s.seq, cpSeq-1)
	}
	// Every checkpoint write trimmed the log below it in the same batch.
	s.trimmed = cp >> offBits
	return nil
}

// Close closes the database; closing twice is a no-op.
func (s *Store) Close() error {
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.db.Close()
}

// Apply merges commits into their nodes, records edges and appends one
// change-log entry, in one batch; it returns after the batch is durable (when
// Sync is configured).
func (s *Store) Apply(ctx context.Context, commits []commit.Commit, edges []store.Edge) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if len(commits) == 0 && len(edges) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Group the commits by node so a node gets one merge operand per Apply,
	// its records in commit order. The batch is sized up front and each
	// operand is encoded in place (MergeDeferred): growing the batch by
	// doubling and copying every record through a scratch value were an
	// eighth of what the OTLP path allocated.
	type group struct {
		ref   commit.NodeRef
		key   []byte
		size  int // bytes of its records
		count int // its commits
		next  int // its next slot in order
	}
	idx := make(map[commit.NodeRef]int, len(commits))
	groups := make([]group, 0, len(commits))
	of := make([]int32, len(commits)) // commit → group
	size := 64
	for i := range commits {
		c := &commits[i]
		if c.ID.IsZero() {
			return fmt.Errorf("pebblestore: commit %s/%s/%s has no id (not sealed)", c.Entity, c.EntityID, c.Action)
		}
		ref := c.Node()
		gi, ok := idx[ref]
		if !ok {
			gi = len(groups)
			idx[ref] = gi
			k := nodeKey(ref)
			groups = append(groups, group{ref: ref, key: k})
			size += len(k) + 2*binary.MaxVarintLen32 + 1
		}
		of[i] = int32(gi)
		n := recordLen(c)
		groups[gi].size += n
		groups[gi].count++
		size += n
	}
	// order lists the commits group by group (a counting sort: stable, so
	// each group keeps commit order).
	at := 0
	for gi := range groups {
		groups[gi].next = at
		at += groups[gi].count
	}
	order := make([]int32, len(commits))
	for i, gi := range of {
		order[groups[gi].next] = int32(i)
		groups[gi].next++
	}
	for _, e := range edges {
		size += 2 * (3 + 2*(len(e.Parent.Repo)+len(e.Parent.Kind)+len(e.Parent.ID)+len(e.Child.Repo)+len(e.Child.Kind)+len(e.Child.ID)+6))
	}
	b := s.db.NewBatchWithSize(size)
	defer b.Close()
	start := 0
	for gi := range groups {
		g := &groups[gi]
		op := b.MergeDeferred(len(g.key), g.size)
		copy(op.Key, g.key)
		val := op.Value[:0]
		for _, ci := range order[start:g.next] {
			val = appendRecord(val, &commits[ci])
		}
		start = g.next
		if len(val) != g.size {
			return fmt.Errorf("pebblestore: merge %v: encoded %d bytes, sized %d", g.ref, len(val), g.size)
		}
		if err := op.Finish(); err != nil {
			return fmt.Errorf("pebblestore: merge %v: %w", g.ref, err)
		}
	}
	touched := make([]commit.NodeRef, 0, len(groups)+len(edges))
	for _, g := range groups {
		touched = append(touched, g.ref)
	}
	for _, e := range edges {
		if err := b.Set(childKey(e.Parent, e.Child), nil, nil); err != nil {
			return fmt.Errorf("pebblestore: edge: %w", err)
		}
		if err := b.Set(parentKey(e.Child, e.Parent), nil, nil); err != nil {
			return fmt.Errorf("pebblestore: edge: %w", err)
		}
		// The child's roots change when an edge attaches it; the parent's
		// tree changes too. Both go to the change log.
		for _, r := range []commit.NodeRef{e.Child, e.Parent} {
			if _, ok := idx[r]; !ok {
				idx[r] = -1
				touched = append(touched, r)
			}
		}
	}
	var logVal []byte
	for _, r := range touched {
		logVal = appendRef(logVal, r)
	}

	s.seqMu.Lock()
	s.seq++
	seq := s.seq
	s.inflight[seq] = struct{}{}
	s.seqMu.Unlock()
	defer func() {
		s.seqMu.Lock()
		delete(s.inflight, seq)
		s.seqMu.Unlock()
	}()
	if err := b.Set(logKey(seq), logVal, nil); err != nil {
		return fmt.Errorf("pebblestore: change log: %w", err)
	}
	if err := b.Commit(s.wo); err != nil {
		return fmt.Errorf("pebblestore: commit batch: %w", err)
	}
	return nil
}

// Commits returns the commit sets of refs. One iterator seeks to each node
// in key order: much cheaper than a Get (an iterator each) per node when a
// tree level has thousands of nodes.
func (s *Store) Commits(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.Commit, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	out := make(map[commit.NodeRef][]commit.Commit, len(refs))
	keys := sortedKeys(refs, pNode)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{pNode}, UpperBound: []byte{pNode + 1}})
	if err != nil {
		return nil, fmt.Errorf("pebblestore: read commits: %w", err)
	}
	defer it.Close()
	var dec commitDecoder
	for i, k := range keys {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		// SeekPrefixGE, not SeekGE: the default comparer's prefix is the
		// whole key, so a node without commits (a span known only by its
		// edges) stops the seek at once. SeekGE positioned on the next
		// node instead and resolved its merge operands — for the children
		// of a trace with n add-span commits, n merges of n records.
		if !it.SeekPrefixGE(k.key) || !bytes.Equal(it.Key(), k.key) {
			continue
		}
		val, err := it.ValueAndErr()
		if err != nil {
			return nil, fmt.Errorf("pebblestore: read %v: %w", k.ref, err)
		}
		cs, err := dec.decode(k.ref, val)
		if err != nil {
			return nil, fmt.Errorf("pebblestore: decode %v: %w", k.ref, err)
		}
		if len(cs) > 0 {
			out[k.ref] = cs
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("pebblestore: read commits: %w", err)
	}
	return out, nil
}

type refKey struct {
	ref commit.NodeRef
	key []byte
}

// sortedKeys returns the distinct refs with their keys (tag, then the
// ref) in key order, so an iterator only ever seeks forward. The keys share
// one buffer, and duplicates are dropped after sorting (equal keys are
// equal refs) rather than through a set: a tree level can be 10,000 refs.
func sortedKeys(refs []commit.NodeRef, tag byte) []refKey {
	size := 0
	for _, r := range refs {
		size += 1 + len(r.Repo) + len(r.Kind) + len(r.ID) + 6
	}
	buf := make([]byte, 0, size)
	ends := make([]int, len(refs))
	for i, r := range refs {
		buf = appendRef(append(buf, tag), r)
		ends[i] = len(buf)
	}
	out := make([]refKey, len(refs))
	start := 0
	for i, r := range refs {
		out[i] = refKey{ref: r, key: buf[start:ends[i]:ends[i]]}
		start = ends[i]
	}
	slices.SortFunc(out, func(a, b refKey) int { return bytes.Compare(a.key, b.key) })
	return slices.CompactFunc(out, func(a, b refKey) bool { return bytes.Equal(a.key, b.key) })
}

// Children returns the children of each ref, sorted by store.CompareNodes,
// with one iterator for all refs.
func (s *Store) Children(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.NodeRef, error) {
	return s.edgesOf(ctx, refs, pChild, "children")
}

// Parents returns the parents of each ref, sorted by store.CompareNodes,
// with one iterator for all refs.
func (s *Store) Parents(ctx context.Context, refs []commit.NodeRef) (map[commit.NodeRef][]commit.NodeRef, error) {
	return s.edgesOf(ctx, refs, pParent, "parents")
}

// edgesOf reads one direction of the edge index (tag pChild or pParent) for
// every ref: sorted seeks through one iterator, so n refs cost n seeks in
// key order rather than n iterators.
func (s *Store) edgesOf(ctx context.Context, refs []commit.NodeRef, tag byte, what string) (map[commit.NodeRef][]commit.NodeRef, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.release()
	out := make(map[commit.NodeRef][]commit.NodeRef, len(refs))
	keys := sortedKeys(refs, tag)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{tag}, UpperBound: []byte{tag + 1}})
	if err != nil {
		return nil, fmt.Errorf("pebblestore: read %s: %w", what, err)
	}
	defer it.Close()
	for i, k := range keys {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var found []commit.NodeRef
		for ok := it.SeekGE(k.key); ok && bytes.HasPrefix(it.Key(), k.key); ok = it.Next() {
			r, _, err := readRefIn(it.Key()[len(k.key):], k.ref.Repo)
			if err != nil {
				return nil, err
			}
			found = append(found, r)
		}
		if len(found) > 0 {
			store.SortNodes(found)
			out[k.ref] = found
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("pebblestore: read %s: %w", what, err)
	}
	return out, nil
}

// scanRefs returns the refs that follow prefix in every key under it,
// sorted by store.CompareNodes (the key order sorts by repo first; edges
// may cross repos only in theory, so sort explicitly).
func (s *Store) scanRefs(prefix []byte) ([]commit.NodeRef, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, fmt.Errorf("pebblestore: scan: %w", err)
	}
	defer it.Close()
	var out []commit.NodeRef
	for ok := it.First(); ok; ok = it.Next() {
		r, _, err := readRef(it.Key()[len(prefix):])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("pebblestore: scan: %w", err)
	}
	store.SortNodes(out)
	return out, nil
}

// visibleSeq is the highest sequence below which no Apply is in flight.
func (s *Store) visibleSeq() uint64 {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	v := s.seq
	for q := range s.inflight {
		if q-1 < v {
			v = q - 1
		}
	}
	return v
}

// A change-log position is (entry sequence << offBits) | offset: every
// entry below the sequence is consumed, and the first offset refs of that
// entry. Positions are per ref so ChangedSince can honour any limit, even
// inside one Apply that touched many nodes.
const (
	offBits = 24
	offMask = 1<<offBits - 1
)

func position(seq uint64, off int) uint64 { return seq<<offBits | uint64(off) }

// ChangedSince returns the nodes touched after position after, in apply
// order, at most limit of them (deduplicated within the page), and the
// position to resume from.
func (s *Store) ChangedSince(ctx context.Context, after uint64, limit int) ([]commit.NodeRef, uint64, error) {
	if err := s.acquire(); err != nil {
		return nil, 0, err
	}
	defer s.release()
	if err := ctx.Err(); err != nil {
		return nil, after, err
	}
	limit = store.ChangeBatchLimit(limit)
	seq0, off0 := after>>offBits, int(after&offMask)
	upto := s.visibleSeq()
	if upto < seq0 {
		return nil, after, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: logKey(seq0), UpperBound: logKey(upto + 1)})
	if err != nil {
		return nil, after, fmt.Errorf("pebblestore: change log: %w", err)
	}
	defer it.Close()
	next := after
	seen := map[commit.NodeRef]struct{}{}
	var refs []commit.NodeRef
	for ok := it.First(); ok; ok = it.Next() {
		seq := binary.BigEndian.Uint64(it.Key()[1:])
		i := 0
		for v := it.Value(); len(v) > 0; i++ {
			r, rest, err := readRef(v)
			if err != nil {
				return nil, after, fmt.Errorf("pebblestore: change log entry %d: %w", seq, err)
			}
			v = rest
			if seq == seq0 && i < off0 {
				continue
			}
			if len(refs) == limit {
				return refs, position(seq, i), nil
			}
			if _, dup := seen[r]; !dup {
				seen[r] = struct{}{}
				refs = append(refs, r)
			}
		}
		next = position(seq+1, 0)
	}
	if err := it.Error(); err != nil {
		return nil, after, fmt.Errorf("pebblestore: change log: %w", err)
	}
	return refs, next, nil
}

// IndexCheckpoint returns the persisted indexer position (0 if none).
func (s *Store) IndexCheckpoint(context.Context) (uint64, error) {
	if err := s.acquire(); err != nil {
		return 0, err
	}
	defer s.release()
	v, closer, err := s.db.Get(checkpointKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pebblestore: read checkpoint: %w", err)
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("pebblestore: corrupt checkpoint (%d bytes)", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// SetIndexCheckpoint persists pos and trims the change-log entries fully
// before it: the indexer never asks for positions below its checkpoint
// again.
func (s *Store) SetIndexCheckpoint(_ context.Context, pos uint64) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	s.trimMu.Lock()
	defer s.trimMu.Unlock()
	b := s.db.NewBatch()
	defer b.Close()
	if err := b.Set(checkpointKey, binary.BigEndian.AppendUint64(nil, pos), nil); err != nil {
		return err
	}
	// Only the entries consumed since the last trim are deleted, by point
	// deletes. One range deletion [0, pos) per pass stacked a tombstone over
	// every earlier one, and Pebble re-fragments a memtable's range
	// tombstones for the first iterator after each new one: n stacked
	// tombstones are n²/2 fragments, paid by every read of the store
	// (Commits, Children, …) until the memtable flushed — about a fifth of
	// the CPU of an ingest with the evaluation engine on
	// (receiver/genaievalreceiver BenchmarkIngest). Sequences are dense (one
	// per Apply), so a pass costs one point delete per Apply it consumed; a
	// longer stretch (a pass over one ref changed by very many Applies)
	// takes one range deletion, which overlaps no other.
	upto := pos >> offBits
	switch {
	case upto <= s.trimmed:
	case upto-s.trimmed <= maxPointTrim:
		for q := s.trimmed; q < upto; q++ {
			if err := b.Delete(logKey(q), nil); err != nil {
				return err
			}
		}
	default:
		if err := b.DeleteRange(logKey(s.trimmed), logKey(upto), nil); err != nil {
			return err
		}
	}
	if err := b.Commit(s.wo); err != nil {
		return fmt.Errorf("pebblestore: write checkpoint: %w", err)
	}
	s.trimmed = max(s.trimmed, upto)
	return nil
}

// maxPointTrim is how many change-log entries SetIndexCheckpoint deletes
// one by one at most (see there).
const maxPointTrim = 4096

// PutBlob stores a blob durably.
func (s *Store) PutBlob(ctx context.Context, repo, key string, bl store.Blob) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if err := ctx.Err(); err != nil {
		return err
	}
	v := binary.AppendUvarint(make([]byte, 0, len(bl.ContentType)+len(bl.Data)+2), uint64(len(bl.ContentType)))
	v = append(v, bl.ContentType...)
	v = append(v, bl.Data...)
	if err := s.db.Set(blobKey(repo, key), v, s.wo); err != nil {
		return fmt.Errorf("pebblestore: put blob: %w", err)
	}
	return nil
}

// GetBlob returns a blob or store.ErrNotFound.
func (s *Store) GetBlob(ctx context.Context, repo, key string) (store.Blob, error) {
	if err := s.acquire(); err != nil {
		return store.Blob{}, err
	}
	defer s.release()
	if err := ctx.Err(); err != nil {
		return store.Blob{}, err
	}
	v, closer, err := s.db.Get(blobKey(repo, key))
	if errors.Is(err, pebble.ErrNotFound) {
		return store.Blob{}, store.ErrNotFound
	}
	if err != nil {
		return store.Blob{}, fmt.Errorf("pebblestore: get blob: %w", err)
	}
	defer closer.Close()
	n, k := binary.Uvarint(v)
	if k <= 0 || uint64(len(v)-k) < n {
		return store.Blob{}, errors.New("pebblestore: corrupt blob")
	}
	return store.Blob{
		ContentType: string(v[k : k+int(n)]),
		Data:        append([]byte{}, v[k+int(n):]...),
	}, nil
}

// DeleteBlob removes a blob; deleting an unknown blob is a no-op. It is an
// optional capability (not in store.Backend), discovered by type assertion.
func (s *Store) DeleteBlob(ctx context.Context, repo, key string) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.db.Delete(blobKey(repo, key), s.wo); err != nil {
		return fmt.Errorf("pebblestore: delete blob: %w", err)
	}
	return nil
}

// Delete removes nodes with their commits, edges in both directions, the
// blobs they own (store.OwnedBy, with linked large logs) and, for traces
// and sessions, their summary rows and index entries.
func (s *Store) Delete(ctx context.Context, refs []commit.NodeRef) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	s.summaryMu.Lock()
	defer s.summaryMu.Unlock()
	b := s.db.NewIndexedBatch()
	defer b.Close()
	deltas := rollupDeltas{}
	for _, ref := range refs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := b.Delete(nodeKey(ref), nil); err != nil {
			return err
		}
		enc := appendRef(nil, ref)
		kids, err := s.scanRefs(append([]byte{pChild}, enc...))
		if err != nil {
			return err
		}
		for _, k := range kids {
			_ = b.Delete(childKey(ref, k), nil)
			_ = b.Delete(parentKey(k, ref), nil)
		}
		parents, err := s.scanRefs(append([]byte{pParent}, enc...))
		if err != nil {
			return err
		}
		for _, p := range parents {
			_ = b.Delete(parentKey(ref, p), nil)
			_ = b.Delete(childKey(p, ref), nil)
		}
		if err := s.deleteOwnedBlobs(ctx, b, ref); err != nil {
			return err
		}
		switch ref.Kind {
		case commit.EntityTrace:
			if err := traceTable.delete(b, deltas, ref.Repo, ref.ID); err != nil {
				return err
			}
		case commit.EntitySession:
			if err := sessionTable.delete(b, deltas, ref.Repo, ref.ID); err != nil {
				return err
			}
		}
	}
	if err := deltas.apply(b); err != nil {
		return err
	}
	if err := b.Commit(s.wo); err != nil {
		return fmt.Errorf("pebblestore: delete: %w", err)
	}
	return nil
}

// deleteOwnedBlobs adds to b the deletion of every blob ref owns: one range
// scan of store.OwnedRange, filtered by store.OwnedBy.
func (s *Store) deleteOwnedBlobs(ctx context.Context, b *pebble.Batch, ref commit.NodeRef) error {
	lo, hi := store.OwnedRange(ref)
	base := blobKey(ref.Repo, "")
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: blobKey(ref.Repo, lo), UpperBound: blobKey(ref.Repo, hi)})
	if err != nil {
		return fmt.Errorf("pebblestore: delete blobs: %w", err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		name := string(it.Key()[len(base):])
		if !store.OwnedBy(ref, ref.Repo, name) {
			continue
		}
		if ll, ok := store.LinkedLargeLog(ref, name); ok {
			if err := b.Delete(blobKey(ll.Repo, ll.Name), nil); err != nil {
				return err
			}
		}
		if err := b.Delete(it.Key(), nil); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("pebblestore: delete blobs: %w", err)
	}
	return nil
}
