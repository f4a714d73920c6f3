package pebblestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/sstable/block"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// logState returns the sequences of the change-log entries present and the
// range deletions over the log, as [start, end) sequences.
func logState(t *testing.T, s *Store) (entries []uint64, rangeDels [][2]uint64) {
	t.Helper()
	seqOf := func(k []byte) uint64 { return binary.BigEndian.Uint64(k[1:]) }
	err := s.db.ScanInternal(context.Background(), block.Category(0), []byte{pLog}, []byte{pLog + 1},
		func(*pebble.InternalKey, pebble.LazyValue, pebble.IteratorLevel) error { return nil },
		func(start, end []byte, _ pebble.SeqNum) error {
			rangeDels = append(rangeDels, [2]uint64{seqOf(start), seqOf(end)})
			return nil
		},
		nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pLog}, UpperBound: []byte{pLog + 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		entries = append(entries, seqOf(bytes.Clone(it.Key())))
	}
	return entries, rangeDels
}

// An indexer sets the checkpoint after every pass. Each call must trim only
// what it consumed, without range deletions stacked over one another: the
// old DeleteRange(0, pos) per pass made Pebble re-fragment n overlapping
// tombstones (n²/2 fragments) for the first read after every pass.
func TestSetIndexCheckpointTrimsWithoutStackedRangeDeletions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir)
	apply := func(i int) {
		t.Helper()
		c := mk("r", commit.EntityTrace, fmt.Sprintf("t%d", i), commit.ActionCreate, `{}`, int64(i))
		if err := s.Apply(ctx, []commit.Commit{c}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 20; i++ {
		apply(i)
		apply(1000 + i)
		// Consume the first of the two Applies only.
		if err := s.SetIndexCheckpoint(ctx, position(uint64(2*i), 0)); err != nil {
			t.Fatal(err)
		}
	}
	entries, dels := logState(t, s)
	if len(dels) != 0 {
		t.Fatalf("range deletions over the change log: %v", dels)
	}
	if len(entries) != 1 || entries[0] != 40 {
		t.Fatalf("change-log entries left = %v, want [40]", entries)
	}

	// After a restart the trim resumes at the checkpoint (nothing below it
	// is left to delete).
	_ = s.Close()
	s = openTest(t, dir)
	defer s.Close()
	apply(21)
	if err := s.SetIndexCheckpoint(ctx, position(42, 0)); err != nil {
		t.Fatal(err)
	}
	if entries, dels := logState(t, s); len(entries) != 0 || len(dels) != 0 {
		t.Fatalf("after restart: entries %v, range deletions %v", entries, dels)
	}

	// A stretch longer than maxPointTrim (one ref changed by very many
	// Applies) is one range deletion that starts at the last trim, so it
	// overlaps no other.
	s.seqMu.Lock()
	s.seq += 2 * maxPointTrim
	s.seqMu.Unlock()
	apply(22)
	last := s.seq
	if err := s.SetIndexCheckpoint(ctx, position(last+1, 0)); err != nil {
		t.Fatal(err)
	}
	entries, dels = logState(t, s)
	if len(entries) != 0 || len(dels) != 1 || dels[0] != [2]uint64{42, last + 1} {
		t.Fatalf("long stretch: entries %v, range deletions %v, want one [42, %d)", entries, dels, last+1)
	}
}
