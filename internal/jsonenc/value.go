package jsonenc

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// maxDepth bounds AppendValue's recursion; deeper values are left to
// encoding/json, which has its own bound and error.
const maxDepth = 64

// AppendValue appends v as json.Marshal encodes it, for the dynamic values
// that decoded JSON and OTLP attributes are made of: nil, string, bool,
// float64, the integer types, map[string]any, map[string]string,
// map[string]float64, map[string]int64, []any and []string, nested in any way. Map members are
// sorted by key, as encoding/json sorts them.
//
// ok is false, and b is returned unchanged, for anything else and for the
// cases where encoding/json errors or has rules of its own: NaN and ±Inf,
// map keys that are not valid UTF-8, nesting deeper than 64 levels, structs,
// pointers, []byte and json.RawMessage. Callers then use json.Marshal, so
// the result is always json.Marshal's (value_test.go checks it
// differentially); this only skips reflection on the hot paths.
func AppendValue(b []byte, v any) ([]byte, bool) {
	out, ok := appendValue(b, v, 0)
	if !ok {
		return b, false
	}
	return out, true
}

func appendValue(b []byte, v any, depth int) ([]byte, bool) {
	if depth > maxDepth {
		return b, false
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return AppendString(b, x), true
	case bool:
		return strconv.AppendBool(b, x), true
	case float64:
		return AppendFloat(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int32:
		return strconv.AppendInt(b, int64(x), 10), true
	case uint64:
		return strconv.AppendUint(b, x, 10), true
	case map[string]any:
		return appendMap(b, x, func(b []byte, v any) ([]byte, bool) { return appendValue(b, v, depth+1) })
	case map[string]string:
		return appendMap(b, x, func(b []byte, v string) ([]byte, bool) { return AppendString(b, v), true })
	case map[string]float64:
		return appendMap(b, x, AppendFloat)
	case map[string]int64:
		return appendMap(b, x, func(b []byte, v int64) ([]byte, bool) { return strconv.AppendInt(b, v, 10), true })
	case []any:
		return AppendSlice(b, x, func(b []byte, v any) ([]byte, bool) { return appendValue(b, v, depth+1) })
	case []string:
		return AppendSlice(b, x, func(b []byte, v string) ([]byte, bool) { return AppendString(b, v), true })
	}
	return b, false
}

// AppendSlice appends s as encoding/json writes a slice: null when nil,
// else its elements, each written by value; ok is false when value
// declines one.
func AppendSlice[V any](b []byte, s []V, value func([]byte, V) ([]byte, bool)) ([]byte, bool) {
	if s == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	for i, e := range s {
		if i > 0 {
			b = append(b, ',')
		}
		var ok bool
		if b, ok = value(b, e); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

// appendMap appends m as encoding/json writes a map: null when nil, else
// its members sorted by key, each value written by value.
func appendMap[V any](b []byte, m map[string]V, value func([]byte, V) ([]byte, bool)) ([]byte, bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	keys, ok := sortedKeys(m)
	if !ok {
		return b, false
	}
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		if b, ok = value(b, m[k]); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// sortedKeys returns m's keys in encoding/json's member order (byte order
// of the keys; all valid UTF-8, so that quoting changes none of them).
func sortedKeys[V any](m map[string]V) ([]string, bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		if !utf8.ValidString(k) {
			return nil, false
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, true
}

// AppendFloat appends f as encoding/json writes a float64: the shortest
// decimal that round-trips, in exponent form below 1e-6 and from 1e21 on
// (with "e-9", not "e-09"). ok is false for NaN and ±Inf, which
// encoding/json refuses.
func AppendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// Marshal is json.Marshal(v), without reflection where AppendValue takes v.
func Marshal(v any) ([]byte, error) {
	if b, ok := AppendValue(nil, v); ok {
		return b, nil
	}
	return json.Marshal(v)
}
