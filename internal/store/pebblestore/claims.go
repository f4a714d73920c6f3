package pebblestore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// claimKey is "k <repo> <key>"; the value is until (unix ns, u64 big
// endian) followed by the owner's bytes.
func claimKey(repo, key string) []byte {
	return appendString(appendString([]byte{pClaim}, repo), key)
}

// Claim takes a claim (see store.Backend). One process owns a Pebble
// directory, so a mutex makes the read-then-write atomic.
func (s *Store) Claim(ctx context.Context, repo, key, owner string, now, until time.Time) (bool, error) {
	if err := s.acquire(); err != nil {
		return false, err
	}
	defer s.release()
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.claimMu.Lock()
	defer s.claimMu.Unlock()
	k := claimKey(repo, key)
	v, closer, err := s.db.Get(k)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		return false, fmt.Errorf("pebblestore: read claim: %w", err)
	default:
		held := len(v) >= 8 && string(v[8:]) != owner && int64(binary.BigEndian.Uint64(v)) > now.UnixNano()
		_ = closer.Close()
		if held {
			return false, nil
		}
	}
	val := binary.BigEndian.AppendUint64(nil, uint64(until.UnixNano()))
	if err := s.db.Set(k, append(val, owner...), s.wo); err != nil {
		return false, fmt.Errorf("pebblestore: write claim: %w", err)
	}
	return true, nil
}
