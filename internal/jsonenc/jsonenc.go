// Package jsonenc appends JSON values byte for byte as encoding/json writes
// them, for the hot encoders that write JSON without reflection (the
// canonical messages and commit data of pkg/spancommit, the normalizer's
// re-encoded tool arguments, the tree nodes of internal/tree, the feed's
// node fingerprints and genai_eval's verdict ids). Their tests compare against json.Marshal; this package
// is the one place that knows encoding/json's quoting, float and map-key
// rules (value.go for dynamic values and slices).
package jsonenc

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/otelcol-genai/otelcol-genai/internal/jsonscan"
)

// htmlSafe marks the ASCII bytes encoding/json copies into a string as
// they are: printable, and none of `"`, `\` or the HTML-sensitive <, >, &.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// invalidUTF8 is what encoding/json writes for a byte of invalid UTF-8 in a
// string: U+FFFD, escaped (\ufffd) by the classic encoder and as is by the
// one built on encoding/json/v2 (Go 1.25's GOEXPERIMENT=jsonv2, the default
// later), so it is asked rather than assumed.
var invalidUTF8 = func() string {
	b, err := json.Marshal("\xff")
	if err != nil || len(b) < 2 {
		panic("encoding/json cannot encode a string: " + string(b))
	}
	return string(b[1 : len(b)-1])
}()

// AppendString appends s quoted as encoding/json quotes it: \b \f \n \r \t
// and the short escapes of `"` and `\`, other control bytes and <, >, & as
// \u00xx, each invalid UTF-8 byte as U+FFFD (in encoding/json's form), and
// U+2028 and U+2029 escaped (JavaScript-safe).
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if len(s)-i >= 8 {
			if i = jsonscan.HTMLSafeRun(s, i); i >= len(s) {
				break
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, invalidUTF8...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
