package tree

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
)

// Small JSON helpers the fold rules share (the scanner itself is internal/jsonscan).

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

// amount reads a count or a price: a JSON number, or a string holding one.
// null is absent, like a missing member: SDKs send null for a count or a
// cost they do not have, and it must not read as 0 (jsonscan.Number,
// which is json.Unmarshal's rule, reads null as 0).
func amount(v json.RawMessage) (float64, bool) {
	if v == nil || isNull(v) {
		return 0, false
	}
	return jsonscan.Number(v)
}

func clone(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return nil
	}
	return compact(v)
}

// compact returns v without insignificant whitespace (Python's ", " and
// ": " separators), so equal values from different SDKs hash equally.
func compact(v []byte) []byte {
	if jsonscan.CompactSame(v) {
		return append([]byte(nil), v...)
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return append([]byte(nil), v...)
	}
	return b.Bytes()
}

// str reads a JSON value as text: strings as themselves, numbers and
// booleans as their JSON text, null as "".
func str(v json.RawMessage) string {
	if len(v) == 0 || isNull(v) {
		return ""
	}
	if s, ok := jsonscan.Unquote(v); ok {
		return s
	}
	return string(compact(v))
}

// floatOf is json.Unmarshal(v, &f) == nil && !isNull(v): a JSON number
// that fits a float64. A bare number is parsed directly (every verdict has
// a score, and encoding/json was most of folding one); anything else gets
// encoding/json's answer.
func floatOf(v []byte) (float64, bool) {
	if jsonscan.IsNumber(v) {
		if f, err := strconv.ParseFloat(string(v), 64); err == nil {
			return f, true
		}
	}
	if len(v) == 0 || isNull(v) {
		return 0, false
	}
	var f float64
	return f, json.Unmarshal(v, &f) == nil
}

// boolOf is json.Unmarshal(v, &b) == nil && !isNull(v), like floatOf.
func boolOf(v []byte) (bool, bool) {
	switch string(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	if len(v) == 0 || isNull(v) {
		return false, false
	}
	var b bool
	return b, json.Unmarshal(v, &b) == nil
}

// strOrNull is json.Unmarshal(v, &s) == nil: a string, or null as "".
func strOrNull(v json.RawMessage) (string, bool) {
	if s, ok := jsonscan.Unquote(v); ok {
		return s, true
	}
	if isNull(v) {
		return "", true
	}
	return "", false
}

func contentKey(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:10])
}
