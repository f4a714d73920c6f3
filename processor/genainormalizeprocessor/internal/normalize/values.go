package normalize

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonenc"
	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
)

// toAny turns an OTLP AnyValue into plain Go values (the JSON data model):
// kvlist → map, array → slice, bytes → base64 string. Non-finite doubles
// become nil so no NaN can leak into JSON output.
func toAny(v pcommon.Value) any {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeBool:
		return v.Bool()
	case pcommon.ValueTypeInt:
		return v.Int()
	case pcommon.ValueTypeDouble:
		d := v.Double()
		if math.IsNaN(d) || math.IsInf(d, 0) {
			return nil
		}
		return d
	case pcommon.ValueTypeMap:
		m := make(map[string]any, v.Map().Len())
		v.Map().Range(func(k string, x pcommon.Value) bool {
			m[k] = toAny(x)
			return true
		})
		return m
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		out := make([]any, 0, s.Len())
		for i := 0; i < s.Len(); i++ {
			out = append(out, toAny(s.At(i)))
		}
		return out
	case pcommon.ValueTypeBytes:
		return base64.StdEncoding.EncodeToString(v.Bytes().AsRaw())
	}
	return nil
}

// meaningful reports whether a value carries information: not nil, not an
// empty or blank string, not "{}"/"[]"/"null", not an empty list or map.
func meaningful(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		t := strings.TrimSpace(x)
		return t != "" && t != "{}" && t != "[]" && t != "null"
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// asString renders a scalar as text; structured values become compact JSON.
func asString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	}
	b, err := jsonenc.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// asInt coerces leniently: ints, integral doubles, numeric strings. ok is
// false for anything else (including NaN and non-integral values).
func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || x != math.Trunc(x) {
			return 0, false
		}
		return int64(x), true
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		if f, err := x.Float64(); err == nil {
			return asInt(f)
		}
	case string:
		s := strings.TrimSpace(x)
		if !numeric(s) {
			return 0, false
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return asInt(f)
		}
	}
	return 0, false
}

// asFloat coerces leniently; NaN and ±Inf (also as strings) are not numbers.
func asFloat(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		f = x
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false
		}
	case string:
		var err error
		t := strings.TrimSpace(x)
		if !numeric(t) {
			return 0, false
		}
		if f, err = strconv.ParseFloat(t, 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// asBool accepts bools and the strings "true"/"false".
func asBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// parseJSON decodes text as JSON with the fallbacks real instrumentations
// need: a JSON string literal that wraps JSON (`"\"{...}\""`), and a
// Python-repr dict/list (single quotes, True/False/None). Numbers stay
// json.Number-free float64/int64 via normalizeNumbers.
func parseJSON(s string) (any, bool) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, false
	}
	if v, ok := jsonscan.DecodeAny(t); ok {
		if inner, ok := v.(string); ok {
			it := strings.TrimSpace(inner)
			if strings.HasPrefix(it, "{") || strings.HasPrefix(it, "[") {
				if w, ok := parseJSON(it); ok {
					return w, true
				}
			}
		}
		return fixNumbers(v), true
	}
	if (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && strings.Contains(t, "'") {
		if p, ok := pythonRepr(t); ok {
			if v, ok := jsonscan.DecodeAny(p); ok {
				return fixNumbers(v), true
			}
		}
	}
	return nil, false
}

// looksJSON reports whether s is meant to be a JSON object or array.
func looksJSON(s string) bool {
	t := strings.TrimSpace(s)
	return strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")
}

// fixNumbers turns float64 values that are integral into int64 so that
// re-marshalled JSON keeps "3", not "3e+00", and ints survive round trips.
func fixNumbers(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
		return x
	case []any:
		for i := range x {
			x[i] = fixNumbers(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = fixNumbers(x[k])
		}
		return x
	}
	return v
}

// pythonRepr converts a Python repr of a dict or list into JSON text: single
// quoted strings become double quoted, True/False/None become JSON literals.
func pythonRepr(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '"':
			q := c
			b.WriteByte('"')
			i++
			for ; i < len(s) && s[i] != q; i++ {
				switch {
				case s[i] == '\\' && i+1 < len(s):
					if s[i+1] == '\'' {
						b.WriteByte('\'')
					} else {
						b.WriteByte('\\')
						b.WriteByte(s[i+1])
					}
					i++
				case s[i] == '"':
					b.WriteString(`\"`)
				default:
					b.WriteByte(s[i])
				}
			}
			if i >= len(s) {
				return "", false
			}
			b.WriteByte('"')
		case strings.HasPrefix(s[i:], "True"):
			b.WriteString("true")
			i += 3
		case strings.HasPrefix(s[i:], "False"):
			b.WriteString("false")
			i += 4
		case strings.HasPrefix(s[i:], "None"):
			b.WriteString("null")
			i += 3
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// compactJSON renders v as compact JSON with sorted map keys.
func compactJSON(v any) string {
	b, err := jsonenc.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// maxIndex bounds every numeric segment of a flattened key; larger indices
// are index bombs (`...0.message.99999.content`) and are dropped.
const maxIndex = 10000

// unflatten rebuilds nested values from flattened keys under prefix
// (`llm.input_messages.0.message.role` → [{message:{role:…}}]). Numeric
// segments become list positions, sorted numerically and compacted, so
// indices 0, 1, 10 give three elements in that order. Keys with an index
// above maxIndex are dropped and reported in dropped.
func unflatten(attrs map[string]any, keys []string, prefix string) (root any, dropped int) {
	p := prefix + "."
	tree := map[string]any{}
	found := false
	for _, k := range keys {
		if !strings.HasPrefix(k, p) {
			continue
		}
		segs := strings.Split(k[len(p):], ".")
		bomb := false
		for _, s := range segs {
			if n, err := atoi(s); err == nil && (n > maxIndex || n < 0) {
				bomb = true
				break
			}
		}
		if bomb {
			dropped++
			continue
		}
		found = true
		cur := tree
		for i, s := range segs {
			if i == len(segs)-1 {
				if _, exists := cur[s]; !exists {
					cur[s] = attrs[k]
				}
				break
			}
			next, ok := cur[s].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[s] = next
			}
			cur = next
		}
	}
	if !found {
		return nil, dropped
	}
	return listify(tree), dropped
}

// listify converts maps whose keys are all non-negative integers into slices
// ordered by index.
func listify(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	numeric := len(m) > 0
	for k := range m {
		if _, err := atoi(k); err != nil {
			numeric = false
		}
		m[k] = listify(m[k])
	}
	if !numeric {
		return m
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		a, _ := atoi(ks[i])
		b, _ := atoi(ks[j])
		if a != b {
			return a < b
		}
		return ks[i] < ks[j]
	})
	out := make([]any, 0, len(ks))
	for _, k := range ks {
		out = append(out, m[k])
	}
	return out
}

// numeric is a cheap pre-check before strconv (whose errors allocate):
// digits, sign, dot, exponent, or the NaN/Inf spellings.
func numeric(s string) bool {
	if s == "" {
		return false
	}
	switch c := s[0]; {
	case c >= '0' && c <= '9', c == '-', c == '+', c == '.':
		return true
	case c == 'N', c == 'n', c == 'I', c == 'i':
		return true
	}
	return false
}

// atoi parses a non-negative decimal index without strconv's allocating
// error on the (common) non-numeric key segments.
func atoi(s string) (int, error) {
	if s == "" || len(s) > 9 {
		return 0, errNotIndex
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, errNotIndex
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

var errNotIndex = errors.New("not an index")
