package jsonscan

import "unicode/utf8"

// Verbatim reports whether encoding/json writes the raw JSON v unchanged
// (json.Marshal of json.RawMessage(v) is v): v is valid, has no whitespace
// between tokens, and its strings hold no <, >, & (which encoding/json
// escapes), no invalid UTF-8 and no U+2028 or U+2029. It is the check behind
// copying stored JSON into responses and hashes as it is, in one pass where
// Valid, json.Compact and a scan for escapable bytes took three.
func Verbatim(d []byte) bool {
	i, ok := scanValue(d, 0, 0, true)
	return ok && i == len(d)
}

// verbatimString is validString that also refuses what encoding/json
// would rewrite inside a string. It is a loop of its own on purpose: one
// loop for both, switched by a flag per byte, made Valid (on the path of
// every commit the fold reads) 34 % slower in BenchmarkValid (4.1 → 5.5 µs
// for 3 KB).
func verbatimString(d []byte, i int) (int, bool) {
	for i++; i < len(d); {
		if len(d)-i >= 8 {
			if i = htmlRun(d, i); i >= len(d) {
				break
			}
		}
		c := d[i]
		switch {
		case c == '"':
			return i + 1, true
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			return i, false
		case c == '\\':
			n, ok := escapeLen(d, i)
			if !ok {
				return i, false
			}
			i += n
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				return i, false
			}
			i += size
		}
	}
	return i, false
}
