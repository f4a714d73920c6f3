package pebblestore

import (
	"encoding/binary"
	"errors"
	"math"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// A trace index entry's value is the row's primary key followed by a
// compact binary projection of every field a TraceQuery can filter on, so
// a search checks its remaining filters without loading and decoding the
// JSON row; only matches are loaded. Layout:
//
//	uvarint len, primary key
//	varint start ns, varint last-activity ns   (zero time = MinInt64)
//	duration ms (float64 bits, 8 bytes big endian), error byte
//	string repo, string session, string name   (uvarint len + bytes)
//	uvarint n, n × string model
//	uvarint n, n × (string key, string value)  tags
//	cost (float64 bits, 8 bytes big endian)    absent in entries written
//	                                           before cost search: read as 0
//	uvarint n, n × (string evaluator,          evaluation verdicts; absent
//	  uvarint failures, byte has-min,          in entries written before
//	  min score float64 bits)                  them: read as none

var errCorruptProjection = errors.New("pebblestore: corrupt index entry")

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixNano()
}

func appendLenString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func encodeProjection(pk []byte, r *store.TraceSummary) []byte {
	b := make([]byte, 0, len(pk)+64+len(r.Name)+len(r.SessionID))
	b = binary.AppendUvarint(b, uint64(len(pk)))
	b = append(b, pk...)
	b = binary.AppendVarint(b, nanos(r.Start))
	b = binary.AppendVarint(b, nanos(r.LastActivity))
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(r.DurationMs))
	if r.Error {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = appendLenString(b, r.Repo)
	b = appendLenString(b, r.SessionID)
	b = appendLenString(b, r.Name)
	b = binary.AppendUvarint(b, uint64(len(r.Models)))
	for _, m := range r.Models {
		b = appendLenString(b, m)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Tags)))
	for k, v := range r.Tags {
		b = appendLenString(b, k)
		b = appendLenString(b, v)
	}
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(r.Cost))
	b = binary.AppendUvarint(b, uint64(len(r.Evaluations)))
	for i := range r.Evaluations {
		v := &r.Evaluations[i]
		b = appendLenString(b, v.Evaluator)
		b = binary.AppendUvarint(b, uint64(v.Failures))
		var min float64
		if v.MinScore != nil {
			b, min = append(b, 1), *v.MinScore
		} else {
			b = append(b, 0)
		}
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(min))
	}
	return b
}

// projection is a decoded index value; strings alias the value bytes.
type projection struct {
	pk              []byte
	start, last     int64
	durationMs      float64
	cost            float64
	isError         bool
	repo, sess      []byte
	name            []byte
	models          [][]byte
	tagKeys, tagVal [][]byte
	// evals is the undecoded verdict list (only an eval filter reads it).
	evals []byte
}

type projReader struct {
	b   []byte
	err bool
}

func (r *projReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *projReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *projReader) bytes(n uint64) []byte {
	if r.err || uint64(len(r.b)) < n {
		r.err = true
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *projReader) str() []byte { return r.bytes(r.uvarint()) }

// decodeProjection fills p from v, reusing p's slices.
func decodeProjection(v []byte, p *projection) error {
	r := projReader{b: v}
	p.pk = r.str()
	p.start = r.varint()
	p.last = r.varint()
	d := r.bytes(8)
	if r.err {
		return errCorruptProjection
	}
	p.durationMs = math.Float64frombits(binary.BigEndian.Uint64(d))
	e := r.bytes(1)
	if r.err {
		return errCorruptProjection
	}
	p.isError = e[0] == 1
	p.repo, p.sess, p.name = r.str(), r.str(), r.str()
	p.models = p.models[:0]
	for n := r.uvarint(); n > 0 && !r.err; n-- {
		p.models = append(p.models, r.str())
	}
	p.tagKeys, p.tagVal = p.tagKeys[:0], p.tagVal[:0]
	for n := r.uvarint(); n > 0 && !r.err; n-- {
		p.tagKeys = append(p.tagKeys, r.str())
		p.tagVal = append(p.tagVal, r.str())
	}
	if r.err {
		return errCorruptProjection
	}
	p.cost, p.evals = 0, nil
	if len(r.b) >= 8 {
		p.cost = math.Float64frombits(binary.BigEndian.Uint64(r.b[:8]))
		p.evals = r.b[8:]
	}
	return nil
}

// verdict finds evaluator's verdict in the projection (nil when absent or
// the list is corrupt; Failures and MinScore are all MatchEval reads).
func (p *projection) verdict(evaluator string) *store.EvalVerdict {
	r := projReader{b: p.evals}
	if len(r.b) == 0 {
		return nil
	}
	for n := r.uvarint(); n > 0 && !r.err; n-- {
		name := r.str()
		failures := r.uvarint()
		has := r.bytes(1)
		min := r.bytes(8)
		if r.err {
			return nil
		}
		if string(name) != evaluator {
			continue
		}
		v := &store.EvalVerdict{Evaluator: evaluator, Failures: int(failures)}
		if has[0] == 1 {
			m := math.Float64frombits(binary.BigEndian.Uint64(min))
			v.MinScore = &m
		}
		return v
	}
	return nil
}

// match is matchTrace on the projection.
func (p *projection) match(q *store.TraceQuery) bool {
	if q.Repo != "" && string(p.repo) != q.Repo {
		return false
	}
	if !q.From.IsZero() && p.start < q.From.UnixNano() {
		return false
	}
	if !q.To.IsZero() && p.start >= q.To.UnixNano() {
		return false
	}
	if q.SessionID != "" && string(p.sess) != q.SessionID {
		return false
	}
	if q.Name != "" && string(p.name) != q.Name {
		return false
	}
	for k, v := range q.Tags {
		found := false
		for i, tk := range p.tagKeys {
			if string(tk) == k {
				found = string(p.tagVal[i]) == v
				break
			}
		}
		if !found {
			return false
		}
	}
	if q.Model != "" {
		found := false
		for _, m := range p.models {
			if string(m) == q.Model {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if q.ErrorOnly && !p.isError {
		return false
	}
	if q.MinDuration > 0 && p.durationMs < float64(q.MinDuration)/float64(time.Millisecond) {
		return false
	}
	if q.MinCost > 0 && !(p.cost >= q.MinCost) {
		return false
	}
	if q.Eval != "" && !q.MatchEval(p.verdict(q.Eval)) {
		return false
	}
	if !q.InactiveBefore.IsZero() && p.last >= q.InactiveBefore.UnixNano() {
		return false
	}
	return true
}
