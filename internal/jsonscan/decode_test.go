package jsonscan

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

var decodeAnyCases = []string{
	`{"a":1,"b":[true,false,null,"x"],"c":{"d":-1.5e3,"e":""}}`,
	` [ {"role" : "user", "parts":[{"type":"text","content":"hi \"there\"\n\u00e9\ud83d\ude00"}]} ] `,
	`"plain"`, `"esc\\aped\/"`, `"a\nb\tc\"d\\e\/f\bg\fh\ri"`, `["x\ny", {"k\t": "\u00e9\n"}]`, `12`, `-0`, `0.000001`, `1e308`, `1e400`, `-1e400`, `1e-400`,
	`{"a":1,"a":2}`, `{"a":{"x":1},"a":{"y":2}}`, `[{"k":1,"k":[1]}]`,
	`"bad utf8 ` + "\xff\xfe" + `"`, `"lone \ud800 surrogate"`, "{\"k\xff\":1}",
	`{}`, `[]`, `[[],[{}]]`, `null`, `true`, ``, ` `, `{`, `[1,]`, `{"a":}`, `nul`, `01`, `1.`, `"\x"`,
	`{"a":1}x`, `{"a" 1}`, "\"ctl\x01\"", `{"":0}`,
}

func refDecodeAny(s string) (any, bool) {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, false
	}
	return v, true
}

// TestDecodeAnyMatchesUnmarshal checks DecodeAny against json.Unmarshal,
// including the cases it leaves to encoding/json.
func TestDecodeAnyMatchesUnmarshal(t *testing.T) {
	for _, s := range decodeAnyCases {
		got, ok := DecodeAny(s)
		want, wok := refDecodeAny(s)
		if ok != wok || !reflect.DeepEqual(got, want) {
			t.Errorf("DecodeAny(%q) = %#v, %v; json.Unmarshal gives %#v, %v", s, got, ok, want, wok)
		}
	}
}

func FuzzDecodeAny(f *testing.F) {
	for _, s := range decodeAnyCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := DecodeAny(s)
		want, wok := refDecodeAny(s)
		if ok != wok || !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeAny(%q) = %#v, %v; json.Unmarshal gives %#v, %v", s, got, ok, want, wok)
		}
	})
}

// refUnquote is Unquote's contract: json.Unmarshal into a string, for
// values that start with a quote (or whitespace: those always went to
// encoding/json).
func refUnquote(v []byte) (string, bool) {
	if len(v) == 0 || v[0] != '"' && !isSpace(v[0]) {
		return "", false
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

var unquoteCases = []string{`"a"`, `"a\nb\tc\"d\\e\/f\bg\fh\ri"`, `"\u00e9"`, `"é\n"`, "\"\xff\\n\"", `"a\"`, `"a"b"`,
	` "x" `, `"ctl` + "\x01" + `"`, `"\q"`, `""`, `"`, `"\ud83d\ude00\n"`, `null`, `1`}

// TestUnquoteMatchesUnmarshal checks Unquote against json.Unmarshal into a
// string.
func TestUnquoteMatchesUnmarshal(t *testing.T) {
	for _, s := range unquoteCases {
		got, ok := Unquote([]byte(s))
		want, wok := refUnquote([]byte(s))
		if ok != wok || got != want {
			t.Errorf("Unquote(%q) = %q, %v; json.Unmarshal gives %q, %v", s, got, ok, want, wok)
		}
	}
}

func FuzzUnquote(f *testing.F) {
	for _, s := range unquoteCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Unquote([]byte(s))
		want, wok := refUnquote([]byte(s))
		if ok != wok || got != want {
			t.Fatalf("Unquote(%q) = %q, %v; json.Unmarshal gives %q, %v", s, got, ok, want, wok)
		}
	})
}

// refSkipString is skipString's specification: a byte at a time, a
// backslash skipping the byte after it.
func refSkipString(v []byte, i int) int {
	i++
	for i < len(v) {
		switch v[i] {
		case '\\':
			i += 2
		case '"':
			return i + 1
		default:
			i++
		}
	}
	return len(v)
}

func FuzzSkipString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"x`, `"\\\\"`, `"\\\"`, `"\`, `"`, `"\\\\\"x"y`, `"é\n"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := []byte(`"` + s)
		if got, want := skipString(v, 0), refSkipString(v, 0); got != want {
			t.Fatalf("skipString(%q) = %d, want %d", v, got, want)
		}
	})
}

// BenchmarkSkipString skips a 2 KB message text with a few escapes.
func BenchmarkSkipString(b *testing.B) {
	v := []byte(`"` + strings.Repeat(`The policy allows one change per booking; fees apply.\n \"quoted\" `, 32) + `"`)
	b.SetBytes(int64(len(v)))
	for i := 0; i < b.N; i++ {
		if skipString(v, 0) != len(v) {
			b.Fatal("bad skip")
		}
	}
}

func BenchmarkSkipStringBytewise(b *testing.B) {
	v := []byte(`"` + strings.Repeat(`The policy allows one change per booking; fees apply.\n \"quoted\" `, 32) + `"`)
	b.SetBytes(int64(len(v)))
	for i := 0; i < b.N; i++ {
		if refSkipString(v, 0) != len(v) {
			b.Fatal("bad skip")
		}
	}
}

func TestSeenRefusesASecondRead(t *testing.T) {
	var s Seen
	if !s.First(1) || !s.First(4) {
		t.Fatal("a first read was refused")
	}
	if s.First(1) || s.First(4) {
		t.Fatal("a second read of the same member was accepted")
	}
	if !s.First(2) {
		t.Fatal("another member was refused")
	}
}
