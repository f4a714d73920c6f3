package jsonscan

import "unicode/utf8"

// Verbatim reports whether encoding/json writes the raw JSON v unchanged
// (json.Marshal of json.RawMessage(v) is v): v is valid, has no whitespace
// between tokens, and its strings hold no <, >, & (which encoding/json
// escapes), no invalid UTF-8 and no U+2028 or U+2029. It is the check behind
// copying stored JSON into responses and hashes as it is, in one pass where
// Valid, json.Compact and a scan for escapable bytes took three.
func Verbatim(d []byte) bool {
	i, ok := verbatimValue(d, 0, 0)
	return ok && i == len(d)
}

func verbatimValue(d []byte, i, depth int) (int, bool) {
	if i >= len(d) {
		return i, false
	}
	var ok bool
	switch d[i] {
	case '{':
		if depth++; depth > MaxDepth {
			return i, false
		}
		i++
		if i < len(d) && d[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(d) || d[i] != '"' {
				return i, false
			}
			if i, ok = verbatimString(d, i); !ok {
				return i, false
			}
			if i >= len(d) || d[i] != ':' {
				return i, false
			}
			if i, ok = verbatimValue(d, i+1, depth); !ok {
				return i, false
			}
			if i >= len(d) {
				return i, false
			}
			if d[i] == '}' {
				return i + 1, true
			}
			if d[i] != ',' {
				return i, false
			}
			i++
		}
	case '[':
		if depth++; depth > MaxDepth {
			return i, false
		}
		i++
		if i < len(d) && d[i] == ']' {
			return i + 1, true
		}
		for {
			if i, ok = verbatimValue(d, i, depth); !ok {
				return i, false
			}
			if i >= len(d) {
				return i, false
			}
			if d[i] == ']' {
				return i + 1, true
			}
			if d[i] != ',' {
				return i, false
			}
			i++
		}
	case '"':
		return verbatimString(d, i)
	case 't':
		return literal(d, i, "true")
	case 'f':
		return literal(d, i, "false")
	case 'n':
		return literal(d, i, "null")
	default:
		return numberEnd(d, i)
	}
}

// verbatimString is validString that also refuses what encoding/json
// would rewrite inside a string.
func verbatimString(d []byte, i int) (int, bool) {
	for i++; i < len(d); {
		c := d[i]
		switch {
		case c == '"':
			return i + 1, true
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			return i, false
		case c == '\\':
			if i+1 >= len(d) {
				return i, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) {
					return i, false
				}
				for _, h := range d[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return i, false
					}
				}
				i += 6
			default:
				return i, false
			}
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
