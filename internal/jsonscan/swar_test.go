package jsonscan

import (
	"encoding/json"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func isStringStop(c byte) bool { return c < 0x20 || c == '"' || c == '\\' }

func isHTMLStop(c byte) bool {
	return isStringStop(c) || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf
}

// firstStop is what a mask must say of w: the index of its first stop
// byte, or 8.
func firstStop(w [8]byte, stop func(byte) bool) int {
	for i, c := range w {
		if stop(c) {
			return i
		}
	}
	return 8
}

func maskStop(m uint64) int {
	if m == 0 {
		return 8
	}
	return bits.TrailingZeros64(m) >> 3
}

// The masks' contract (swar.go): no stop, no mark; otherwise the lowest
// mark is the first stop. Every pair of byte values at every pair of
// positions, in a word of plain bytes, covers each borrow a stop can
// carry into the bytes above it.
func TestMasksFindTheFirstStop(t *testing.T) {
	for _, tc := range []struct {
		name string
		mask func(uint64) uint64
		stop func(byte) bool
	}{
		{"stringStops", stringStops, isStringStop},
		{"htmlStops", htmlStops, isHTMLStop},
	} {
		for p := 0; p < 8; p++ {
			for q := p; q < 8; q++ {
				for a := 0; a < 256; a++ {
					for b := 0; b < 256; b++ {
						var w [8]byte
						for i := range w {
							w[i] = 'a'
						}
						w[p], w[q] = byte(a), byte(b)
						if got, want := maskStop(tc.mask(load64(w[:], 0))), firstStop(w, tc.stop); got != want {
							t.Fatalf("%s(%q) finds the first stop at %d, want %d", tc.name, w[:], got, want)
						}
					}
				}
			}
		}
	}
}

// stopStrings are runs of plain text with a stop of every class at every
// distance from a word boundary, and plain text with random damage.
func stopStrings() []string {
	stops := []string{`"`, `\`, `\"`, `\\`, `\n`, `\u00e9`, `\x`, "\n", "\x00", "\x1f", "<", ">", "&", "é", "日本", "😀",
		"\xff", "\xc3", "\xed\xa0\x80", "\u2028", "\u2029", "\x7f", " "}
	var out []string
	for _, s := range stops {
		for at := 0; at <= 24; at++ {
			out = append(out, strings.Repeat("x", at)+s+strings.Repeat("y", 17))
			out = append(out, strings.Repeat("z", at)+s)
		}
	}
	rng := rand.New(rand.NewPCG(3, 9))
	for range 3000 {
		b := []byte(strings.Repeat("plain text ", 1+rng.IntN(4)))
		for range rng.IntN(3) {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		out = append(out, string(b))
	}
	return out
}

// Valid and Verbatim over strings with a stop anywhere, against
// encoding/json (Verbatim's rule is marshalSame, verbatim_test.go).
func TestStringScannersAtEveryOffset(t *testing.T) {
	for _, s := range stopStrings() {
		for _, doc := range []string{`"` + s + `"`, `{"k":"` + s + `","n":1}`, `["` + s + `"]`} {
			if got, want := Valid([]byte(doc)), json.Valid([]byte(doc)); got != want {
				t.Fatalf("Valid(%q) = %v, json.Valid %v", doc, got, want)
			}
			if got, want := Verbatim([]byte(doc)), marshalSame([]byte(doc)); got != want {
				t.Fatalf("Verbatim(%q) = %v, encoding/json writes it unchanged: %v", doc, got, want)
			}
		}
	}
}

// HTMLSafeRun stops at the first byte encoding/json does not copy as it
// is, or where fewer than eight bytes are left.
func TestHTMLSafeRun(t *testing.T) {
	for _, s := range stopStrings() {
		for i := 0; i <= len(s); i++ {
			j := HTMLSafeRun(s, i)
			want := i
			for want < len(s) && !isHTMLStop(s[want]) {
				want++
			}
			if j > want || (j < want && len(s)-j >= 8) {
				t.Fatalf("HTMLSafeRun(%q, %d) = %d, first stop at %d", s, i, j, want)
			}
		}
	}
}

// BenchmarkValidText is Valid of a commit whose data is mostly message
// text, as SDK traffic is.
func BenchmarkValidText(b *testing.B) {
	doc := []byte(`{"id":"g-1","model":"gpt-4o-mini","messages":[{"role":"system","content":"` +
		strings.Repeat("You are a helpful assistant. Answer briefly and cite sources. ", 20) +
		`"},{"role":"user","content":"` + strings.Repeat("What is the weather like in Paris today, and should I bring an umbrella? ", 10) + `"}]}`)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if !Valid(doc) {
			b.Fatal("invalid")
		}
	}
}

// skipString looks for the closing quote a word at a time before it calls
// IndexByte: quotes and escapes (runs of backslashes, escaped quotes) at
// every distance from the opening quote, against the byte loop.
func TestSkipStringAtEveryOffset(t *testing.T) {
	for _, s := range []string{`"`, `\"`, `\\"`, `\\\"`, `\\\\"`, `\n"`, `\"\""`, `\\\"x"`} {
		for at := 0; at <= 24; at++ {
			for _, tail := range []string{``, `"`, `y"z`, strings.Repeat("w", 20) + `"`, `\"` + strings.Repeat("v", 9) + `"`} {
				v := []byte(`"` + strings.Repeat("x", at) + s + tail)
				if got, want := skipString(v, 0), refSkipString(v, 0); got != want {
					t.Fatalf("skipString(%q) = %d, want %d", v, got, want)
				}
			}
		}
	}
}
