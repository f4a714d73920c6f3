package pebblestore

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Key layout. Every key starts with one prefix byte naming its table; string
// components use an order-preserving, self-delimiting encoding (see
// appendString) so that a prefix of components is also a key prefix and keys
// sort by their components.
//
//	n <repo> <kind> <id>                      commit set of one node (merge operator)
//	c <parent ref> <child ref>                 edge, parent → child (Children)
//	p <child ref> <parent ref>                 edge, child → parent (Parents)
//	l <seq u64>                                change log: refs touched by one Apply
//	m checkpoint                               index checkpoint
//	b <repo> <key bytes>                       blob
//	t <repo> <trace id>                        trace summary row
//	i <kind byte> <repo> [field…] <inv start> <desc trace id>   trace secondary index (value = row)
//	g <inv start> <desc trace id> <repo>       global (all repos) trace time index (value = row)
//	a <last activity u64> <repo> <trace id>    traces by last activity, oldest first (retention)
//	s <repo> <session id>                      session summary row
//	j <repo> <inv start> <desc session id>     session time index (value = row)
//	h <inv start> <desc session id> <repo>     global session time index (value = row)
//	x <repo> <trace id>                        generation rows of a trace (stats)
//	r <repo> <dim> <hour u64> <group key>      hourly stats rollup (store.StatsAgg)
//	k <repo> <claim key>                       claim: until (unix ns u64) + owner (claims.go)
//
// "inv start" is MaxUint64 minus the start time in nanoseconds, big endian,
// so that an ascending scan returns newest first.
const (
	pNode       = 'n'
	pChild      = 'c'
	pParent     = 'p'
	pLog        = 'l'
	pMeta       = 'm'
	pBlob       = 'b'
	pTrace      = 't'
	pTraceIdx   = 'i'
	pTraceAll   = 'g'
	pSession    = 's'
	pSessionIdx = 'j'
	pSessionAll = 'h'
	pIdle       = 'a'
	pGens       = 'x'
	pRollup     = 'r'
	pClaim      = 'k'
)

// Trace secondary index kinds (second byte of an 'i' key).
const (
	ixTime    = 'T'
	ixSession = 'S'
	ixName    = 'N'
	ixTag     = 'G'
	ixModel   = 'M'
	ixError   = 'E'
	ixCost    = 'C' // (cost desc, start desc, id): sort=cost
)

var checkpointKey = []byte{pMeta, 'c', 'k', 'p', 't'}

var errCorruptKey = errors.New("pebblestore: corrupt key")

// appendString appends s so that encoded strings sort like the strings and
// no encoding is a prefix of another: 0x00 is escaped as 0x00 0xff and the
// string ends with 0x00 0x01.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			b = append(b, 0, 0xff)
			continue
		}
		b = append(b, s[i])
	}
	return append(b, 0, 1)
}

// appendDescString appends s so that encoded strings sort in descending
// order: the bytes of the ascending encoding, complemented (the ascending
// encoding is prefix-free, so complementing reverses the order exactly).
// Index keys use it for the id so ties on start time list the larger id
// first, like every other backend.
func appendDescString(b []byte, s string) []byte {
	n := len(b)
	b = appendString(b, s)
	for i := n; i < len(b); i++ {
		b[i] = ^b[i]
	}
	return b
}

// readString decodes one appendString component and returns the rest.
//
// It finds the terminator first and copies only the component: b is often
// the rest of a long value (a change-log entry holds every ref of one
// Apply), and sizing the output by b made decoding an entry of n refs
// allocate O(n²) bytes — 10,000 children pushed in one request cost the
// indexer seconds in this function alone.
func readString(b []byte) (string, []byte, error) {
	escapes := 0
	end := -1
	for i := 0; i < len(b) && end < 0; i++ {
		if b[i] != 0 {
			continue
		}
		if i+1 >= len(b) {
			return "", nil, errCorruptKey
		}
		switch b[i+1] {
		case 0xff:
			escapes++
			i++
		case 1:
			end = i
		default:
			return "", nil, errCorruptKey
		}
	}
	if end < 0 {
		return "", nil, errCorruptKey
	}
	if escapes == 0 {
		return string(b[:end]), b[end+2:], nil
	}
	out := make([]byte, 0, end-escapes)
	for i := 0; i < end; i++ {
		out = append(out, b[i])
		if b[i] == 0 {
			i++ // skip the 0xff of an escaped NUL
		}
	}
	return string(out), b[end+2:], nil
}

func appendRef(b []byte, r commit.NodeRef) []byte {
	b = appendString(b, r.Repo)
	b = appendString(b, string(r.Kind))
	return appendString(b, r.ID)
}

func readRef(b []byte) (commit.NodeRef, []byte, error) {
	return readRefIn(b, "")
}

// readRefIn is readRef for a ref that is likely in repo (a child or parent
// of a node of repo): the decoded repo and kind then reuse repo's string
// and the entity constants instead of allocating. Reading a 10,000-node
// level of edges otherwise allocated three strings per ref.
func readRefIn(b []byte, repo string) (commit.NodeRef, []byte, error) {
	var r commit.NodeRef
	var err error
	if rest, ok := matchString(b, repo); ok {
		r.Repo, b = repo, rest
	} else if r.Repo, b, err = readString(b); err != nil {
		return r, nil, err
	}
	known := false
	for _, e := range knownKinds {
		if rest, ok := matchString(b, string(e)); ok {
			r.Kind, b, known = e, rest, true
			break
		}
	}
	if !known {
		var kind string
		if kind, b, err = readString(b); err != nil {
			return r, nil, err
		}
		r.Kind = commit.Entity(kind)
	}
	if r.ID, b, err = readString(b); err != nil {
		return r, nil, err
	}
	return r, b, nil
}

// matchString reports whether the appendString component at the start of
// b is s, and returns the rest. An empty s never matches (the caller then
// decodes), nor does one holding a NUL (its encoding is escaped).
func matchString(b []byte, s string) ([]byte, bool) {
	n := len(s)
	if n == 0 || len(b) < n+2 || string(b[:n]) != s || b[n] != 0 || b[n+1] != 1 || strings.IndexByte(s, 0) >= 0 {
		return nil, false
	}
	return b[n+2:], true
}

var knownKinds = []commit.Entity{
	commit.EntityGeneration, commit.EntitySpan, commit.EntityTrace, commit.EntityToolCall,
	commit.EntityRetrieval, commit.EntityError, commit.EntitySession, commit.EntityStorage,
}

// nodeKey is the key of a node's commit set.
func nodeKey(r commit.NodeRef) []byte {
	b := make([]byte, 0, 1+len(r.Repo)+len(r.Kind)+len(r.ID)+6)
	b = append(b, pNode)
	return appendRef(b, r)
}

func childKey(parent, child commit.NodeRef) []byte {
	b := append([]byte{pChild}, appendRef(nil, parent)...)
	return appendRef(b, child)
}

func parentKey(child, parent commit.NodeRef) []byte {
	b := append([]byte{pParent}, appendRef(nil, child)...)
	return appendRef(b, parent)
}

func logKey(seq uint64) []byte {
	b := make([]byte, 9)
	b[0] = pLog
	binary.BigEndian.PutUint64(b[1:], seq)
	return b
}

func blobKey(repo, key string) []byte {
	b := appendString([]byte{pBlob}, repo)
	return append(b, key...)
}

func traceKey(repo, id string) []byte {
	return appendString(appendString([]byte{pTrace}, repo), id)
}

func sessionKey(repo, id string) []byte {
	return appendString(appendString([]byte{pSession}, repo), id)
}

// invTime turns a time into a big-endian sortable "newest first" value.
// Times before the epoch (including the zero time) clamp to 0 so they sort
// last.
func invTime(t time.Time) uint64 {
	if t.IsZero() || t.Before(time.Unix(0, 0)) {
		return math.MaxUint64
	}
	return math.MaxUint64 - uint64(t.UnixNano())
}

// invCost orders costs descending: a non-negative float64's bits grow
// with its value, so their complement shrinks (store.SortableCost maps the
// costs without an order to 0).
func invCost(c float64) uint64 {
	return math.MaxUint64 - math.Float64bits(store.SortableCost(c))
}

func appendU64(b []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(b, v)
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil // p is all 0xff: no upper bound
}

func gensKey(repo, id string) []byte {
	return appendString(appendString([]byte{pGens}, repo), id)
}

// rollupPrefix is the prefix of one dimension's rollup rows of a repo;
// rows continue with the hour (offset so negative hours sort first) and
// the group key.
func rollupPrefix(repo, dim string) []byte {
	return appendString(appendString([]byte{pRollup}, repo), dim)
}

func rollupKey(repo string, k store.RollupKey) []byte {
	return appendString(appendU64(rollupPrefix(repo, k.Dim), hourKey(k.Hour)), k.Key)
}

func hourKey(h int64) uint64 { return uint64(h) ^ (1 << 63) }
