package store

import (
	"encoding/binary"
	"math"
	"slices"
	"time"
)

// A stats record is what a backend stores beside a trace row so it can
// take the row's contribution out of its rollups later: exactly the fields
// TraceRollup reads, and since version 2 the row's evaluation verdicts
// (EvalRows, which stats scans count), in a binary form that keeps every string's bytes (a
// JSON round trip would replace invalid UTF-8, so a name or model would
// subtract from a different group than it was added to).

// Record versions: 1 without EvalRows (decoded as none), 2 with.
const statsRecordVersion = 2

// EncodeStatsRecord encodes the fields of row that its stats contribution
// depends on.
func EncodeStatsRecord(row *TraceSummary) []byte {
	b := make([]byte, 0, 64+len(row.Generations)*48)
	b = append(b, statsRecordVersion)
	b = appendTime(b, row.Start)
	b = appendTime(b, row.End)
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(row.DurationMs))
	b = appendBool(b, row.Error)
	b = appendStr(b, row.Name)
	keys := make([]string, 0, len(row.Tags))
	for k := range row.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendStr(appendStr(b, k), row.Tags[k])
	}
	b = binary.AppendUvarint(b, uint64(len(row.Generations)))
	for i := range row.Generations {
		g := &row.Generations[i]
		b = appendStr(b, g.ID)
		b = appendTime(b, g.Start)
		b = appendStr(b, g.Model)
		var flags byte
		for j, f := range [...]bool{g.Generation, g.Leaf, g.Unpriced, g.Error} {
			if f {
				flags |= 1 << j
			}
		}
		b = append(b, flags)
		b = binary.AppendVarint(b, g.InputTokens)
		b = binary.AppendVarint(b, g.OutputTokens)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(g.Cost))
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(g.DurationMs))
	}
	b = binary.AppendUvarint(b, uint64(len(row.EvalRows)))
	for i := range row.EvalRows {
		e := &row.EvalRows[i]
		b = appendStr(b, e.Evaluator)
		b = appendStr(b, e.NodeID)
		b = appendTime(b, e.Time)
		var flags byte
		for j, f := range [...]bool{e.HasScore, e.HasPass, e.Pass} {
			if f {
				flags |= 1 << j
			}
		}
		b = append(b, flags)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(e.Score))
	}
	return b
}

// DecodeStatsRecord decodes EncodeStatsRecord into a row holding only
// those fields (repo and trace id are the caller's).
func DecodeStatsRecord(data []byte) (TraceSummary, error) {
	d := recDecoder{b: data}
	var r TraceSummary
	v := d.byte()
	if v != 1 && v != statsRecordVersion && d.err == nil {
		return r, errCorruptAgg
	}
	r.Start = d.time()
	r.End = d.time()
	r.DurationMs = d.float()
	r.Error = d.byte() == 1
	r.Name = d.str()
	if n := d.uvarint(); n > 0 && d.err == nil && n <= uint64(len(data)) {
		r.Tags = make(map[string]string, n)
		for range n {
			k := d.str()
			r.Tags[k] = d.str()
		}
	}
	n := d.uvarint()
	if d.err != nil || n > uint64(len(data)) {
		return r, errCorruptAgg
	}
	r.Generations = make([]GenerationRow, n)
	for i := range r.Generations {
		g := &r.Generations[i]
		g.ID = d.str()
		g.Start = d.time()
		g.Model = d.str()
		f := d.byte()
		g.Generation, g.Leaf, g.Unpriced, g.Error = f&1 != 0, f&2 != 0, f&4 != 0, f&8 != 0
		g.InputTokens = d.varint()
		g.OutputTokens = d.varint()
		g.Cost = d.float()
		g.DurationMs = d.float()
	}
	if v < 2 || d.err != nil {
		return r, d.err
	}
	n = d.uvarint()
	if d.err != nil || n > uint64(len(data)) {
		return r, errCorruptAgg
	}
	if n > 0 {
		r.EvalRows = make([]EvalRow, n)
	}
	for i := range r.EvalRows {
		e := &r.EvalRows[i]
		e.Evaluator = d.str()
		e.NodeID = d.str()
		e.Time = d.time()
		f := d.byte()
		e.HasScore, e.HasPass, e.Pass = f&1 != 0, f&2 != 0, f&4 != 0
		e.Score = d.float()
	}
	return r, d.err
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), t.UnixNano())
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

type recDecoder struct {
	b   []byte
	err error
}

func (d *recDecoder) fail() { d.err, d.b = errCorruptAgg, nil }

func (d *recDecoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *recDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *recDecoder) float() float64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := math.Float64frombits(binary.BigEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *recDecoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *recDecoder) time() time.Time {
	if d.byte() == 0 {
		return time.Time{}
	}
	return time.Unix(0, d.varint()).UTC()
}
