package jsonenc

import (
	"encoding/json"
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

// TestAppendStringIsMarshal: for strings chosen to break an encoder and for
// random bytes, AppendString writes exactly what json.Marshal writes.
func TestAppendStringIsMarshal(t *testing.T) {
	cases := []string{"", "plain", `quote " and \ back`, "<script>&amp;</script>", "\b\f\n\r\t\x00\x01\x1f\x7f",
		"bad \xff utf-8 \xc3", "line\u2028para\u2029", "ünïcødé 日本語 🙂", "\xed\xa0\x80 surrogate"}
	// Runs of plain text long enough for the eight-byte fast path, with
	// every kind of byte it must stop at, at every distance from a word
	// boundary.
	for _, stop := range []string{`"`, `\`, "\n", "\x00", "\x1f", "<", ">", "&", "é", "\xff", "\u2028", "\x7f"} {
		stop, _ = strconv.Unquote(`"` + stop + `"`)
		for at := 0; at <= 20; at++ {
			cases = append(cases, strings.Repeat("a", at)+stop+strings.Repeat("b", 13), strings.Repeat("c", at)+stop)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for range 2000 {
		b := make([]byte, rng.Intn(24))
		for i := range b {
			b[i] = byte(rng.Intn(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got[1:], want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "<&>", "\xff\xfe", "\u2028", "\x00\x1f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
		}
	})
}
