package normalize

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonenc"
	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
)

// recode returns compactJSON(fixNumbers(x)) for the value x that the JSON
// text v (of a validated document) decodes to, which is what argsText and
// resultText write for tool arguments and results, without decoding v into
// maps first: members are sorted and written from v's text. ok is false
// where the decode would take encoding/json's slow path (duplicate keys,
// numbers out of float64's range) or nesting is deeper than 64; the caller
// then decodes. recode_test.go checks it differentially.
func recode(v string) (string, bool) {
	b, ok := appendRecoded(make([]byte, 0, len(v)), v, 0)
	if !ok {
		return "", false
	}
	return string(b), true
}

type member struct{ key, val string }

func appendRecoded(b []byte, v string, depth int) ([]byte, bool) {
	if depth > 64 || v == "" {
		return b, false
	}
	switch v[0] {
	case '{':
		var buf [8]member
		ms := buf[:0]
		if !jsonscan.EachMember(v, func(k, val string) bool {
			ms = append(ms, member{k, val})
			return true
		}) {
			return b, false
		}
		slices.SortFunc(ms, func(x, y member) int { return strings.Compare(x.key, y.key) })
		b = append(b, '{')
		for i, m := range ms {
			if i > 0 {
				if m.key == ms[i-1].key {
					return b, false
				}
				b = append(b, ',')
			}
			b = jsonenc.AppendString(b, m.key)
			b = append(b, ':')
			var ok bool
			if b, ok = appendRecoded(b, m.val, depth+1); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	case '[':
		b = append(b, '[')
		n := 0
		ok := jsonscan.EachElem(v, func(e string) bool {
			if n > 0 {
				b = append(b, ',')
			}
			n++
			var ok bool
			b, ok = appendRecoded(b, e, depth+1)
			return ok
		})
		if !ok {
			return b, false
		}
		return append(b, ']'), true
	case '"':
		s, ok := jsonscan.StringValue(v)
		if !ok {
			return b, false
		}
		return jsonenc.AppendString(b, s), true
	case 't', 'f', 'n':
		return append(b, v...), true
	}
	if plainInt(v) {
		return append(b, v...), true
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return b, false
	}
	// fixNumbers: integral values below 2^53 are integers.
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.AppendInt(b, int64(f), 10), true
	}
	return jsonenc.AppendFloat(b, f)
}

// plainInt reports whether v is an integer literal that decoding and
// fixNumbers leave as written: at most 15 digits (exact in a float64), not
// negative zero.
func plainInt(v string) bool {
	d := v
	if d[0] == '-' {
		d = d[1:]
	}
	if d == "" || len(d) > 15 || d == "0" && len(v) > 1 {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// argsTextOfJSON is argsText(s) for a string s that holds a JSON object or
// array (tool arguments as most instrumentations send them), read from the
// text; ok is false when recode declines or s is anything else.
func argsTextOfJSON(s string) (string, bool) {
	t := strings.TrimSpace(s)
	if t == "" || t[0] != '{' && t[0] != '[' || !jsonscan.ValidString(t) {
		return "", false
	}
	return recode(t)
}

// noToolWrapper reports, without decoding it, that unwrapToolResult finds
// no wrapper in the string s: s is a JSON array, or a JSON object without
// the keys a wrapper needs (lc, output, content). false means "decode and
// look", not "has a wrapper".
func noToolWrapper(s string) bool {
	t := strings.TrimSpace(s)
	if t == "" || t[0] != '{' && t[0] != '[' || !jsonscan.ValidString(t) {
		return false
	}
	if t[0] == '[' {
		return true
	}
	none := true
	jsonscan.EachMember(t, func(k, _ string) bool {
		switch k {
		case "lc", "output", "content":
			none = false
			return false
		}
		return true
	})
	return none
}
