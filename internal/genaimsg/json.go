package genaimsg

import (
	"encoding/json"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonenc"
)

// MarshalMessages is json.Marshal(msgs), written without reflection: the
// tracetree_feed receiver encodes the messages of every model call it
// forwards, and json.Marshal of these structs (their parts' values by
// reflection) was about a twentieth of the feed's CPU under SDK load. The
// bytes are json.Marshal's (json_test.go checks it differentially); a
// value jsonenc does not take (json.Marshal's own errors among them) goes
// to json.Marshal.
func MarshalMessages(msgs []Message) ([]byte, error) {
	if b, ok := jsonenc.AppendSlice(nil, msgs, appendMessage); ok {
		return b, nil
	}
	return json.Marshal(msgs)
}

// MarshalParts is json.Marshal(parts), as MarshalMessages.
func MarshalParts(parts []Part) ([]byte, error) {
	if b, ok := jsonenc.AppendSlice(nil, parts, appendPart); ok {
		return b, nil
	}
	return json.Marshal(parts)
}

// appendMessage writes m's fields in struct order, with their omitempty.
func appendMessage(b []byte, m Message) ([]byte, bool) {
	b = append(b, `{"role":`...)
	b = jsonenc.AppendString(b, m.Role)
	b = append(b, `,"parts":`...)
	b, ok := jsonenc.AppendSlice(b, m.Parts, appendPart)
	if !ok {
		return b, false
	}
	if m.FinishReason != "" {
		b = append(b, `,"finish_reason":`...)
		b = jsonenc.AppendString(b, m.FinishReason)
	}
	return append(b, '}'), true
}

// appendPart writes p's fields in struct order. omitempty leaves out a
// nil interface only, never an interface holding an empty value.
func appendPart(b []byte, p Part) ([]byte, bool) {
	b = append(b, `{"type":`...)
	b = jsonenc.AppendString(b, p.Type)
	ok := true
	if p.Content != nil {
		b = append(b, `,"content":`...)
		if b, ok = jsonenc.AppendValue(b, p.Content); !ok {
			return b, false
		}
	}
	if p.ID != "" {
		b = append(b, `,"id":`...)
		b = jsonenc.AppendString(b, p.ID)
	}
	if p.Name != "" {
		b = append(b, `,"name":`...)
		b = jsonenc.AppendString(b, p.Name)
	}
	if p.Arguments != nil {
		b = append(b, `,"arguments":`...)
		if b, ok = jsonenc.AppendValue(b, p.Arguments); !ok {
			return b, false
		}
	}
	if p.Response != nil {
		b = append(b, `,"response":`...)
		if b, ok = jsonenc.AppendValue(b, p.Response); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}
