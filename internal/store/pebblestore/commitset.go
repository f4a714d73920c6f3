package pebblestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// A node's value is a commit set: a concatenation of records
//
//	uvarint(len(rec)) rec
//	rec = id[16] version[8, big endian, two's complement] uvarint(len(action)) action data
//
// Repo, entity and entity id are in the key and not repeated. Because records
// are self-delimiting, a merge operand is just more records, so Apply writes
// a Pebble Merge without reading the node first; the merge operator unions
// the operands (by commit id, keeping the lower version) whenever Pebble
// reads or compacts the key. The merged value is canonical: records sorted by
// commit id, one per id.

// mergerName is stored in the database by Pebble: a database written with
// one merger refuses to open with another, so the name is versioned with the
// record format.
const mergerName = "otelcol-genai.commitset.v1"

var errCorruptValue = errors.New("pebblestore: corrupt commit set")

// commitSetMerger is the Pebble merge operator for commit sets.
var commitSetMerger = &pebble.Merger{
	Name: mergerName,
	Merge: func(_, value []byte) (pebble.ValueMerger, error) {
		m := mergers.Get().(*commitSetMerge)
		m.buf = append(m.buf[:0], value...)
		return m, nil
	},
}

// commitSetMerge collects operands by concatenation (order does not matter
// for a set union) and dedupes once in Finish, so merging n operands costs
// one sort instead of n.
//
// Mergers and their buffers are reused: every merge operand a compaction
// carries is copied into one (Pebble keeps ownership of the operands), which
// under OTLP load was 5 % of all allocation. When Finish returns the buffer
// itself, it returns the merger as the io.Closer, and Pebble keeps the value
// valid until it closes it; only then does the buffer go back to the pool.
// Readers copy values before moving their iterator (commitDecoder), as
// Pebble requires.
type commitSetMerge struct {
	buf []byte
}

var mergers = sync.Pool{New: func() any { return new(commitSetMerge) }}

// maxPooledMerge bounds the buffers kept for reuse (a large node's commit
// set is not kept alive for the next small one).
const maxPooledMerge = 256 << 10

// Close returns m to the pool once Pebble is done with Finish's value.
func (m *commitSetMerge) Close() error {
	if cap(m.buf) <= maxPooledMerge {
		m.buf = m.buf[:0]
		mergers.Put(m)
	}
	return nil
}

func (m *commitSetMerge) MergeNewer(value []byte) error {
	m.buf = append(m.buf, value...)
	return nil
}

func (m *commitSetMerge) MergeOlder(value []byte) error {
	m.buf = append(m.buf, value...)
	return nil
}

func (m *commitSetMerge) Finish(bool) ([]byte, io.Closer, error) {
	if isCanonical(m.buf) {
		// One operand of one Apply, or operands that happen to be in id
		// order without duplicates: nothing to sort.
		return m.buf, m, nil
	}
	out, err := canonicalize(m.buf)
	_ = m.Close() // out is a new buffer
	return out, nil, err
}

// isCanonical reports whether b's records are strictly ordered by id (so
// already deduplicated). A corrupt value is not canonical; canonicalize
// then reports the error.
func isCanonical(b []byte) bool {
	var prev []byte
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n || n < 24 {
			return false
		}
		id := b[k : k+16]
		if prev != nil && bytes.Compare(prev, id) >= 0 {
			return false
		}
		prev = id
		b = b[k+int(n):]
	}
	return true
}

// record is one decoded commit-set record; slices alias the value.
type record struct {
	id      commit.ID
	version int64
	raw     []byte // the whole record without its length prefix
}

// splitRecords decodes the record framing.
func splitRecords(b []byte, out []record) ([]record, error) {
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n || n < 24 {
			return nil, errCorruptValue
		}
		raw := b[k : k+int(n)]
		var r record
		copy(r.id[:], raw[:16])
		r.version = int64(binary.BigEndian.Uint64(raw[16:24]))
		r.raw = raw
		out = append(out, r)
		b = b[k+int(n):]
	}
	return out, nil
}

// canonicalize sorts records by id and keeps, per id, the lowest version.
func canonicalize(b []byte) ([]byte, error) {
	recs, err := splitRecords(b, nil)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(recs, func(a, b record) int {
		if c := bytes.Compare(a.id[:], b.id[:]); c != 0 {
			return c
		}
		switch {
		case a.version < b.version:
			return -1
		case a.version > b.version:
			return 1
		}
		return 0
	})
	out := make([]byte, 0, len(b))
	for i, r := range recs {
		if i > 0 && recs[i-1].id == r.id {
			continue
		}
		out = binary.AppendUvarint(out, uint64(len(r.raw)))
		out = append(out, r.raw...)
	}
	return out, nil
}

// recordLen is the length of c's record.
func recordLen(c *commit.Commit) int {
	n := recordBody(c)
	return uvarintLen(uint64(n)) + n
}

func recordBody(c *commit.Commit) int {
	return 24 + uvarintLen(uint64(len(c.Action))) + len(c.Action) + len(c.Data)
}

// appendRecord encodes c as one record (recordLen bytes).
func appendRecord(b []byte, c *commit.Commit) []byte {
	n := recordBody(c)
	b = binary.AppendUvarint(b, uint64(n))
	b = append(b, c.ID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Version))
	b = binary.AppendUvarint(b, uint64(len(c.Action)))
	b = append(b, c.Action...)
	return append(b, c.Data...)
}

func uvarintLen(v uint64) int {
	var tmp [binary.MaxVarintLen64]byte
	return binary.PutUvarint(tmp[:], v)
}

// decodeCommitSet turns a (merged or not) value into the node's commits,
// deduplicated and sorted by commit.Less (see commitDecoder.decode).
func decodeCommitSet(ref commit.NodeRef, value []byte) ([]commit.Commit, error) {
	var d commitDecoder
	return d.decode(ref, value)
}

// commitDecoder decodes the values of one read (Commits of a tree level:
// thousands of small values). Values are copied into shared chunks and
// commits come from shared slabs, so a read of n nodes makes a few dozen
// allocations instead of three per node; the chunks live as long as any of
// their commits, which is the life of the read's result.
type commitDecoder struct {
	recs    []record // scratch
	chunk   []byte   // free tail of the current value chunk
	commits []commit.Commit
	// chunkCap and slabCap are the sizes of the last chunk and slab: each
	// new one doubles, from what the first value needs up to decodeChunk
	// and decodeSlab. A read of one small node then holds only its own
	// bytes; a fixed 64 KiB chunk and 256-commit slab per read made a
	// 10,000-level chain hold 1 GB while it was assembled (the bad-input
	// corpus's 1 GiB bound caught it).
	chunkCap, slabCap int
}

const (
	decodeChunk     = 64 << 10 // bytes of values per chunk
	decodeSlab      = 256      // commits per slab
	decodeOwnAbove  = 16 << 10 // a value this large gets its own copy
	decodeMaxCommit = 4096     // a node with more commits gets its own slice
)

// copyValue copies v where it stays valid after the iterator moves on.
func (d *commitDecoder) copyValue(v []byte) []byte {
	if len(v) > decodeOwnAbove {
		return append([]byte(nil), v...)
	}
	if len(v) > cap(d.chunk)-len(d.chunk) {
		d.chunkCap = min(decodeChunk, max(2*d.chunkCap, len(v)))
		d.chunk = make([]byte, 0, d.chunkCap)
	}
	start := len(d.chunk)
	d.chunk = append(d.chunk, v...)
	out := d.chunk[start:len(d.chunk):len(d.chunk)]
	d.chunk = d.chunk[len(d.chunk):]
	return out
}

// decode turns a (merged or not) value into the node's commits,
// deduplicated and sorted by commit.Less. Pebble hands reads a merged,
// canonical value, so the dedupe pass runs only when the records are not
// already strictly ordered by id. The value belongs to Pebble: it is copied
// once and the commits' Data slices point into the copy.
func (d *commitDecoder) decode(ref commit.NodeRef, value []byte) ([]commit.Commit, error) {
	recs, err := splitRecords(value, d.recs[:0])
	if err != nil {
		return nil, err
	}
	canonical := true
	for i := 1; i < len(recs); i++ {
		if bytes.Compare(recs[i-1].id[:], recs[i].id[:]) >= 0 {
			canonical = false
			break
		}
	}
	if canonical {
		value = d.copyValue(value)
	} else if value, err = canonicalize(value); err != nil {
		return nil, err
	}
	if recs, err = splitRecords(value, recs[:0]); err != nil {
		return nil, err
	}
	d.recs = recs
	var out []commit.Commit
	if len(recs) > decodeMaxCommit {
		out = make([]commit.Commit, 0, len(recs))
	} else {
		if len(recs) > cap(d.commits)-len(d.commits) {
			d.slabCap = max(min(decodeSlab, 2*d.slabCap), len(recs))
			d.commits = make([]commit.Commit, 0, d.slabCap)
		}
		out = d.commits[len(d.commits):len(d.commits)]
	}
	for _, r := range recs {
		rest := r.raw[24:]
		an, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < an {
			return nil, errCorruptValue
		}
		data := rest[k+int(an):]
		out = append(out, commit.Commit{
			Repo:     ref.Repo,
			Entity:   ref.Kind,
			EntityID: ref.ID,
			Action:   internAction(rest[k : k+int(an)]),
			Data:     data[:len(data):len(data)],
			Version:  r.version,
			ID:       r.id,
		})
	}
	if len(recs) <= decodeMaxCommit {
		d.commits = d.commits[:len(d.commits)+len(out)]
		out = out[:len(out):len(out)]
	}
	less := func(a, b commit.Commit) int {
		if commit.Less(&a, &b) {
			return -1
		}
		if commit.Less(&b, &a) {
			return 1
		}
		return 0
	}
	if !slices.IsSortedFunc(out, less) {
		slices.SortFunc(out, less)
	}
	return out, nil
}

// internAction returns the action constant spelled a, so the commits of a
// read share the few action strings instead of allocating one each.
func internAction(a []byte) commit.Action {
	for _, known := range knownActions {
		if string(known) == string(a) {
			return known
		}
	}
	return commit.Action(a)
}

var knownActions = []commit.Action{
	commit.ActionCreate, commit.ActionUpdate, commit.ActionEnd, commit.ActionResult,
	commit.ActionAddGeneration, commit.ActionAddSpan, commit.ActionAddToolCall,
	commit.ActionAddRetrieval, commit.ActionAddError, commit.ActionAddEvent,
	commit.ActionAddFeedback, commit.ActionAddAttachment, commit.ActionEvaluate,
	commit.ActionError, commit.ActionAddCost, commit.ActionProcessLargeLog,
}
