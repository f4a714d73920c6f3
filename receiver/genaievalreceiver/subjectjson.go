package genaievalreceiver

import (
	"crypto/sha256"
	"encoding/json"
	"strconv"
	"sync"

	"github.com/otelcol-genai/otelcol-genai/internal/evaluate"
	"github.com/otelcol-genai/otelcol-genai/internal/jsonenc"
)

// subjectSum is the hash of what a verdict judged, part of its id: the
// SHA-256 of json.Marshal(s). Verdict ids are stored, so these bytes may
// never change (TestSharedDigestKeepsVerdictIDs pins one): a different hash
// after an upgrade would judge every entity again and store its verdict
// twice.
//
// appendSubjectJSON writes those bytes without reflection (json.Marshal of
// a subject with its messages was 2 % of the collector's CPU under SDK load
// with configs/evals.yaml); what it declines goes to json.Marshal, whose
// error (a NaN latency or cost) hashes no bytes, as it always did.
func subjectSum(s evaluate.Subject) [sha256.Size]byte {
	bp := subjectBufs.Get().(*[]byte)
	enc, ok := appendSubjectJSON((*bp)[:0], s)
	b := enc
	if !ok {
		b, _ = json.Marshal(s)
	}
	sum := sha256.Sum256(b)
	if cap(enc) <= maxPooledSubject {
		*bp = enc[:0]
		subjectBufs.Put(bp)
	}
	return sum
}

// maxPooledSubject keeps one outsized subject from pinning its buffer.
const maxPooledSubject = 256 << 10

var subjectBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// appendSubjectJSON appends s as json.Marshal writes it: the fields in
// declaration order under their Go names (Subject has no tags), nil
// slices and maps as null. ok is false where jsonenc declines (NaN or
// infinite floats, map keys of invalid UTF-8). TestSubjectJSONIsMarshal
// compares it with json.Marshal and fails when Subject gains a field.
func appendSubjectJSON(b []byte, s evaluate.Subject) ([]byte, bool) {
	str := func(b []byte, name, v string) []byte {
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		return jsonenc.AppendString(b, v)
	}
	b = append(b, `{"Repo":`...)
	b = jsonenc.AppendString(b, s.Repo)
	b = str(b, "TraceID", s.TraceID)
	b = str(b, "EntityID", s.EntityID)
	b = str(b, "Kind", s.Kind)
	b = str(b, "Name", s.Name)
	b = str(b, "Model", s.Model)
	b = str(b, "Provider", s.Provider)
	b = str(b, "Input", s.Input)
	b = str(b, "Output", s.Output)
	b = append(b, `,"Messages":`...)
	b, _ = jsonenc.AppendSlice(b, s.Messages, func(b []byte, m evaluate.Message) ([]byte, bool) {
		b = append(b, `{"Role":`...)
		b = jsonenc.AppendString(b, m.Role)
		return append(str(b, "Content", m.Content), '}'), true
	})
	b = append(b, `,"Context":`...)
	b, _ = jsonenc.AppendSlice(b, s.Context, func(b []byte, c string) ([]byte, bool) {
		return jsonenc.AppendString(b, c), true
	})
	b = str(b, "Expected", s.Expected)
	var ok bool
	b = append(b, `,"Variables":`...)
	if b, ok = jsonenc.AppendValue(b, s.Variables); !ok {
		return b, false
	}
	b = append(b, `,"Tags":`...)
	if b, ok = jsonenc.AppendValue(b, s.Tags); !ok {
		return b, false
	}
	b = str(b, "Error", s.Error)
	b = append(b, `,"LatencyMs":`...)
	if b, ok = jsonenc.AppendFloat(b, s.LatencyMs); !ok {
		return b, false
	}
	b = append(b, `,"HasLatency":`...)
	b = strconv.AppendBool(b, s.HasLatency)
	b = append(b, `,"InputTokens":`...)
	b = strconv.AppendInt(b, s.InputTokens, 10)
	b = append(b, `,"OutputTokens":`...)
	b = strconv.AppendInt(b, s.OutputTokens, 10)
	b = append(b, `,"TotalTokens":`...)
	b = strconv.AppendInt(b, s.TotalTokens, 10)
	b = append(b, `,"CostUSD":`...)
	if b, ok = jsonenc.AppendFloat(b, s.CostUSD); !ok {
		return b, false
	}
	b = append(b, `,"HasCost":`...)
	b = strconv.AppendBool(b, s.HasCost)
	return append(b, '}'), true
}
